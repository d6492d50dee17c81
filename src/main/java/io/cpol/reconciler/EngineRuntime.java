package io.cpol.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The time and threads the account engines run on, passed in so tests can drive them with a manual
 * clock and scheduler instead of sleeping.
 *
 * @param clock every instant the engines decide with
 * @param timer wakes engines and their reconnect watches up
 * @param passes runs account passes (one at a time per account)
 * @param calls runs drop workers and reconnect-watch checks
 */
public record EngineRuntime(
    Clock clock, ScheduledExecutorService timer, ExecutorService passes, ExecutorService calls) {

  /** How long closing waits for a pass in flight to end. */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  /** The production runtime: daemon threads, a timer that forgets cancelled wake-ups. */
  public static EngineRuntime threads(Clock clock) {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(1, daemons("beebotte-engine-timer"));
    timer.setRemoveOnCancelPolicy(true);
    return new EngineRuntime(
        clock,
        timer,
        Executors.newCachedThreadPool(daemons("beebotte-pass")),
        Executors.newCachedThreadPool(daemons("beebotte-call")));
  }

  /**
   * Stops in order: no new wake-up, then the passes in flight end (their engines are closed, so
   * they make no new call and wait for the calls they made), then the workers.
   */
  void shutdown() {
    timer.shutdownNow();
    passes.shutdown();
    try {
      if (!passes.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        passes.shutdownNow();
      }
    } catch (InterruptedException e) {
      passes.shutdownNow();
      Thread.currentThread().interrupt();
    }
    calls.shutdownNow();
  }

  private static ThreadFactory daemons(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
