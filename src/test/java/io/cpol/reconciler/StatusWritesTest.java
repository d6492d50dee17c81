package io.cpol.reconciler;

import static io.cpol.reconciler.AccountEngineFuzzTest.policy;
import static io.cpol.reconciler.EnforcementTest.mqtt;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.TestingBeebotte;
import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the reconciler writes status, on the manual clock (the reconciler and engines of {@link
 * ManualTimeOperator} against the embedded API server): a sync that changes nothing writes nothing,
 * however many there are. (FailureHandlingTest checks two such syncs through JOSDK in real time.)
 */
class StatusWritesTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Duration STEP = Duration.ofMillis(100);

  private final EmbeddedKubernetes kubernetes = EmbeddedKubernetes.start(0);

  @AfterEach
  void stop() {
    kubernetes.close();
  }

  private List<String> statusWrites() {
    return kubernetes.drainRequests().stream()
        .filter(r -> r.getPath().contains("/status"))
        .map(r -> r.getMethod() + " " + r.getPath())
        .toList();
  }

  private static long listings(ManualTimeOperator op) {
    return op.beebotte.calls().stream()
        .filter(c -> c.endpoint() == TestingBeebotte.Endpoint.LIST)
        .filter(c -> c.purpose().equals(BeebotteClientFactory.Purpose.LISTING.name()))
        .count();
  }

  @Test
  void syncsThatChangeNothingWriteNoStatus() {
    kubernetes.client().namespaces().resource(EmbeddedKubernetes.activeNamespace("iot")).create();
    try (ManualTimeOperator op = new ManualTimeOperator(kubernetes.client(), "iot", T0, 5)) {
      op.beebotte.connect(List.of(mqtt("uid-1", "::ffff:198.51.100.1")));
      op.secret(
          new SecretBuilder()
              .withNewMetadata()
              .withName("beebotte")
              .endMetadata()
              .withData(Map.of("apiKey", "YXBpLWtleQ==", "secretKey", "c2VjcmV0LWtleQ=="))
              .build());
      op.apply(policy("p", "interval: 1s\ndeny:\n- userids: [uid-1]"));
      // The first sync drops uid-1, the second finds it gone: both write status.
      op.run(Duration.ofSeconds(2), STEP);
      assertThat(op.beebotte.connections()).isEmpty();
      assertThat(statusWrites()).isNotEmpty();
      long listed = listings(op);
      int reconciled = op.statuses().get("p").size();

      op.run(Duration.ofSeconds(10), STEP);

      // Ten syncs at a 1 s interval, each reconciled, none writing.
      assertThat(listings(op) - listed).isEqualTo(10);
      assertThat(op.statuses().get("p").size() - reconciled).isGreaterThanOrEqualTo(10);
      assertThat(statusWrites()).isEmpty();
      assertThat(op.statuses().get("p").get(reconciled).getConnected()).isZero();
    }
  }
}
