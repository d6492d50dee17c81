package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Redactor;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.DropRecord;
import io.cpol.policy.Mode;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatusBuilderTest {
  private final StatusBuilder builder = new StatusBuilder(Duration.ofSeconds(10), new Redactor());
  private static final String ENDPOINT = "https://api.beebotte.com";
  private final Instant t0 = Instant.parse("2026-11-26T10:00:00Z");

  /** The counts the operator owns; each test feeds it the drops its passes made. */
  private final PolicyLedger ledger = PolicyLedger.seededFrom(null);

  private PassOutcome report(
      Instant listedAt,
      int connected,
      int denied,
      List<DropRecord> drops,
      int deferred,
      boolean dryRun) {
    ledger.recordDrops(drops);
    return new PassOutcome(
        1, listedAt, listedAt, connected, denied, List.of(), drops, deferred, null, dryRun, 0, null,
        null);
  }

  private ConnectionPolicyStatus synced(
      ConnectionPolicyStatus old, long generation, PassOutcome outcome, Instant now) {
    return builder.synced(old, generation, ENDPOINT, outcome, ledger.snapshot(), now);
  }

  private static DropRecord drop(int i) {
    return new DropRecord("2026-11-26T10:00:00Z", "uid-" + i, "mqtt", "uid-" + i, "deny[0]");
  }

  private static Condition condition(ConnectionPolicyStatus s, String type) {
    return s.getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void successfulSyncSetsCountsAndBothConditions() {
    ConnectionPolicyStatus s =
        synced(null, 3, report(t0, 1234, 2, List.of(drop(1), drop(2)), 0, false), t0);

    assertThat(s.getObservedGeneration()).isEqualTo(3);
    assertThat(s.getLastSyncTime()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(s.getConnected()).isEqualTo(1234);
    assertThat(s.getDenied()).isEqualTo(2);
    assertThat(s.getDropped()).isEqualTo(2);
    assertThat(s.getConnectionsOmitted()).isEqualTo(1234);
    assertThat(condition(s, "Ready"))
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getReason()).isEqualTo("Synced");
              assertThat(c.getMessage()).isEqualTo("1234 connections, 2 denied, 2 dropped");
              assertThat(c.getObservedGeneration()).isEqualTo(3);
            });
    assertThat(condition(s, "Enforced").getReason()).isEqualTo("AllDropped");
    assertThat(s.getConditions())
        .extracting(Condition::getType)
        .containsExactly("Ready", "Enforced");
  }

  @Test
  void lastTransitionTimeMovesOnlyWhenStatusFlips() {
    ConnectionPolicyStatus first = synced(null, 1, report(t0, 1, 1, List.of(), 1, false), t0);
    Instant t1 = t0.plusSeconds(60);
    ConnectionPolicyStatus second = synced(first, 1, report(t1, 1, 1, List.of(), 2, false), t1);
    assertThat(condition(second, "Enforced").getReason()).isEqualTo("DropBudgetExceeded");
    assertThat(condition(second, "Enforced").getLastTransitionTime())
        .isEqualTo("2026-11-26T10:00:00Z");

    Instant t2 = t0.plusSeconds(120);
    ConnectionPolicyStatus third =
        synced(second, 1, report(t2, 1, 1, List.of(drop(1)), 0, false), t2);
    assertThat(condition(third, "Enforced").getStatus()).isEqualTo("True");
    assertThat(condition(third, "Enforced").getLastTransitionTime())
        .isEqualTo("2026-11-26T10:02:00Z");
    assertThat(condition(third, "Ready").getLastTransitionTime()).isEqualTo("2026-11-26T10:00:00Z");
  }

  @Test
  void droppedAccumulatesAndRecentDropsKeepsTheLastTwenty() {
    ConnectionPolicyStatus s = null;
    for (int sync = 0; sync < 3; sync++) {
      int base = sync * 10;
      List<DropRecord> drops =
          IntStream.range(base, base + 10).mapToObj(StatusBuilderTest::drop).toList();
      s =
          synced(
              s, 1, report(t0.plusSeconds(sync), 100, 10, drops, 0, false), t0.plusSeconds(sync));
    }
    assertThat(s.getDropped()).isEqualTo(30);
    assertThat(s.getRecentDrops()).hasSize(20);
    assertThat(s.getRecentDrops().get(0).getUserid()).isEqualTo("uid-10");
    assertThat(s.getRecentDrops().get(19).getUserid()).isEqualTo("uid-29");
  }

  @Test
  void anUnchangedSyncWithinTheHeartbeatYieldsAnEqualStatus() {
    ConnectionPolicyStatus first = synced(null, 1, report(t0, 5, 0, List.of(), 0, false), t0);
    Instant t1 = t0.plusSeconds(9);
    ConnectionPolicyStatus second = synced(first, 1, report(t1, 5, 0, List.of(), 0, false), t1);
    assertThat(second).isEqualTo(first);

    Instant late = t0.plusSeconds(10);
    ConnectionPolicyStatus third = synced(first, 1, report(late, 5, 0, List.of(), 0, false), late);
    assertThat(third.getLastSyncTime()).isEqualTo("2026-11-26T10:00:10Z");

    ConnectionPolicyStatus changed = synced(first, 1, report(t1, 6, 0, List.of(), 0, false), t1);
    assertThat(changed.getLastSyncTime()).isEqualTo("2026-11-26T10:00:09Z");
  }

  @Test
  void lastSyncTimeNeverLagsTheLastSuccessfulSyncByTheHeartbeatOrMore() {
    // A quiet 3 s policy, synced for a minute: each status builds on the one before.
    ConnectionPolicyStatus status = null;
    for (int s = 0; s <= 60; s += 3) {
      Instant at = t0.plusSeconds(s);
      status = synced(status, 1, report(at, 5, 0, List.of(), 0, false), at);
      Duration lag = Duration.between(Instant.parse(status.getLastSyncTime()), at);
      assertThat(lag).as("lag at +%ds", s).isLessThan(Duration.ofSeconds(10));
    }
    // A 30 s policy (the default interval) writes its lastSyncTime at every sync.
    Instant at = t0.plusSeconds(90);
    assertThat(synced(status, 1, report(at, 5, 0, List.of(), 0, false), at).getLastSyncTime())
        .isEqualTo("2026-11-26T10:01:30Z");
  }

  @Test
  void modeAndEndpointSayWhatTheOperatorDoes() {
    ConnectionPolicyStatus enforcing = synced(null, 1, report(t0, 5, 0, List.of(), 0, false), t0);
    assertThat(enforcing.getMode()).isEqualTo(Mode.Enforce);
    assertThat(enforcing.getEndpoint()).isEqualTo(ENDPOINT);
    ConnectionPolicyStatus dry = synced(enforcing, 2, report(t0, 5, 0, List.of(), 0, true), t0);
    assertThat(dry.getMode()).isEqualTo(Mode.DryRun);
    ConnectionPolicyStatus suspended = builder.suspended(dry, 3, ledger.snapshot(), t0);
    assertThat(suspended.getMode()).isEqualTo(Mode.Suspended);
    assertThat(suspended.getEndpoint()).as("kept from the last sync").isEqualTo(ENDPOINT);
    ConnectionPolicyStatus failing =
        builder.failed(
            suspended,
            4,
            Mode.DryRun,
            Reason.CredentialsNotFound,
            "Secret x/y not found",
            ledger.snapshot(),
            t0);
    assertThat(failing.getMode()).isEqualTo(Mode.DryRun);
  }

  @Test
  void failureKeepsWhatWasKnownAndMarksEnforcedUnknown() {
    ConnectionPolicyStatus ok = synced(null, 1, report(t0, 5, 1, List.of(drop(1)), 0, false), t0);
    Instant t1 = t0.plusSeconds(30);

    ConnectionPolicyStatus failed =
        builder.failed(
            ok, 2, Mode.Enforce, Reason.BeebotteUnavailable, "HTTP 503", ledger.snapshot(), t1);

    assertThat(failed.getConnected()).isEqualTo(5);
    assertThat(failed.getDropped()).isEqualTo(1);
    assertThat(failed.getLastSyncTime()).isEqualTo(ok.getLastSyncTime());
    assertThat(failed.getObservedGeneration()).isEqualTo(2);
    assertThat(condition(failed, "Ready"))
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("BeebotteUnavailable");
              assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-26T10:00:30Z");
            });
    assertThat(condition(failed, "Enforced").getStatus()).isEqualTo("Unknown");
    assertThat(
            builder.failed(
                failed,
                2,
                Mode.Enforce,
                Reason.BeebotteUnavailable,
                "HTTP 503",
                ledger.snapshot(),
                t1.plusSeconds(30)))
        .as("the same failure again changes nothing")
        .isEqualTo(failed);
  }

  @Test
  void countsComeFromTheLedgerNeverFromTheOldStatus() {
    ConnectionPolicyStatus ok =
        synced(null, 1, report(t0, 5, 2, List.of(drop(1), drop(2)), 0, false), t0);
    assertThat(ok.getDropped()).isEqualTo(2);
    // A stale cached copy (from before those drops) is the base of the next status: the counts
    // still come out right, not 0 + this pass.
    ConnectionPolicyStatus stale = new ConnectionPolicyStatus();
    stale.setDropped(0L);
    ConnectionPolicyStatus next =
        synced(
            stale,
            1,
            report(t0.plusSeconds(30), 5, 1, List.of(drop(3)), 0, false),
            t0.plusSeconds(30));
    assertThat(next.getDropped()).isEqualTo(3);
    assertThat(next.getRecentDrops())
        .extracting(DropRecord::getUserid)
        .containsExactly("uid-1", "uid-2", "uid-3");

    // A stored count above the ledger's (another replica's last write) is kept, never lowered.
    ConnectionPolicyStatus higher = new ConnectionPolicyStatus();
    higher.setDropped(40L);
    assertThat(builder.progress(higher, ledger.snapshot()).getDropped()).isEqualTo(40);
    ledger.atLeast(higher);
    assertThat(ledger.snapshot().dropped()).isEqualTo(40);
  }

  @Test
  void unreadableListingElementsAreNotedInReady() {
    PassOutcome outcome =
        new PassOutcome(1, t0, t0, 5, 0, List.of(), List.of(), 0, null, false, 2, null, null);
    assertThat(condition(synced(null, 1, outcome, t0), "Ready").getMessage())
        .isEqualTo(
            "5 connections, 0 denied, 0 dropped; 2 unreadable elements of the listing were skipped");
  }

  @Test
  void dryRunAndSuspendHaveTheirOwnReasons() {
    ConnectionPolicyStatus dry = synced(null, 1, report(t0, 5, 2, List.of(), 0, true), t0);
    assertThat(condition(dry, "Enforced").getReason()).isEqualTo("DryRun");
    assertThat(condition(dry, "Ready").getMessage())
        .isEqualTo("5 connections, 2 denied, 2 would be dropped (dry run)");

    ConnectionPolicyStatus suspended = builder.suspended(dry, 2, ledger.snapshot(), t0);
    assertThat(condition(suspended, "Ready").getReason()).isEqualTo("Suspended");
    assertThat(condition(suspended, "Enforced").getReason()).isEqualTo("Suspended");
    assertThat(new ArrayList<>(suspended.getConditions())).hasSize(2);
  }

  @Test
  void noConditionMessageCarriesAValueTheRedactorKnows() {
    Redactor redactor = new Redactor();
    redactor.remember(List.of("iamtkn_known_0123"));
    StatusBuilder scrubbing = new StatusBuilder(Duration.ofSeconds(10), redactor);
    String leaky = "Unexpected char 0xfeff at 0 in X-Auth-Token value: \uFEFFiamtkn_known_0123";

    ConnectionPolicyStatus failed =
        scrubbing.failed(
            null, 1, Mode.Enforce, Reason.ReconcileError, leaky, ledger.snapshot(), t0);
    PassOutcome dropFailed =
        new PassOutcome(1, t0, t0, 1, 1, List.of(), List.of(), 0, leaky, false, 0, null, null);
    ConnectionPolicyStatus synced =
        scrubbing.synced(failed, 1, ENDPOINT, dropFailed, ledger.snapshot(), t0);
    // A status written before the value was known is cleaned at the next write.
    ConnectionPolicyStatus old =
        builder.failed(null, 1, Mode.Enforce, Reason.ReconcileError, leaky, ledger.snapshot(), t0);
    ConnectionPolicyStatus progress = scrubbing.progress(old, ledger.snapshot());

    assertThat(condition(failed, "Ready").getMessage())
        .isEqualTo("Unexpected char 0xfeff at 0 in X-Auth-Token value: \uFEFF***");
    assertThat(condition(synced, "Enforced").getMessage()).doesNotContain("iamtkn_known_0123");
    assertThat(condition(progress, "Ready").getMessage()).doesNotContain("iamtkn_known_0123");
    assertThat(condition(old, "Ready").getMessage()).contains("iamtkn_known_0123");
  }
}
