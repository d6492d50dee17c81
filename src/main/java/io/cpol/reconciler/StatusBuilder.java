package io.cpol.reconciler;

import io.cpol.beebotte.Redactor;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.Mode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a policy's next status from its old status, what the last pass found ({@link PassOutcome})
 * and the counts the operator owns ({@link PolicyLedger}) — the one place status is decided. Counts
 * never come from the old status: a stale cached copy cannot roll them back. Every condition
 * message it returns has passed the operator's {@link Redactor}, so no credential it knows is ever
 * stored.
 */
final class StatusBuilder {
  private final Duration heartbeat;
  private final Redactor redactor;

  /**
   * @param heartbeat how far {@code lastSyncTime} may lag the last successful sync: a sync that
   *     changed nothing else writes status only when its listing is at least this much newer than
   *     the recorded time, which keeps policies with short intervals from writing at every sync
   * @param redactor takes credentials out of condition messages
   */
  StatusBuilder(Duration heartbeat, Redactor redactor) {
    this.heartbeat = heartbeat;
    this.redactor = redactor;
  }

  /**
   * After a pass that listed: counts, the sessions report and both conditions.
   *
   * @param endpoint the Beebotte API the pass listed
   */
  ConnectionPolicyStatus synced(
      ConnectionPolicyStatus old,
      long generation,
      String endpoint,
      PassOutcome outcome,
      PolicyLedger.Snapshot ledger,
      Instant now) {
    ConnectionPolicyStatus next = withCounts(copyOf(old), ledger);
    next.setObservedGeneration(generation);
    next.setMode(outcome.dryRun() ? Mode.DryRun : Mode.Enforce);
    next.setEndpoint(endpoint);
    next.setLastSyncTime(StatusTime.format(outcome.listedAt()));
    next.setConnected(outcome.connected());
    next.setDenied(outcome.denied());
    next.setConnections(new ArrayList<>(outcome.reported()));
    next.setConnectionsOmitted(outcome.connected() - outcome.reported().size());

    String message =
        outcome.connected()
            + " connections, "
            + outcome.denied()
            + " denied, "
            + (outcome.dryRun()
                ? outcome.denied() + " would be dropped (dry run)"
                : outcome.drops().size() + " dropped");
    if (outcome.skippedElements() > 0) {
      message +=
          "; " + outcome.skippedElements() + " unreadable elements of the listing were skipped";
    }
    ConditionSet conditions =
        new ConditionSet(next.getConditions())
            .set(ConditionSet.READY, "True", Reason.Synced, message, generation, now);
    if (outcome.dryRun()) {
      conditions.set(
          ConditionSet.ENFORCED,
          "False",
          Reason.DryRun,
          "dry run: " + outcome.denied() + " denied connections would be dropped",
          generation,
          now);
    } else if (outcome.dropFailure() != null) {
      conditions.set(
          ConditionSet.ENFORCED,
          "False",
          Reason.DropFailed,
          outcome.dropFailure(),
          generation,
          now);
    } else if (outcome.deferred() > 0) {
      conditions.set(
          ConditionSet.ENFORCED,
          "False",
          Reason.DropBudgetExceeded,
          outcome.deferred()
              + " denied connections wait for the next sync (maxDropsPerSync reached)",
          generation,
          now);
    } else {
      conditions.set(
          ConditionSet.ENFORCED,
          "True",
          Reason.AllDropped,
          outcome.denied() == 0 ? "no connection is denied" : "every denied connection was dropped",
          generation,
          now);
    }
    next.setConditions(scrubbed(conditions));
    return withHeartbeat(old, next, outcome.listedAt());
  }

  /** During a long pass: only the counts move. */
  ConnectionPolicyStatus progress(ConnectionPolicyStatus old, PolicyLedger.Snapshot ledger) {
    ConnectionPolicyStatus next = withCounts(copyOf(old), ledger);
    next.setConditions(scrubbed(new ConditionSet(next.getConditions())));
    return next;
  }

  ConnectionPolicyStatus suspended(
      ConnectionPolicyStatus old, long generation, PolicyLedger.Snapshot ledger, Instant now) {
    ConnectionPolicyStatus next = withCounts(copyOf(old), ledger);
    next.setObservedGeneration(generation);
    next.setMode(Mode.Suspended);
    String message = "suspended: nothing is listed or dropped";
    next.setConditions(
        scrubbed(
            new ConditionSet(next.getConditions())
                .set(ConditionSet.READY, "True", Reason.Suspended, message, generation, now)
                .set(ConditionSet.ENFORCED, "False", Reason.Suspended, message, generation, now)));
    return next;
  }

  /**
   * A sync that could not run; everything it did not learn stays as it was.
   *
   * @param mode what the spec asks for ({@link Mode#of})
   */
  ConnectionPolicyStatus failed(
      ConnectionPolicyStatus old,
      long generation,
      Mode mode,
      Reason reason,
      String message,
      PolicyLedger.Snapshot ledger,
      Instant now) {
    ConnectionPolicyStatus next = withCounts(copyOf(old), ledger);
    next.setObservedGeneration(generation);
    next.setMode(mode);
    next.setConditions(
        scrubbed(
            new ConditionSet(next.getConditions())
                .set(ConditionSet.READY, "False", reason, message, generation, now)
                .set(
                    ConditionSet.ENFORCED,
                    "Unknown",
                    reason,
                    "not evaluated: the last sync failed",
                    generation,
                    now)));
    return next;
  }

  /**
   * The conditions with every message scrubbed: the one place a message reaches status, whether it
   * was built here, came from a failure or was carried over from the old status.
   */
  private List<Condition> scrubbed(ConditionSet conditions) {
    List<Condition> out = new ArrayList<>();
    for (Condition c : conditions.toList()) {
      String message = redactor.scrub(c.getMessage());
      out.add(
          Objects.equals(message, c.getMessage())
              ? c
              : new ConditionBuilder(c).withMessage(message).build());
    }
    return out;
  }

  /**
   * The ledger's counts; never below what the old status says (a value another replica wrote before
   * this one took over is kept rather than overwritten).
   */
  private static ConnectionPolicyStatus withCounts(
      ConnectionPolicyStatus next, PolicyLedger.Snapshot ledger) {
    if (ledger == null) {
      return next;
    }
    long stored = next.getDropped() == null ? 0 : next.getDropped();
    if (ledger.dropped() >= stored) {
      next.setDropped(ledger.dropped());
      next.setRecentDrops(new ArrayList<>(ledger.recentDrops()));
    }
    long storedReconnects = next.getReconnects() == null ? 0 : next.getReconnects();
    if (ledger.reconnects() >= storedReconnects) {
      // Absent until something came back, so a policy without returning devices stays short.
      if (ledger.reconnects() > 0) {
        next.setReconnects(ledger.reconnects());
      }
      next.setReturning(
          ledger.returning().isEmpty() ? next.getReturning() : new ArrayList<>(ledger.returning()));
    }
    return next;
  }

  /** Keeps the recorded lastSyncTime when that alone would change and lags less than heartbeat. */
  private ConnectionPolicyStatus withHeartbeat(
      ConnectionPolicyStatus old, ConnectionPolicyStatus next, Instant listedAt) {
    if (old == null || old.getLastSyncTime() == null) {
      return next;
    }
    Instant previousSync = Instant.parse(old.getLastSyncTime());
    if (Duration.between(previousSync, listedAt).compareTo(heartbeat) >= 0) {
      return next;
    }
    String fresh = next.getLastSyncTime();
    next.setLastSyncTime(old.getLastSyncTime());
    if (next.equals(old)) {
      return next;
    }
    next.setLastSyncTime(fresh);
    return next;
  }

  private static ConnectionPolicyStatus copyOf(ConnectionPolicyStatus old) {
    ConnectionPolicyStatus next = new ConnectionPolicyStatus();
    if (old != null) {
      next.setObservedGeneration(old.getObservedGeneration());
      next.setMode(old.getMode());
      next.setEndpoint(old.getEndpoint());
      next.setLastSyncTime(old.getLastSyncTime());
      next.setConnected(old.getConnected());
      next.setDenied(old.getDenied());
      next.setDropped(old.getDropped());
      next.setConnections(
          old.getConnections() == null ? new ArrayList<>() : new ArrayList<>(old.getConnections()));
      next.setConnectionsOmitted(old.getConnectionsOmitted());
      next.setRecentDrops(
          old.getRecentDrops() == null ? new ArrayList<>() : new ArrayList<>(old.getRecentDrops()));
      next.setReconnects(old.getReconnects());
      next.setReturning(old.getReturning() == null ? null : new ArrayList<>(old.getReturning()));
      next.setConditions(
          old.getConditions() == null ? new ArrayList<>() : new ArrayList<>(old.getConditions()));
    }
    return next;
  }
}
