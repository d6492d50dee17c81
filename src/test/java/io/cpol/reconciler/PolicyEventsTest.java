package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Redactor;
import io.cpol.policy.ConnectionPolicy;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an event on a policy says: never a credential, also where its message is cut. */
class PolicyEventsTest {
  private static final String TOKEN = "iamtkn_event_0123456789abcdef";

  private final Redactor redactor = new Redactor();
  private final PolicyEvents events =
      new PolicyEvents(
          null, Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC), "me", redactor);
  private final ConnectionPolicy policy = new ConnectionPolicy();

  PolicyEventsTest() {
    policy.setMetadata(new ObjectMetaBuilder().withName("p").withNamespace("iot").build());
    redactor.remember(List.of(TOKEN));
  }

  @Test
  void theMessageIsScrubbed() {
    Event event = events.event(policy, "Warning", "ReconcileError", "value: " + TOKEN);

    assertThat(event.getMessage()).isEqualTo("value: ***");
    assertThat(event.getReason()).isEqualTo("ReconcileError");
  }

  @Test
  void aValueWhereTheMessageIsCutLeavesNoPrefixBehind() {
    String message = "x".repeat(1010) + TOKEN + "y".repeat(100);

    Event event = events.event(policy, "Warning", "ReconcileError", message);

    assertThat(event.getMessage())
        .hasSize(1024)
        .endsWith("x***" + "y".repeat(8) + "...")
        .doesNotContain("iamtkn");
  }
}
