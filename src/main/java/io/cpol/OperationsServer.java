package io.cpol;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/** The one HTTP port: /healthz (alive), /readyz (caches synced, or standby) and /metrics. */
final class OperationsServer implements AutoCloseable {
  private final HttpServer server;

  /**
   * @param bindAddress the address to listen on; null for every interface (what a pod needs, so the
   *     kubelet and Prometheus reach it)
   */
  OperationsServer(
      String bindAddress,
      int port,
      BooleanSupplier alive,
      BooleanSupplier ready,
      PrometheusMeterRegistry registry)
      throws IOException {
    server =
        HttpServer.create(
            bindAddress == null
                ? new InetSocketAddress(port)
                : new InetSocketAddress(bindAddress, port),
            0);
    server.createContext("/healthz", ex -> probe(ex, alive.getAsBoolean()));
    server.createContext("/readyz", ex -> probe(ex, ready.getAsBoolean()));
    server.createContext(
        "/metrics",
        ex -> {
          String contentType = "text/plain; version=0.0.4; charset=utf-8";
          respond(ex, 200, contentType, registry.scrape(contentType));
        });
    server.setExecutor(Executors.newFixedThreadPool(2, r -> daemon(r, "operations-http")));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Where it listens; a wildcard address means every interface. */
  InetSocketAddress address() {
    return server.getAddress();
  }

  private static void probe(HttpExchange ex, boolean ok) throws IOException {
    respond(ex, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not ready\n");
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType);
      if ("HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(status, -1);
        return;
      }
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    // Probes and scrapes in flight at shutdown need no answer; stop(1) would wait out the second.
    server.stop(0);
  }
}
