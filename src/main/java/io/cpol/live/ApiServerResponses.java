package io.cpol.live;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;

/** Whole (small, fixed-length) answers: Status errors and the discovery and OpenAPI documents. */
final class ApiServerResponses {
  private ApiServerResponses() {}

  static void status(HttpExchange ex, ApiStatus status) throws IOException {
    send(ex, status.code(), SessionResponses.JSON_TYPE, status.bytes());
  }

  static void send(HttpExchange ex, int code, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(code, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
