package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's device on Beebotte's official Node.js client, against the simulator's MQTT front
 * door: it logs in with the secret key under its userid, its log records the connect, the drop and
 * its return, and closing it ends the Node process (the session leaves). Runs when Node.js and the
 * client are installed ({@code npm ci} in src/test/node/official-client).
 */
class OfficialNodeMqttDeviceTest {
  @Test
  void itIsListedDroppedComesBackAndLeavesWhenClosed() throws Exception {
    String unavailable = OfficialNodeMqttDevice.unavailable(OfficialNodeMqttDevice.DIR);
    assumeTrue(unavailable == null, unavailable);
    try (LiveSimulator live =
        LiveSimulator.start(
            BeebotteSimulator.builder()
                .account("acme", "acme-api", "acme-secret")
                .token("iamtkn_admin", Authenticator.READ, Authenticator.WRITE),
            0,
            LiveSimulator.OFF)) {
      TokenClient rest = new TokenClient(live.rest(), "iamtkn_admin");
      OfficialNodeMqttDevice device =
          OfficialNodeMqttDevice.start(
              OfficialNodeMqttDevice.DIR, "127.0.0.1", live.mqttPort(), "acme-secret", "device-n");
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> device.log().connected());
        assertThat(live.rest().connections())
            .singleElement()
            .satisfies(c -> assertThat(c.userid()).isEqualTo("device-n"));

        assertThat(rest.delete("/v1/connections/drop/device-n").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> device.log().losses() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> device.log().connected());

        List<ConnectionLog.Stretch> stretches = device.log().stretches();
        Duration away = Duration.between(stretches.get(0).lost(), stretches.get(1).connected());
        // The client's MQTT transport comes back 1 s after a drop (mqtt.js reconnectPeriod).
        assertThat(away).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
      } finally {
        device.close();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> live.rest().connections().isEmpty());
      assertThat(device.log().connected()).isFalse();
      assertThat(device.log().losses()).isEqualTo(2);
    }
  }
}
