package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Protocol;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.DropRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Makes a pass's planned drop calls: at most {@code dropConcurrency} in flight, behind the
 * account's {@link AccountThrottle}, each one cancelled when its policy is deleted or changed, its
 * deciding rule expired or the engine closed. Every call gets a result, whatever a worker meets.
 */
final class DropCalls {
  /** Counts a call that closed sessions (the reconnect watch counts for the policy). */
  interface Counter {
    void counted(
        PolicyRegistration r,
        PlannedDrop call,
        List<DropRecord> drops,
        Instant landed,
        Instant awaySince);
  }

  /**
   * One pass's calls and what they need.
   *
   * @param policies the pass's policies by index (a call's {@link PlannedDrop#policy()})
   * @param lanes the account's lanes: each policy drops with its own credentials
   * @param listedAt when the listing the calls were planned on was made
   * @param throttleCap the longest pause of the account's own after a failed call
   * @param progress called every {@link EngineSettings#progressEvery()} while calls run
   * @param closed true once the engine is closed: calls not made yet are cancelled
   */
  record Batch(
      List<PlannedDrop> calls,
      List<PolicyRegistration> policies,
      Map<AccountKey, Lane> lanes,
      Instant listedAt,
      Duration throttleCap,
      Runnable progress,
      BooleanSupplier closed) {}

  /** How each call ended ({@code byCall} never holds null) and what they closed. */
  static final class Results {
    final CallResult[] byCall;
    final Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    final int[] postponed;

    Results(int calls, int policies) {
      byCall = new CallResult[calls];
      postponed = new int[policies];
    }
  }

  private final ExecutorService workers;
  private final Clock clock;
  private final EngineSettings settings;
  private final PolicyDirectory directory;
  private final AccountThrottle throttle;
  private final OperatorMetrics metrics;
  private final Counter counter;

  DropCalls(
      ExecutorService workers,
      Clock clock,
      EngineSettings settings,
      PolicyDirectory directory,
      AccountThrottle throttle,
      OperatorMetrics metrics,
      Counter counter) {
    this.workers = workers;
    this.clock = clock;
    this.settings = settings;
    this.directory = directory;
    this.throttle = throttle;
    this.metrics = metrics;
    this.counter = counter;
  }

  Results run(Batch batch) {
    List<PlannedDrop> calls = batch.calls();
    Results results = new Results(calls.size(), batch.policies().size());
    if (calls.isEmpty()) {
      return results;
    }
    ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
    for (int k = 0; k < calls.size(); k++) {
      queue.add(k);
    }
    AtomicBoolean stop = new AtomicBoolean();
    int count = Math.min(settings.dropConcurrency(), calls.size());
    CountDownLatch done = new CountDownLatch(count);
    for (int w = 0; w < count; w++) {
      Runnable worker = () -> drain(batch, queue, stop, results, done);
      try {
        workers.execute(worker);
      } catch (RejectedExecutionException e) {
        // The operator is closing: the calls no worker took stay unmade (cancelled below).
        done.countDown();
      }
    }
    awaitWithProgress(done, batch.progress());
    for (int k = 0; k < calls.size(); k++) {
      if (results.byCall[k] == null) {
        results.byCall[k] = CallResult.CANCELLED;
      }
      if (results.byCall[k].status() == CallResult.Status.POSTPONED) {
        results.postponed[calls.get(k).policy()]++;
      }
    }
    return results;
  }

  private void drain(
      Batch batch,
      ConcurrentLinkedQueue<Integer> queue,
      AtomicBoolean stop,
      Results results,
      CountDownLatch done) {
    try {
      Integer k;
      while ((k = queue.poll()) != null) {
        PlannedDrop call = batch.calls().get(k);
        int index = k;
        CallResult[] result = {null};
        TaskGuard.run(
            "drop call " + call.target(),
            () -> {
              result[0] =
                  stop.get()
                      ? CallResult.POSTPONED
                      : batch.closed().getAsBoolean()
                          ? CallResult.CANCELLED
                          : call(batch, call, stop);
              record(batch, call, result[0], results);
            },
            t -> result[0] = unexpected(result[0], t));
        results.byCall[index] = result[0];
      }
    } finally {
      done.countDown();
    }
  }

  /** A call that met an unexpected failure: it may have been made, so its outcome is unknown. */
  private static CallResult unexpected(CallResult before, Throwable t) {
    if (before != null) {
      // The call ended; counting it failed. Its result stands.
      return before;
    }
    return new CallResult(
        CallResult.Status.UNKNOWN,
        new BeebotteException(
            BeebotteException.Kind.TRANSIENT,
            0,
            0,
            "the operator failed unexpectedly: " + TaskGuard.describe(t),
            null,
            t),
        null);
  }

  /** Waits for the workers, writing the drops made so far to status every so often. */
  private void awaitWithProgress(CountDownLatch done, Runnable progress) {
    long every = settings.progressEvery().toMillis();
    try {
      while (!done.await(every, TimeUnit.MILLISECONDS)) {
        progress.run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private CallResult call(Batch batch, PlannedDrop call, AtomicBoolean stop) {
    PolicyRegistration r = batch.policies().get(call.policy());
    Instant now = clock.instant();
    if (directory.current(r.ref(), r.generation()).isEmpty()
        || (call.validUntil() != null && !now.isBefore(call.validUntil()))) {
      return CallResult.CANCELLED;
    }
    if (throttle.paused(now)) {
      stop.set(true);
      return CallResult.POSTPONED;
    }
    BeebotteClient client = batch.lanes().get(r.lane()).caller();
    Connection closedInstead = null;
    try {
      if (call.verifyFirst()) {
        Optional<Connection> still = stillDenied(client, r.rules(), call, now);
        if (still.isEmpty()) {
          return CallResult.VERIFIED_AWAY;
        }
        closedInstead = still.get();
      }
      client.drop(call.target());
      throttle.succeeded();
      return new CallResult(CallResult.Status.DROPPED, null, closedInstead);
    } catch (BeebotteException e) {
      if (AccountThrottle.slowsDown(e)) {
        throttle.failed(e, clock.instant(), batch.throttleCap());
        stop.set(true);
      }
      boolean ambiguous = e.kind() == BeebotteException.Kind.TRANSIENT && e.httpStatus() != 429;
      return new CallResult(
          ambiguous ? CallResult.Status.UNKNOWN : CallResult.Status.REFUSED, e, null);
    }
  }

  /**
   * Re-lists the MQTT session a verify-first call targets: the call is made only if what is there
   * now is still denied by the call's policy (a device that came back from an allowed address is
   * left alone).
   */
  private static Optional<Connection> stillDenied(
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
  private void record(Batch batch, PlannedDrop call, CallResult result, Results results) {
    String protocol =
        call.target().protocol() != null
            ? call.target().protocol().wireName()
            : String.valueOf(call.closes().get(0).protocol());
    switch (result.status()) {
      case DROPPED -> {
        Instant landed = clock.instant();
        List<DropRecord> drops = PassOutcomes.dropRecords(call, result, landed);
        synchronized (results) {
          results.closed.addAll(call.closes());
        }
        counter.counted(batch.policies().get(call.policy()), call, drops, landed, batch.listedAt());
      }
      case REFUSED -> metrics.drops(protocol, "failure", call.closes().size());
      case UNKNOWN -> metrics.drops(protocol, "unknown", call.closes().size());
      default -> {}
    }
  }
}
