package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.ConnectionListing;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.DropPlanner;
import io.cpol.live.AccountListing;
import io.cpol.live.ListingSink;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.reconciler.LastListing.Listing;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * Enforces every policy of one Beebotte account, coordinating its parts: {@link PassSchedule} says
 * when policies are due, one listing per pass feeds {@link AccountPass} (one evaluation of every
 * connection against all the account's policies, one joint drop plan by {@link DropPlanner}), and
 * {@link DropCalls} makes the calls with bounded concurrency under the account's {@link
 * AccountThrottle}; {@link PassEndings} decides what each due policy is told (one {@link
 * PassOutcome}, published through {@link PassReports}) and when it is next due.
 *
 * <p>A new or changed policy is due at once and acts on a listing at most {@link
 * EngineSettings#freshListing()} old. Before every drop call the policy it is made for must still
 * exist with the same generation, so deleting, suspending, switching to DryRun or changing a policy
 * stops its drops within the calls already in flight. Every wake-up and pass runs through {@link
 * TaskGuard}: whatever it throws, the due policies back off (1 s, doubling, at most min(interval,
 * {@link EngineSettings#failureRetryCap()})).
 *
 * <p>An account is first one credential lane (endpoint + credentials); lanes whose listings show
 * the same owner are merged into one engine by {@link AccountEngines}: one listing for all, while
 * each policy's drops are still made with its own credentials. Which lanes and policies the engine
 * has, and handing them over, is {@link AccountMembers}, kept under the engine's one lock.
 */
final class AccountEngine implements AccountWatch.Account {
  /** Where an engine's account membership is decided (merging lanes of one owner, splitting). */
  interface Owners {
    /**
     * A listing showed {@code owner}: true when another engine enforces that owner's account and
     * {@code engine} handed its policies over (it then drops nothing).
     */
    boolean yieldsToOwner(AccountEngine engine, String owner);

    /** The engine's listing credentials stopped working: its other lanes go their own way. */
    void split(AccountEngine engine);

    /** A pass ended; {@code empty}: the engine has no policy left. */
    void passFinished(AccountEngine engine, boolean empty);
  }

  private final String endpoint;
  private final EngineRuntime runtime;
  private final EngineSettings settings;
  private final PolicyDirectory directory;
  private final PassReports reports;
  private final Owners owners;
  private final ListingSink listings;
  private final AccountThrottle throttle;
  private final AccountWatch watch;
  private final DropCalls dropCalls;
  private final DropTurns turns = new DropTurns();
  private final LastListing lastListing;
  private final PassEndings endings;
  private final WakeUp wakeUp;
  private final Object lock = new Object();

  // Guarded by lock: register and unregister change the members and the schedule under the same
  // lock a pass takes its work, sets its policies' schedule and ends under.
  private final PassSchedule schedule;
  private final AccountMembers members;
  private boolean running;

  AccountEngine(
      String endpoint,
      EngineRuntime runtime,
      EngineSettings settings,
      PolicyDirectory directory,
      PassReports reports,
      Owners owners,
      ListingSink listings) {
    this.endpoint = endpoint;
    this.listings = listings;
    this.runtime = runtime;
    this.settings = settings;
    this.directory = directory;
    this.reports = reports;
    this.owners = owners;
    this.schedule = new PassSchedule(settings.failureRetryCap());
    this.members = new AccountMembers(schedule, listings, this);
    this.lastListing = new LastListing(settings.freshListing());
    this.endings = new PassEndings(endpoint, settings.failureRetryCap());
    this.wakeUp = new WakeUp(runtime, "account " + endpoint + ": wake-up", this::startPass);
    this.throttle = new AccountThrottle(settings.failureRetryCap());
    this.watch = new AccountWatch(this, runtime, settings, directory, reports);
    this.dropCalls =
        new DropCalls(
            runtime.calls(),
            runtime.clock(),
            settings,
            directory,
            throttle,
            reports.metrics(),
            (r, call, drops, landed, awaySince) -> {
              watch.counted(r, call, drops, landed, awaySince);
              // This worker's next call waits until these drops are stored: a crash loses at most
              // the calls in flight (StoredCounts).
              reports.awaitStored(r.ref());
            });
  }

  @Override
  public PolicyRegistration registration(String uid) {
    synchronized (lock) {
      return members.registration(uid);
    }
  }

  @Override
  public Lane lane(AccountKey key) {
    synchronized (lock) {
      return members.lane(key);
    }
  }

  /** Whether the watch must wait: the account is paused (a pass's drops: {@link #turns()}). */
  @Override
  public boolean busy(Instant now) {
    synchronized (lock) {
      return throttle.paused(now);
    }
  }

  @Override
  public DropTurns turns() {
    return turns;
  }

  @Override
  public int listedConnections() {
    return lastListing.size();
  }

  String endpoint() {
    return endpoint;
  }

  /**
   * Adds or replaces a policy; a new or changed one is due now. Returns the lanes no policy uses
   * any more (the caller closes them).
   *
   * @param lane the registration's lane when this engine does not have it yet, else null
   */
  List<Lane> register(PolicyRegistration registration, Lane lane) {
    synchronized (lock) {
      Instant now = runtime.clock().instant();
      AccountMembers.Registered registered = members.register(registration, lane, now);
      if (registered.changed()) {
        // A changed policy may no longer deny what it dropped: its watch ends at once.
        watch.forgetPolicy(registration.ref().uid());
        scheduleLocked(now.plus(settings.coalesce()));
      }
      return registered.unused();
    }
  }

  /** Removes a policy; returns the lanes no policy uses any more (the caller closes them). */
  List<Lane> unregister(String uid) {
    watch.forgetPolicy(uid);
    synchronized (lock) {
      return members.unregister(uid);
    }
  }

  boolean isEmpty() {
    synchronized (lock) {
      return members.isEmpty();
    }
  }

  boolean running() {
    synchronized (lock) {
      return running;
    }
  }

  private boolean retired() {
    synchronized (lock) {
      return members.retired();
    }
  }

  /**
   * Hands everything over for a merge into another engine and stops this one; called from this
   * engine's own pass (which then ends without dropping anything) or when no pass runs.
   */
  AccountMembers.Handover retireForMerge() {
    synchronized (lock) {
      AccountMembers.Handover handover = members.retireForMerge();
      if (handover != null) {
        wakeUp.stop();
        listings.gone(this);
      }
      return handover;
    }
  }

  void adopt(AccountMembers.Handover handover) {
    synchronized (lock) {
      Instant next = members.adopt(handover);
      if (next != null) {
        scheduleLocked(next);
      }
    }
  }

  /** Splits off every lane but the one this engine lists with, with their policies. */
  List<AccountMembers.Handover> splitOffOtherLanes() {
    synchronized (lock) {
      return members.splitOffOtherLanes(runtime.clock().instant());
    }
  }

  /**
   * Stops for good and closes the clients; a running pass makes no new call and reports nothing.
   */
  void close() {
    watch.close();
    listings.gone(this);
    List<Lane> closing;
    synchronized (lock) {
      closing = members.close();
      wakeUp.stop();
    }
    closing.forEach(Lane::close);
  }

  private void scheduleLocked(Instant at) {
    if (!members.retired()) {
      wakeUp.at(at);
    }
  }

  private void startPass() {
    synchronized (lock) {
      if (running || members.retired()) {
        return;
      }
      running = true;
    }
    try {
      runtime.passes().execute(this::pass);
    } catch (RejectedExecutionException closing) {
      synchronized (lock) {
        running = false;
      }
    }
  }

  /** Everything a pass works on, taken under the lock so registrations can change meanwhile. */
  private record Work(
      Instant start,
      AccountPolicies index,
      List<PassSchedule.Entry> order,
      boolean[] due,
      Listing reusable,
      Lane lister,
      Map<AccountKey, Lane> lanes) {
    List<PolicyRegistration> registrations() {
      return order.stream().map(e -> e.registration).toList();
    }
  }

  private void pass() {
    Work[] work = {null};
    Instant[] nextAt = {null};
    TaskGuard.run(
        "account " + this + ": pass",
        () -> {
          work[0] = takeWork();
          if (work[0] != null) {
            nextAt[0] = run(work[0]);
          }
        },
        t -> failedUnexpectedly(work[0], t));
    TaskGuard.run(
        "account " + this + ": end of a pass",
        () -> finishPass(nextAt[0]),
        t -> {
          synchronized (lock) {
            running = false;
            scheduleLocked(runtime.clock().instant().plus(PassSchedule.FIRST_BACKOFF));
          }
        });
  }

  /** A bug in a pass must not stop the account, nor spin it: the due policies back off. */
  private void failedUnexpectedly(Work work, Throwable t) {
    Instant now = runtime.clock().instant();
    PassEndings.Failure failure;
    synchronized (lock) {
      failure =
          work == null
              ? PassEndings.failedUnexpectedly(t, null, null, schedule.entries(), now)
              : PassEndings.failedUnexpectedly(t, work.order(), work.due(), List.of(), now);
      failure.failing().forEach(retry -> schedule.failed(retry.entry(), now, retry.notBefore()));
    }
    if (!retired()) {
      failure
          .failing()
          .forEach(
              retry ->
                  publishFailure(
                      retry.entry().registration, now, failure.reason(), failure.message()));
    }
  }

  private Work takeWork() {
    synchronized (lock) {
      Instant now = runtime.clock().instant();
      schedule.removeIf(ref -> !directory.exists(ref));
      if (schedule.isEmpty()) {
        return null;
      }
      if (throttle.paused(now)) {
        scheduleLocked(throttle.pausedUntil());
        return null;
      }
      PassSchedule.Due due = schedule.due(now);
      if (due == null) {
        scheduleLocked(schedule.next());
        return null;
      }
      // A sync at its interval lists afresh; only policies just applied or changed share a
      // listing made a moment ago (so a batch applied together costs one listing).
      Listing reusable = due.allFresh() ? lastListing.reusable(now) : null;
      return new Work(
          now, due.policies(), due.order(), due.due(), reusable, members.lister(), members.lanes());
    }
  }

  private void finishPass(Instant nextAt) {
    boolean empty;
    synchronized (lock) {
      running = false;
      empty = schedule.isEmpty();
      if (!empty) {
        Instant next = schedule.wakeUp(nextAt, throttle.pausedUntil());
        if (next != null) {
          scheduleLocked(next);
        }
      }
    }
    owners.passFinished(this, empty);
  }

  /** Runs one pass; returns when the account needs the next one earlier than policies are due. */
  private Instant run(Work work) {
    Instant started = runtime.clock().instant();
    Listing current;
    if (work.reusable() != null) {
      current = work.reusable();
      reports.metrics().listing("reused");
    } else {
      try {
        ConnectionListing listed = work.lister().lister().list(ConnectionFilter.all());
        throttle.succeeded();
        current = new Listing(listed.connections(), work.start(), listed.skipped());
        reports.metrics().listing("fetched");
        if (owners.yieldsToOwner(this, AccountLanes.ownerOf(current.connections()))) {
          // Another engine already enforces this owner's account with other credentials: this
          // one handed its policies over and drops nothing, so no session is dropped twice.
          return null;
        }
      } catch (BeebotteException e) {
        reports.metrics().listing("failed");
        return listingFailed(work, e);
      }
    }
    if (retired()) {
      // Closed while listing: nothing more to do or to tell.
      return null;
    }
    // The watch and this pass take turns (DropTurns): from here until the calls end no watch
    // check runs, so every session the watch closed since the listing is known and taken out, and
    // a session is dropped and counted once, by the pass or by the watch.
    turns.passDropping();
    AccountPass pass;
    DropCalls.Results results;
    try {
      current = lastListing.listed(current, watch.closedSince(current.listedAt()));

      pass =
          AccountPass.run(
              work.index(), current.connections(), work.due(), runtime.clock().instant());

      results =
          dropCalls.run(
              new DropCalls.Batch(
                  pass.plan().calls(),
                  work.registrations(),
                  work.lanes(),
                  current.listedAt(),
                  endings.shortestInterval(work.order()),
                  () -> progress(work),
                  this::retired));
    } finally {
      turns.passEnded();
    }
    Listing left = lastListing.closed(current, results.closed);
    if (retired()) {
      return null;
    }
    listings.listed(
        this,
        new AccountListing(
            endpoint,
            AccountLanes.ownerOf(left.connections()),
            left.connections(),
            left.listedAt(),
            AccountMembers.listed(work.registrations())));

    Instant retryAt = synced(work, pass, results, current);
    // Drops made for a policy that changed or was deleted meanwhile still reach its status (its
    // reconcile writes what its new generation says, with these counts).
    progress(work);
    reports.passSynced(
        this,
        Duration.between(started, runtime.clock().instant()),
        current.connections().size(),
        pass.plan().calls().size(),
        results.closed.size());
    return retryAt;
  }

  /**
   * Tells each due policy that still exists its outcome and when it is next due ({@link
   * PassEndings}); returns when the account's pause ends if some drops wait for it, else null.
   */
  private Instant synced(Work work, AccountPass pass, DropCalls.Results results, Listing current) {
    PassOutcomes.Inputs inputs =
        PassEndings.inputs(work.order(), work.due(), pass, results, current);
    List<PassEndings.Synced> synced =
        endings.synced(
            work.order(),
            work.due(),
            inputs,
            results.postponed,
            work.start(),
            runtime.clock().instant(),
            throttle.pausedUntil());
    Instant retryAt = null;
    for (PassEndings.Synced s : synced) {
      PolicyRegistration r = s.registration();
      Optional<ConnectionPolicy> live = directory.current(r.ref(), r.generation());
      if (live.isEmpty()) {
        continue;
      }
      synchronized (lock) {
        PassSchedule.synced(s.entry(), s.nextDueAt());
      }
      reports.published(live.get(), r, s.outcome());
      retryAt = PassEndings.earlier(retryAt, s.resumeAt());
    }
    return retryAt;
  }

  private void progress(Work work) {
    for (int p = 0; p < work.order().size(); p++) {
      if (work.due()[p]) {
        reports.progress(work.order().get(p).ref());
      }
    }
  }

  private Instant listingFailed(Work work, BeebotteException e) {
    Instant now = runtime.clock().instant();
    Instant pausedUntil =
        AccountThrottle.slowsDown(e)
            ? throttle.failed(e, now, endings.shortestInterval(work.order()))
            : now;
    PassEndings.Failure failure =
        endings.listingFailed(
            e,
            work.order(),
            work.due(),
            work.lister().key(),
            work.lanes().size(),
            now,
            pausedUntil);
    if (failure.split()) {
      // These credentials stopped working: the other lanes list with their own again.
      owners.split(this);
    }
    Instant retryAt = null;
    for (PassEndings.Retry retry : failure.failing()) {
      Instant at;
      synchronized (lock) {
        at = schedule.failed(retry.entry(), now, retry.notBefore());
      }
      retryAt = PassEndings.earlier(retryAt, at);
      publishFailure(retry.entry().registration, now, failure.reason(), failure.message());
    }
    reports.metrics().sync(Duration.between(work.start(), now), failure.reason().name());
    return retryAt;
  }

  /**
   * Publishes a failed pass for {@code r}, unless its generation is gone meanwhile: the one place a
   * pass's failure message leaves the engine.
   */
  private void publishFailure(PolicyRegistration r, Instant now, Reason reason, String message) {
    directory
        .current(r.ref(), r.generation())
        .ifPresent(
            live ->
                reports.published(
                    live, r, PassOutcome.failed(r.generation(), now, reason, message)));
  }

  void owner(String owner) {
    synchronized (lock) {
      members.owner(owner);
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      String owner = members.owner();
      return endpoint + (owner == null ? "" : " (" + owner + ")");
    }
  }
}
