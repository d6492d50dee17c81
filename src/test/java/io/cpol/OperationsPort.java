package io.cpol;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Reads the operator's operations port as Prometheus or a kubelet would. */
final class OperationsPort {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private OperationsPort() {}

  /** The body of GET {@code path}, e.g. /metrics. */
  static String get(ConnectionPolicyOperator operator, String path)
      throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.httpPort() + path))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
