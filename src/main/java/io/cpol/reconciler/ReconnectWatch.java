package io.cpol.reconciler;

import io.cpol.beebotte.Protocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * When to look again at identities a policy dropped, so a device that reconnects is dropped again
 * within moments instead of at the next interval. Pure decision logic: time is always passed in,
 * nothing is called; the account engine makes the calls and reports what it saw. Not thread-safe:
 * the engine serializes access.
 *
 * <p>Each identity (a userid, or a userid on one protocol) learns when to be looked at after a
 * drop: a target just after it usually comes back. Before anything is known the looks double from
 * the first probe to 1 s, where most clients are back (250 ms, 500 ms, 1 s), then each comes a
 * quarter later than the last; the first that finds it sets the target. After each drop it is
 * looked at first a little before the target (budget permitting): found there, the target creeps
 * earlier; not found, it is looked at on the target. Missed on the target, two small steps follow
 * (jitter), then each look half as late again as the last (a client backing off, or one whose
 * connect timed out), and where it is found becomes the target. An identity never seen back leaves
 * the watch after {@link Settings#maxAbsentChecks} looks in a row; one that has come back before is
 * followed as it backs off, until the next look would come later than its policy's interval (or
 * after three times as many looks): the regular passes take over, and what was learned is kept for
 * its next drop.
 *
 * <p>Cost is bounded twice: each identity at most {@link Settings#perIdentityPerSecond} calls per
 * second, and the account {@link Settings#callsPerSecond} in all, the most active offenders first.
 * A 429 on a watch call halves the account's watch rate and pauses the watch (regular passes go on
 * unless they are answered 429 themselves); the rate recovers step by step.
 */
final class ReconnectWatch {
  /** What is watched: one identity, for one policy. */
  record Key(String policyUid, String userid, Protocol protocol) {
    Key {
      Objects.requireNonNull(policyUid, "policyUid");
      Objects.requireNonNull(userid, "userid");
    }
  }

  /**
   * One look at the whole account ({@link #dueShared}): the identities it is the look of ({@code
   * due}: each learns from it as from its own look) and the others watched meanwhile ({@code
   * glimpsed}: dropped if it shows them back, otherwise they keep their own schedule).
   */
  record SharedLook(List<Key> due, List<Key> glimpsed) {
    List<Key> all() {
      List<Key> all = new ArrayList<>(due);
      all.addAll(glimpsed);
      return all;
    }
  }

  /**
   * @param callsPerSecond the account's watch calls per second (checks and drops)
   * @param perIdentityPerSecond one identity's watch calls per second
   * @param firstProbe the first check after a drop when nothing is known yet
   * @param precision the reconnect delay is learned to this precision
   * @param maxAbsentChecks absent this many checks in a row, an identity leaves the watch
   */
  record Settings(
      double callsPerSecond,
      double perIdentityPerSecond,
      Duration firstProbe,
      Duration precision,
      int maxAbsentChecks) {
    static Settings defaults(double callsPerSecond) {
      return new Settings(callsPerSecond, 1.99, Duration.ofMillis(250), Duration.ofMillis(10), 6);
    }
  }

  /** How long a slowed-down watch waits between recovery steps. */
  private static final Duration RECOVERY_STEP = Duration.ofSeconds(30);

  /**
   * How long an identity a look found back waits for its drop. The drop follows within a call's
   * time, unless it never comes (the drop budget deferred it to a pass, the call was made under a
   * wider identity, a deciding rule expired): then the identity leaves the watch at this offset, so
   * nothing stays watched without a drop to watch after.
   */
  static final Duration DROP_GRACE = Duration.ofSeconds(10);

  /**
   * How long a shared look waits for identities due just after the first: more than the jitter of a
   * client's reconnect (tens of ms), little against a second of reconnect cycle.
   */
  static final Duration GATHER = Duration.ofMillis(50);

  /**
   * Identities whose learned reconnect delays are this close come back together once dropped
   * together ({@link #joinWithin}).
   */
  static final Duration ALIKE = GATHER.multipliedBy(2);

  /** Learned reconnect delays kept for identities that left the watch (the newest). */
  private static final int LEARNED_KEPT = 10_000;

  /**
   * Calls a cycle with an early look may need: the early look, the look at the target, one
   * follow-up if the device is a little late (jitter), and the drop. An early look is made only
   * when the identity's budget will hold them all, so it never delays the follow-up.
   */
  private static final double EARLY_LOOK_CALLS = 4;

  /**
   * Calls the account must have saved up before an identity looks early (its burst is its rate).
   */
  private static final double EARLY_LOOK_SPARE = 2;

  private final Settings settings;
  private final Map<Key, Identity> identities = new HashMap<>();

  /** Reconnect delays of identities that left the watch, so their next drop starts from them. */
  private final Map<Key, Duration> learned =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Duration> eldest) {
          return size() > LEARNED_KEPT;
        }
      };

  private final Bucket account;

  /**
   * A shared look waits until then for identities due just after the first ({@link #gathering}).
   */
  private Instant gatheredUntil;

  private double rate;
  private Instant pausedUntil = Instant.MIN;
  private Instant lastSlowDown = Instant.MIN;

  ReconnectWatch(Settings settings, Instant now) {
    this.settings = settings;
    this.rate = settings.callsPerSecond();
    this.account = new Bucket(rate, Math.max(1, rate), Math.max(1, rate), now);
  }

  /** One watched identity. */
  private final class Identity {
    final Key key;
    final Bucket budget;
    Duration interval;
    Instant lastDrop;
    int timesDropped;

    /** When after a drop it is looked at: just after it usually comes back (null: not known). */
    Duration target;

    /** The latest offset after the last drop at which it was seen away. */
    Duration lo = Duration.ZERO;

    /** The longest offset after a drop at which it has been seen away lately (below target). */
    Duration floor = Duration.ZERO;

    /** Looks at or after the target that found nothing, in this cycle. */
    int misses;

    /** Cycles in a row that found it only after the jitter steps (a client backing off). */
    int lateCycles;

    /** Offset of the next check after lastDrop; null while a check is out or none is planned. */
    Duration next;

    /** The target, to look at after an early look finds nothing. */
    Duration afterProbe;

    /** When the look now waiting for budget was meant to happen (null: none waits). */
    Duration planned;

    int absentInRow;
    boolean inFlight;

    /** The last look found it back and its drop has not come yet ({@link #DROP_GRACE}). */
    boolean awaitingDrop;

    /** When a check postponed for budget first became due. */
    Instant waitingSince;

    Identity(Key key, Instant now) {
      this.key = key;
      this.budget =
          new Bucket(
              settings.perIdentityPerSecond(),
              // A few calls saved up let it look early now and then; it starts with two (a look
              // and a drop), not with the whole burst.
              Math.max(2, settings.perIdentityPerSecond() * 2),
              2,
              now);
    }

    Instant nextCheckAt() {
      return next == null ? null : lastDrop.plus(next);
    }
  }

  // ---- What happened ----

  /**
   * A drop of {@code key} landed (made by a pass or by the watch): its reconnect clock starts
   * again.
   *
   * @param interval its policy's interval: the watch never waits longer than that
   */
  void dropped(Key key, Instant landedAt, Duration interval) {
    Identity id = identities.get(key);
    if (id == null) {
      id = new Identity(key, landedAt);
      id.target = learned.remove(key);
      identities.put(key, id);
    }
    id.interval = interval;
    id.lastDrop = landedAt;
    id.timesDropped++;
    id.absentInRow = 0;
    id.misses = 0;
    id.inFlight = false;
    id.awaitingDrop = false;
    id.afterProbe = null;
    id.planned = null;
    id.lo = Duration.ZERO;
    // What was seen away fades a little each cycle, so a device that comes back sooner is noticed.
    id.floor = id.floor.minus(settings.precision().dividedBy(4));
    if (id.floor.isNegative()) {
      id.floor = Duration.ZERO;
    }
    if (id.target == null) {
      id.next = settings.firstProbe();
    } else if (id.target.minus(id.floor).compareTo(settings.precision()) > 0
        && affordsEarlyLook(id, landedAt)) {
      // Look halfway between where it was last seen away and the target: found there, the
      // target halves its distance; not found, look at the target.
      id.next = id.floor.plus(id.target).dividedBy(2);
      id.afterProbe = id.target;
    } else {
      id.next = id.target;
    }
  }

  /**
   * Whether a cycle with an early look fits: the identity's own budget holds its calls ({@link
   * #EARLY_LOOK_CALLS}) over the cycle, and the account has calls saved up ({@link
   * #EARLY_LOOK_SPARE}), which it has only while the watched identities leave some of its rate
   * unused. An early look is the only refinement that costs a call; the others come with looks made
   * anyway.
   */
  private boolean affordsEarlyLook(Identity id, Instant now) {
    double cycle = id.target.plus(settings.precision().multipliedBy(2)).toNanos() / 1e9;
    return id.budget.available(now) + settings.perIdentityPerSecond() * cycle >= EARLY_LOOK_CALLS
        && account.available(now) >= EARLY_LOOK_SPARE;
  }

  /**
   * A check of {@code key} at {@code at} found it back ({@code present}: the engine drops it and
   * then calls {@link #dropped}) or not.
   */
  void checked(Key key, Instant at, boolean present) {
    Identity id = identities.get(key);
    if (id == null) {
      return;
    }
    id.inFlight = false;
    Duration offset = Duration.between(id.lastDrop, at);
    // A look that waited for budget is judged where it was meant to be: the device may have been
    // back long before the budget allowed the look.
    Duration meant = id.planned != null && id.planned.compareTo(offset) < 0 ? id.planned : offset;
    id.planned = null;
    if (present) {
      // Found at or before the target: from now on, look here. Found a little later (jitter):
      // the target moves up. Found only after backing off, it moves there the second time in a
      // row: once is an outlier (a connect that timed out), twice a client that waits longer now.
      boolean late = id.target != null && offset.compareTo(jitterEnd(id.target)) > 0;
      id.lateCycles = late ? id.lateCycles + 1 : 0;
      if (id.target == null
          || id.afterProbe != null
          || (id.misses > 0 && (!late || id.lateCycles >= 2))) {
        id.target = meant;
      }
      if (id.floor.compareTo(offset) >= 0) {
        id.floor = Duration.ZERO;
      }
      id.absentInRow = 0;
      // Its drop comes next (dropped() starts a new cycle); if it never does, it leaves at the
      // grace's end (due()), keeping what was learned.
      id.awaitingDrop = true;
      id.next = offset.plus(DROP_GRACE);
      return;
    }
    id.lo = offset;
    if (id.target == null || offset.compareTo(id.target) < 0) {
      id.floor = offset.compareTo(id.floor) > 0 ? offset : id.floor;
    }
    id.absentInRow++;
    if (id.afterProbe != null) {
      // The early look found nothing: now at the target.
      id.next = id.afterProbe;
      id.afterProbe = null;
    } else if (id.target == null) {
      // Never seen back: 250 ms, 500 ms, 1 s (most clients), then a quarter later each time.
      id.next =
          offset.compareTo(settings.firstProbe().multipliedBy(4)) < 0
              ? offset.multipliedBy(2)
              : offset.plus(offset.dividedBy(4));
    } else {
      // Not back at the target: jitter first (steps doubling from the precision, up to a
      // quarter past the target), then a client backing off (each look half as late again).
      id.misses++;
      Duration step =
          offset.plus(settings.precision().multipliedBy(1L << Math.min(id.misses - 1, 20)));
      id.next = step.compareTo(jitterEnd(id.target)) <= 0 ? step : offset.plus(offset.dividedBy(2));
    }
    int maxAbsent = id.target == null ? settings.maxAbsentChecks() : 3 * settings.maxAbsentChecks();
    if (id.absentInRow >= maxAbsent || id.next.compareTo(id.interval) > 0) {
      // It stays away: the policy's regular passes take over.
      leave(id);
    }
  }

  /**
   * A shared look made for other identities showed {@code key} too ({@link SharedLook#glimpsed}):
   * back, it is dropped as if its own look had found it; away, that is noted (it was away until
   * then) and its own looks stay as planned.
   */
  void glimpsed(Key key, Instant at, boolean present) {
    Identity id = identities.get(key);
    if (id == null) {
      return;
    }
    Duration offset = Duration.between(id.lastDrop, at);
    if (present) {
      boolean earlier = id.target != null && offset.compareTo(id.target) < 0;
      checked(key, at, true);
      if (earlier) {
        // Back before its own look was due: from now on, look here.
        id.target = offset;
      }
      return;
    }
    id.inFlight = false;
    if (offset.compareTo(id.lo) > 0) {
      id.lo = offset;
    }
    if (id.target != null && offset.compareTo(id.target) < 0 && offset.compareTo(id.floor) > 0) {
      id.floor = offset;
    }
  }

  /**
   * How late past its target a return still counts as jitter (a loaded machine, a slow handshake:
   * tens of ms on a second), not a client backing off (which doubles its wait).
   */
  private static Duration jitterEnd(Duration target) {
    return target.plus(target.dividedBy(4));
  }

  private void leave(Identity id) {
    identities.remove(id.key);
    if (id.target != null) {
      learned.put(id.key, id.target);
    }
  }

  /**
   * A check could not be made (Beebotte paused the account, a pass is dropping, the call failed):
   * try again at {@code at}, learning nothing.
   */
  void postpone(Key key, Instant at) {
    Identity id = identities.get(key);
    if (id != null) {
      id.inFlight = false;
      id.awaitingDrop = false;
      if (id.planned == null) {
        id.planned = id.next;
      }
      id.next = Duration.between(id.lastDrop, at);
    }
  }

  /** A glimpse that could not be made (its shared look failed or was not made): nothing learned. */
  void release(Key key) {
    Identity id = identities.get(key);
    if (id != null) {
      id.inFlight = false;
    }
  }

  /**
   * The latest instant the identity is known to have been away (its last drop, or a check after it
   * that found nothing): it can have been back for at most since then.
   */
  Optional<Instant> awaySince(Key key) {
    Identity id = identities.get(key);
    return id == null ? Optional.empty() : Optional.of(id.lastDrop.plus(id.lo));
  }

  /** A drop call made by the watch: it counts against the budgets too. */
  void charge(Key key, Instant now) {
    account.take(now);
    Identity id = identities.get(key);
    if (id != null) {
      id.budget.take(now);
    }
  }

  /** Beebotte answered a watch call 429: slow the watch, before any regular pass. */
  void slowDown(Instant now, Duration pause) {
    Instant until = now.plus(pause);
    if (until.isAfter(pausedUntil)) {
      pausedUntil = until;
    }
    rate = Math.max(0.5, rate / 2);
    account.rate(rate, now);
    lastSlowDown = now;
  }

  /** Stops watching every identity of a policy (deleted, suspended, DryRun, changed). */
  void forgetPolicy(String policyUid) {
    identities.keySet().removeIf(k -> k.policyUid().equals(policyUid));
    learned.keySet().removeIf(k -> k.policyUid().equals(policyUid));
  }

  /** Stops watching one identity (its policy no longer denies it). */
  void forget(Key key) {
    identities.remove(key);
    learned.remove(key);
  }

  // ---- What to do ----

  /**
   * The checks to start now: due, within both budgets, the most dropped identities first. Those due
   * but out of budget are moved to when budget is back.
   */
  List<Key> due(Instant now) {
    recover(now);
    if (now.isBefore(pausedUntil)) {
      return List.of();
    }
    List<Identity> ready = readyAt(now);
    // The most active offenders first, yet none starves: every second overdue counts as much as
    // doubling its drops.
    ready.sort(Comparator.comparingDouble((Identity id) -> -priority(id, now)));
    List<Key> out = new ArrayList<>();
    for (Identity id : ready) {
      if (account.available(now) >= 1 && id.budget.available(now) >= 1) {
        account.take(now);
        id.budget.take(now);
        id.inFlight = true;
        id.waitingSince = null;
        out.add(id.key);
      } else {
        waitForBudget(id, now);
      }
    }
    return out;
  }

  /**
   * The identities whose look is due at {@code now}. Those found back whose drop never came leave
   * the watch: the regular passes take over.
   */
  private List<Identity> readyAt(Instant now) {
    List<Identity> ready = new ArrayList<>();
    List<Identity> undropped = new ArrayList<>();
    for (Identity id : identities.values()) {
      Instant at = id.nextCheckAt();
      if (!id.inFlight && at != null && !at.isAfter(now)) {
        (id.awaitingDrop ? undropped : ready).add(id);
      }
    }
    undropped.forEach(this::leave);
    return ready;
  }

  /** Out of budget: try again when a call's worth is back for both (its wait still counts). */
  private void waitForBudget(Identity id, Instant now) {
    if (id.waitingSince == null) {
      id.waitingSince = id.nextCheckAt();
    }
    Duration meant = id.next;
    Instant later = max(account.whenAvailable(now), id.budget.whenAvailable(now));
    id.next = Duration.between(id.lastDrop, later);
    if (id.afterProbe != null) {
      // A late early look teaches nothing: skip it, look at the target (or as soon as
      // budget allows).
      meant = id.afterProbe;
      id.next = id.afterProbe.compareTo(id.next) > 0 ? id.afterProbe : id.next;
      id.afterProbe = null;
    }
    if (id.planned == null) {
      id.planned = meant;
    }
    if (id.next.compareTo(id.interval) > 0) {
      // Budget would push the look past the policy's interval: the regular passes take over.
      leave(id);
    }
  }

  /**
   * The look to make now when one call can show the whole account (a small account): every identity
   * due now shares one call of the account's budget (the look is about no one identity, so no
   * identity's own budget pays it); every other identity watched and not in flight rides along, so
   * a device back before its own look is dropped with the others. Identities dropped together come
   * back together, so from then on one look serves them all: a return costs its drop and a share of
   * a look instead of a look and a drop. Null when nothing is due or the account's budget is spent
   * (those due wait for it, as in {@link #due}).
   */
  SharedLook dueShared(Instant now) {
    recover(now);
    if (now.isBefore(pausedUntil)) {
      return null;
    }
    List<Identity> ready = readyAt(now);
    if (ready.isEmpty() || gathering(ready, now)) {
      return null;
    }
    if (account.available(now) < 1) {
      ready.forEach(id -> waitForBudget(id, now));
      return null;
    }
    // The look is the account's call, about no one identity: only the account's budget pays it.
    // An identity's own budget pays its drops, and leaves it room to look early now and then.
    account.take(now);
    List<Key> due = new ArrayList<>();
    for (Identity id : ready) {
      id.inFlight = true;
      id.waitingSince = null;
      due.add(id.key);
    }
    List<Key> glimpsed = new ArrayList<>();
    for (Identity id : identities.values()) {
      if (!id.inFlight && !id.awaitingDrop && id.lastDrop != null) {
        id.inFlight = true;
        glimpsed.add(id.key);
      }
    }
    return new SharedLook(due, glimpsed);
  }

  /**
   * Whether the shared look due now waits a moment for identities due just after it ({@link
   * #GATHER}), so that they are looked at, found and dropped together, and come back together: two
   * devices with the same reconnect delay that a little jitter parted would otherwise each cost a
   * look from then on. A look waits once, at most {@link #GATHER}.
   */
  private boolean gathering(List<Identity> ready, Instant now) {
    if (gatheredUntil != null) {
      if (now.isBefore(gatheredUntil)) {
        return true;
      }
      gatheredUntil = null;
      for (Identity id : ready) {
        if (id.planned == null) {
          // Judged where it was meant to be looked at, as a look that waited for budget is.
          id.planned = id.next;
        }
      }
      return false;
    }
    Instant first = null;
    for (Identity id : ready) {
      Instant at = id.nextCheckAt();
      first = first == null || at.isBefore(first) ? at : first;
    }
    Instant last = null;
    for (Identity id : identities.values()) {
      Instant at = id.nextCheckAt();
      if (!id.inFlight
          && !id.awaitingDrop
          && at != null
          && at.isAfter(now)
          && !at.isAfter(first.plus(joinWithin(id, ready)))
          && (last == null || at.isAfter(last))) {
        last = at;
      }
    }
    gatheredUntil = last;
    return last != null;
  }

  /**
   * How long after the first due look {@code id} may be due and still join it. {@link #GATHER} for
   * anyone; up to half a cycle for an identity that comes back as quickly as one of those due
   * ({@link #ALIKE}): once dropped together they come back together, a look for both each cycle
   * instead of one each, for one wait of at most half a cycle. Two such devices that once parted (a
   * budget delay, a late return) would otherwise each cost a look forever, since the same cycle
   * keeps the same gap between them.
   */
  private static Duration joinWithin(Identity id, List<Identity> ready) {
    Duration within = GATHER;
    if (id.target == null) {
      return within;
    }
    for (Identity r : ready) {
      if (r.target != null && r.target.minus(id.target).abs().compareTo(ALIKE) <= 0) {
        Duration half = r.target.dividedBy(2);
        within = half.compareTo(within) > 0 ? half : within;
      }
    }
    return within;
  }

  /** When {@link #due} may next return something; null when nothing is watched. */
  Instant nextWakeup(Instant now) {
    Instant earliest = null;
    for (Identity id : identities.values()) {
      Instant at = id.nextCheckAt();
      if (!id.inFlight && at != null && (earliest == null || at.isBefore(earliest))) {
        earliest = at;
      }
    }
    if (earliest != null && earliest.isBefore(pausedUntil)) {
      earliest = pausedUntil;
    }
    if (earliest != null && gatheredUntil != null && earliest.isBefore(gatheredUntil)) {
      earliest = gatheredUntil;
    }
    return earliest;
  }

  /** The identity's typical reconnect delay as learned so far. */
  Optional<Duration> delay(Key key) {
    Identity id = identities.get(key);
    return Optional.ofNullable(id != null ? id.target : learned.get(key));
  }

  boolean watching(Key key) {
    return identities.containsKey(key);
  }

  int size() {
    return identities.size();
  }

  double rate() {
    return rate;
  }

  private static double priority(Identity id, Instant now) {
    Instant due = id.waitingSince != null ? id.waitingSince : id.nextCheckAt();
    double overdue = Duration.between(due, now).toNanos() / 1e9;
    return overdue + Math.log(1 + id.timesDropped) / Math.log(2);
  }

  private void recover(Instant now) {
    if (rate < settings.callsPerSecond()
        && !now.isBefore(lastSlowDown.plus(RECOVERY_STEP))
        && !now.isBefore(pausedUntil)) {
      rate = Math.min(settings.callsPerSecond(), rate * 1.5);
      account.rate(rate, now);
      lastSlowDown = now;
    }
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** A token bucket; may go one call into debt for a drop that must not wait. */
  private static final class Bucket {
    private double rate;
    private final double burst;
    private double tokens;
    private Instant at;

    /**
     * @param initial tokens at the start (fewer than the burst: a new bucket has saved nothing up)
     */
    Bucket(double rate, double burst, double initial, Instant now) {
      this.rate = rate;
      this.burst = burst;
      this.tokens = initial;
      this.at = now;
    }

    void rate(double rate, Instant now) {
      refill(now);
      this.rate = rate;
    }

    double available(Instant now) {
      refill(now);
      return tokens;
    }

    void take(Instant now) {
      take(now, 1);
    }

    void take(Instant now, double calls) {
      refill(now);
      tokens = Math.max(-1, tokens - calls);
    }

    Instant whenAvailable(Instant now) {
      refill(now);
      if (tokens >= 1) {
        return now;
      }
      long nanos = (long) Math.ceil((1 - tokens) / rate * 1e9);
      return now.plusNanos(nanos);
    }

    private void refill(Instant now) {
      if (now.isAfter(at)) {
        tokens = Math.min(burst, tokens + Duration.between(at, now).toNanos() / 1e9 * rate);
        at = now;
      }
    }
  }
}
