package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link AccountEngine} of the operator, and what outlives them: each policy's {@link
 * PolicyLedger} (its counts) and latest {@link PassOutcome}. Routes a registration to the engine of
 * its credential lane, moves it when its credentials or endpoint change, merges engines whose
 * listings show the same owner, and owns the threads engines run on.
 */
final class AccountEngines implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccountEngines.class);

  private final BeebotteClientFactory clients;
  private final EngineRuntime runtime;
  private final Clock clock;
  private final OperatorMetrics metrics;
  private final PolicyEvents events;
  private final EngineSettings settings;

  private volatile PolicyDirectory directory;
  private volatile Consumer<PolicyRef> trigger = ref -> {};

  // Guarded by this.
  private final Map<AccountKey, AccountEngine> byLane = new HashMap<>();
  private final Map<String, AccountEngine> byUid = new HashMap<>();
  private final Map<String, AccountEngine> owners = new HashMap<>();

  private final Map<String, PolicyLedger> ledgers = new ConcurrentHashMap<>();
  private final Map<String, PassOutcome> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Long> progressShown = new ConcurrentHashMap<>();
  private final Map<String, Long> progressAt = new ConcurrentHashMap<>();
  private final Set<String> progressPending = ConcurrentHashMap.newKeySet();

  AccountEngines(
      BeebotteClientFactory clients,
      EngineRuntime runtime,
      OperatorMetrics metrics,
      PolicyEvents events,
      EngineSettings settings) {
    this.clients = clients;
    this.runtime = runtime;
    this.clock = runtime.clock();
    this.metrics = metrics;
    this.events = events;
    this.settings = settings;
  }

  /** Wires the live view of policies and the way to ask for a policy's reconcile. */
  void connect(PolicyDirectory directory, Consumer<PolicyRef> trigger) {
    this.directory = directory;
    this.trigger = trigger;
  }

  // ---- Policies ----

  /** Registers (or re-registers) a policy generation with the engine of its account. */
  synchronized void register(PolicyRegistration registration) {
    String uid = registration.ref().uid();
    AccountEngine target = byLane.get(registration.lane());
    AccountEngine.Lane lane = null;
    if (target == null) {
      target = new AccountEngine(this, registration.lane().endpoint());
      lane = newLane(registration);
      byLane.put(registration.lane(), target);
    }
    AccountEngine current = byUid.get(uid);
    if (current != null && current != target) {
      release(current, current.unregister(uid));
    }
    release(target, target.register(registration, lane));
    byUid.put(uid, target);
  }

  /** Stops enforcing a policy (invalid, suspended, without credentials): its ledger stays. */
  synchronized void unregister(PolicyRef ref) {
    outcomes.remove(ref.uid());
    AccountEngine engine = byUid.remove(ref.uid());
    if (engine != null) {
      release(engine, engine.unregister(ref.uid()));
    }
  }

  /** The uids of every policy something is kept for (ledger, outcome, registration). */
  Set<String> knownPolicies() {
    Set<String> known = new HashSet<>(ledgers.keySet());
    known.addAll(outcomes.keySet());
    known.addAll(progressShown.keySet());
    known.addAll(progressAt.keySet());
    synchronized (this) {
      known.addAll(byUid.keySet());
    }
    return known;
  }

  /** Forgets everything about these policies (they no longer exist). */
  void forgetPolicies(Set<String> goneUids) {
    ledgers.keySet().removeAll(goneUids);
    outcomes.keySet().removeAll(goneUids);
    progressShown.keySet().removeAll(goneUids);
    progressAt.keySet().removeAll(goneUids);
    goneUids.forEach(uid -> unregister(new PolicyRef(uid, "", "")));
  }

  PolicyLedger ledger(PolicyRef ref) {
    return ledgers.computeIfAbsent(ref.uid(), u -> PolicyLedger.seededFrom(null));
  }

  /**
   * The policy's ledger, seeded from {@code status} the first time this process sees the policy,
   * and never below what {@code status} says.
   */
  PolicyLedger ledger(PolicyRef ref, ConnectionPolicyStatus status) {
    PolicyLedger ledger = ledgers.computeIfAbsent(ref.uid(), u -> PolicyLedger.seededFrom(status));
    ledger.atLeast(status);
    return ledger;
  }

  /** The latest pass outcome for this generation of the policy, if any. */
  Optional<PassOutcome> outcome(PolicyRef ref, long generation) {
    return Optional.ofNullable(outcomes.get(ref.uid())).filter(o -> o.generation() == generation);
  }

  // ---- What engines report ----

  /** A pass produced an outcome for a policy that still exists: record it, tell the user. */
  void published(ConnectionPolicy live, PolicyRegistration registration, PassOutcome outcome) {
    outcomes.put(registration.ref().uid(), outcome);
    metrics.policySync(outcome.succeeded() ? "success" : outcome.failure().name());
    if (!outcome.drops().isEmpty()) {
      String summary = DropSummary.describe(outcome.drops());
      log.info("policy {} dropped {}", registration.ref(), summary);
      events.normal(live, "Dropped", "Dropped " + summary);
    }
    progressShown.put(registration.ref().uid(), ledger(registration.ref()).snapshot().version());
    trigger.accept(registration.ref());
  }

  /**
   * Drops were made for a policy outside a pass's outcome (a long pass, the reconnect watch): have
   * them written to status, at most once per {@link EngineSettings#progressEvery()} per policy.
   */
  void progress(PolicyRef ref) {
    long version = ledger(ref).snapshot().version();
    Long shown = progressShown.get(ref.uid());
    if (shown != null && shown == version) {
      return;
    }
    long now = clock.millis();
    long every = settings.progressEvery().toMillis();
    Long last = progressAt.get(ref.uid());
    if (last == null || now - last >= every) {
      progressAt.put(ref.uid(), now);
      progressShown.put(ref.uid(), version);
      trigger.accept(ref);
    } else if (progressPending.add(ref.uid())) {
      schedule(
          () -> {
            progressPending.remove(ref.uid());
            progress(ref);
          },
          last + every - now);
    }
  }

  /** An engine finished a pass: retire it if it has no policy left. */
  synchronized void passFinished(AccountEngine engine, boolean empty) {
    if (empty) {
      retire(engine);
    }
  }

  /**
   * A listing showed {@code owner}: if another engine on the same endpoint already enforces that
   * owner's account (with other credentials: keys and a token of one account), {@code engine} hands
   * its policies and lanes over to it and returns true; otherwise it becomes the owner's engine.
   * One account, one listing per pass, no session dropped twice.
   */
  synchronized boolean yieldsToOwner(AccountEngine engine, String owner) {
    if (owner == null) {
      return false;
    }
    String key = engine.endpoint() + "\n" + owner;
    AccountEngine other = owners.get(key);
    if (other == null || other == engine || !distinctEngines().contains(other)) {
      owners.values().removeIf(e -> e == engine);
      owners.put(key, engine);
      engine.owner(owner);
      return false;
    }
    AccountEngine.Handover handover = engine.retireForMerge();
    if (handover == null) {
      return false;
    }
    log.info(
        "account {}: the credentials of {} more policies list the same owner; one listing for all",
        other,
        handover.policies().size());
    handover.lanes().forEach(lane -> byLane.put(lane.key(), other));
    handover.policies().forEach(ref -> byUid.put(ref.uid(), other));
    other.adopt(handover);
    return true;
  }

  /** A merged engine's listing credentials stopped working: its other lanes go their own way. */
  synchronized void split(AccountEngine engine) {
    owners.values().removeIf(e -> e == engine);
    for (AccountEngine.Handover handover : engine.splitOffOtherLanes()) {
      AccountEngine alone = new AccountEngine(this, engine.endpoint());
      handover.lanes().forEach(lane -> byLane.put(lane.key(), alone));
      handover.policies().forEach(ref -> byUid.put(ref.uid(), alone));
      alone.adopt(handover);
    }
  }

  private void retire(AccountEngine engine) {
    if (!engine.isEmpty()) {
      return;
    }
    byLane.values().removeIf(e -> e == engine);
    byUid.values().removeIf(e -> e == engine);
    owners.values().removeIf(e -> e == engine);
    engine.close();
  }

  private void release(AccountEngine engine, List<AccountEngine.Lane> unused) {
    for (AccountEngine.Lane lane : unused) {
      byLane.remove(lane.key());
      lane.close();
    }
    if (engine.isEmpty() && !engine.running()) {
      retire(engine);
    }
  }

  private List<AccountEngine> distinctEngines() {
    Map<AccountEngine, Boolean> seen = new IdentityHashMap<>();
    byLane.values().forEach(e -> seen.put(e, true));
    return new ArrayList<>(seen.keySet());
  }

  private AccountEngine.Lane newLane(PolicyRegistration registration) {
    String endpoint = registration.lane().endpoint();
    return new AccountEngine.Lane(
        registration.lane(),
        registration.credentials(),
        clients.create(endpoint, registration.credentials(), BeebotteClientFactory.Purpose.LISTING),
        clients.create(endpoint, registration.credentials(), BeebotteClientFactory.Purpose.DROPS),
        clients.create(endpoint, registration.credentials(), BeebotteClientFactory.Purpose.WATCH));
  }

  // ---- For engines ----

  Clock clock() {
    return clock;
  }

  EngineSettings settings() {
    return settings;
  }

  OperatorMetrics metrics() {
    return metrics;
  }

  PolicyDirectory directory() {
    return directory;
  }

  PolicyEvents events() {
    return events;
  }

  ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
    return runtime.timer().schedule(task, delayMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Runs {@code task} at {@code at}, never earlier: a delay cut to whole milliseconds would wake it
   * before it is due, to find nothing to do and wait again for less than a millisecond, at once.
   */
  ScheduledFuture<?> schedule(Runnable task, Instant at) {
    Duration delay = Duration.between(clock.instant(), at);
    long nanos =
        delay.isNegative()
            ? 0
            : delay.getSeconds() >= 86_400L * 365 ? Long.MAX_VALUE : delay.toNanos();
    return runtime.timer().schedule(task, nanos, TimeUnit.NANOSECONDS);
  }

  void runPass(Runnable pass) {
    runtime.passes().execute(pass);
  }

  void runCall(Runnable call) {
    runtime.calls().execute(call);
  }

  @Override
  public void close() {
    List<AccountEngine> all;
    synchronized (this) {
      all = distinctEngines();
      byLane.clear();
      byUid.clear();
    }
    all.forEach(AccountEngine::close);
    runtime.timer().shutdownNow();
    runtime.passes().shutdownNow();
    runtime.calls().shutdownNow();
  }
}
