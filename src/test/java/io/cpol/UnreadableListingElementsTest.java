package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.sim.Faults;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listing whose array holds elements that are not connections (a number, a string, objects
 * without a usable userid) still lists, and enforces, the rest of the account; the skipped elements
 * are counted in beebotte_listing_skipped_elements_total. Before, one such element failed the
 * listing for every policy on the account.
 */
class UnreadableListingElementsTest {
  private final OperatorHarness h = OperatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void theRestOfTheAccountIsListedAndEnforced() throws Exception {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    h.simulator()
        .addConnection(
            new Connection(
                "uid-1", "uid-1", "mqtt", "uid-1", "::ffff:198.51.100.1", null, null, List.of()));
    h.simulator().faults().unreadableElementsNext(1_000);
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: revoke-uid-1}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - userids: [uid-1]
        """);

    h.awaitCondition("revoke-uid-1", "Enforced", "True", "AllDropped");
    assertThat(h.condition("revoke-uid-1", "Ready").getStatus()).isEqualTo("True");
    assertThat(h.liveSids()).doesNotContain("uid-1");
    // Seven unreadable elements per listing, at least one listing.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> skippedTotal() >= Faults.UNREADABLE_ELEMENTS.size());
    assertThat(skippedTotal() % Faults.UNREADABLE_ELEMENTS.size()).isZero();
  }

  private double skippedTotal() throws Exception {
    String metrics = metrics();
    String series = "\nbeebotte_listing_skipped_elements_total ";
    int at = metrics.indexOf(series);
    return at < 0
        ? 0
        : Double.parseDouble(
            metrics.substring(at + series.length(), metrics.indexOf('\n', at + 1)).trim());
  }

  private String metrics() throws Exception {
    return OperationsPort.get(h.operator(), "/metrics");
  }
}
