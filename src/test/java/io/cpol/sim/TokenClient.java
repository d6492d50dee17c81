package io.cpol.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A test client on the JDK HttpClient that authenticates with an IAM token. */
final class TokenClient {
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String baseUrl;
  private final String token;

  TokenClient(BeebotteSimulator sim, String token) {
    this.baseUrl = sim.baseUrl();
    this.token = token;
  }

  HttpResponse<String> get(String target) throws IOException, InterruptedException {
    return send("GET", target);
  }

  HttpResponse<String> delete(String target) throws IOException, InterruptedException {
    return send("DELETE", target);
  }

  HttpResponse<String> send(String method, String target) throws IOException, InterruptedException {
    return http.send(request(method, target).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpRequest.Builder request(String method, String target) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + target))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30));
    return token == null ? b : b.header("X-Auth-Token", token);
  }

  HttpClient http() {
    return http;
  }

  /** GETs and parses a listing, failing on anything but 200. */
  JsonNode list(String target) throws IOException, InterruptedException {
    HttpResponse<String> r = get(target);
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + target + " → " + r.statusCode() + " " + r.body());
    }
    return RawHttp.JSON.readTree(r.body());
  }
}
