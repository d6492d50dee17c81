package io.cpol.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.beebotte.RequestSigner;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A test-only HTTP/1.1 client on a plain socket: it sends the request target byte for byte (the JDK
 * client drops a trailing {@code ?}) and lets tests send malformed or pipelined requests.
 */
final class RawHttp implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  /** A response as read off the wire. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }

    String header(String name) {
      return headers.get(name);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(30_000);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  void timeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
  }

  /** Headers for a request signed with keys, as the official client sends them. */
  static Map<String, String> signed(
      String apiKey, String secretKey, String method, String target, Instant date) {
    String d = HTTP_DATE.format(date);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Date", d);
    h.put(
        "Authorization",
        apiKey + ":" + RequestSigner.signature(secretKey, method, "", "", d, target));
    return h;
  }

  Response exchange(String method, String target, Map<String, String> headers) throws IOException {
    return exchange(method, target, headers, null);
  }

  Response exchange(String method, String target, Map<String, String> headers, byte[] body)
      throws IOException {
    send(method, target, headers, body);
    return read(method.equals("HEAD"));
  }

  void send(String method, String target, Map<String, String> headers, byte[] body)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    sb.append("Host: 127.0.0.1\r\n");
    headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    if (body != null) {
      sb.append("Content-Length: ").append(body.length).append("\r\n");
    }
    sb.append("\r\n");
    out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    if (body != null) {
      out.write(body);
    }
    out.flush();
  }

  /** Sends the bytes as they are, e.g. a request line with a raw 0xE9 in its target. */
  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  void sendRaw(String bytes) throws IOException {
    out.write(bytes.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Reads one response; a reset or a premature end of stream is an IOException. */
  Response read(boolean head) throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    if (status == 100) {
      return read(head);
    }
    byte[] body;
    if (head) {
      body = new byte[0];
    } else if ("chunked".equalsIgnoreCase(headers.get("Transfer-Encoding"))) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int size = Integer.parseInt(line().trim(), 16);
          size > 0;
          size = Integer.parseInt(line().trim(), 16)) {
        b.write(exactly(size));
        line();
      }
      line();
      body = b.toByteArray();
    } else if (headers.containsKey("Content-Length")) {
      body = exactly(Integer.parseInt(headers.get("Content-Length")));
    } else {
      body = in.readAllBytes();
    }
    return new Response(status, headers, body);
  }

  /** Whether the server has closed its side (read returns end of stream). */
  boolean closedByServer() throws IOException {
    return in.read() < 0;
  }

  private byte[] exactly(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new IOException("premature end of body: " + b.length + " of " + n + " bytes");
    }
    return b;
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        if (b.size() == 0) {
          return null;
        }
        throw new IOException("premature end of line");
      }
      b.write(c);
    }
    String s = b.toString(StandardCharsets.UTF_8);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
