package io.cpol.reconciler;

import io.cpol.live.ListingSink;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link AccountEngine} of the operator: routes a registration to the engine of its
 * credential lane, moves it when its credentials or endpoint change, merges engines whose listings
 * show the same owner ({@link AccountLanes}) and splits them when the listing credentials stop
 * working. What outlives an engine (ledgers, outcomes) is in {@link PassReports}; the time and
 * threads engines run on are the {@link EngineRuntime}, shut down here in order.
 */
final class AccountEngines implements AccountEngine.Owners, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccountEngines.class);

  private final BeebotteClientFactory clients;
  private final EngineRuntime runtime;
  private final EngineSettings settings;
  private final PassReports reports;
  private final ListingSink listings;
  private volatile PolicyDirectory live;

  /** The live view of policies, for engines made before {@link #connect} was called too. */
  private final PolicyDirectory directory =
      new PolicyDirectory() {
        @Override
        public Optional<ConnectionPolicy> current(PolicyRef ref, long generation) {
          PolicyDirectory d = live;
          return d == null ? Optional.empty() : d.current(ref, generation);
        }

        @Override
        public boolean exists(PolicyRef ref) {
          PolicyDirectory d = live;
          return d != null && d.exists(ref);
        }
      };

  // Guarded by this.
  private final Map<AccountKey, AccountEngine> byLane = new HashMap<>();
  private final Map<String, AccountEngine> byUid = new HashMap<>();
  private final Map<String, AccountEngine> owners = new HashMap<>();

  AccountEngines(
      BeebotteClientFactory clients,
      EngineRuntime runtime,
      OperatorMetrics metrics,
      PolicyEvents events,
      EngineSettings settings,
      ListingSink listings) {
    this.clients = clients;
    this.listings = listings;
    this.runtime = runtime;
    this.settings = settings;
    this.reports = new PassReports(runtime, settings, metrics, events, directory);
  }

  /** Wires the live view of policies and the way to ask for a policy's reconcile. */
  void connect(PolicyDirectory directory, Consumer<PolicyRef> trigger) {
    this.live = directory;
    reports.trigger(trigger);
  }

  /** Registers (or re-registers) a policy generation with the engine of its account. */
  synchronized void register(PolicyRegistration registration) {
    String uid = registration.ref().uid();
    AccountEngine target = byLane.get(registration.lane());
    Lane lane = null;
    if (target == null) {
      target = newEngine(registration.lane().endpoint());
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
    reports.forgetOutcome(ref.uid());
    AccountEngine engine = byUid.remove(ref.uid());
    if (engine != null) {
      release(engine, engine.unregister(ref.uid()));
    }
  }

  /** The uids of every policy something is kept for (ledger, outcome, registration). */
  Set<String> knownPolicies() {
    Set<String> known = reports.known();
    synchronized (this) {
      known.addAll(byUid.keySet());
    }
    return known;
  }

  /** Forgets everything about these policies (they no longer exist). */
  void forgetPolicies(Set<String> goneUids) {
    reports.forget(goneUids);
    goneUids.forEach(uid -> unregister(new PolicyRef(uid, "", "")));
  }

  PolicyLedger ledger(PolicyRef ref, ConnectionPolicyStatus status) {
    return reports.ledger(ref, status);
  }

  /** The latest pass outcome for this generation of the policy, if any. */
  Optional<PassOutcome> outcome(PolicyRef ref, long generation) {
    return reports.outcome(ref, generation);
  }

  /** The API server holds a status of the policy with this {@code dropped} (read or written). */
  void stored(PolicyRef ref, Long dropped) {
    reports.stored(ref, dropped);
  }

  @Override
  public synchronized void passFinished(AccountEngine engine, boolean empty) {
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
  @Override
  public synchronized boolean yieldsToOwner(AccountEngine engine, String owner) {
    String key = AccountLanes.account(engine.endpoint(), owner);
    if (key == null) {
      return false;
    }
    AccountEngine other = owners.get(key);
    if (other == null || other == engine || !distinctEngines().contains(other)) {
      owners.values().removeIf(e -> e == engine);
      owners.put(key, engine);
      engine.owner(owner);
      return false;
    }
    AccountMembers.Handover handover = engine.retireForMerge();
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

  @Override
  public synchronized void split(AccountEngine engine) {
    owners.values().removeIf(e -> e == engine);
    for (AccountMembers.Handover handover : engine.splitOffOtherLanes()) {
      AccountEngine alone = newEngine(engine.endpoint());
      handover.lanes().forEach(lane -> byLane.put(lane.key(), alone));
      handover.policies().forEach(ref -> byUid.put(ref.uid(), alone));
      alone.adopt(handover);
    }
  }

  private AccountEngine newEngine(String endpoint) {
    return new AccountEngine(endpoint, runtime, settings, directory, reports, this, listings);
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

  private void release(AccountEngine engine, List<Lane> unused) {
    for (Lane lane : unused) {
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

  private Lane newLane(PolicyRegistration registration) {
    String endpoint = registration.lane().endpoint();
    return new Lane(
        registration.lane(),
        registration.credentials(),
        clients.create(endpoint, registration.credentials(), BeebotteClientFactory.Purpose.LISTING),
        clients.create(endpoint, registration.credentials(), BeebotteClientFactory.Purpose.DROPS),
        clients.create(endpoint, registration.credentials(), BeebotteClientFactory.Purpose.WATCH));
  }

  /**
   * Closes in order: every engine first (no new wake-up, pass or call; a pass in flight ends
   * without reporting), then the runtime (the timer, the passes in flight, then the workers), so no
   * pass meets a closed executor.
   */
  @Override
  public void close() {
    List<AccountEngine> all;
    synchronized (this) {
      all = distinctEngines();
      byLane.clear();
      byUid.clear();
    }
    reports.close();
    all.forEach(AccountEngine::close);
    runtime.shutdown();
  }
}
