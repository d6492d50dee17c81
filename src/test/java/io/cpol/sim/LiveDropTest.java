package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.beebotte.Protocol;
import io.cpol.beebotte.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Drops through the REST API, made with the operator's own client, kick exactly the matching live
 * sessions on both protocols; everybody else stays connected and keeps receiving messages.
 */
@Timeout(60)
class LiveDropTest {
  private static final String API_KEY = "acme-api";
  private static final String SECRET = "acme-secret";

  private LiveSimulator live;
  private BeebotteClient beebotte;
  private final List<MqttProbe> mqtt = new ArrayList<>();
  private final List<SocketProbe> sockets = new ArrayList<>();

  @BeforeEach
  void start() {
    live = LiveSimulator.start(BeebotteSimulator.builder().account("acme", API_KEY, SECRET), 0, 0);
    beebotte =
        new OkHttpBeebotteClient(
            BeebotteClientConfig.builder(new Credentials.Keys(API_KEY, SECRET))
                .baseUrl(live.rest().baseUrl())
                .build());
  }

  @AfterEach
  void stop() throws MqttException {
    beebotte.close();
    for (MqttProbe p : mqtt) {
      p.close();
    }
    sockets.forEach(SocketProbe::close);
    live.close();
  }

  @Test
  void dropsByUseridProtocolAndSidKickExactlyTheirSessions() throws Exception {
    // alice: one MQTT device and two browser tabs; bob: a device and a tab; carol: a tab.
    MqttProbe aliceDevice = mqtt("alice", "plant/moisture");
    MqttProbe bobDevice = mqtt("bob", "plant/moisture");
    SocketProbe aliceTab1 = socket("alice");
    SocketProbe aliceTab2 = socket("alice");
    SocketProbe bobTab = socket("bob");
    SocketProbe carolTab = socket("carol");
    MqttProbe sensor = mqtt("sensor", null);
    awaitListed(7);

    List<Connection> alice = beebotte.listConnections(ConnectionFilter.user("alice"));
    assertThat(alice)
        .extracting(Connection::protocol, Connection::sid)
        .containsExactlyInAnyOrder(
            tuple("mqtt", "alice"),
            tuple("socketio", aliceTab1.sid()),
            tuple("socketio", aliceTab2.sid()));
    assertThat(alice).allSatisfy(c -> assertThat(c.clientip()).isEqualTo("::ffff:127.0.0.1"));
    assertThat(beebotte.listConnections(ConnectionFilter.session("alice", aliceTab1.sid())))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.username()).isEqualTo("alice-name");
              assertThat(c.subscriptions())
                  .containsExactly(new Subscription("plant", "moisture", true, false));
            });

    beebotte.drop(DropTarget.session("alice", aliceTab1.sid()));
    await10s().until(() -> aliceTab1.disconnects.size() == 1);

    beebotte.drop(DropTarget.userOnProtocol("bob", Protocol.socketio));
    await10s().until(() -> bobTab.disconnects.size() == 1);

    beebotte.drop(DropTarget.user("alice"));
    await10s().until(() -> aliceDevice.connectionsLost.get() == 1);
    await10s().until(() -> aliceTab2.disconnects.size() == 1);

    // Published after the drops, on MQTT: the survivors on both protocols get it.
    sensor.publish("plant/moisture", "{\"data\":42}");
    await10s().until(() -> bobDevice.receivedPayloadContaining("plant/moisture", "42"));
    await10s().until(() -> carolTab.receivedData("plant", "moisture", "42"));

    assertThat(aliceTab1.disconnects).containsExactly("io server disconnect");
    assertThat(aliceTab2.disconnects).containsExactly("io server disconnect");
    assertThat(bobTab.disconnects).containsExactly("io server disconnect");
    assertThat(aliceDevice.connectionsLost).hasValue(1);
    assertThat(bobDevice.connectionsLost).hasValue(0);
    assertThat(sensor.connectionsLost).hasValue(0);
    assertThat(carolTab.disconnects).isEmpty();
    assertThat(carolTab.connected()).isTrue();
    assertThat(bobDevice.client.isConnected()).isTrue();
    assertThat(aliceDevice.receivedPayloadContaining("plant/moisture", "42")).isFalse();
    assertThat(aliceTab2.receivedData("plant", "moisture", "42")).isFalse();
    assertThat(beebotte.listConnections(ConnectionFilter.all()))
        .extracting(Connection::userid, Connection::protocol)
        .containsExactlyInAnyOrder(
            tuple("bob", "mqtt"), tuple("carol", "socketio"), tuple("sensor", "mqtt"));
    assertThat(live.rest().drops())
        .extracting(d -> d.connection().userid() + "/" + d.connection().protocol())
        .containsExactlyInAnyOrder(
            "alice/socketio", "bob/socketio", "alice/mqtt", "alice/socketio");
  }

  @Test
  void aSocketPublishReachesMqttSubscribersAndTheDroppedDeviceCanComeBack() throws Exception {
    MqttProbe device = mqtt("device-7", "lamp/state");
    SocketProbe app = socket("app");
    app.subscribeSigned("lamp", "state", true, true, API_KEY, SECRET);
    await10s().until(() -> app.controlEvents("lamp", "state").contains("subscribed"));
    awaitListed(2);

    beebotte.drop(DropTarget.userOnProtocol("device-7", Protocol.mqtt));
    await10s().until(() -> device.connectionsLost.get() == 1);
    assertThat(app.disconnects).isEmpty();

    // A drop does not ban: the device reconnects under the same userid.
    MqttProbe again = mqtt("device-7", "lamp/state");
    awaitListed(2);
    app.publish("lamp", "state", "on");

    await10s().until(() -> again.receivedPayloadContaining("lamp/state", "\"on\""));
    await10s().until(() -> app.receivedData("lamp", "state", "on"));
    assertThat(device.receivedPayloadContaining("lamp/state", "\"on\"")).isFalse();
  }

  private MqttProbe mqtt(String userid, String topic) throws MqttException {
    MqttProbe p = MqttProbe.connect(live.mqttUri(), userid, SECRET, null);
    mqtt.add(p);
    if (topic != null) {
      p.subscribe(topic);
    }
    return p;
  }

  /** A browser tab reading plant/moisture, as the official client subscribes. */
  private SocketProbe socket(String userid) {
    SocketProbe p = SocketProbe.open(live.socketIoUrl(), API_KEY, userid + "-name", userid);
    sockets.add(p);
    await10s().until(() -> p.getsid.get() != null);
    p.subscribe("plant", "moisture", true, false);
    await10s().until(() -> p.controlEvents("plant", "moisture").contains("subscribed"));
    return p;
  }

  private void awaitListed(int n) {
    await10s().until(() -> beebotte.listConnections(ConnectionFilter.all()).size() == n);
  }

  private static ConditionFactory await10s() {
    return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
  }
}
