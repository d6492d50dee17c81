package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.DropRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

/**
 * The counts a policy carries across syncs, owned in memory by the operator: seeded once from the
 * policy's status when this process first sees it, then only ever increased by drops this process
 * made. Status is written from here, never as "old status + this sync", so a stale cache or a
 * concurrent event cannot make a count go backwards or lose a drop. Thread-safe.
 */
final class PolicyLedger {
  static final int RECENT_DROPS = 20;

  private long dropped;
  private final Deque<DropRecord> recentDrops = new ArrayDeque<>();
  private long version;

  /** A ledger starting from what {@code status} says (null: a new policy). */
  static PolicyLedger seededFrom(ConnectionPolicyStatus status) {
    PolicyLedger ledger = new PolicyLedger();
    if (status != null) {
      ledger.dropped = status.getDropped() == null ? 0 : Math.max(0, status.getDropped());
      if (status.getRecentDrops() != null) {
        status.getRecentDrops().forEach(ledger::remember);
      }
    }
    return ledger;
  }

  /** Counts drops this process made. */
  synchronized void recordDrops(Collection<DropRecord> drops) {
    if (drops.isEmpty()) {
      return;
    }
    dropped += drops.size();
    drops.forEach(this::remember);
    version++;
  }

  /**
   * Takes a higher count written by someone else (a previous leader whose last write this process
   * had not seen when it seeded), so that what it writes never goes below what is stored.
   */
  synchronized void atLeast(ConnectionPolicyStatus stored) {
    if (stored != null && stored.getDropped() != null && stored.getDropped() > dropped) {
      dropped = stored.getDropped();
      recentDrops.clear();
      if (stored.getRecentDrops() != null) {
        stored.getRecentDrops().forEach(this::remember);
      }
      version++;
    }
  }

  synchronized Snapshot snapshot() {
    return new Snapshot(dropped, List.copyOf(new ArrayList<>(recentDrops)), version);
  }

  private void remember(DropRecord drop) {
    recentDrops.addLast(drop);
    while (recentDrops.size() > RECENT_DROPS) {
      recentDrops.removeFirst();
    }
  }

  /** The ledger at one moment; {@code version} grows with every change. */
  record Snapshot(long dropped, List<DropRecord> recentDrops, long version) {}
}
