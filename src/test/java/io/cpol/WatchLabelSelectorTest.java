package io.cpol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WatchLabelSelectorTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "shard=a | shard=a",
        "shard == a | shard=a",
        " shard != a  | shard!=a",
        "shard= | shard=",
        "beebotte.io/shard=eu-1 | beebotte.io/shard=eu-1",
        "shard in (a, b) | shard in (a,b)",
        "shard notin (a) | shard notin (a)",
        "shard | shard",
        "! shard | !shard",
        "tier=iot, shard in (a,b), !legacy | tier=iot,shard in (a,b),!legacy",
        "priority > 3 | priority>3",
      })
  void acceptsTheApiServersGrammarInACanonicalSpelling(String text, String canonical) {
    assertThat(WatchLabelSelector.parse(text).expression()).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "shard=a,",
        "shard in a",
        "shard in ()",
        "shard in (a,,b)",
        "shard=a b",
        "-shard=a",
        "Beebotte.IO/shard=a",
        "shard===a",
        "shard=(a)",
        "shard > a"
      })
  void rejectsWhatTheApiServerWouldWithTheSettingsName(String text) {
    assertThatThrownBy(() -> WatchLabelSelector.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("WATCH_LABEL_SELECTOR")
        .hasMessageContaining("key=value");
  }

  @Test
  void blankMeansEveryPolicy() {
    assertThat(WatchLabelSelector.parse(null)).isNull();
    assertThat(WatchLabelSelector.parse("  ")).isNull();
  }

  @Test
  void eachShardGetsItsOwnLeaseEvenWhenSelectorsReadAlike() {
    String base = "beebotte-connection-operator";
    String a = WatchLabelSelector.parse("shard=a").leaseName(base);
    String notA = WatchLabelSelector.parse("shard!=a").leaseName(base);

    assertThat(a).startsWith(base + "-shard-a-").matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    assertThat(notA).startsWith(base + "-shard-a-").isNotEqualTo(a);
    // Replicas of one shard agree on the Lease however the selector is spelled.
    assertThat(WatchLabelSelector.parse("shard == a").leaseName(base)).isEqualTo(a);
  }

  @Test
  void leaseNamesStayValidForLongSelectorsAndBases() {
    String longSelector =
        "example.com/a-very-long-label-key-for-sharding in (eu-west-1,eu-central-1)";
    for (String base : new String[] {"op", "beebotte-connection-operator", "x".repeat(60)}) {
      String lease = WatchLabelSelector.parse(longSelector).leaseName(base);
      assertThat(lease).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    }
  }

  @Test
  void theSelectorSetsTheShardsLeaseName() {
    OperatorConfig plain =
        OperatorConfig.from(
            new String[0], Map.of("LEADER_ELECTION_LEASE_NAME", "beebotte-connection-operator"));
    OperatorConfig shard =
        OperatorConfig.from(
            new String[] {"--watch-label-selector=shard=a"},
            Map.of("LEADER_ELECTION_LEASE_NAME", "beebotte-connection-operator"));

    assertThat(plain.watchLabelSelector()).isNull();
    assertThat(plain.leaseName()).isEqualTo("beebotte-connection-operator");
    assertThat(shard.watchLabelSelector().expression()).isEqualTo("shard=a");
    assertThat(shard.leaseName())
        .isEqualTo(WatchLabelSelector.parse("shard=a").leaseName("beebotte-connection-operator"));
  }
}
