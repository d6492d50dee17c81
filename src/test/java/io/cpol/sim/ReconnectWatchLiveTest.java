package io.cpol.sim;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ReturningIdentity;
import io.cpol.sim.ConnectionLog.Stretch;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Event;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A revoked device that comes back a second after every drop, through the simulator's MQTT front
 * door: the reconnect watch drops it again moments after each return, counts it, names it, warns
 * once, and never touches the allowed Socket.IO session of the same userid.
 */
class ReconnectWatchLiveTest {
  private OperatorHarness h;
  private ReconnectingMqttDevice device;
  private SocketProbe browser;

  @BeforeEach
  void start() {
    h = OperatorHarness.startLive();
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
  }

  @AfterEach
  void stop() throws Exception {
    if (device != null) {
      device.close();
    }
    if (browser != null) {
      browser.close();
    }
    h.close();
  }

  @Test
  void aDeviceThatReconnectsEverySecondIsDroppedAgainWithinMomentsOfEachReturn() throws Exception {
    device =
        ReconnectingMqttDevice.start(
            h.live().mqttUri(),
            "device-0042",
            SECRET_KEY,
            ReconnectingMqttDevice.Style.FIXED_DELAY,
            Duration.ofSeconds(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> h.simulator().connections().size() == 1);

    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: revoke-device}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 30s
          deny:
          - userids: ["device-0042"]
            protocols: [mqtt]
        """);
    await().atMost(Duration.ofSeconds(10)).until(() -> device.losses() >= 1);
    Instant applied = device.stretches().get(0).lost();

    // A browser of the same userid connects while the device comes and goes: it is allowed.
    browser = SocketProbe.open(h.live().socketIoUrl(), API_KEY, "dashboard", "device-0042");
    await().atMost(Duration.ofSeconds(10)).until(() -> browser.connected());

    await().atMost(Duration.ofSeconds(30)).until(() -> device.losses() >= 10);
    Instant until = Instant.now();

    List<Stretch> returns = device.stretches().subList(1, device.losses());
    System.out.printf(
        "1 s reconnector under the watch: %d returns, connected %s each (longest %d ms),"
            + " exposure %.1f%% since the policy applied%n",
        returns.size(),
        returns.stream()
            .map(s -> Duration.between(s.connected(), s.lost()).toMillis() + " ms")
            .toList(),
        returns.stream()
            .mapToLong(s -> Duration.between(s.connected(), s.lost()).toMillis())
            .max()
            .orElse(0),
        device.exposure(applied, until) * 100);
    assertThat(returns)
        .as("every return is dropped again within 2 s")
        .allSatisfy(
            s ->
                assertThat(Duration.between(s.connected(), s.lost()))
                    .isLessThan(Duration.ofSeconds(2)));
    assertThat(browser.disconnects).as("the allowed browser session").isEmpty();

    // Status counts the returns and names the device.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              ConnectionPolicy p = h.policy("revoke-device");
              return p.getStatus().getReconnects() != null
                  && p.getStatus().getReconnects() >= 9
                  && p.getStatus().getReturning() != null;
            });
    ConnectionPolicy p = h.policy("revoke-device");
    assertThat(p.getStatus().getReturning())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getUserid()).isEqualTo("device-0042");
              assertThat(r.getProtocol()).isEqualTo("mqtt");
              assertThat(r.getTimesDropped()).isGreaterThanOrEqualTo(10);
              assertThat(r.getReconnectDelay()).matches("1\\.[0-9]s");
            });
    assertThat(p.getStatus().getDropped()).isGreaterThanOrEqualTo(p.getStatus().getReconnects());

    // One Warning about it, not one per return.
    List<Event> warnings =
        h.events("revoke-device").stream()
            .filter(e -> "Reconnecting".equals(e.getReason()))
            .toList();
    assertThat(warnings)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage())
                  .startsWith("device-0042 (mqtt) reconnected 3 times after being dropped")
                  .endsWith(
                      "its credentials still work — rotate them in Beebotte to revoke it for good");
            });

    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + h.operator().httpPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .containsPattern(
            "beebotte_policy_reconnects_total\\{namespace=\"iot\",policy=\"revoke-device\"\\}"
                + " (9|[1-9][0-9]+)\\.0")
        .containsPattern("beebotte_api_calls_seconds_count\\{endpoint=\"watch_list\"")
        .containsPattern("beebotte_api_calls_seconds_count\\{endpoint=\"watch_drop\"")
        .contains("beebotte_denied_session_connected_seconds_count");
    assertThat(returningOf(p)).isNotNull();
  }

  private static ReturningIdentity returningOf(ConnectionPolicy p) {
    return p.getStatus().getReturning().get(0);
  }
}
