package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.DropRecord;
import io.cpol.policy.ReturningIdentity;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The counts a policy carries across syncs, owned in memory by the operator: seeded once from the
 * policy's status when this process first sees it, then only ever increased by drops this process
 * made. Status is written from here, never as "old status + this sync", so a stale cache or a
 * concurrent event cannot make a count go backwards or lose a drop.
 *
 * <p>It also remembers which identities (a userid, or a userid on one protocol) it dropped, so a
 * drop of one that was dropped before counts as a reconnect, and the most active of them are
 * reported as {@code returning}. Thread-safe.
 */
final class PolicyLedger {
  static final int RECENT_DROPS = 20;
  static final int RETURNING = 20;

  /** Identities remembered for reconnect counting; the least recently dropped are forgotten. */
  static final int REMEMBERED = 10_000;

  /** A userid, or a userid on one protocol (its wire name). */
  record Identity(String userid, String protocol) {
    Identity {
      Objects.requireNonNull(userid, "userid");
    }
  }

  /** What is remembered of one identity. */
  private static final class Known {
    long timesDropped;
    String lastDropped;
    Duration delay;
    boolean warned;
  }

  private long dropped;
  private long reconnects;
  private final Deque<DropRecord> recentDrops = new ArrayDeque<>();
  private final Map<Identity, Known> known =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Identity, Known> eldest) {
          return size() > REMEMBERED;
        }
      };
  private long version;

  /** A ledger starting from what {@code status} says (null: a new policy). */
  static PolicyLedger seededFrom(ConnectionPolicyStatus status) {
    PolicyLedger ledger = new PolicyLedger();
    if (status != null) {
      ledger.adopt(status);
    }
    return ledger;
  }

  private void adopt(ConnectionPolicyStatus status) {
    dropped = status.getDropped() == null ? 0 : Math.max(0, status.getDropped());
    reconnects = Math.max(reconnects, status.getReconnects() == null ? 0 : status.getReconnects());
    recentDrops.clear();
    if (status.getRecentDrops() != null) {
      status.getRecentDrops().forEach(this::remember);
      // The identities of the last drops were dropped before: their next drop is a reconnect, not
      // a first drop. Status stores no more than these and `returning` (an identity dropped once,
      // longer ago, counts as a first drop again after a restart).
      for (DropRecord d : status.getRecentDrops()) {
        if (d.getUserid() != null && lookup(new Identity(d.getUserid(), d.getProtocol())) == null) {
          Known k = new Known();
          k.timesDropped = 1;
          k.lastDropped = d.getTime();
          known.put(new Identity(d.getUserid(), d.getProtocol()), k);
        }
      }
    }
    if (status.getReturning() != null) {
      for (ReturningIdentity r : status.getReturning()) {
        if (r.getUserid() == null) {
          continue;
        }
        Known k =
            known.computeIfAbsent(new Identity(r.getUserid(), r.getProtocol()), i -> new Known());
        k.timesDropped =
            Math.max(k.timesDropped, r.getTimesDropped() == null ? 0 : r.getTimesDropped());
        k.lastDropped = r.getLastDropped();
        k.delay = parseDelay(r.getReconnectDelay());
      }
    }
  }

  /** Counts drops this process made, without telling identities apart (tests, tools). */
  synchronized void recordDrops(Collection<DropRecord> drops) {
    if (drops.isEmpty()) {
      return;
    }
    dropped += drops.size();
    drops.forEach(this::remember);
    version++;
  }

  /**
   * Counts the drops one call made for {@code identity}. If the identity was dropped before, they
   * are reconnects. Returns how many times the identity has been dropped now.
   */
  synchronized long recordDrops(Collection<DropRecord> drops, Identity identity) {
    if (drops.isEmpty()) {
      return 0;
    }
    dropped += drops.size();
    drops.forEach(this::remember);
    Known k = lookup(identity);
    if (k == null) {
      k = new Known();
      known.put(identity, k);
    } else {
      reconnects += drops.size();
    }
    k.timesDropped++;
    k.lastDropped = drops.iterator().next().getTime();
    version++;
    return k.timesDropped;
  }

  /** The identity's reconnect delay as the watch learned it. */
  synchronized void delay(Identity identity, Duration delay) {
    Known k = lookup(identity);
    if (k != null && !Objects.equals(format(k.delay), format(delay))) {
      k.delay = delay;
      version++;
    }
  }

  /** True the first time it is asked for the identity: its Warning is said once. */
  synchronized boolean firstWarning(Identity identity) {
    Known k = lookup(identity);
    if (k == null || k.warned) {
      return false;
    }
    k.warned = true;
    return true;
  }

  /**
   * Takes a higher count written by someone else (a previous leader whose last write this process
   * had not seen when it seeded), so that what it writes never goes below what is stored.
   */
  synchronized void atLeast(ConnectionPolicyStatus stored) {
    if (stored == null) {
      return;
    }
    boolean changed = false;
    if (stored.getDropped() != null && stored.getDropped() > dropped) {
      dropped = stored.getDropped();
      recentDrops.clear();
      if (stored.getRecentDrops() != null) {
        stored.getRecentDrops().forEach(this::remember);
      }
      changed = true;
    }
    if (stored.getReconnects() != null && stored.getReconnects() > reconnects) {
      reconnects = stored.getReconnects();
      changed = true;
    }
    if (changed) {
      version++;
    }
  }

  synchronized Snapshot snapshot() {
    List<Map.Entry<Identity, Known>> back = new ArrayList<>();
    for (Map.Entry<Identity, Known> e : known.entrySet()) {
      if (e.getValue().timesDropped >= 2) {
        back.add(e);
      }
    }
    back.sort(
        Comparator.comparingLong((Map.Entry<Identity, Known> e) -> -e.getValue().timesDropped)
            .thenComparing(
                e -> e.getValue().lastDropped, Comparator.nullsLast(Comparator.reverseOrder()))
            .thenComparing(e -> e.getKey().userid()));
    List<ReturningIdentity> returning = new ArrayList<>();
    for (Map.Entry<Identity, Known> e : back.subList(0, Math.min(RETURNING, back.size()))) {
      Known k = e.getValue();
      returning.add(
          new ReturningIdentity(
              e.getKey().userid(),
              e.getKey().protocol(),
              k.timesDropped,
              k.lastDropped,
              format(k.delay)));
    }
    return new Snapshot(
        dropped, List.copyOf(recentDrops), reconnects, List.copyOf(returning), version);
  }

  /** The identity, or the whole userid when that is what was dropped before. */
  private Known lookup(Identity identity) {
    Known k = known.get(identity);
    if (k == null && identity.protocol() != null) {
      k = known.get(new Identity(identity.userid(), null));
    }
    if (k == null && identity.protocol() == null) {
      for (String protocol : List.of("mqtt", "socketio")) {
        k = known.get(new Identity(identity.userid(), protocol));
        if (k != null) {
          break;
        }
      }
    }
    return k;
  }

  private void remember(DropRecord drop) {
    recentDrops.addLast(drop);
    while (recentDrops.size() > RECENT_DROPS) {
      recentDrops.removeFirst();
    }
  }

  /** "1.0s", as status shows a reconnect delay. */
  static String format(Duration delay) {
    return delay == null ? null : String.format(Locale.ROOT, "%.1fs", delay.toMillis() / 1000.0);
  }

  private static Duration parseDelay(String text) {
    if (text == null || !text.endsWith("s")) {
      return null;
    }
    try {
      return Duration.ofMillis(
          Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The ledger at one moment; {@code version} grows with every change. */
  record Snapshot(
      long dropped,
      List<DropRecord> recentDrops,
      long reconnects,
      List<ReturningIdentity> returning,
      long version) {}
}
