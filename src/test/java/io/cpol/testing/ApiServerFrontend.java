package io.cpol.testing;

import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.fabric8.mockwebserver.vertx.ServerWebSocketHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.net.InetAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves an {@link ApiServerDispatcher} on a port of its own with both watch transports: WebSockets
 * (Fabric8 clients, as the mock does) and HTTP streaming, one JSON event per line, which is what
 * kubectl uses ({@code get -w}, {@code wait}, {@code delete}'s wait). Watches end after the
 * request's {@code timeoutSeconds}, as on a real API server, and clients start a new one.
 */
public final class ApiServerFrontend implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServerFrontend.class);

  private final Vertx vertx;
  private final HttpServer server;
  private final ApiServerDispatcher dispatcher;
  private final AtomicInteger httpWatches = new AtomicInteger();

  private ApiServerFrontend(Vertx vertx, HttpServer server, ApiServerDispatcher dispatcher) {
    this.vertx = vertx;
    this.server = server;
    this.dispatcher = dispatcher;
  }

  /** Listens on {@code address:port} (0 = any free port). */
  public static ApiServerFrontend start(
      ApiServerDispatcher dispatcher, InetAddress address, int port) {
    Vertx vertx = Vertx.vertx();
    HttpServer server =
        vertx.createHttpServer(
            new HttpServerOptions()
                .setHost(address.getHostAddress())
                .setPort(port)
                .setHandle100ContinueAutomatically(true));
    ApiServerFrontend frontend = new ApiServerFrontend(vertx, server, dispatcher);
    server.requestHandler(frontend::handle);
    try {
      await(server.listen());
    } catch (RuntimeException e) {
      await(vertx.close());
      throw new IllegalStateException(
          "cannot listen on " + address.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
    }
    return frontend;
  }

  public int port() {
    return server.actualPort();
  }

  /** HTTP streaming watches open right now (kubectl's; WebSocket watches are not counted). */
  public int httpWatches() {
    return httpWatches.get();
  }

  private void handle(HttpServerRequest event) {
    Future<Buffer> body = hasBody(event) ? event.body() : Future.succeededFuture(null);
    body.onFailure(err -> fail(event.response(), err));
    body.onSuccess(
        bytes -> {
          RecordedRequest request =
              new RecordedRequest(
                  event.version().alpnName().toUpperCase(Locale.ROOT),
                  HttpMethod.fromVertx(event.method()),
                  event.uri(),
                  Headers.builder().addAll(event.headers()).build(),
                  new io.fabric8.mockwebserver.http.Buffer(
                      bytes == null ? null : bytes.getBytes()));
          MockResponse response;
          try {
            response = dispatcher.dispatch(request);
          } catch (RuntimeException e) {
            log.warn("{} failed", request.getRequestLine(), e);
            fail(event.response(), e);
            return;
          }
          if (response == null) {
            event.response().setStatusCode(405).end();
          } else if (response.getWebSocketListener() == null) {
            send(event.response(), response);
          } else if ("websocket".equalsIgnoreCase(event.getHeader("Upgrade"))) {
            event
                .toWebSocket()
                .onFailure(err -> fail(event.response(), err))
                .onSuccess(new ServerWebSocketHandler(request, response));
          } else {
            stream(event, request, response);
          }
        });
  }

  private static void send(HttpServerResponse out, MockResponse response) {
    out.setStatusCode(response.code());
    response.getHeaders().toMultimap().forEach((k, v) -> out.headers().add(k, v));
    if (response.getBody() != null && response.getBody().size() > 0) {
      out.send(Buffer.buffer(response.getBody().getBytes()));
    } else {
      out.end();
    }
  }

  /** An HTTP streaming watch, fed by the same listener the mock would attach to a WebSocket. */
  private void stream(HttpServerRequest event, RecordedRequest request, MockResponse response) {
    HttpServerResponse out = event.response();
    out.setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/json");
    out.writeHead();
    WebSocketListener listener = response.getWebSocketListener();
    HttpWatchStream stream = new HttpWatchStream(request, out);
    httpWatches.incrementAndGet();
    AtomicBoolean ended = new AtomicBoolean();
    AtomicLong timer = new AtomicLong(-1);
    Runnable end =
        () -> {
          if (ended.compareAndSet(false, true)) {
            httpWatches.decrementAndGet();
            vertx.cancelTimer(timer.get());
            stream.close(1000, "watch ended");
            // The listener waits for its sender thread to finish: keep that off the event loop.
            vertx.executeBlocking(
                () -> {
                  listener.onClosed(stream, 1000, "watch ended");
                  return null;
                },
                false);
          }
        };
    out.closeHandler(v -> end.run());
    long timeoutSeconds = timeoutSeconds(request.getPath());
    timer.set(vertx.setTimer(TimeUnit.SECONDS.toMillis(timeoutSeconds), id -> end.run()));
    listener.onBeforeAccept(stream, response);
    listener.onOpen(stream, response);
  }

  private static long timeoutSeconds(String target) {
    String value = ResourcePath.parse(target).query().get("timeoutSeconds");
    try {
      long seconds = value == null ? 0 : Long.parseLong(value);
      return seconds > 0 ? seconds : 1800;
    } catch (NumberFormatException e) {
      return 1800;
    }
  }

  /** Writes the listener's watch events to an HTTP response, one per line. */
  private final class HttpWatchStream implements WebSocket {
    private final RecordedRequest request;
    private final HttpServerResponse out;

    HttpWatchStream(RecordedRequest request, HttpServerResponse out) {
      this.request = request;
      this.out = out;
    }

    @Override
    public RecordedRequest request() {
      return request;
    }

    @Override
    public synchronized boolean send(String text) {
      String event = dispatcher.watchEventFor(request, text);
      if (event != null && !out.ended()) {
        out.write(event + "\n");
      }
      return true;
    }

    @Override
    public boolean send(byte[] bytes) {
      return send(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public synchronized boolean close(int code, String reason) {
      if (!out.ended()) {
        out.end();
      }
      return true;
    }
  }

  private static boolean hasBody(HttpServerRequest event) {
    String length = event.getHeader("Content-Length");
    if (length != null && !length.isBlank() && Long.parseLong(length.trim()) > 0) {
      return true;
    }
    return event.headers().contains("Content-Type")
        || "chunked".equalsIgnoreCase(event.getHeader("Transfer-Encoding"));
  }

  private static void fail(HttpServerResponse out, Throwable err) {
    if (!out.headWritten()) {
      out.setStatusCode(500).setStatusMessage(String.valueOf(err.getMessage())).end();
    }
  }

  @Override
  public void close() {
    try {
      await(server.close());
    } finally {
      await(vertx.close());
    }
  }

  private static <T> T await(Future<T> future) {
    CompletableFuture<T> done = new CompletableFuture<>();
    future.onComplete(
        r -> {
          if (r.succeeded()) {
            done.complete(r.result());
          } else {
            done.completeExceptionally(r.cause());
          }
        });
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
    }
  }
}
