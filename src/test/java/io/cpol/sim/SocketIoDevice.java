package io.cpol.sim;

import io.socket.client.IO;
import io.socket.client.Socket;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Socket.IO v2 client connected as Beebotte's official client connects ({@code key}, {@code
 * username}, {@code userid} in the query), with the client's default reconnection on, that keeps a
 * log of when it was connected.
 */
public final class SocketIoDevice implements AutoCloseable {
  private final Socket socket;
  private final List<Instant[]> stretches = new ArrayList<>();
  private Instant connectedAt;

  private SocketIoDevice(Socket socket) {
    this.socket = socket;
  }

  public static SocketIoDevice open(String url, String apiKey, String username, String userid) {
    IO.Options options = new IO.Options();
    options.forceNew = true;
    options.query =
        "key=" + encode(apiKey) + "&username=" + encode(username) + "&userid=" + encode(userid);
    Socket socket;
    try {
      socket = IO.socket(url, options);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
    SocketIoDevice device = new SocketIoDevice(socket);
    socket.on(Socket.EVENT_CONNECT, args -> device.onConnect());
    socket.on(Socket.EVENT_DISCONNECT, args -> device.onLost());
    socket.connect();
    return device;
  }

  private synchronized void onConnect() {
    connectedAt = Instant.now();
  }

  private synchronized void onLost() {
    if (connectedAt != null) {
      stretches.add(new Instant[] {connectedAt, Instant.now()});
      connectedAt = null;
    }
  }

  public boolean connected() {
    return socket.connected();
  }

  /** How many times the client lost its connection. */
  public synchronized int losses() {
    return stretches.size();
  }

  /** The share of [from, to) during which the client was connected. */
  public synchronized double exposure(Instant from, Instant to) {
    long connected = 0;
    List<Instant[]> all = new ArrayList<>(stretches);
    if (connectedAt != null) {
      all.add(new Instant[] {connectedAt, null});
    }
    for (Instant[] s : all) {
      Instant start = s[0].isBefore(from) ? from : s[0];
      Instant end = s[1] == null || s[1].isAfter(to) ? to : s[1];
      if (end.isAfter(start)) {
        connected += Duration.between(start, end).toNanos();
      }
    }
    return connected / (double) Duration.between(from, to).toNanos();
  }

  @Override
  public void close() {
    socket.off();
    socket.close();
  }

  private static String encode(String value) {
    return value == null ? "" : URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
