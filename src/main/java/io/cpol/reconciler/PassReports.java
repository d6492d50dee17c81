package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engines tell about each policy, and what outlives an engine: its {@link PolicyLedger}
 * (the counts), its latest {@link PassOutcome}, and when its reconcile is asked for so the status
 * is written. Every outcome, event and log line about a policy's pass goes out here.
 */
final class PassReports {
  private static final Logger log = LoggerFactory.getLogger(PassReports.class);

  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final EngineSettings settings;
  private final OperatorMetrics metrics;
  private final PolicyEvents events;
  private final PolicyDirectory directory;
  private final StoredCounts stored = new StoredCounts();
  private volatile Consumer<PolicyRef> trigger = ref -> {};

  /** How long a drop call waits for the previous drops' count to be stored (see awaitStored). */
  static final Duration STORE_WAIT = Duration.ofSeconds(10);

  private final Map<String, PolicyLedger> ledgers = new ConcurrentHashMap<>();
  private final Map<String, PassOutcome> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Long> progressShown = new ConcurrentHashMap<>();
  private final Map<String, Long> progressAt = new ConcurrentHashMap<>();
  private final Set<String> progressPending = ConcurrentHashMap.newKeySet();

  PassReports(
      EngineRuntime runtime,
      EngineSettings settings,
      OperatorMetrics metrics,
      PolicyEvents events,
      PolicyDirectory directory) {
    this.directory = directory;
    this.clock = runtime.clock();
    this.timer = runtime.timer();
    this.settings = settings;
    this.metrics = metrics;
    this.events = events;
  }

  /** How to ask for a policy's reconcile (which writes its status). */
  void trigger(Consumer<PolicyRef> trigger) {
    this.trigger = trigger;
  }

  OperatorMetrics metrics() {
    return metrics;
  }

  PolicyEvents events() {
    return events;
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

  void forgetOutcome(String uid) {
    outcomes.remove(uid);
  }

  /** The uids of every policy something is kept for. */
  Set<String> known() {
    Set<String> known = new HashSet<>(ledgers.keySet());
    known.addAll(outcomes.keySet());
    known.addAll(progressShown.keySet());
    known.addAll(progressAt.keySet());
    return known;
  }

  /** Forgets everything about these policies (they no longer exist). */
  void forget(Set<String> goneUids) {
    ledgers.keySet().removeAll(goneUids);
    outcomes.keySet().removeAll(goneUids);
    progressShown.keySet().removeAll(goneUids);
    progressAt.keySet().removeAll(goneUids);
    stored.forget(goneUids);
  }

  /**
   * Waits until every drop counted so far for the policy is in its stored status, asking for the
   * write now: the next drop call starts only then, so a crash loses at most the calls in flight,
   * not the drops of the last second. Gives up after {@link #STORE_WAIT} while the API server does
   * not take the write (drops go on; the counts are stored when it does).
   */
  void awaitStored(PolicyRef ref) {
    long dropped = ledger(ref).snapshot().dropped();
    for (long s = 0; s < STORE_WAIT.toSeconds(); s++) {
      if (stored.reached(ref.uid(), dropped) || !directory.exists(ref)) {
        // Stored, or nothing can store it (the policy was deleted).
        return;
      }
      // Asked again each second, in case a reconcile took the request before these drops.
      trigger.accept(ref);
      if (stored.await(ref.uid(), dropped, Duration.ofSeconds(1))
          || Thread.currentThread().isInterrupted()) {
        return;
      }
    }
    log.warn(
        "policy {}: its status has not stored {} drops after {} s; dropping goes on",
        ref,
        dropped,
        STORE_WAIT.toSeconds());
  }

  /** The API server holds a status of the policy with this {@code dropped} (read or written). */
  void stored(PolicyRef ref, Long dropped) {
    stored.stored(ref.uid(), dropped);
  }

  /** Shutting down: no drop waits for a status write any more. */
  void close() {
    stored.close();
  }

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
   * An account pass listed and synced its due policies in {@code took}: its duration, and a log
   * line when it made drop calls.
   */
  void passSynced(Object account, Duration took, int connections, int calls, int closed) {
    metrics.sync(took, "success");
    if (calls > 0) {
      log.info(
          "account {}: {} connections, {} drop calls, {} sessions closed, in {} ms",
          account,
          connections,
          calls,
          closed,
          took.toMillis());
    }
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
      Runnable later =
          () -> {
            progressPending.remove(ref.uid());
            progress(ref);
          };
      try {
        timer.schedule(
            TaskGuard.guarded("progress of " + ref, later, t -> progressPending.remove(ref.uid())),
            last + every - now,
            TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        progressPending.remove(ref.uid());
      }
    }
  }
}
