package io.cpol.sim;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The strongest proof: real MQTT (Paho) and Socket.IO clients connect to the simulator's front
 * doors, a ConnectionPolicy denies some of them, and exactly those clients are kicked while the
 * others stay connected and keep receiving messages.
 */
class PolicyKicksLiveClientsTest {
  private OperatorHarness h;
  private final List<AutoCloseable> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    h = OperatorHarness.startLive();
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : clients) {
      c.close();
    }
    h.close();
  }

  private MqttProbe mqtt(String clientId) throws Exception {
    MqttProbe probe = MqttProbe.connect(h.live().mqttUri(), clientId, SECRET_KEY, null);
    clients.add(probe);
    return probe;
  }

  private SocketProbe socket(String userid, String username) {
    SocketProbe probe = SocketProbe.open(h.live().socketIoUrl(), API_KEY, username, userid);
    clients.add(probe);
    await().atMost(Duration.ofSeconds(10)).until(() -> probe.connected() && probe.sid() != null);
    return probe;
  }

  @Test
  void aPolicyKicksExactlyTheDeniedClients() throws Exception {
    MqttProbe revoked = mqtt("device-0042").subscribe("telemetry/#");
    MqttProbe kept = mqtt("device-0043").subscribe("telemetry/#");
    MqttProbe publisher = mqtt("gateway-1");
    SocketProbe malloryTab1 = socket("app-1", "mallory");
    SocketProbe malloryTab2 = socket("app-1", "mallory");
    String tab1 = malloryTab1.sid();
    String tab2 = malloryTab2.sid();
    SocketProbe alice = socket("app-2", "alice");
    alice.subscribe("telemetry", "temp", true, false);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> alice.controlEvents("telemetry", "temp").contains("subscribed"));
    await().atMost(Duration.ofSeconds(10)).until(() -> h.simulator().connections().size() == 6);

    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: revoke}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1h
          deny:
          - userids: ["device-0042"]
          - usernames: ["mallory"]
            protocols: [socketio]
        """);
    h.awaitCondition("revoke", "Enforced", "True", "AllDropped");

    await().atMost(Duration.ofSeconds(10)).until(() -> revoked.connectionsLost.get() == 1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !malloryTab1.disconnects.isEmpty() && !malloryTab2.disconnects.isEmpty());
    assertThat(kept.connectionsLost.get()).isZero();
    assertThat(publisher.connectionsLost.get()).isZero();
    assertThat(alice.disconnects).isEmpty();
    assertThat(h.simulator().connections())
        .extracting(Connection::userid)
        .containsExactlyInAnyOrder("device-0043", "gateway-1", "app-2");
    // The fewest safe calls: one for the device (its rule is on the userid alone), one per tab
    // for mallory (a username rule says nothing about the next session app-1 could open).
    assertThat(h.simulator().drops())
        .extracting(DropEvent::rawTarget)
        .containsExactlyInAnyOrder(
            "/v1/connections/drop/device-0042?",
            "/v1/connections/drop/app-1?sid=" + tab1 + "&protocol=socketio",
            "/v1/connections/drop/app-1?sid=" + tab2 + "&protocol=socketio");

    publisher.publish("telemetry/temp", "{\"data\":\"21.5 after the drop\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                kept.receivedPayloadContaining("telemetry/temp", "21.5 after the drop")
                    && alice.receivedData("telemetry", "temp", "21.5 after the drop"));
    assertThat(revoked.receivedPayloadContaining("telemetry/temp", "after the drop")).isFalse();
  }
}
