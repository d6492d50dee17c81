package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The credential-free /admin/ side that the standalone process and the sandbox drive. */
class AdminEndpointsTest {
  private BeebotteSimulator sim;
  private TokenClient admin;
  private TokenClient api;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("acme", "k", "s")
            .account("globex", "k2", "s2")
            .token("iamtkn_rw", Authenticator.READ, Authenticator.WRITE)
            .build()
            .start();
    admin = new TokenClient(sim, null);
    api = new TokenClient(sim, "iamtkn_rw");
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  @Test
  void seedsListsAndRemovesConnectionsInTheWireFormat() throws Exception {
    String seed =
        "[{\"userid\":\"web-1\",\"protocol\":\"socketio\",\"sid\":\"s1\",\"clientip\":\"::ffff:203.0.113.9\","
            + "\"subscriptions\":[{\"channel\":\"alerts\",\"resource\":\"*\",\"read\":true,\"write\":false}],"
            + "\"userinfo\":{\"userid\":\"web-1\",\"username\":\"ops\"},\"extra\":\"ignored\"},"
            + "{\"userid\":\"dev-9\",\"protocol\":\"mqtt\"},"
            + "{\"userid\":\"g-1\",\"protocol\":\"mqtt\",\"owner\":\"globex\"}]";

    HttpResponse<String> added = post("/admin/connections", seed);

    assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
    assertThat(RawHttp.JSON.readTree(added.body()).get("added").asInt()).isEqualTo(3);
    JsonNode all = admin.list("/admin/connections");
    assertThat(all).hasSize(3);
    assertThat(all.get(0).get("userinfo").get("username").asText()).isEqualTo("ops");
    assertThat(all.get(0).get("subscriptions").get(0).get("channel").asText()).isEqualTo("alerts");
    assertThat(admin.list("/admin/connections?owner=globex")).hasSize(1);
    assertThat(api.list("/v1/connections")).hasSize(2);

    HttpResponse<String> removed = admin.delete("/admin/connections/web-1?sid=s1");
    assertThat(RawHttp.JSON.readTree(removed.body()).get("removed").asInt()).isEqualTo(1);
    assertThat(sim.drops()).as("an admin removal is a disconnect, not a drop").isEmpty();
    assertThat(
            RawHttp.JSON.readTree(admin.delete("/admin/connections").body()).get("removed").asInt())
        .isEqualTo(2);
    assertThat(sim.connections()).isEmpty();
  }

  @Test
  void ownerQueryParameterAppliesToObjectsWithoutOne() throws Exception {
    post("/admin/connections?owner=globex", "[{\"userid\":\"a\",\"protocol\":\"mqtt\"}]");

    assertThat(sim.connections()).singleElement().extracting(Connection::owner).isEqualTo("globex");
  }

  @Test
  void badSeedsAreRejectedWholesale() throws Exception {
    HttpResponse<String> notJson = post("/admin/connections", "[{");
    HttpResponse<String> noUserid = post("/admin/connections", "[{\"protocol\":\"mqtt\"}]");
    HttpResponse<String> unknownOwner =
        post(
            "/admin/connections",
            "[{\"userid\":\"a\",\"protocol\":\"mqtt\",\"owner\":\"nobody\"}]");

    for (HttpResponse<String> r : List.of(notJson, noUserid, unknownOwner)) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(RawHttp.JSON.readTree(r.body()).at("/error/code").asInt()).isEqualTo(1401);
    }
    assertThat(sim.connections()).isEmpty();
  }

  @Test
  void exposesRecordedRequestsAndDrops() throws Exception {
    sim.addConnection(new Connection("dev-1", null, "mqtt", null, null, null, null, List.of()));
    api.delete("/v1/connections/drop/dev-1?protocol=mqtt");

    JsonNode requests = admin.list("/admin/requests");
    assertThat(requests.get(0).get("method").asText()).isEqualTo("DELETE");
    assertThat(requests.get(0).get("rawTarget").asText())
        .isEqualTo("/v1/connections/drop/dev-1?protocol=mqtt");
    assertThat(requests.get(0).get("status").asInt()).isEqualTo(200);
    assertThat(requests.get(0).get("authKind").asText()).isEqualTo("TOKEN");
    assertThat(requests.get(0).get("account").asText()).isEqualTo("acme");
    assertThat(requests.get(0).get("endpoint").asText()).isEqualTo("DROP");

    JsonNode drops = admin.list("/admin/drops");
    assertThat(drops).hasSize(1);
    assertThat(drops.get(0).get("rawTarget").asText())
        .isEqualTo("/v1/connections/drop/dev-1?protocol=mqtt");
    assertThat(drops.get(0).get("connection").get("userid").asText()).isEqualTo("dev-1");

    assertThat(RawHttp.JSON.readTree(admin.delete("/admin/drops").body()).get("cleared").asInt())
        .isEqualTo(1);
    // GET /v1 drop, GET requests, GET drops, DELETE drops: four calls recorded before clearing.
    assertThat(RawHttp.JSON.readTree(admin.delete("/admin/requests").body()).get("cleared").asInt())
        .isEqualTo(4);
    assertThat(sim.drops()).isEmpty();
    // The clearing call itself is recorded after the log was cleared.
    assertThat(sim.requests())
        .singleElement()
        .extracting(RecordedCall::endpoint)
        .isEqualTo(RecordedCall.EndpointKind.ADMIN);
  }

  @Test
  void setsFaultsFromJson() throws Exception {
    HttpResponse<String> set =
        post(
            "/admin/faults",
            "{\"failNext\":2,\"status\":502,\"rateLimitNext\":1,\"retryAfterSeconds\":3,\"latencyMs\":5}");

    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    JsonNode state = RawHttp.JSON.readTree(set.body());
    assertThat(state.get("latencyMs").asInt()).isEqualTo(5);
    assertThat(state.get("pending")).hasSize(2);
    assertThat(sim.faults().latency()).isEqualTo(Duration.ofMillis(5));
    assertThat(api.get("/v1/connections").statusCode()).isEqualTo(502);
    assertThat(api.get("/v1/connections").statusCode()).isEqualTo(502);
    HttpResponse<String> limited = api.get("/v1/connections");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).hasValue("3");

    post(
        "/admin/faults",
        "{\"resetNext\":1,\"partial\":true,\"malformedJsonNext\":1,\"slowBodyNext\":1,\"perChunkMs\":1}");
    assertThat(admin.list("/admin/faults").get("pending")).hasSize(3);
    post("/admin/faults", "{\"clear\":true}");
    post("/admin/faults", "{\"echoNext\":1,\"status\":400}");
    HttpResponse<String> echoed = api.get("/v1/connections");
    assertThat(echoed.statusCode()).isEqualTo(400);
    assertThat(echoed.body()).contains("\"code\":1101", "rejected", "Date: ");
    post("/admin/faults", "{\"clear\":true}");
    assertThat(sim.faults().pending()).isZero();
    assertThat(sim.faults().latency()).isZero();
  }

  @Test
  void badFaultRequestsChangeNothing() throws Exception {
    for (String body :
        List.of(
            "{\"failNxt\":1}",
            "{\"failNext\":1,\"status\":200}",
            "{\"echoNext\":1,\"status\":302}",
            "{\"slowBodyNext\":1}",
            "[]",
            "{\"failNext\":-1}")) {
      HttpResponse<String> r = post("/admin/faults", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
    }
    assertThat(sim.faults().pending()).isZero();
  }

  @Test
  void unknownAdminPathsAndMethods() throws Exception {
    assertThat(admin.get("/admin/nothing").statusCode()).isEqualTo(404);
    assertThat(admin.send("PUT", "/admin/connections").statusCode()).isEqualTo(405);
    assertThat(admin.get("/admin/connections/x").statusCode()).isEqualTo(405);
    HttpResponse<String> help = admin.get("/admin");
    assertThat(help.statusCode()).isEqualTo(200);
    assertThat(help.body()).contains("POST   /admin/faults");
  }

  private HttpResponse<String> post(String target, String json) throws Exception {
    return admin
        .http()
        .send(
            HttpRequest.newBuilder(URI.create(sim.baseUrl() + target))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
