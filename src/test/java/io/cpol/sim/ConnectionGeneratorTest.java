package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The generated mix is deterministic, unique per session, and looks like a real account. */
class ConnectionGeneratorTest {
  static final List<Connection> TEN_K = ConnectionGenerator.generate(10_000, 42, "acme");

  @Test
  void sameSeedSameConnectionsOtherSeedOthers() {
    assertThat(ConnectionGenerator.generate(10_000, 42, "acme")).isEqualTo(TEN_K);
    assertThat(ConnectionGenerator.generate(10_000, 43, "acme")).isNotEqualTo(TEN_K);
    assertThat(ConnectionGenerator.generate(0, 42, "acme")).isEmpty();
  }

  @Test
  void sessionsAreUniqueAndOwnedAsAsked() {
    Set<String> keys = new HashSet<>();
    for (Connection c : TEN_K) {
      assertThat(keys.add(c.userid() + "\u0000" + c.sid())).as("duplicate %s", c).isTrue();
      assertThat(c.owner()).isEqualTo("acme");
    }
    assertThat(TEN_K).hasSize(10_000);
  }

  @Test
  void aboutSixtyPercentMqttWithSidClientidEqualToUserid() {
    List<Connection> mqtt = TEN_K.stream().filter(c -> c.protocol().equals("mqtt")).toList();

    assertThat(mqtt.size()).isBetween(5_700, 6_300);
    assertThat(mqtt)
        .allSatisfy(
            c -> {
              assertThat(c.sid()).isEqualTo(c.userid());
              assertThat(c.clientid()).isEqualTo(c.userid());
              assertThat(c.username()).isNull();
              assertThat(c.subscriptions()).isEmpty();
            });
    assertThat(mqtt).anySatisfy(c -> assertThat(c.userid()).matches("sensor-\\d{5}"));
    assertThat(mqtt).anySatisfy(c -> assertThat(c.userid()).matches("gw-(eu|us|ap)-\\d{4}"));
  }

  @Test
  void socketIoSessionsLookReal() {
    List<Connection> web = TEN_K.stream().filter(c -> c.protocol().equals("socketio")).toList();
    Map<String, Long> sessionsPerUser =
        web.stream().collect(Collectors.groupingBy(Connection::userid, Collectors.counting()));

    assertThat(web.size() + TEN_K.stream().filter(c -> c.protocol().equals("mqtt")).count())
        .isEqualTo(10_000);
    assertThat(web).allSatisfy(c -> assertThat(c.sid()).matches("[A-Za-z0-9_-]{20}"));
    assertThat(sessionsPerUser.values())
        .contains(1L, 2L, 3L)
        .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
    assertThat(web).anySatisfy(c -> assertThat(c.username()).isNotNull());
    assertThat(web).anySatisfy(c -> assertThat(c.username()).isNull());
    assertThat(web).anySatisfy(c -> assertThat(c.userid()).isEqualTo("contractor-xyz"));
    assertThat(
            web.stream().flatMap(c -> c.subscriptions().stream()).map(s -> s.channel()).distinct())
        .contains("telemetry", "billing", "alerts");
    // The same userid on both protocols happens too.
    Set<String> mqttUsers =
        TEN_K.stream()
            .filter(c -> c.protocol().equals("mqtt"))
            .map(Connection::userid)
            .collect(Collectors.toSet());
    assertThat(sessionsPerUser.keySet()).anySatisfy(u -> assertThat(mqttUsers).contains(u));
  }

  @Test
  void clientIpsAreIpv4MappedFromDocumentationAndPrivateRanges() {
    assertThat(TEN_K)
        .allSatisfy(
            c ->
                assertThat(c.clientip())
                    .matches(
                        "::ffff:(203\\.0\\.113\\.\\d+|198\\.51\\.100\\.\\d+|10\\.\\d+\\.\\d+\\.\\d+)"));
    assertThat(TEN_K.stream().map(c -> c.clientip().substring(0, 10)).distinct())
        .contains("::ffff:203", "::ffff:198", "::ffff:10.");
  }

  @Test
  void generatedConnectionsAreAcceptedAsIs() {
    try (BeebotteSimulator sim = BeebotteSimulator.builder().account("acme", "k", "s").build()) {
      sim.addConnections(TEN_K);
      assertThat(sim.connections()).containsExactlyInAnyOrderElementsOf(TEN_K);
    }
  }
}
