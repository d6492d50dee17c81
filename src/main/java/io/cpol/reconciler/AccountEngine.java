package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.ConnectionListing;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Protocol;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.DropPlanner;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.DropRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces every policy of one Beebotte account: one listing per pass, one evaluation of every
 * connection against all the account's policies ({@link AccountPolicies}), one joint drop plan
 * ({@link DropPlanner}) made with bounded concurrency under one shared back-off, and one {@link
 * PassOutcome} per policy synced.
 *
 * <p>Each policy keeps its own interval: a pass syncs the policies that are due (within a small
 * slack, so policies with the same interval always share a pass), and a new or changed policy is
 * due at once and acts on a listing at most {@link EngineSettings#freshListing()} old. Before every
 * drop call the engine checks that the policy it is made for still exists with the same generation,
 * so deleting, suspending, switching to DryRun or changing a policy stops its drops within the
 * calls already in flight.
 *
 * <p>An account is first one credential lane (endpoint + credentials); lanes whose listings show
 * the same owner are merged into one engine by {@link AccountEngines}: one listing for all, while
 * each policy's drops are still made with its own credentials.
 */
final class AccountEngine {
  private static final Logger log = LoggerFactory.getLogger(AccountEngine.class);

  private final AccountEngines registry;
  private final String endpoint;
  private final Object lock = new Object();
  private final Map<AccountKey, Lane> lanes = new LinkedHashMap<>();
  private final Map<String, Entry> entries = new HashMap<>();
  private final AccountThrottle throttle;
  private final AccountWatch watch;

  // Guarded by lock.
  private AccountPolicies index;
  private List<Entry> indexed;
  private Listing listing;
  private String owner;
  private boolean running;
  private boolean dropping;
  private boolean retired;
  private ScheduledFuture<?> timer;
  private Instant timerAt;

  AccountEngine(AccountEngines registry, String endpoint) {
    this.registry = registry;
    this.endpoint = endpoint;
    this.throttle = new AccountThrottle(registry.settings().failureRetryCap());
    this.watch = new AccountWatch(registry, this);
  }

  // ---- For the reconnect watch ----

  /** The registration of a policy this engine enforces, or null. */
  PolicyRegistration registration(String uid) {
    synchronized (lock) {
      Entry e = entries.get(uid);
      return e == null ? null : e.registration;
    }
  }

  Lane lane(AccountKey key) {
    synchronized (lock) {
      return lanes.get(key);
    }
  }

  /** Whether the watch must wait: the account is paused, or a pass is making its drop calls. */
  boolean busy(Instant now) {
    synchronized (lock) {
      return dropping || throttle.paused(now);
    }
  }

  /**
   * The clients of one credential lane: listings (retried by the client), drops (the account's
   * back-off instead) and the reconnect watch (its own metric labels).
   */
  record Lane(
      AccountKey key,
      Credentials credentials,
      BeebotteClient lister,
      BeebotteClient caller,
      BeebotteClient watcher) {
    void close() {
      lister.close();
      caller.close();
      watcher.close();
    }
  }

  /** One registered policy and when it is due. */
  private static final class Entry {
    final PolicyRegistration registration;
    Instant nextDueAt;

    /** New or changed and not synced yet: may act on a listing up to freshListing old. */
    boolean fresh = true;

    Entry(PolicyRegistration registration, Instant nextDueAt) {
      this.registration = registration;
      this.nextDueAt = nextDueAt;
    }

    PolicyRef ref() {
      return registration.ref();
    }
  }

  /** The last successful listing, without what drops have closed since. */
  private record Listing(List<Connection> connections, Instant listedAt, int skipped) {}

  String endpoint() {
    return endpoint;
  }

  // ---- Registration (called by AccountEngines under its lock) ----

  /**
   * Adds or replaces a policy; a new or changed one is due now. Returns the lanes no policy uses
   * any more (the caller closes them).
   *
   * @param lane the registration's lane when this engine does not have it yet, else null
   */
  List<Lane> register(PolicyRegistration registration, Lane lane) {
    synchronized (lock) {
      if (lane != null) {
        lanes.putIfAbsent(lane.key(), lane);
      }
      if (!lanes.containsKey(registration.lane())) {
        throw new IllegalStateException("no lane " + registration.lane() + " in " + this);
      }
      Entry old = entries.get(registration.ref().uid());
      if (old == null || !old.registration.sameAs(registration)) {
        // A changed policy may no longer deny what it dropped: its watch ends at once.
        watch.forgetPolicy(registration.ref().uid());
        Instant now = registry.clock().instant();
        entries.put(registration.ref().uid(), new Entry(registration, now));
        index = null;
        scheduleLocked(now.plus(registry.settings().coalesce()));
      }
      return unusedLanesLocked();
    }
  }

  private List<Lane> unusedLanesLocked() {
    List<Lane> unused = new ArrayList<>();
    for (Lane lane : List.copyOf(lanes.values())) {
      boolean used =
          entries.values().stream().anyMatch(e -> e.registration.lane().equals(lane.key()));
      if (!used) {
        lanes.remove(lane.key());
        unused.add(lane);
      }
    }
    return unused;
  }

  /** Removes a policy; returns the lanes no policy uses any more (the caller closes them). */
  List<Lane> unregister(String uid) {
    watch.forgetPolicy(uid);
    synchronized (lock) {
      if (entries.remove(uid) != null) {
        index = null;
      }
      return unusedLanesLocked();
    }
  }

  boolean isEmpty() {
    synchronized (lock) {
      return entries.isEmpty();
    }
  }

  boolean hasLane(AccountKey key) {
    synchronized (lock) {
      return lanes.containsKey(key);
    }
  }

  String owner() {
    synchronized (lock) {
      return owner;
    }
  }

  boolean running() {
    synchronized (lock) {
      return running;
    }
  }

  /**
   * Hands everything over for a merge into another engine and stops this one; called from this
   * engine's own pass (which then ends without dropping anything) or when no pass runs.
   */
  Handover retireForMerge() {
    synchronized (lock) {
      if (retired) {
        return null;
      }
      retired = true;
      cancelTimerLocked();
      Handover handover =
          new Handover(new ArrayList<>(lanes.values()), new ArrayList<>(entries.values()));
      lanes.clear();
      entries.clear();
      return handover;
    }
  }

  /** What a merged engine brings: its lanes and its policies, with their schedules. */
  static final class Handover {
    private final List<Lane> lanes;
    private final List<Entry> entries;

    private Handover(List<Lane> lanes, List<Entry> entries) {
      this.lanes = lanes;
      this.entries = entries;
    }

    List<Lane> lanes() {
      return lanes;
    }

    List<PolicyRef> policies() {
      return entries.stream().map(Entry::ref).toList();
    }
  }

  void adopt(Handover handover) {
    synchronized (lock) {
      handover.lanes.forEach(lane -> lanes.putIfAbsent(lane.key(), lane));
      for (Entry entry : handover.entries) {
        entries.putIfAbsent(entry.ref().uid(), entry);
      }
      index = null;
      Instant next =
          entries.values().stream().map(e -> e.nextDueAt).min(Instant::compareTo).orElse(null);
      if (next != null) {
        scheduleLocked(next);
      }
    }
  }

  /** Splits off every lane but the one this engine lists with, with their policies. */
  List<Handover> splitOffOtherLanes() {
    synchronized (lock) {
      AccountKey primary = primaryLaneLocked();
      List<Handover> out = new ArrayList<>();
      for (Lane lane : List.copyOf(lanes.values())) {
        if (lane.key().equals(primary)) {
          continue;
        }
        List<Entry> moving =
            entries.values().stream()
                .filter(e -> e.registration.lane().equals(lane.key()))
                .toList();
        moving.forEach(e -> entries.remove(e.ref().uid()));
        moving.forEach(e -> e.nextDueAt = registry.clock().instant());
        lanes.remove(lane.key());
        out.add(new Handover(List.of(lane), new ArrayList<>(moving)));
      }
      index = null;
      owner = null;
      return out;
    }
  }

  /** Stops for good and closes the clients; a running pass finishes its calls in flight. */
  void close() {
    watch.close();
    List<Lane> closing;
    synchronized (lock) {
      retired = true;
      cancelTimerLocked();
      closing = new ArrayList<>(lanes.values());
      lanes.clear();
      entries.clear();
    }
    closing.forEach(Lane::close);
  }

  // ---- Scheduling ----

  private void scheduleLocked(Instant at) {
    if (retired) {
      return;
    }
    if (timer != null && timerAt != null && !timerAt.isAfter(at)) {
      return;
    }
    cancelTimerLocked();
    timerAt = at;
    timer = registry.schedule(this::startPass, at);
  }

  private void cancelTimerLocked() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
      timerAt = null;
    }
  }

  private void startPass() {
    synchronized (lock) {
      timer = null;
      timerAt = null;
      if (running || retired) {
        return;
      }
      running = true;
    }
    registry.runPass(this::pass);
  }

  // ---- The pass ----

  /** Everything a pass works on, taken under the lock so registrations can change meanwhile. */
  private record Work(
      Instant start,
      AccountPolicies index,
      List<Entry> order,
      boolean[] due,
      Listing reusable,
      Lane lister,
      Map<AccountKey, Lane> lanes) {}

  private void pass() {
    Work work = null;
    Instant nextAt = null;
    try {
      work = takeWork();
      if (work != null) {
        nextAt = run(work);
      }
    } catch (RuntimeException | Error e) {
      // A bug in a pass must not stop the account: report it and try again soon.
      log.error("account {}: pass failed unexpectedly", this, e);
      if (work != null) {
        publishFailure(work, Reason.ReconcileError, "the operator failed unexpectedly: " + e);
      }
      nextAt = registry.clock().instant().plus(registry.settings().failureRetryCap());
    } finally {
      finishPass(nextAt);
    }
  }

  private Work takeWork() {
    synchronized (lock) {
      Instant now = registry.clock().instant();
      entries.values().removeIf(e -> !registry.directory().exists(e.ref()));
      index = entries.isEmpty() ? null : index;
      if (entries.isEmpty()) {
        return null;
      }
      if (throttle.paused(now)) {
        scheduleLocked(throttle.pausedUntil());
        return null;
      }
      if (index == null) {
        indexed = new ArrayList<>(entries.values());
        indexed.sort((a, b) -> a.ref().compareTo(b.ref()));
        index = new AccountPolicies(indexed.stream().map(e -> e.registration.rules()).toList());
      }
      boolean[] due = new boolean[indexed.size()];
      boolean anyDue = false;
      Set<Duration> dueIntervals = new HashSet<>();
      for (int p = 0; p < indexed.size(); p++) {
        Entry e = indexed.get(p);
        due[p] = !e.nextDueAt.isAfter(now.plus(slack(e)));
        anyDue |= due[p];
        if (due[p]) {
          dueIntervals.add(e.registration.interval());
        }
      }
      // Policies with the same interval share passes: one due within half an interval joins this
      // pass (once: from then on they are due together), so their account is listed once per
      // interval, not once per policy phase.
      boolean allFresh = true;
      for (int p = 0; p < indexed.size(); p++) {
        Entry e = indexed.get(p);
        Duration interval = e.registration.interval();
        if (!due[p]
            && dueIntervals.contains(interval)
            && !e.nextDueAt.isAfter(now.plus(interval.dividedBy(2)))) {
          due[p] = true;
        }
        allFresh &= !due[p] || e.fresh;
      }
      if (!anyDue) {
        scheduleLocked(nextDueLocked());
        return null;
      }
      // A sync at its interval lists afresh; only policies just applied or changed share a
      // listing made a moment ago (so a batch applied together costs one listing).
      Listing reusable =
          allFresh
                  && listing != null
                  && !now.isAfter(listing.listedAt().plus(registry.settings().freshListing()))
              ? listing
              : null;
      return new Work(
          now,
          index,
          List.copyOf(indexed),
          due,
          reusable,
          lanes.get(primaryLaneLocked()),
          Map.copyOf(lanes));
    }
  }

  /** Policies due this soon after a pass are synced in it: same-interval policies stay together. */
  private static Duration slack(Entry e) {
    Duration tenth = e.registration.interval().dividedBy(10);
    Duration second = Duration.ofSeconds(1);
    return tenth.compareTo(second) < 0 ? tenth : second;
  }

  private Instant nextDueLocked() {
    return entries.values().stream().map(e -> e.nextDueAt).min(Instant::compareTo).orElse(null);
  }

  private AccountKey primaryLaneLocked() {
    // The lane of the first policy in account order: stable while that policy stays.
    return entries.values().stream()
        .map(Entry::ref)
        .sorted()
        .findFirst()
        .map(ref -> entries.get(ref.uid()).registration.lane())
        .orElseGet(() -> lanes.keySet().iterator().next());
  }

  private void finishPass(Instant nextAt) {
    boolean empty;
    synchronized (lock) {
      running = false;
      empty = entries.isEmpty();
      if (!empty) {
        Instant next = nextDueLocked();
        if (nextAt != null && (next == null || nextAt.isBefore(next))) {
          next = nextAt;
        }
        // While the account is paused nothing may start: wake up when the pause ends.
        if (next != null && throttle.pausedUntil().isAfter(next)) {
          next = throttle.pausedUntil();
        }
        if (next != null) {
          scheduleLocked(next);
        }
      }
    }
    registry.passFinished(this, empty);
  }

  /** Runs one pass; returns when the account needs the next one earlier than policies are due. */
  private Instant run(Work work) {
    Instant started = registry.clock().instant();
    Listing current;
    if (work.reusable() != null) {
      current = work.reusable();
      registry.metrics().listing("reused");
    } else {
      try {
        ConnectionListing listed = work.lister().lister().list(ConnectionFilter.all());
        throttle.succeeded();
        current = new Listing(listed.connections(), work.start(), listed.skipped());
        registry.metrics().listing("fetched");
        if (registry.yieldsToOwner(this, ownerOf(current.connections()))) {
          // Another engine already enforces this owner's account with other credentials: this
          // one handed its policies over and drops nothing, so no session is dropped twice.
          return null;
        }
      } catch (BeebotteException e) {
        registry.metrics().listing("failed");
        return listingFailed(work, e);
      }
    }
    Set<String> closedByWatch = watch.closedSince(current.listedAt());
    if (!closedByWatch.isEmpty()) {
      current =
          new Listing(
              current.connections().stream()
                  .filter(c -> !closedByWatch.contains(c.userid() + "\n" + c.sid()))
                  .toList(),
              current.listedAt(),
              current.skipped());
    }
    synchronized (lock) {
      listing = current;
    }

    // Evaluate the due policies, plan the drops of the enforcing ones.
    Instant now = registry.clock().instant();
    boolean[] skipped = new boolean[work.due().length];
    List<DropPlanner.Participant> participants = new ArrayList<>();
    for (int p = 0; p < skipped.length; p++) {
      skipped[p] = !work.due()[p];
      PolicyRegistration r = work.order().get(p).registration;
      if (work.due()[p] && !r.dryRun()) {
        participants.add(new DropPlanner.Participant(p, r.rules().maxDropsPerSync()));
      }
    }
    AccountEvaluation evaluation = work.index().evaluate(current.connections(), now, skipped);
    DropPlan plan = DropPlanner.plan(evaluation, participants, now);

    // Drop.
    synchronized (lock) {
      dropping = !plan.calls().isEmpty();
    }
    CallResults results;
    try {
      results = execute(work, plan, current.listedAt());
    } finally {
      synchronized (lock) {
        dropping = false;
      }
    }
    if (!results.closed.isEmpty()) {
      removeClosed(current, results.closed);
    }

    // Record.
    int reportLimit = 0;
    for (int p = 0; p < work.order().size(); p++) {
      if (work.due()[p]) {
        reportLimit =
            Math.max(reportLimit, work.order().get(p).registration.rules().connectionsLimit());
      }
    }
    PassOutcomes.Inputs inputs =
        new PassOutcomes.Inputs(
            evaluation,
            plan,
            results.closed,
            results.byCall,
            SessionReports.head(current.connections(), reportLimit),
            current.listedAt(),
            current.skipped());
    Instant finished = registry.clock().instant();
    Instant retryAt = null;
    for (int p = 0; p < work.order().size(); p++) {
      if (!work.due()[p]) {
        continue;
      }
      Entry entry = work.order().get(p);
      PolicyRegistration r = entry.registration;
      Optional<ConnectionPolicy> live = registry.directory().current(r.ref(), r.generation());
      if (live.isEmpty()) {
        continue;
      }
      PassOutcome outcome = PassOutcomes.of(inputs, p, r, finished);
      Duration wait = r.interval();
      if (results.postponed[p] > 0) {
        // Beebotte asked to slow down: the rest of this policy's drops wait for the pause to end.
        Instant resume = throttle.pausedUntil();
        wait = Duration.between(work.start(), resume);
        retryAt = retryAt == null || resume.isBefore(retryAt) ? resume : retryAt;
      }
      synchronized (lock) {
        entry.nextDueAt = work.start().plus(wait);
        entry.fresh = false;
      }
      registry.published(live.get(), r, outcome);
    }
    for (int p = 0; p < work.order().size(); p++) {
      if (work.due()[p]) {
        // Drops made for a policy that changed or was deleted meanwhile still reach its status
        // (its reconcile writes what its new generation says, with these counts).
        registry.progress(work.order().get(p).ref());
      }
    }
    registry.metrics().sync(Duration.between(started, registry.clock().instant()), "success");
    if (plan.calls().size() > 0) {
      log.info(
          "account {}: {} connections, {} drop calls, {} sessions closed, in {} ms",
          this,
          current.connections().size(),
          plan.calls().size(),
          results.closed.size(),
          Duration.between(started, registry.clock().instant()).toMillis());
    }
    return retryAt;
  }

  private Instant listingFailed(Work work, BeebotteException e) {
    Instant now = registry.clock().instant();
    boolean authentication = e.kind() == BeebotteException.Kind.AUTHENTICATION;
    Reason reason = authentication ? Reason.AuthenticationFailed : Reason.BeebotteUnavailable;
    String message =
        "listing connections at " + endpoint + " failed: " + ConnectionPolicyReconciler.describe(e);
    Instant pausedUntil =
        AccountThrottle.slowsDown(e) ? throttle.failed(e, now, shortestInterval(work)) : now;
    if (authentication && work.lanes().size() > 1) {
      // These credentials stopped working: the other lanes list with their own again.
      registry.split(this);
    }
    Instant retryAt = null;
    for (int p = 0; p < work.order().size(); p++) {
      Entry entry = work.order().get(p);
      PolicyRegistration r = entry.registration;
      if (!work.due()[p] || !r.lane().equals(work.lister().key())) {
        continue;
      }
      // Failures are never remembered longer than the retry: min(interval, cap), or Retry-After.
      Duration retry = min(r.interval(), registry.settings().failureRetryCap());
      Instant at = now.plus(retry);
      if (pausedUntil.isAfter(at)) {
        at = pausedUntil;
      }
      synchronized (lock) {
        entry.nextDueAt = at;
      }
      retryAt = retryAt == null || at.isBefore(retryAt) ? at : retryAt;
      publishFailure(r, now, reason, message);
    }
    registry.metrics().sync(Duration.between(work.start(), now), reason.name());
    return retryAt;
  }

  private void publishFailure(Work work, Reason reason, String message) {
    Instant now = registry.clock().instant();
    for (int p = 0; p < work.order().size(); p++) {
      PolicyRegistration r = work.order().get(p).registration;
      if (work.due()[p]) {
        publishFailure(r, now, reason, message);
      }
    }
  }

  /** Publishes a failed pass for {@code r}, unless its generation is gone meanwhile. */
  private void publishFailure(PolicyRegistration r, Instant now, Reason reason, String message) {
    registry
        .directory()
        .current(r.ref(), r.generation())
        .ifPresent(
            live ->
                registry.published(
                    live, r, PassOutcome.failed(r.generation(), now, reason, message)));
  }

  /** The account name a listing shows, or null when it shows none (an empty account). */
  private static String ownerOf(List<Connection> connections) {
    for (Connection c : connections) {
      if (c.owner() != null && !c.owner().isEmpty()) {
        return c.owner();
      }
    }
    return null;
  }

  void owner(String owner) {
    synchronized (lock) {
      this.owner = owner;
    }
  }

  /** So a pass reusing this listing within a second does not drop or count them again. */
  private void removeClosed(Listing from, Set<Connection> closed) {
    synchronized (lock) {
      if (listing != from) {
        return;
      }
      List<Connection> remaining = new ArrayList<>(from.connections().size());
      for (Connection c : from.connections()) {
        if (!closed.contains(c)) {
          remaining.add(c);
        }
      }
      listing = new Listing(List.copyOf(remaining), from.listedAt(), from.skipped());
    }
  }

  // ---- Drop calls ----

  /** How each planned call ended. */
  enum CallStatus {
    /** Made and answered 2xx. */
    DROPPED,
    /** Made and refused: nothing was closed. */
    REFUSED,
    /** Made but the answer was lost or 5xx: it may or may not have closed the sessions. */
    UNKNOWN,
    /** Not made: Beebotte asked the account to slow down first. */
    POSTPONED,
    /** Not made: its policy was deleted or changed, or a deciding rule expired. */
    CANCELLED,
    /** Not made: re-listing showed the session gone or no longer denied. */
    VERIFIED_AWAY
  }

  /** One call's result. */
  record CallResult(CallStatus status, BeebotteException failure, Connection closedInstead) {}

  private static final class CallResults {
    final CallResult[] byCall;
    final Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    final int[] postponed;

    CallResults(int calls, int policies) {
      byCall = new CallResult[calls];
      postponed = new int[policies];
    }
  }

  private CallResults execute(Work work, DropPlan plan, Instant listedAt) {
    List<PlannedDrop> calls = plan.calls();
    CallResults results = new CallResults(calls.size(), work.order().size());
    if (calls.isEmpty()) {
      return results;
    }
    ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
    for (int k = 0; k < calls.size(); k++) {
      queue.add(k);
    }
    AtomicBoolean stop = new AtomicBoolean();
    int workers = Math.min(registry.settings().dropConcurrency(), calls.size());
    CountDownLatch done = new CountDownLatch(workers);
    for (int w = 0; w < workers; w++) {
      registry.runCall(
          () -> {
            try {
              Integer k;
              while ((k = queue.poll()) != null) {
                PlannedDrop call = calls.get(k);
                CallResult result = stop.get() ? postponed() : call(work, call, stop);
                record(work, call, result, results, listedAt);
                results.byCall[k] = result;
              }
            } finally {
              done.countDown();
            }
          });
    }
    awaitWithProgress(done, work);
    for (int k = 0; k < calls.size(); k++) {
      if (results.byCall[k].status() == CallStatus.POSTPONED) {
        results.postponed[calls.get(k).policy()]++;
      }
    }
    return results;
  }

  private static CallResult postponed() {
    return new CallResult(CallStatus.POSTPONED, null, null);
  }

  /** Waits for the workers, writing the drops made so far to status every so often. */
  private void awaitWithProgress(CountDownLatch done, Work work) {
    long every = registry.settings().progressEvery().toMillis();
    try {
      while (!done.await(every, TimeUnit.MILLISECONDS)) {
        for (int p = 0; p < work.order().size(); p++) {
          if (work.due()[p]) {
            registry.progress(work.order().get(p).ref());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private CallResult call(Work work, PlannedDrop call, AtomicBoolean stop) {
    PolicyRegistration r = work.order().get(call.policy()).registration;
    Instant now = registry.clock().instant();
    if (registry.directory().current(r.ref(), r.generation()).isEmpty()
        || (call.validUntil() != null && !now.isBefore(call.validUntil()))) {
      return new CallResult(CallStatus.CANCELLED, null, null);
    }
    if (throttle.paused(now)) {
      stop.set(true);
      return postponed();
    }
    BeebotteClient client = work.lanes().get(r.lane()).caller();
    Connection closedInstead = null;
    try {
      if (call.verifyFirst()) {
        Optional<Connection> still = stillDenied(client, r.rules(), call, now);
        if (still.isEmpty()) {
          return new CallResult(CallStatus.VERIFIED_AWAY, null, null);
        }
        closedInstead = still.get();
      }
      client.drop(call.target());
      throttle.succeeded();
      return new CallResult(CallStatus.DROPPED, null, closedInstead);
    } catch (BeebotteException e) {
      if (AccountThrottle.slowsDown(e)) {
        throttle.failed(e, registry.clock().instant(), shortestInterval(work));
        stop.set(true);
      }
      boolean ambiguous = e.kind() == BeebotteException.Kind.TRANSIENT && e.httpStatus() != 429;
      return new CallResult(ambiguous ? CallStatus.UNKNOWN : CallStatus.REFUSED, e, null);
    }
  }

  /**
   * Re-lists the MQTT session a verify-first call targets: the call is made only if what is there
   * now is still denied by the call's policy (a device that came back from an allowed address is
   * left alone).
   */
  private Optional<Connection> stillDenied(
      BeebotteClient client, CompiledPolicy rules, PlannedDrop call, Instant now) {
    DropTarget target = call.target();
    List<Connection> there =
        client
            .list(
                ConnectionFilter.session(target.userid(), target.sid()).withProtocol(Protocol.mqtt))
            .connections();
    if (there.size() != 1 || !rules.evaluate(there.get(0), now).denied()) {
      return Optional.empty();
    }
    return Optional.of(there.get(0));
  }

  /** Counts a finished call where it belongs: the closed set, the ledger, the metrics. */
  private void record(
      Work work, PlannedDrop call, CallResult result, CallResults results, Instant listedAt) {
    String protocol =
        call.target().protocol() != null
            ? call.target().protocol().wireName()
            : String.valueOf(call.closes().get(0).protocol());
    switch (result.status()) {
      case DROPPED -> {
        Instant landed = registry.clock().instant();
        List<DropRecord> drops = PassOutcomes.dropRecords(call, result, landed);
        synchronized (results) {
          results.closed.addAll(call.closes());
        }
        watch.counted(work.order().get(call.policy()).registration, call, drops, landed, listedAt);
      }
      case REFUSED -> registry.metrics().drops(protocol, "failure", call.closes().size());
      case UNKNOWN -> registry.metrics().drops(protocol, "unknown", call.closes().size());
      default -> {}
    }
  }

  /** The shortest interval of the pass's policies, capped at the failure retry cap. */
  private Duration shortestInterval(Work work) {
    Duration shortest = registry.settings().failureRetryCap();
    for (Entry e : work.order()) {
      shortest = min(shortest, e.registration.interval());
    }
    return shortest;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return endpoint + (owner == null ? "" : " (" + owner + ")");
    }
  }
}
