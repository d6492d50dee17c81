package io.cpol.sim;

import static io.cpol.sim.TokenAuthenticationTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Listing filters, drop semantics, the JSON shape and routing, as the API documentation says. */
class ApiSemanticsTest {
  static final Connection MQTT =
      new Connection(
          "dev-1", "dev-1", "mqtt", "dev-1", "::ffff:198.51.100.20", null, null, List.of());
  static final Connection WEB_A =
      new Connection(
          "dev-1",
          "G-bQyzSxjW9PLYbZAxo3",
          "socketio",
          "dev-1",
          "::ffff:203.0.113.7",
          null,
          "alice",
          List.of(new Subscription("telemetry", "*", true, false)));
  static final Connection WEB_B =
      new Connection(
          "dev-1", "sid-b", "socketio", "dev-1", "::ffff:203.0.113.8", null, null, List.of());
  static final Connection OTHER =
      new Connection("dev-2", null, "mqtt", null, null, null, null, List.of());

  private BeebotteSimulator sim;
  private TokenClient client;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("beebotte", "k", "s")
            .token("iamtkn_rw", Authenticator.READ, Authenticator.WRITE)
            .build()
            .start();
    sim.addConnections(List.of(MQTT, WEB_A, WEB_B, OTHER));
    client = new TokenClient(sim, "iamtkn_rw");
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  @Test
  void servesTheDocumentedJsonShape() throws Exception {
    JsonNode all = client.list("/v1/connections");

    assertThat(all).hasSize(4);
    assertThat(all.get(0))
        .isEqualTo(
            RawHttp.JSON.readTree(
                "{\"clientid\":\"dev-1\",\"clientip\":\"::ffff:198.51.100.20\",\"owner\":\"beebotte\","
                    + "\"protocol\":\"mqtt\",\"sid\":\"dev-1\",\"userid\":\"dev-1\"}"));
    assertThat(all.get(1))
        .isEqualTo(
            RawHttp.JSON.readTree(
                "{\"clientid\":\"dev-1\",\"clientip\":\"::ffff:203.0.113.7\",\"owner\":\"beebotte\","
                    + "\"protocol\":\"socketio\",\"sid\":\"G-bQyzSxjW9PLYbZAxo3\",\"userid\":\"dev-1\","
                    + "\"subscriptions\":[{\"channel\":\"telemetry\",\"resource\":\"*\",\"read\":true,"
                    + "\"write\":false}],\"userinfo\":{\"userid\":\"dev-1\",\"username\":\"alice\"}}"));
    // No username: userinfo carries the userid only.
    assertThat(all.get(2).get("userinfo").toString()).isEqualTo("{\"userid\":\"dev-1\"}");
    assertThat(all.get(2).get("subscriptions").toString()).isEqualTo("[]");
  }

  @Test
  void filtersByUseridSidAndProtocol() throws Exception {
    assertThat(sids("/v1/connections/dev-1"))
        .containsExactly("dev-1", "G-bQyzSxjW9PLYbZAxo3", "sid-b");
    assertThat(sids("/v1/connections/dev-1?sid=sid-b")).containsExactly("sid-b");
    assertThat(sids("/v1/connections/dev-1?protocol=socketio"))
        .containsExactly("G-bQyzSxjW9PLYbZAxo3", "sid-b");
    assertThat(sids("/v1/connections?protocol=mqtt")).containsExactly("dev-1", "dev-2");
    assertThat(sids("/v1/connections/dev-1?sid=sid-b&protocol=mqtt")).isEmpty();
    assertThat(sids("/v1/connections/dev-1?protocol=mqtt&sid=dev-1")).containsExactly("dev-1");
    assertThat(sids("/v1/connections/nobody")).isEmpty();
    assertThat(sids("/v1/connections/dev-1?sid=nope")).isEmpty();
    // Empty values mean no filter; an unknown protocol matches nothing; unknown params are ignored.
    assertThat(sids("/v1/connections/dev-1?sid=&protocol=")).hasSize(3);
    assertThat(sids("/v1/connections?protocol=xmpp")).isEmpty();
    assertThat(sids("/v1/connections/dev-2?foo=bar")).containsExactly("dev-2");
    // Express ignores one trailing slash.
    assertThat(sids("/v1/connections/")).hasSize(4);
    assertThat(sids("/v1/connections/dev-2/")).containsExactly("dev-2");
  }

  @Test
  void dropsAllConnectionsOfAUserid() throws Exception {
    HttpResponse<String> r = client.delete("/v1/connections/drop/dev-1");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("true");
    assertThat(sim.connections()).extracting(Connection::userid).containsExactly("dev-2");
    assertThat(sim.drops())
        .extracting(d -> d.connection().sid())
        .containsExactly("dev-1", "G-bQyzSxjW9PLYbZAxo3", "sid-b");
    assertThat(sim.drops())
        .allSatisfy(d -> assertThat(d.rawTarget()).isEqualTo("/v1/connections/drop/dev-1"));
  }

  @Test
  void dropsOneProtocolOrOneSession() throws Exception {
    assertThat(client.delete("/v1/connections/drop/dev-1?protocol=socketio").statusCode())
        .isEqualTo(200);
    assertThat(sids("/v1/connections/dev-1")).containsExactly("dev-1");

    sim.addConnections(List.of(WEB_A, WEB_B));
    assertThat(client.delete("/v1/connections/drop/dev-1?sid=sid-b").statusCode()).isEqualTo(200);
    assertThat(sids("/v1/connections/dev-1")).containsExactly("dev-1", "G-bQyzSxjW9PLYbZAxo3");

    // sid and protocol together must both match.
    assertThat(client.delete("/v1/connections/drop/dev-1?sid=dev-1&protocol=socketio").statusCode())
        .isEqualTo(200);
    assertThat(sids("/v1/connections/dev-1")).containsExactly("dev-1", "G-bQyzSxjW9PLYbZAxo3");

    assertThat(sim.drops())
        .extracting(DropEvent::rawTarget)
        .containsExactly(
            "/v1/connections/drop/dev-1?protocol=socketio",
            "/v1/connections/drop/dev-1?protocol=socketio",
            "/v1/connections/drop/dev-1?sid=sid-b");
  }

  @Test
  void dropThatMatchesNothingSucceeds() throws Exception {
    for (String target :
        List.of(
            "/v1/connections/drop/nobody",
            "/v1/connections/drop/dev-1?sid=gone",
            "/v1/connections/drop/dev-2?protocol=socketio")) {
      HttpResponse<String> r = client.delete(target);
      assertThat(r.statusCode()).as(target).isEqualTo(200);
      assertThat(r.body()).isEqualTo("true");
    }
    assertThat(sim.connections()).hasSize(4);
    assertThat(sim.drops()).isEmpty();
  }

  @Test
  void dropListenersSeeEachDroppedConnectionBeforeTheResponse() throws Exception {
    List<String> seen = new ArrayList<>();
    sim.onDrop(c -> seen.add(c.userid() + "/" + c.sid()));
    sim.onDrop(
        c -> {
          throw new IllegalStateException("a broken front door must not fail the drop");
        });

    HttpResponse<String> r = client.delete("/v1/connections/drop/dev-1?protocol=socketio");

    assertThat(r.statusCode()).isEqualTo(200);
    // Listeners run before the response is written, so no waiting is needed here.
    assertThat(seen).containsExactly("dev-1/G-bQyzSxjW9PLYbZAxo3", "dev-1/sid-b");
  }

  @Test
  void clientDisconnectIsNotADrop() {
    List<Connection> seen = new ArrayList<>();
    sim.onDrop(seen::add);

    assertThat(sim.removeConnection("dev-1", "sid-b")).isTrue();
    assertThat(sim.removeConnection("dev-1", "sid-b")).isFalse();
    assertThat(sim.removeConnection("dev-2", null)).isTrue();

    assertThat(sim.connections()).hasSize(2);
    assertThat(sim.drops()).isEmpty();
    assertThat(seen).isEmpty();
  }

  @Test
  void awkwardIdsRoundTripThroughPercentEncoding() throws Exception {
    String[] userids = {"a b/c?d%e#f", "ü", "日本-device", "a+b", "x&sid=y"};
    for (String userid : userids) {
      sim.addConnection(
          new Connection(userid, "s p+c/e?#&%ü", "socketio", null, null, null, null, List.of()));
      sim.addConnection(
          new Connection(userid, "other", "socketio", null, null, null, null, List.of()));
    }
    for (String userid : userids) {
      String path = "/v1/connections/" + pathSegment(userid);
      JsonNode listed =
          client.list(path + "?sid=" + URLEncoder.encode("s p+c/e?#&%ü", StandardCharsets.UTF_8));
      assertThat(listed).as(userid).hasSize(1);
      assertThat(listed.get(0).get("userid").asText()).isEqualTo(userid);
      assertThat(listed.get(0).get("sid").asText()).isEqualTo("s p+c/e?#&%ü");
      assertThat(client.list(path)).as(userid).hasSize(2);

      String drop = "/v1/connections/drop/" + pathSegment(userid) + "?sid=other";
      assertThat(client.delete(drop).statusCode()).isEqualTo(200);
      assertThat(client.list(path)).as(userid).hasSize(1);
      assertThat(sim.drops().get(sim.drops().size() - 1).rawTarget()).isEqualTo(drop);
    }
  }

  @Test
  void plusIsLiteralInThePathAndASpaceInTheQuery() throws Exception {
    sim.addConnection(new Connection("a+b", "x y", "socketio", null, null, null, null, List.of()));
    sim.addConnection(new Connection("a b", "x+y", "socketio", null, null, null, null, List.of()));

    assertThat(client.list("/v1/connections/a+b?sid=x+y")).hasSize(1);
    assertThat(client.list("/v1/connections/a+b?sid=x+y").get(0).get("sid").asText())
        .isEqualTo("x y");
    assertThat(client.list("/v1/connections/a%20b?sid=x%2By")).hasSize(1);
  }

  @Test
  void malformedEscapesAndRepeatedParametersAreParameterErrors() throws Exception {
    // The JDK client refuses to send malformed escapes, so these go over a raw socket.
    assertRawError("GET", "/v1/connections/bad%zz", "percent");
    assertRawError("GET", "/v1/connections/bad%C3", "UTF-8");
    assertRawError("DELETE", "/v1/connections/drop/x?sid=%", "percent");
    assertError(client.get("/v1/connections/dev-1?sid=a&sid=b"), 400, 1401, "more than once");
    assertThat(sim.connections()).hasSize(4);
  }

  private void assertRawError(String method, String target, String messagePart) throws Exception {
    try (RawHttp http = new RawHttp(sim.port())) {
      RawHttp.Response r = http.exchange(method, target, Map.of("X-Auth-Token", "iamtkn_rw"));
      assertThat(r.status()).as(target).isEqualTo(400);
      assertThat(r.json().at("/error/code").asInt()).isEqualTo(1401);
      assertThat(r.json().at("/error/message").asText()).contains(messagePart);
    }
  }

  @Test
  void unknownPathsAre404AndWrongMethods405() throws Exception {
    assertError(client.get("/v1/channels"), 404, 1301, "not found");
    assertError(client.get("/v1/connections/a/b"), 404, 1301, "not found");
    assertError(client.get("/v2/connections"), 404, 1301, "not found");
    assertError(client.delete("/v1/connections/drop/a/b"), 404, 1301, "not found");

    HttpResponse<String> getDrop = client.get("/v1/connections/drop/dev-1");
    assertError(getDrop, 405, 1403, "not allowed");
    assertThat(getDrop.headers().firstValue("Allow")).hasValue("DELETE");
    HttpResponse<String> deleteList = client.delete("/v1/connections/dev-1");
    assertError(deleteList, 405, 1403, "not allowed");
    assertThat(deleteList.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertError(client.send("POST", "/v1/connections"), 405, 1403, "not allowed");

    assertThat(sim.connections()).hasSize(4);
    assertThat(sim.requests())
        .extracting(RecordedCall::endpoint)
        .containsOnly(RecordedCall.EndpointKind.OTHER);
  }

  @Test
  void connectionsAreNormalisedAsBeebotteListsThem() {
    sim.clearConnections();
    sim.addConnection(
        new Connection(
            "m",
            null,
            "mqtt",
            null,
            null,
            null,
            "ignored",
            List.of(new Subscription("c", "r", true, true))));
    sim.addConnection(new Connection("w", null, "socketio", null, null, null, "bob", List.of()));

    Connection m = sim.connections().get(0);
    assertThat(m)
        .isEqualTo(
            new Connection("m", "m", "mqtt", "m", "::ffff:127.0.0.1", "beebotte", null, List.of()));
    Connection w = sim.connections().get(1);
    assertThat(w.sid()).hasSize(20);
    assertThat(w.owner()).isEqualTo("beebotte");
    assertThat(w.username()).isEqualTo("bob");

    assertThatThrownBy(
            () ->
                sim.addConnection(
                    new Connection("m2", "other", "mqtt", null, null, null, null, List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sid is its userid");
    assertThatThrownBy(
            () ->
                sim.addConnections(
                    List.of(
                        new Connection("ok", null, "mqtt", null, null, null, null, List.of()),
                        new Connection("x", null, "mqtt", null, null, "nobody", null, List.of()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nobody");
    // All or nothing: the valid one before the bad one was not added.
    assertThat(sim.connections()).hasSize(2);
  }

  @Test
  void addingTheSameSessionAgainReplacesIt() {
    sim.addConnection(
        new Connection(
            "dev-1", "sid-b", "socketio", null, "::ffff:10.0.0.9", null, "zed", List.of()));

    assertThat(sim.connections()).hasSize(4);
    assertThat(sim.connections())
        .filteredOn(c -> c.sid().equals("sid-b"))
        .singleElement()
        .satisfies(c -> assertThat(c.username()).isEqualTo("zed"));
  }

  @Test
  void headIsServedLikeGetWithoutABody() throws Exception {
    try (RawHttp http = new RawHttp(sim.port())) {
      RawHttp.Response head =
          http.exchange("HEAD", "/v1/connections", Map.of("X-Auth-Token", "iamtkn_rw"));
      RawHttp.Response get =
          http.exchange("GET", "/v1/connections", Map.of("X-Auth-Token", "iamtkn_rw"));

      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("Content-Length")).isEqualTo(Integer.toString(get.body().length));
      assertThat(get.json()).hasSize(4);
    }
  }

  private List<String> sids(String target) throws Exception {
    List<String> out = new ArrayList<>();
    client.list(target).forEach(n -> out.add(n.get("sid").asText()));
    return out;
  }

  /** Percent-encodes a path segment: unlike a form, a space is %20 and a plus stays literal. */
  static String pathSegment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
