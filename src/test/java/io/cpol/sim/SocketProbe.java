package io.cpol.sim;

import io.socket.client.IO;
import io.socket.client.Socket;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A real Socket.IO client (socket.io-client 1.0.2, Engine.IO v3 like Beebotte's official clients)
 * that talks to the front door as the Node client {@code lib/socketio.js} does, and records what
 * happens to it.
 */
final class SocketProbe implements AutoCloseable {
  final Socket socket;
  final String userid;
  final String username;
  final AtomicReference<String> getsid = new AtomicReference<>();
  final AtomicReference<Object> connectError = new AtomicReference<>();
  final List<String> disconnects = new CopyOnWriteArrayList<>();
  final List<JSONObject> controls = new CopyOnWriteArrayList<>();
  final List<JSONObject> messages = new CopyOnWriteArrayList<>();

  private SocketProbe(Socket socket, String userid, String username) {
    this.socket = socket;
    this.userid = userid;
    this.username = username;
  }

  /**
   * Opens a socket with the official client's query: {@code key=...} (or {@code token=...} when
   * {@code credential} starts with "token="), {@code username}, {@code userid}; no reconnection.
   */
  static SocketProbe open(String url, String credential, String username, String userid) {
    String auth = credential.startsWith("token=") ? credential : "key=" + encode(credential);
    IO.Options options = new IO.Options();
    options.forceNew = true;
    options.reconnection = false;
    options.query = auth + "&username=" + encode(username) + "&userid=" + encode(userid);
    Socket socket;
    try {
      socket = IO.socket(url, options);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
    SocketProbe probe = new SocketProbe(socket, userid, username);
    socket.on("getsid", args -> probe.getsid.set(String.valueOf(args[0])));
    socket.on(Socket.EVENT_CONNECT_ERROR, args -> probe.connectError.set(args[0]));
    socket.on(Socket.EVENT_DISCONNECT, args -> probe.disconnects.add(String.valueOf(args[0])));
    socket.on("control", args -> probe.controls.add((JSONObject) args[0]));
    socket.on("message", args -> probe.messages.add((JSONObject) args[0]));
    socket.connect();
    return probe;
  }

  boolean connected() {
    return socket.connected();
  }

  /** The sid: the Engine.IO id, as the Node client reads it for signing. */
  String sid() {
    return socket.id();
  }

  /** Subscribes without a signature (enough for public read access). */
  void subscribe(String channel, String resource, boolean read, boolean write) {
    send("control", "subscribe", subscription(channel, resource, read, write));
  }

  /** Subscribes signed as the Node client's {@code signSubscription} does. */
  void subscribeSigned(
      String channel, String resource, boolean read, boolean write, String apiKey, String secret) {
    JSONObject data = subscription(channel, resource, read, write);
    String toSign =
        sid()
            + ":"
            + channel
            + "."
            + resource
            + ":ttl=0:read="
            + read
            + ":write="
            + write
            + (userid.isEmpty() ? "" : ":userid=" + userid);
    put(data, "sid", sid());
    put(data, "sig", apiKey + ":" + hmacSha1Base64(secret, toSign));
    if (!userid.isEmpty()) {
      put(data, "userid", userid);
    }
    send("control", "subscribe", data);
  }

  /** Publishes on a resource it may write ({@code stream/publish}). */
  void publish(String channel, String resource, String data) {
    JSONObject body = new JSONObject();
    put(body, "channel", channel);
    put(body, "resource", resource);
    put(body, "data", data);
    send("stream", "publish", body);
  }

  /** {@code socket.json.send({version: 1, channel, event, data})}, as the Node client sends. */
  void send(String channel, String event, JSONObject data) {
    JSONObject msg = new JSONObject();
    put(msg, "version", 1);
    put(msg, "channel", channel);
    put(msg, "event", event);
    put(msg, "data", data);
    socket.send(msg);
  }

  /** The control answers for {@code channel.resource}, as "event" strings, in order. */
  List<String> controlEvents(String channel, String resource) {
    return controls.stream()
        .filter(
            c ->
                channel.equals(c.optJSONObject("data").optString("channel"))
                    && resource.equals(c.optJSONObject("data").optString("resource")))
        .map(c -> c.optString("event"))
        .toList();
  }

  boolean receivedData(String channel, String resource, String data) {
    return messages.stream()
        .anyMatch(
            m ->
                channel.equals(m.optString("channel"))
                    && resource.equals(m.optString("resource"))
                    && data.equals(m.optString("data")));
  }

  @Override
  public void close() {
    socket.off();
    socket.close();
  }

  private JSONObject subscription(String channel, String resource, boolean read, boolean write) {
    JSONObject data = new JSONObject();
    put(data, "channel", channel);
    put(data, "resource", resource);
    put(data, "ttl", 0);
    put(data, "read", read);
    put(data, "write", write);
    JSONObject userinfo = new JSONObject();
    put(userinfo, "username", username);
    put(userinfo, "userid", userid);
    put(data, "userinfo", userinfo);
    return data;
  }

  static String hmacSha1Base64(String secret, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void put(JSONObject o, String key, Object value) {
    try {
      o.put(key, value);
    } catch (JSONException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
