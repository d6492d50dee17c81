package io.cpol.reconciler;

import static io.cpol.reconciler.EnforcementTest.socketio;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A policy deleted, suspended or switched to DryRun while its pass drops, on the manual clock: the
 * call in flight when the change comes is the last one made for it, exactly. (AccountEngineTest
 * checks the same changes end to end for what the API server shows.)
 */
class MidPassChangesTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Credentials KEYS = new Credentials.Keys("api-key", "secret-key");
  private static final String SPEC =
      "interval: 1h\nmaxDropsPerSync: 1000\ndeny:\n- clientCIDRs: [\"203.0.113.0/24\"]";

  /** The drop call during which the user's change arrives. */
  private static final int CHANGED_DURING = 3;

  private final ManualTime time = new ManualTime(T0);
  // One call at a time, as AccountEngineTest's slow pass (--drop-concurrency=1).
  private final EngineRig rig = new EngineRig(time.runtime(), EngineSettings.defaults(1));

  @AfterEach
  void close() {
    rig.close();
  }

  /** 30 denied sessions, one drop call each; {@code change} runs during the third call. */
  private PolicyRef passChangedMidway(String name, Runnable change) {
    List<Connection> denied = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      denied.add(socketio("u-" + i, "s-" + i, "::ffff:203.0.113." + i, null));
    }
    rig.behaviour(KEYS).connections = denied;
    AtomicInteger calls = new AtomicInteger();
    rig.behaviour(KEYS).onDrop =
        () -> {
          if (calls.incrementAndGet() == CHANGED_DURING) {
            change.run();
          }
        };
    PolicyRef ref = rig.register(name, KEYS, SPEC);
    time.advance(Duration.ofSeconds(1));
    return ref;
  }

  private long dropped(PolicyRef ref) {
    return rig.engines.ledger(ref, null).snapshot().dropped();
  }

  @Test
  void deletingAPolicyMidPassEndsItsDropsWithTheCallInFlight() {
    PolicyRef ref = passChangedMidway("doomed", () -> rig.delete("doomed"));

    assertThat(rig.drops()).isEqualTo(CHANGED_DURING);
    assertThat(rig.behaviour(KEYS).connections).hasSize(30 - CHANGED_DURING);
    assertThat(rig.outcome(ref)).as("an outcome for the deleted policy").isNull();
  }

  @Test
  void suspendingAPolicyMidPassEndsItsDropsWithTheCallInFlight() {
    PolicyRef ref =
        passChangedMidway("paused", () -> rig.change("paused", KEYS, SPEC + "\nsuspend: true"));

    assertThat(rig.drops()).isEqualTo(CHANGED_DURING);
    assertThat(dropped(ref)).isEqualTo(CHANGED_DURING);

    // Suspended, it lists and drops no more.
    int listings = rig.listings(KEYS).size();
    time.advance(Duration.ofHours(2));
    assertThat(rig.drops()).isEqualTo(CHANGED_DURING);
    assertThat(rig.listings(KEYS)).hasSize(listings);
  }

  @Test
  void switchingToDryRunMidPassEndsItsDropsWithTheCallInFlight() {
    PolicyRef ref =
        passChangedMidway(
            "switched", () -> rig.change("switched", KEYS, SPEC + "\nenforcement: DryRun"));

    assertThat(rig.drops()).isEqualTo(CHANGED_DURING);

    // The new generation is synced in the next pass, reporting without dropping.
    time.advance(Duration.ofSeconds(1));
    PassOutcome dryRun = rig.engines.outcome(ref, 2).orElseThrow();
    assertThat(dryRun.dryRun()).isTrue();
    assertThat(dryRun.denied()).isEqualTo(30 - CHANGED_DURING);
    assertThat(rig.drops()).isEqualTo(CHANGED_DURING);
    assertThat(dropped(ref)).isEqualTo(CHANGED_DURING);
  }
}
