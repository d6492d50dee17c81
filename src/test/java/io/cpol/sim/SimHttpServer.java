package io.cpol.sim;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server on plain sockets: the JDK and OkHttp servers normalise the request target
 * and cannot reset a connection on demand, and the simulator needs both.
 *
 * <p>One thread per connection, keep-alive, pipelining, {@code Content-Length} and chunked request
 * bodies, {@code Expect: 100-continue}. Responses up to 64 KiB go out with a {@code Content-Length}
 * (as Express sends them); longer streamed bodies switch to chunked encoding so a
 * 100,000-connection listing never sits in memory whole.
 */
final class SimHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SimHttpServer.class);

  /** Turns a request into a response; runs on the connection's thread. */
  @FunctionalInterface
  interface Handler {
    SimResponse handle(SimRequest request);
  }

  private static final int MAX_LINE = 16 * 1024;
  private static final int MAX_HEADER_BYTES = 64 * 1024;
  private static final long MAX_BODY = 128L * 1024 * 1024;
  private static final int STREAM_BUFFER = 64 * 1024;
  private static final int SLOW_PIECES = 16;
  // Longer than any sane test client's pool wants, short enough that an abandoned standalone
  // simulator does not pile up threads.
  private static final int IDLE_TIMEOUT_MS = 60_000;
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);
  private static final Map<Integer, String> REASONS =
      Map.ofEntries(
          Map.entry(100, "Continue"),
          Map.entry(200, "OK"),
          Map.entry(201, "Created"),
          Map.entry(204, "No Content"),
          Map.entry(400, "Bad Request"),
          Map.entry(401, "Unauthorized"),
          Map.entry(403, "Forbidden"),
          Map.entry(404, "Not Found"),
          Map.entry(405, "Method Not Allowed"),
          Map.entry(408, "Request Timeout"),
          Map.entry(413, "Payload Too Large"),
          Map.entry(414, "URI Too Long"),
          Map.entry(429, "Too Many Requests"),
          Map.entry(431, "Request Header Fields Too Large"),
          Map.entry(500, "Internal Server Error"),
          Map.entry(501, "Not Implemented"),
          Map.entry(502, "Bad Gateway"),
          Map.entry(503, "Service Unavailable"),
          Map.entry(504, "Gateway Timeout"));

  private final ServerSocket serverSocket;
  private final Handler handler;
  private final Clock clock;
  private final ExecutorService workers;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final Thread acceptor;
  private volatile boolean closed;

  private SimHttpServer(ServerSocket serverSocket, Handler handler, Clock clock) {
    this.serverSocket = serverSocket;
    this.handler = handler;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "beebotte-sim-conn-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.acceptor = new Thread(this::acceptLoop, "beebotte-sim-accept-" + port());
    this.acceptor.setDaemon(true);
  }

  static SimHttpServer start(String host, int port, Handler handler, Clock clock)
      throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress(host, port), 512);
    SimHttpServer server = new SimHttpServer(ss, handler, clock);
    server.acceptor.start();
    return server;
  }

  int port() {
    return serverSocket.getLocalPort();
  }

  /** TCP connections accepted so far; lets tests see keep-alive at work. */
  long acceptedConnections() {
    return accepted.get();
  }

  @Override
  public void close() {
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException ignored) {
      // Closing is best effort; the port is released either way.
    }
    for (Socket s : open) {
      closeQuietly(s);
    }
    workers.shutdownNow();
    try {
      acceptor.join(2_000);
      workers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      accepted.incrementAndGet();
      open.add(socket);
      try {
        workers.execute(() -> serve(socket));
      } catch (RuntimeException rejected) {
        // Shut down between accept and execute.
        open.remove(socket);
        closeQuietly(socket);
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(IDLE_TIMEOUT_MS);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), STREAM_BUFFER);
      while (!closed) {
        SimRequest request;
        try {
          request = readRequest(in, out);
        } catch (BadRequest e) {
          writeSimple(out, e.status, e.getMessage());
          return;
        }
        if (request == null) {
          return;
        }
        SimResponse response;
        try {
          response = handler.handle(request);
        } catch (RuntimeException | LinkageError e) {
          // LinkageError too: a build wiping target/ under a running simulator shows up here,
          // and a silent dropped connection would hide it.
          log.error("handler failed for {} {}", request.method(), request.rawTarget(), e);
          response =
              SimResponse.json(
                  500, "{\"error\":{\"message\":\"simulator bug: see its log\",\"code\":1201}}");
        }
        if (!write(socket, out, request, response)) {
          return;
        }
      }
    } catch (SocketTimeoutException | SocketException e) {
      // Idle keep-alive timeout, client went away, or close(): nothing to answer.
    } catch (IOException e) {
      // Same: the peer is gone mid-request.
    } finally {
      open.remove(socket);
    }
  }

  // --- request parsing

  /** Thrown for requests that cannot be parsed; the connection is answered and closed. */
  private static final class BadRequest extends Exception {
    final int status;

    BadRequest(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** The next request, or null on a clean end of stream between requests. */
  private SimRequest readRequest(InputStream in, OutputStream out) throws IOException, BadRequest {
    String line;
    // RFC 9112 section 2.2: ignore empty lines before a request line.
    do {
      line = readLine(in, MAX_LINE, true);
      if (line == null) {
        return null;
      }
    } while (line.isEmpty());
    int sp1 = line.indexOf(' ');
    int sp2 = line.lastIndexOf(' ');
    if (sp1 <= 0 || sp2 == sp1) {
      throw new BadRequest(400, "malformed request line");
    }
    String method = line.substring(0, sp1);
    String target = line.substring(sp1 + 1, sp2);
    String version = line.substring(sp2 + 1);
    if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
      throw new BadRequest(400, "unsupported HTTP version " + version);
    }
    if (!target.startsWith("/")) {
      throw new BadRequest(400, "only origin-form request targets are served");
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int headerBytes = 0;
    while (true) {
      String h = readLine(in, MAX_LINE, false);
      if (h == null) {
        throw new IOException("end of stream in headers");
      }
      if (h.isEmpty()) {
        break;
      }
      headerBytes += h.length();
      if (headerBytes > MAX_HEADER_BYTES) {
        throw new BadRequest(431, "request headers too large");
      }
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new BadRequest(400, "malformed header line");
      }
      headers.putIfAbsent(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    String te = headers.get("Transfer-Encoding");
    String cl = headers.get("Content-Length");
    if (te != null && cl != null) {
      throw new BadRequest(400, "both Transfer-Encoding and Content-Length");
    }
    boolean chunked = te != null && te.toLowerCase(Locale.ROOT).endsWith("chunked");
    if (te != null && !chunked) {
      throw new BadRequest(501, "unsupported Transfer-Encoding " + te);
    }
    long length = 0;
    if (cl != null) {
      try {
        length = Long.parseLong(cl);
      } catch (NumberFormatException e) {
        throw new BadRequest(400, "bad Content-Length");
      }
      if (length < 0) {
        throw new BadRequest(400, "bad Content-Length");
      }
      if (length > MAX_BODY) {
        throw new BadRequest(413, "request body too large");
      }
    }
    if ((chunked || length > 0) && "100-continue".equalsIgnoreCase(headers.get("Expect"))) {
      out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }
    byte[] body = chunked ? readChunked(in) : in.readNBytes((int) length);
    if (body.length < length) {
      throw new IOException("end of stream in body");
    }
    return new SimRequest(method, target, version, headers, body);
  }

  private static byte[] readChunked(InputStream in) throws IOException, BadRequest {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in, MAX_LINE, false);
      if (sizeLine == null) {
        throw new IOException("end of stream in chunked body");
      }
      int semi = sizeLine.indexOf(';');
      String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim();
      int size;
      try {
        size = Integer.parseInt(hex, 16);
      } catch (NumberFormatException e) {
        throw new BadRequest(400, "bad chunk size");
      }
      if (size < 0 || body.size() + (long) size > MAX_BODY) {
        throw new BadRequest(413, "request body too large");
      }
      if (size == 0) {
        // Trailers, if any, end with an empty line.
        String trailer;
        do {
          trailer = readLine(in, MAX_LINE, false);
        } while (trailer != null && !trailer.isEmpty());
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(size);
      if (chunk.length < size) {
        throw new IOException("end of stream in chunk");
      }
      body.writeBytes(chunk);
      readLine(in, 2, false);
    }
  }

  /**
   * One CRLF- (or bare LF-) terminated line without the terminator, one char per byte (ISO-8859-1),
   * as Node's HTTP parser reads a request line and headers for Beebotte's servers: a raw 0xE9 is
   * {@code é}, the two raw UTF-8 bytes of {@code é} are {@code Ã©}, and no byte is ever lost or
   * replaced. Null at end of stream before any byte when {@code eofAllowed}.
   */
  private static String readLine(InputStream in, int max, boolean eofAllowed)
      throws IOException, BadRequest {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (line.size() == 0 && eofAllowed) {
          return null;
        }
        throw new IOException("end of stream in line");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      if (line.size() >= max) {
        throw new BadRequest(max == MAX_LINE ? 414 : 400, "line too long");
      }
      line.write(b);
    }
  }

  // --- response writing

  /** Writes the response; returns whether the connection stays open for the next request. */
  private boolean write(Socket socket, OutputStream out, SimRequest request, SimResponse response)
      throws IOException {
    boolean keepAlive = request.keepAlive() && !closed;
    boolean head = request.method().equals("HEAD");
    switch (response.delivery()) {
      case RESET -> {
        abort(socket);
        return false;
      }
      case PARTIAL_THEN_RESET -> {
        byte[] body = response.materialize();
        byte[] headBytes = head(response, body.length, false, keepAlive);
        if (body.length >= 2) {
          out.write(headBytes);
          out.write(body, 0, body.length / 2);
        } else {
          out.write(headBytes, 0, headBytes.length / 2);
        }
        out.flush();
        abort(socket);
        return false;
      }
      case SLOW -> {
        byte[] body = response.materialize();
        out.write(head(response, body.length, false, keepAlive));
        out.flush();
        if (!head && body.length > 0) {
          int pieces = Math.min(SLOW_PIECES, body.length);
          int size = (body.length + pieces - 1) / pieces;
          for (int off = 0; off < body.length; off += size) {
            pause(response.perChunk());
            out.write(body, off, Math.min(size, body.length - off));
            out.flush();
          }
        }
        return keepAlive;
      }
      case NORMAL -> {
        if (response.body() != null || head) {
          byte[] body = response.materialize();
          out.write(head(response, body.length, false, keepAlive));
          if (!head) {
            out.write(body);
          }
          out.flush();
          return keepAlive;
        }
        boolean canChunk = request.version().equals("HTTP/1.1");
        StreamingBody stream = new StreamingBody(out, response, keepAlive, canChunk);
        response.writer().writeTo(stream);
        stream.finish();
        return keepAlive && (canChunk || !stream.switched);
      }
      default -> throw new IllegalStateException(response.delivery().toString());
    }
  }

  private byte[] head(
      SimResponse response, long contentLength, boolean chunked, boolean keepAlive) {
    StringBuilder sb = new StringBuilder(256);
    int status = response.status();
    sb.append("HTTP/1.1 ")
        .append(status)
        .append(' ')
        .append(REASONS.getOrDefault(status, "Status " + status))
        .append("\r\n");
    sb.append("Date: ").append(HTTP_DATE.format(clock.instant())).append("\r\n");
    if (response.contentType() != null) {
      sb.append("Content-Type: ").append(response.contentType()).append("\r\n");
    }
    for (Map.Entry<String, String> h : response.headers().entrySet()) {
      sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    if (chunked) {
      sb.append("Transfer-Encoding: chunked\r\n");
    } else if (contentLength >= 0) {
      sb.append("Content-Length: ").append(contentLength).append("\r\n");
    }
    sb.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Buffers the first 64 KiB so small bodies get a Content-Length; past that, sends chunks (or, for
   * HTTP/1.0, the raw bytes followed by a close).
   */
  private final class StreamingBody extends OutputStream {
    private final OutputStream out;
    private final SimResponse response;
    private final boolean keepAlive;
    private final boolean canChunk;
    private final byte[] buf = new byte[STREAM_BUFFER];
    private int count;
    private boolean switched;

    StreamingBody(OutputStream out, SimResponse response, boolean keepAlive, boolean canChunk) {
      this.out = out;
      this.response = response;
      this.keepAlive = keepAlive;
      this.canChunk = canChunk;
    }

    @Override
    public void write(int b) throws IOException {
      if (count == buf.length) {
        drain();
      }
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (count == buf.length) {
          drain();
        }
        int n = Math.min(len, buf.length - count);
        System.arraycopy(b, off, buf, count, n);
        count += n;
        off += n;
        len -= n;
      }
    }

    private void drain() throws IOException {
      if (!switched) {
        switched = true;
        out.write(head(response, -1, canChunk, keepAlive && canChunk));
      }
      if (count == 0) {
        return;
      }
      if (canChunk) {
        out.write((Integer.toHexString(count) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(buf, 0, count);
        out.write('\r');
        out.write('\n');
      } else {
        out.write(buf, 0, count);
      }
      count = 0;
    }

    void finish() throws IOException {
      if (!switched) {
        out.write(head(response, count, false, keepAlive));
        out.write(buf, 0, count);
      } else {
        drain();
        if (canChunk) {
          out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
      }
      out.flush();
    }
  }

  private void writeSimple(OutputStream out, int status, String message) throws IOException {
    byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
    out.write(
        head(
            SimResponse.bytes(status, "text/plain; charset=utf-8", body),
            body.length,
            false,
            false));
    out.write(body);
    out.flush();
  }

  /** Closes with RST instead of FIN, so the peer sees "connection reset". */
  private static void abort(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException ignored) {
      // Already closed.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }

  private static void pause(Duration d) throws IOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
