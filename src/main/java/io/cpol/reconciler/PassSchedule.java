package io.cpol.reconciler;

import io.cpol.enforce.AccountPolicies;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * When an account's policies are due, without I/O or threads ({@code now} is passed in): which are
 * due in a pass, which join it (coalescing), the next wake-up, and the back-off after failures. Not
 * thread-safe: its engine guards it.
 */
final class PassSchedule {
  /** The first wait after an unexpected failure; it doubles with each failure in a row. */
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

  private final Duration maxBackoff;
  private final Map<String, Entry> entries = new HashMap<>();

  /** The entries in account order and their rules; null after a change (rebuilt when asked). */
  private List<Entry> order;

  private AccountPolicies policies;

  /** One registered policy and when it is due. */
  static final class Entry {
    final PolicyRegistration registration;
    private Instant nextDueAt;
    private int failures;

    /** New or changed and not synced yet: may act on a listing up to freshListing old. */
    private boolean fresh = true;

    Entry(PolicyRegistration registration, Instant nextDueAt) {
      this.registration = registration;
      this.nextDueAt = nextDueAt;
    }

    PolicyRef ref() {
      return registration.ref();
    }

    Instant nextDueAt() {
      return nextDueAt;
    }
  }

  /**
   * What a pass syncs.
   *
   * @param order every entry in account order (the same list until the policies change)
   * @param policies their rules, indexed for one evaluation of the account (built once per order)
   * @param due which of them this pass syncs
   * @param allFresh every due one is new or changed: a listing a moment old will do
   */
  record Due(List<Entry> order, AccountPolicies policies, boolean[] due, boolean allFresh) {}

  /**
   * @param maxBackoff the longest wait after failures, whatever the interval ({@link
   *     EngineSettings#failureRetryCap()})
   */
  PassSchedule(Duration maxBackoff) {
    this.maxBackoff = maxBackoff;
  }

  /** Adds or replaces a policy; a new or changed one is due {@code now}. False: no change. */
  boolean put(PolicyRegistration registration, Instant now) {
    Entry old = entries.get(registration.ref().uid());
    if (old != null && old.registration.sameAs(registration)) {
      return false;
    }
    entries.put(registration.ref().uid(), new Entry(registration, now));
    order = null;
    return true;
  }

  boolean remove(String uid) {
    boolean removed = entries.remove(uid) != null;
    order = removed ? null : order;
    return removed;
  }

  /** Removes the policies {@code gone} says are gone. */
  void removeIf(Predicate<PolicyRef> gone) {
    if (entries.values().removeIf(e -> gone.test(e.ref()))) {
      order = null;
    }
  }

  /** Takes in policies from another engine, with their schedules. */
  void adopt(Collection<Entry> adopted) {
    adopted.forEach(e -> entries.putIfAbsent(e.ref().uid(), e));
    order = null;
  }

  /** Takes out the policies of a lane, due {@code now} wherever they go. */
  List<Entry> takeLane(AccountKey lane, Instant now) {
    List<Entry> moving =
        entries.values().stream().filter(e -> e.registration.lane().equals(lane)).toList();
    moving.forEach(e -> entries.remove(e.ref().uid()));
    moving.forEach(e -> e.nextDueAt = now);
    order = null;
    return moving;
  }

  /** Every registration in account order. */
  List<PolicyRegistration> registrations() {
    return ordered().stream().map(e -> e.registration).toList();
  }

  private List<Entry> ordered() {
    if (order == null) {
      List<Entry> sorted = new ArrayList<>(entries.values());
      sorted.sort((a, b) -> a.ref().compareTo(b.ref()));
      order = List.copyOf(sorted);
      policies = new AccountPolicies(order.stream().map(e -> e.registration.rules()).toList());
    }
    return order;
  }

  List<Entry> clear() {
    List<Entry> all = new ArrayList<>(entries.values());
    entries.clear();
    order = null;
    return all;
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  Collection<Entry> entries() {
    return entries.values();
  }

  /** The registration of a policy, or null. */
  PolicyRegistration registration(String uid) {
    Entry e = entries.get(uid);
    return e == null ? null : e.registration;
  }

  /** Whether some policy uses this lane. */
  boolean uses(AccountKey lane) {
    return entries.values().stream().anyMatch(e -> e.registration.lane().equals(lane));
  }

  /** The lane of the first policy in account order: stable while that policy stays. */
  AccountKey primaryLane() {
    return entries.values().stream()
        .min((a, b) -> a.ref().compareTo(b.ref()))
        .map(e -> e.registration.lane())
        .orElse(null);
  }

  /** The earliest instant a policy is due, or null when there is none. */
  Instant next() {
    return entries.values().stream().map(e -> e.nextDueAt).min(Instant::compareTo).orElse(null);
  }

  /**
   * When the account wakes up after a pass: when the first policy is due, or at {@code sooner} (a
   * pass's own retry) when that is earlier, but not before the account's pause ends ({@code
   * pausedUntil}: while it lasts nothing may start). Null when there is nothing to wake up for.
   */
  Instant wakeUp(Instant sooner, Instant pausedUntil) {
    Instant next = next();
    if (sooner != null && (next == null || sooner.isBefore(next))) {
      next = sooner;
    }
    if (next != null && pausedUntil.isAfter(next)) {
      next = pausedUntil;
    }
    return next;
  }

  /** What a pass at {@code now} syncs, or null when nothing is due. */
  Due due(Instant now) {
    ordered();
    boolean[] due = new boolean[order.size()];
    boolean anyDue = false;
    Set<Duration> dueIntervals = new HashSet<>();
    for (int p = 0; p < order.size(); p++) {
      Entry e = order.get(p);
      due[p] = !e.nextDueAt.isAfter(now.plus(slack(e)));
      anyDue |= due[p];
      if (due[p]) {
        dueIntervals.add(e.registration.interval());
      }
    }
    if (!anyDue) {
      return null;
    }
    // Policies with the same interval share passes: one due within half an interval joins this
    // pass (once: from then on they are due together), so their account is listed once per
    // interval, not once per policy phase.
    boolean allFresh = true;
    for (int p = 0; p < order.size(); p++) {
      Entry e = order.get(p);
      Duration interval = e.registration.interval();
      if (!due[p]
          && dueIntervals.contains(interval)
          && !e.nextDueAt.isAfter(now.plus(interval.dividedBy(2)))) {
        due[p] = true;
      }
      allFresh &= !due[p] || e.fresh;
    }
    return new Due(order, policies, due, allFresh);
  }

  /** Policies due this soon after a pass are synced in it: same-interval policies stay together. */
  private static Duration slack(Entry e) {
    Duration tenth = e.registration.interval().dividedBy(10);
    Duration second = Duration.ofSeconds(1);
    return tenth.compareTo(second) < 0 ? tenth : second;
  }

  /** A pass synced {@code e}: it is due again at {@code next}. */
  static void synced(Entry e, Instant next) {
    e.nextDueAt = next;
    e.fresh = false;
    e.failures = 0;
  }

  /**
   * A pass failed for {@code e}: it is due again after {@link #backoff}, or at {@code notBefore}
   * when that is later (Beebotte's pause); returns when.
   */
  Instant failed(Entry e, Instant now, Instant notBefore) {
    e.failures++;
    Instant at = now.plus(backoff(e.failures, e.registration.interval(), maxBackoff));
    if (notBefore != null && notBefore.isAfter(at)) {
      at = notBefore;
    }
    e.nextDueAt = at;
    return at;
  }

  /** 1 s, 2 s, 4 s, ... capped at min(interval, max): after any failure, never at once. */
  static Duration backoff(int failures, Duration interval, Duration max) {
    Duration cap = interval.compareTo(max) < 0 ? interval : max;
    Duration delay = FIRST_BACKOFF.multipliedBy(1L << Math.min(Math.max(failures, 1) - 1, 20));
    return delay.compareTo(cap) > 0 ? cap : delay;
  }
}
