package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cpol.beebotte.Connection;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each fault kind, their order, and that they spare the admin side. */
class FaultsTest {
  private BeebotteSimulator sim;
  private TokenClient client;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("acme", "k", "s")
            .token("iamtkn_rw", Authenticator.READ, Authenticator.WRITE)
            .build()
            .start();
    sim.addConnections(ConnectionGenerator.generate(50, 7, null));
    sim.addConnection(new Connection("victim", null, "mqtt", null, null, null, null, List.of()));
    client = new TokenClient(sim, "iamtkn_rw");
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  @Test
  void failuresLookLikeBeebotteOrAProxy() throws Exception {
    sim.faults().failNext(1, 500).failNext(1, 502).failNext(1, 503).failNext(1, 504);

    HttpResponse<String> r500 = client.get("/v1/connections");
    assertThat(r500.statusCode()).isEqualTo(500);
    assertThat(RawHttp.JSON.readTree(r500.body()).at("/error/code").asInt()).isEqualTo(1201);

    HttpResponse<String> r502 = client.get("/v1/connections");
    assertThat(r502.statusCode()).isEqualTo(502);
    assertThat(r502.headers().firstValue("Content-Type")).hasValue("text/html");
    assertThat(r502.body()).contains("<title>502 Bad Gateway</title>");

    HttpResponse<String> r503 = client.get("/v1/connections");
    assertThat(r503.statusCode()).isEqualTo(503);
    assertThat(r503.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThatThrownBy(() -> RawHttp.JSON.readTree(r503.body()))
        .isInstanceOf(JsonProcessingException.class);

    assertThat(client.get("/v1/connections").statusCode()).isEqualTo(504);
    assertThat(client.get("/v1/connections").statusCode()).isEqualTo(200);
  }

  @Test
  void failedDropDropsNothing() throws Exception {
    sim.faults().failNext(1, 503);

    assertThat(client.delete("/v1/connections/drop/victim").statusCode()).isEqualTo(503);

    assertThat(sim.connections()).extracting(Connection::userid).contains("victim");
    assertThat(sim.requests().get(0).status()).isEqualTo(503);
    assertThat(sim.requests().get(0).account()).isNull();
  }

  @Test
  void rateLimitWithAndWithoutRetryAfter() throws Exception {
    sim.faults().rateLimitNext(1, Duration.ofMillis(1500)).rateLimitNext(1, null);

    HttpResponse<String> first = client.get("/v1/connections");
    HttpResponse<String> second = client.get("/v1/connections");

    assertThat(first.statusCode()).isEqualTo(429);
    assertThat(first.headers().firstValue("Retry-After")).hasValue("2");
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.headers().firstValue("Retry-After")).isEmpty();
    assertThat(client.get("/v1/connections").statusCode()).isEqualTo(200);
  }

  @Test
  void malformedJsonIsCutShortButTheCallIsExecuted() throws Exception {
    sim.faults().malformedJsonNext(2);

    HttpResponse<String> list = client.get("/v1/connections");
    HttpResponse<String> drop = client.delete("/v1/connections/drop/victim");

    assertThat(list.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> RawHttp.JSON.readTree(list.body()))
        .isInstanceOf(JsonProcessingException.class);
    assertThat(drop.statusCode()).isEqualTo(200);
    assertThat(drop.body()).isEqualTo("tr");
    assertThat(sim.connections()).extracting(Connection::userid).doesNotContain("victim");
    assertThat(client.list("/v1/connections")).hasSize(50);
  }

  @Test
  void resetGivesTheClientAnIoExceptionAndExecutesNothing() throws Exception {
    sim.faults().resetNext(1);

    // A fresh JDK client: a pooled connection would make it retry on its own.
    assertThatThrownBy(() -> freshClient().delete("/v1/connections/drop/victim"))
        .isInstanceOf(IOException.class);

    assertThat(sim.connections()).extracting(Connection::userid).contains("victim");
    assertThat(sim.requests()).singleElement().satisfies(c -> assertThat(c.status()).isZero());
    assertThat(client.list("/v1/connections")).hasSize(51);
  }

  @Test
  void partialResetExecutesTheCallThenCutsTheResponse() throws Exception {
    sim.faults().resetNext(2, true);

    assertThatThrownBy(() -> freshClient().get("/v1/connections")).isInstanceOf(IOException.class);
    try (RawHttp raw = new RawHttp(sim.port())) {
      raw.send("DELETE", "/v1/connections/drop/victim", Map.of("X-Auth-Token", "iamtkn_rw"), null);
      assertThatThrownBy(() -> raw.read(false)).isInstanceOf(IOException.class);
    }

    assertThat(sim.connections()).extracting(Connection::userid).doesNotContain("victim");
    assertThat(sim.drops())
        .singleElement()
        .satisfies(d -> assertThat(d.connection().userid()).isEqualTo("victim"));
  }

  @Test
  void slowBodyArrivesWholeButLate() throws Exception {
    sim.faults().slowBodyNext(1, Duration.ofMillis(40));

    long start = System.nanoTime();
    HttpResponse<String> r = client.get("/v1/connections");
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(RawHttp.JSON.readTree(r.body())).hasSize(51);
    // 16 pieces with 40 ms before each: a lower bound, so no flakiness from a slow machine.
    assertThat(elapsedMs).isGreaterThanOrEqualTo(16 * 40);
  }

  @Test
  void slowBodyTripsAReadTimeoutAfterTheHeaders() throws Exception {
    sim.faults().slowBodyNext(1, Duration.ofSeconds(2));

    try (RawHttp raw = new RawHttp(sim.port())) {
      raw.timeout(Duration.ofMillis(300));
      raw.send("GET", "/v1/connections", Map.of("X-Auth-Token", "iamtkn_rw"), null);
      // The JDK client's timeout stops at the headers, hence a socket read timeout here.
      assertThatThrownBy(() -> raw.read(false)).isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void latencyDelaysEveryApiRequestUntilCleared() throws Exception {
    sim.faults().latency(Duration.ofMillis(150));

    long start = System.nanoTime();
    client.get("/v1/connections");
    client.delete("/v1/connections/drop/nobody");
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
    assertThat(sim.faults().latency()).isEqualTo(Duration.ofMillis(150));

    sim.faults().clear();
    assertThat(sim.faults().latency()).isZero();
  }

  @Test
  void faultsAreConsumedInOrderOnePerRequest() throws Exception {
    sim.faults()
        .failNext(2, 503)
        .rateLimitNext(1, Duration.ofSeconds(1))
        .malformedJsonNext(1)
        .failNext(1, 500);
    assertThat(sim.faults().pending()).isEqualTo(5);

    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      statuses.add(client.get("/v1/connections/nobody").statusCode());
    }

    assertThat(statuses).containsExactly(503, 503, 429, 200, 500, 200);
    assertThat(sim.faults().pending()).isZero();
  }

  @Test
  void clearDropsQueuedFaults() throws Exception {
    sim.faults().failNext(3, 500);
    sim.faults().clear();

    assertThat(sim.faults().pending()).isZero();
    assertThat(client.get("/v1/connections").statusCode()).isEqualTo(200);
  }

  @Test
  void faultsSpareTheAdminSideButHitEveryV1Path() throws Exception {
    sim.faults().failNext(2, 500);

    HttpResponse<String> admin = client.get("/admin/connections");
    assertThat(admin.statusCode()).isEqualTo(200);
    assertThat(client.get("/v1/no-such-thing").statusCode()).isEqualTo(500);
    assertThat(sim.faults().pending()).isEqualTo(1);
  }

  @Test
  void faultArgumentsAreChecked() {
    assertThatThrownBy(() -> sim.faults().failNext(1, 200))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sim.faults().failNext(-1, 500))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sim.faults().latency(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private TokenClient freshClient() {
    return new TokenClient(sim, "iamtkn_rw");
  }
}
