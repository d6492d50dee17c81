package io.cpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.testing.OperatorHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the README promises for an IAM token with admin:connection:read but not write: listing
 * works, so Ready is True and a DryRun policy is fully served; an Enforce policy cannot drop, so
 * Enforced is False with reason DropFailed and a message naming the missing right.
 */
class ReadOnlyTokenTest {
  private static final String READ_ONLY = "iamtkn_read_only";

  private final BeebotteSimulator account =
      BeebotteSimulator.builder()
          .account("readers", "readers-api-key", "readers-secret-key")
          .token(READ_ONLY, "admin:connection:read")
          .build()
          .start();
  private final OperatorHarness h = OperatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
    account.close();
  }

  @Test
  void listingWorksAndDroppingIsReportedAsDropFailed() {
    account.addConnection(
        new Connection(
            "uid-1", "uid-1", "mqtt", "uid-1", "::ffff:198.51.100.1", null, null, List.of()));
    h.createTokenSecret("read-only", READ_ONLY);
    for (String mode : List.of("Enforce", "DryRun")) {
      h.apply(
          """
          apiVersion: beebotte.io/v1alpha1
          kind: ConnectionPolicy
          metadata: {name: %s}
          spec:
            credentialsRef: {name: read-only}
            endpoint: %s
            enforcement: %s
            deny:
            - userids: [uid-1]
          """
              .formatted(mode.toLowerCase(), account.baseUrl(), mode));
    }

    h.awaitCondition("enforce", "Enforced", "False", "DropFailed");
    assertThat(h.condition("enforce", "Ready").getStatus()).isEqualTo("True");
    assertThat(h.condition("enforce", "Enforced").getMessage())
        .contains("403", "admin:connection:write");
    h.awaitCondition("dryrun", "Enforced", "False", "DryRun");
    assertThat(h.condition("dryrun", "Ready").getStatus()).isEqualTo("True");
    assertThat(account.connections()).extracting(Connection::userid).containsExactly("uid-1");
  }
}
