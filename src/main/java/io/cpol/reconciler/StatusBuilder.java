package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.DropRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a policy's next status from its old status and what the sync found — the one place status
 * is decided. Counts carried across syncs ({@code dropped}, {@code recentDrops}) come from the old
 * status, so they survive operator restarts.
 */
final class StatusBuilder {
  static final int RECENT_DROPS = 20;

  /** Reasons of the Ready condition when it is False. */
  enum Failure {
    CredentialsNotFound,
    AuthenticationFailed,
    BeebotteUnavailable,
    InvalidSpec
  }

  private final Duration heartbeat;

  /**
   * @param heartbeat how stale {@code lastSyncTime} may get before a sync that changed nothing else
   *     still patches status; keeps quiet policies from writing every interval
   */
  StatusBuilder(Duration heartbeat) {
    this.heartbeat = heartbeat;
  }

  ConnectionPolicyStatus synced(
      ConnectionPolicyStatus old, long generation, SyncReport report, Instant now) {
    ConnectionPolicyStatus next = copyOf(old);
    next.setObservedGeneration(generation);
    next.setLastSyncTime(StatusTime.format(report.listedAt()));
    next.setConnected(report.connected());
    next.setDenied(report.denied());
    next.setDropped(orZero(old == null ? null : old.getDropped()) + report.drops().size());
    next.setConnections(new ArrayList<>(report.reported()));
    next.setConnectionsOmitted(report.connected() - report.reported().size());
    next.setRecentDrops(recentDrops(old, report.drops()));

    String message =
        report.connected()
            + " connections, "
            + report.denied()
            + " denied, "
            + (report.dryRun()
                ? report.denied() + " would be dropped (dry run)"
                : report.drops().size() + " dropped");
    ConditionSet conditions =
        new ConditionSet(next.getConditions())
            .set(ConditionSet.READY, "True", "Synced", message, generation, now);
    if (report.dryRun()) {
      conditions.set(
          ConditionSet.ENFORCED,
          "False",
          "DryRun",
          "dry run: " + report.denied() + " denied connections would be dropped",
          generation,
          now);
    } else if (report.dropFailure() != null) {
      conditions.set(
          ConditionSet.ENFORCED, "False", "DropFailed", report.dropFailure(), generation, now);
    } else if (report.deferred() > 0) {
      conditions.set(
          ConditionSet.ENFORCED,
          "False",
          "DropBudgetExceeded",
          report.deferred()
              + " denied connections wait for the next sync (maxDropsPerSync reached)",
          generation,
          now);
    } else {
      conditions.set(
          ConditionSet.ENFORCED,
          "True",
          "AllDropped",
          report.denied() == 0 ? "no connection is denied" : "every denied connection was dropped",
          generation,
          now);
    }
    next.setConditions(conditions.toList());
    return withHeartbeat(old, next, now);
  }

  ConnectionPolicyStatus suspended(ConnectionPolicyStatus old, long generation, Instant now) {
    ConnectionPolicyStatus next = copyOf(old);
    next.setObservedGeneration(generation);
    next.setConditions(
        new ConditionSet(next.getConditions())
            .set(
                ConditionSet.READY,
                "True",
                "Suspended",
                "suspended: nothing is listed or dropped",
                generation,
                now)
            .set(
                ConditionSet.ENFORCED,
                "False",
                "Suspended",
                "suspended: nothing is listed or dropped",
                generation,
                now)
            .toList());
    return next;
  }

  /** A sync that could not run; everything it did not learn stays as it was. */
  ConnectionPolicyStatus failed(
      ConnectionPolicyStatus old, long generation, Failure reason, String message, Instant now) {
    ConnectionPolicyStatus next = copyOf(old);
    next.setObservedGeneration(generation);
    next.setConditions(
        new ConditionSet(next.getConditions())
            .set(ConditionSet.READY, "False", reason.name(), message, generation, now)
            .set(
                ConditionSet.ENFORCED,
                "Unknown",
                reason.name(),
                "not evaluated: the last sync failed",
                generation,
                now)
            .toList());
    return next;
  }

  private ConnectionPolicyStatus withHeartbeat(
      ConnectionPolicyStatus old, ConnectionPolicyStatus next, Instant now) {
    if (old == null || old.getLastSyncTime() == null) {
      return next;
    }
    Instant previousSync = Instant.parse(old.getLastSyncTime());
    if (Duration.between(previousSync, now).compareTo(heartbeat) >= 0) {
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

  private static List<DropRecord> recentDrops(ConnectionPolicyStatus old, List<DropRecord> drops) {
    List<DropRecord> all = new ArrayList<>();
    if (old != null && old.getRecentDrops() != null) {
      all.addAll(old.getRecentDrops());
    }
    all.addAll(drops);
    return new ArrayList<>(all.subList(Math.max(0, all.size() - RECENT_DROPS), all.size()));
  }

  private static ConnectionPolicyStatus copyOf(ConnectionPolicyStatus old) {
    ConnectionPolicyStatus next = new ConnectionPolicyStatus();
    if (old != null) {
      next.setObservedGeneration(old.getObservedGeneration());
      next.setLastSyncTime(old.getLastSyncTime());
      next.setConnected(old.getConnected());
      next.setDenied(old.getDenied());
      next.setDropped(old.getDropped());
      next.setConnections(
          old.getConnections() == null ? new ArrayList<>() : new ArrayList<>(old.getConnections()));
      next.setConnectionsOmitted(old.getConnectionsOmitted());
      next.setRecentDrops(
          old.getRecentDrops() == null ? new ArrayList<>() : new ArrayList<>(old.getRecentDrops()));
      next.setConditions(
          old.getConditions() == null ? new ArrayList<>() : new ArrayList<>(old.getConditions()));
    }
    return next;
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }
}
