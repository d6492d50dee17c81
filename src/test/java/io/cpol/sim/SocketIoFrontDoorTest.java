package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Socket.IO front door with a real Engine.IO v3 client (socket.io-client 1.0.2): handshake
 * credentials, getsid, subscriptions with Beebotte's signature, publishing, listing, kicks.
 */
@Timeout(60)
class SocketIoFrontDoorTest {
  private static final String API_KEY = "acme-api";
  private static final String SECRET = "acme-secret";
  private static final String ADMIN_TOKEN = "iamtkn_admin";

  private LiveSimulator live;
  private TokenClient rest;
  private final List<SocketProbe> probes = new ArrayList<>();

  @BeforeEach
  void start() {
    live =
        LiveSimulator.start(
            BeebotteSimulator.builder()
                .account("acme", API_KEY, SECRET)
                .account("other", "other-api", "other-secret")
                .token(ADMIN_TOKEN, Authenticator.READ, Authenticator.WRITE)
                .token("token_acme_channel", "data:read"),
            LiveSimulator.OFF,
            0);
    rest = new TokenClient(live.rest(), ADMIN_TOKEN);
  }

  @AfterEach
  void stop() {
    probes.forEach(SocketProbe::close);
    live.close();
  }

  @Test
  void aSocketGetsItsSidAndIsListedWithUserinfoAndSubscriptions() throws Exception {
    SocketProbe app = open(API_KEY, "alice", "uid-alice");
    await10s().until(() -> app.getsid.get() != null);
    assertThat(app.getsid.get()).isEqualTo(app.sid());

    app.subscribe("weather", "*", true, false);
    app.subscribeSigned("home", "lamp", true, true, API_KEY, SECRET);
    await10s().until(() -> app.controlEvents("home", "lamp").contains("subscribed"));
    assertThat(app.controlEvents("weather", "*")).containsExactly("subscribed");

    JsonNode listed = awaitListing("/v1/connections/uid-alice?sid=" + app.sid(), 1).get(0);
    assertThat(listed.get("protocol").asText()).isEqualTo("socketio");
    assertThat(listed.get("sid").asText()).isEqualTo(app.sid());
    assertThat(listed.get("clientid").asText()).isEqualTo("uid-alice");
    assertThat(listed.get("owner").asText()).isEqualTo("acme");
    assertThat(listed.get("clientip").asText()).isEqualTo("::ffff:127.0.0.1");
    assertThat(listed.get("userinfo").get("userid").asText()).isEqualTo("uid-alice");
    assertThat(listed.get("userinfo").get("username").asText()).isEqualTo("alice");
    assertThat(listed.get("subscriptions").toString())
        .isEqualTo(
            "[{\"channel\":\"weather\",\"resource\":\"*\",\"read\":true,\"write\":false},"
                + "{\"channel\":\"home\",\"resource\":\"lamp\",\"read\":true,\"write\":true}]");

    app.socket.disconnect();
    awaitListing("/v1/connections/uid-alice", 0);
  }

  @Test
  void writeAccessAndPrivateChannelsNeedAValidSignatureOrToken() {
    SocketProbe app = connected(open(API_KEY, "", "uid-bob"));

    app.subscribe("home", "lamp", true, true);
    app.subscribeSigned("home", "door", true, true, API_KEY, "not-the-secret");
    app.subscribeSigned("home", "window", true, true, "other-api", "other-secret");
    app.subscribe("private-notes", "*", true, false);
    app.subscribeSigned("private-diary", "*", true, false, API_KEY, SECRET);
    await10s().until(() -> app.controls.size() == 5);

    assertThat(app.controlEvents("home", "lamp")).containsExactly("subscribeError");
    assertThat(app.controlEvents("home", "door")).containsExactly("subscribeError");
    assertThat(app.controlEvents("home", "window")).containsExactly("subscribeError");
    assertThat(app.controlEvents("private-notes", "*")).containsExactly("subscribeError");
    assertThat(app.controlEvents("private-diary", "*")).containsExactly("subscribed");
    assertThat(live.rest().connections())
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.subscriptions())
                    .extracting(s -> s.channel() + "/" + s.resource())
                    .containsExactly("private-diary/*"));
  }

  @Test
  void aTokenConnectsAndGrantsSubscriptionsOfItsAccount() {
    SocketProbe app = connected(open("token=token_acme_channel", "carol", "uid-carol"));
    org.json.JSONObject data = new org.json.JSONObject();
    try {
      data.put("channel", "home").put("resource", "lamp").put("read", true).put("write", true);
      data.put("token", "token_acme_channel");
    } catch (org.json.JSONException e) {
      throw new IllegalStateException(e);
    }
    app.send("control", "subscribe", data);

    await10s().until(() -> app.controlEvents("home", "lamp").contains("subscribed"));
    assertThat(live.rest().connections())
        .singleElement()
        .satisfies(c -> assertThat(c.owner()).isEqualTo("acme"));
  }

  @Test
  void unknownKeysAndTokensAreRefusedAtTheHandshake() {
    SocketProbe badKey = open("no-such-key", "", "uid-x");
    SocketProbe badToken = open("token=iamtkn_nope", "", "uid-y");
    SocketProbe good = connected(open(API_KEY, "", "uid-z"));

    await10s()
        .until(() -> badKey.connectError.get() != null && badToken.connectError.get() != null);
    assertThat(badKey.connected()).isFalse();
    assertThat(badToken.connected()).isFalse();
    awaitListing("/v1/connections", 1);
    assertThat(live.rest().connections()).extracting(c -> c.userid()).containsExactly("uid-z");
    assertThat(good.connected()).isTrue();
  }

  @Test
  void anEmptyUseridGetsAGeneratedOne() {
    SocketProbe app = connected(open(API_KEY, "dave", ""));

    assertThat(awaitListing("/v1/connections", 1).get(0).get("userid").asText())
        .matches("uid-[A-Za-z0-9]{16}");
    assertThat(app.connected()).isTrue();
  }

  @Test
  void publishedMessagesReachReadersOfTheSameAccountAndADropKicksOnlyItsTarget() throws Exception {
    SocketProbe writer = connected(open(API_KEY, "", "uid-writer"));
    SocketProbe reader1 = connected(open(API_KEY, "", "uid-reader"));
    SocketProbe reader2 = connected(open(API_KEY, "", "uid-reader"));
    SocketProbe stranger = connected(open("other-api", "", "uid-reader"));
    writer.subscribeSigned("home", "lamp", false, true, API_KEY, SECRET);
    reader1.subscribe("home", "*", true, false);
    reader2.subscribe("home", "lamp", true, false);
    stranger.subscribe("home", "lamp", true, false);
    for (SocketProbe p : List.of(writer, reader1, reader2, stranger)) {
      await10s().until(() -> p.controls.size() == 1);
    }

    writer.publish("home", "lamp", "on");
    await10s().until(() -> reader1.receivedData("home", "lamp", "on"));
    await10s().until(() -> reader2.receivedData("home", "lamp", "on"));

    assertThat(rest.delete("/v1/connections/drop/uid-reader?sid=" + reader1.sid()).statusCode())
        .isEqualTo(200);

    await10s().until(() -> reader1.disconnects.size() == 1);
    assertThat(reader1.disconnects).containsExactly("io server disconnect");
    writer.publish("home", "lamp", "off");
    await10s().until(() -> reader2.receivedData("home", "lamp", "off"));
    assertThat(reader2.disconnects).isEmpty();
    assertThat(stranger.disconnects).isEmpty();
    assertThat(stranger.messages).isEmpty();
    assertThat(live.rest().connections())
        .extracting(c -> c.sid())
        .containsExactlyInAnyOrder(writer.sid(), reader2.sid(), stranger.sid());
  }

  private SocketProbe open(String credential, String username, String userid) {
    SocketProbe p = SocketProbe.open(live.socketIoUrl(), credential, username, userid);
    probes.add(p);
    return p;
  }

  private static SocketProbe connected(SocketProbe p) {
    await10s().until(() -> p.getsid.get() != null);
    return p;
  }

  private JsonNode awaitListing(String target, int size) {
    return await10s().until(() -> rest.list(target), n -> n.size() == size);
  }

  private static ConditionFactory await10s() {
    return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
  }
}
