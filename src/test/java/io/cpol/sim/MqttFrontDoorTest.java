package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The MQTT front door with a real client (Paho): Beebotte's logins, listing, pub/sub, kicks. */
@Timeout(60)
class MqttFrontDoorTest {
  private static final String SECRET = "acme-secret";
  private static final String API_KEY = "acme-api";
  private static final String ADMIN_TOKEN = "iamtkn_admin";

  private LiveSimulator live;
  private TokenClient rest;
  private final List<MqttProbe> probes = new ArrayList<>();

  @BeforeEach
  void start() {
    live =
        LiveSimulator.start(
            BeebotteSimulator.builder()
                .account("acme", API_KEY, SECRET)
                .account("other", "other-api", "other-secret")
                .token(ADMIN_TOKEN, Authenticator.READ, Authenticator.WRITE)
                .tokenFor("other", "token_other_channel", "data:read")
                .tokenFor("other", "iamtkn_other", Authenticator.READ),
            0,
            LiveSimulator.OFF);
    rest = new TokenClient(live.rest(), ADMIN_TOKEN);
  }

  @AfterEach
  void stop() throws MqttException {
    for (MqttProbe p : probes) {
      p.close();
    }
    live.close();
  }

  @Test
  void aSecretKeyLoginIsListedAsBeebotteListsMqttAndLeavesWhenTheClientDisconnects()
      throws Exception {
    MqttProbe device = connect("device-42", SECRET, null);

    JsonNode listed = awaitListing("/v1/connections/device-42", 1).get(0);
    assertThat(listed.get("userid").asText()).isEqualTo("device-42");
    assertThat(listed.get("sid").asText()).isEqualTo("device-42");
    assertThat(listed.get("clientid").asText()).isEqualTo("device-42");
    assertThat(listed.get("protocol").asText()).isEqualTo("mqtt");
    assertThat(listed.get("owner").asText()).isEqualTo("acme");
    assertThat(listed.get("clientip").asText()).isEqualTo("::ffff:127.0.0.1");
    assertThat(listed.has("subscriptions")).isFalse();
    assertThat(listed.has("userinfo")).isFalse();

    device.client.disconnect();

    awaitListing("/v1/connections/device-42", 0);
    assertThat(device.connectionsLost).hasValue(0);
  }

  @Test
  void tokensAndSignedApiKeyLoginsAreAcceptedForTheirAccount() throws Exception {
    connect("by-token-prefix", "token:token_other_channel", null);
    connect("by-bare-channel-token", "token_other_channel", null);
    connect("by-bare-iam-token", "iamtkn_other", "");
    String signature = SocketProbe.hmacSha1Base64(SECRET, "plant-7");
    connect("by-signature", API_KEY, "plant-7:" + signature);

    await10s()
        .untilAsserted(
            () ->
                assertThat(live.rest().connections())
                    .extracting(Connection::userid, Connection::owner)
                    .containsExactlyInAnyOrder(
                        tuple("by-token-prefix", "other"),
                        tuple("by-bare-channel-token", "other"),
                        tuple("by-bare-iam-token", "other"),
                        tuple("by-signature", "acme")));
  }

  @Test
  void badCredentialsAreRefusedInTheConnack() {
    String goodSignature = SocketProbe.hmacSha1Base64(SECRET, "plant-7");
    List<String[]> bad =
        List.of(
            new String[] {"wrong-secret", null},
            new String[] {"token:token_unknown", null},
            new String[] {"iamtkn_unknown", ""},
            new String[] {API_KEY, "plant-7:" + goodSignature.substring(1) + "A"},
            new String[] {API_KEY, "plant-8:" + goodSignature},
            new String[] {API_KEY, null},
            new String[] {"unknown-api", "plant-7:" + goodSignature});
    for (String[] credentials : bad) {
      assertThatThrownBy(() -> connect("refused", credentials[0], credentials[1]))
          .as("username %s password %s", credentials[0], credentials[1])
          .isInstanceOfSatisfying(
              MqttSecurityException.class,
              e ->
                  assertThat(e.getReasonCode())
                      .isEqualTo(MqttException.REASON_CODE_FAILED_AUTHENTICATION));
    }
    assertThat(live.rest().connections()).isEmpty();
  }

  @Test
  void aClientWithoutCredentialsIsKickedAndNeverListedAndCannotPublish() throws Exception {
    MqttProbe witness = connect("witness", SECRET, null).subscribe("home/door");
    // A raw MQTT 3.1.1 client: Paho can hang in connect() when the close follows the CONNACK.
    try (Socket raw = new Socket("127.0.0.1", live.mqttPort())) {
      raw.setSoTimeout(10_000);
      OutputStream out = raw.getOutputStream();
      out.write(connectWithoutUsername("anonymous"));
      out.write(publish("home/door", "intruder"));
      out.flush();
      InputStream in = raw.getInputStream();
      assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00); // CONNACK accepted
      assertThat(in.read()).as("then the broker closes").isEqualTo(-1);
    }

    connect("neighbour", SECRET, null).publish("home/door", "open");
    await10s().until(() -> witness.receivedPayloadContaining("home/door", "open"));
    assertThat(witness.received).extracting(MqttProbe.Received::payload).containsExactly("open");
    // The listing follows the broker's connect events, which may come after the delivery.
    await10s()
        .untilAsserted(
            () ->
                assertThat(live.rest().connections())
                    .extracting(Connection::userid)
                    .containsExactlyInAnyOrder("witness", "neighbour"));
  }

  @Test
  void aSubscribeSentRightAfterTheConnectIsServedOnceTheConnectionIsAccepted() throws Exception {
    MqttProbe publisher = connect("publisher", SECRET, null);
    try (Socket raw = new Socket("127.0.0.1", live.mqttPort())) {
      raw.setSoTimeout(10_000);
      OutputStream out = raw.getOutputStream();
      // One write: the broker reads the SUBSCRIBE before it has accepted the connection.
      out.write(concat(connect("eager", SECRET), subscribe(7, "home/door")));
      out.flush();
      InputStream in = raw.getInputStream();
      assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00); // CONNACK accepted
      assertThat(in.readNBytes(5)).containsExactly(0x90, 0x03, 0x00, 0x07, 0x00); // SUBACK QoS 0

      publisher.publish("home/door", "open");
      byte[] expected = publish("home/door", "open");
      assertThat(in.readNBytes(expected.length)).containsExactly(expected);
    }
  }

  @Test
  void anEmptyClientIdGetsAGeneratedUseridThatADropReaches() throws Exception {
    MqttProbe device = connect("", SECRET, null);

    String userid =
        await10s().until(() -> live.rest().connections(), cs -> cs.size() == 1).get(0).userid();
    assertThat(userid).matches("[0-9a-f]{32}");

    assertThat(rest.delete("/v1/connections/drop/" + userid).statusCode()).isEqualTo(200);

    await10s().until(() -> device.connectionsLost.get() == 1);
    assertThat(live.rest().connections()).isEmpty();
  }

  @Test
  void reconnectingWithTheSameClientIdReplacesTheSession() throws Exception {
    MqttProbe first = connect("device-1", SECRET, null);
    awaitListing("/v1/connections/device-1", 1);

    MqttProbe second = connect("device-1", SECRET, null);

    await10s().until(() -> first.connectionsLost.get() == 1);
    awaitListing("/v1/connections/device-1", 1);
    assertThat(second.client.isConnected()).isTrue();

    second.client.disconnect();
    awaitListing("/v1/connections/device-1", 0);
  }

  @Test
  void clientsPublishAndSubscribeOnChannelResourceTopicsAndADropKicksOnlyItsTarget()
      throws Exception {
    MqttProbe sensor = connect("sensor", SECRET, null);
    MqttProbe display = connect("display", SECRET, null).subscribe("home/temperature");
    MqttProbe logger = connect("logger", SECRET, null).subscribe("home/+");
    awaitListing("/v1/connections", 3);

    sensor.publish("home/temperature", "{\"data\":21}");
    await10s().until(() -> display.receivedPayloadContaining("home/temperature", "21"));
    await10s().until(() -> logger.receivedPayloadContaining("home/temperature", "21"));

    assertThat(rest.delete("/v1/connections/drop/display").statusCode()).isEqualTo(200);

    await10s().until(() -> display.connectionsLost.get() == 1);
    sensor.publish("home/temperature", "{\"data\":22}");
    await10s().until(() -> logger.receivedPayloadContaining("home/temperature", "22"));
    assertThat(sensor.connectionsLost).hasValue(0);
    assertThat(logger.connectionsLost).hasValue(0);
    assertThat(live.rest().connections())
        .extracting(Connection::userid)
        .containsExactlyInAnyOrder("sensor", "logger");
    assertThat(live.rest().drops())
        .extracting(d -> d.connection().userid())
        .containsExactly("display");
  }

  @Test
  void dropsRacingReconnectsNeverBreakTheBroker() throws Exception {
    // Devices that come back at once, dropped again and again while they do: a drop landing as
    // Moquette handles the lost connection once ended a session loop, and every client routed to
    // that loop then hung in CONNECT.
    List<ReconnectingMqttDevice> devices = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        devices.add(
            ReconnectingMqttDevice.start(
                live.mqttUri(),
                "racer-" + i,
                SECRET,
                ReconnectingMqttDevice.Style.FIXED_DELAY,
                Duration.ofMillis(10)));
      }
      // Until enough drops have reached a connected device (about 10 s on a quiet machine; a
      // loaded one takes longer, not fewer), so the race is exercised however busy the machine.
      long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      int kicked = 0;
      for (int round = 0; kicked <= 60 && System.nanoTime() < end; round++) {
        assertThat(rest.delete("/v1/connections/drop/racer-" + round % 6).statusCode())
            .isEqualTo(200);
        Thread.sleep(round % 3);
        kicked = devices.stream().mapToInt(ReconnectingMqttDevice::losses).sum();
      }
      assertThat(kicked).as("drops that reached a connected device").isGreaterThan(60);

      // Every session loop still serves: fresh clients (ids spread over the loops) connect.
      for (int i = 0; i < 8; i++) {
        connect("after-" + i, SECRET, null);
        awaitListing("/v1/connections/after-" + i, 1);
      }
    } finally {
      for (ReconnectingMqttDevice d : devices) {
        d.close();
      }
    }
  }

  private MqttProbe connect(String clientId, String username, String password)
      throws MqttException {
    MqttProbe p = MqttProbe.connect(live.mqttUri(), clientId, username, password);
    probes.add(p);
    return p;
  }

  /** CONNECT, MQTT 3.1.1, clean session, keep-alive 60 s, no username or password. */
  private static byte[] connectWithoutUsername(String clientId) {
    byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
    byte[] variable = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60};
    return packet(0x10, concat(variable, string(id)));
  }

  /** CONNECT, MQTT 3.1.1, clean session, keep-alive 60 s, a username and no password. */
  private static byte[] connect(String clientId, String username) {
    byte[] variable = {0, 4, 'M', 'Q', 'T', 'T', 4, (byte) 0x82, 0, 60};
    return packet(
        0x10,
        concat(
            concat(variable, string(clientId.getBytes(StandardCharsets.US_ASCII))),
            string(username.getBytes(StandardCharsets.UTF_8))));
  }

  /** SUBSCRIBE to one topic filter at QoS 0. */
  private static byte[] subscribe(int packetId, String filter) {
    byte[] id = {(byte) (packetId >> 8), (byte) packetId};
    return packet(
        0x82, concat(concat(id, string(filter.getBytes(StandardCharsets.UTF_8))), new byte[] {0}));
  }

  /** PUBLISH at QoS 0. */
  private static byte[] publish(String topic, String payload) {
    return packet(
        0x30,
        concat(
            string(topic.getBytes(StandardCharsets.UTF_8)),
            payload.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] packet(int type, byte[] body) {
    if (body.length > 127) {
      throw new IllegalArgumentException("keep test packets short");
    }
    return concat(new byte[] {(byte) type, (byte) body.length}, body);
  }

  private static byte[] string(byte[] s) {
    return concat(new byte[] {(byte) (s.length >> 8), (byte) s.length}, s);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private JsonNode awaitListing(String target, int size) {
    return await10s().until(() -> rest.list(target), n -> n.size() == size);
  }

  private static ConditionFactory await10s() {
    return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
  }
}
