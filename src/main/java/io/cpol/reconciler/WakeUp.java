package io.cpol.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One pending wake-up on the runtime's timer: asking for an earlier one replaces it, a later one is
 * ignored. The task runs through {@link TaskGuard}; if it fails, it wakes again after {@link
 * PassSchedule#FIRST_BACKOFF}, so a timer chain never dies. Thread-safe.
 */
final class WakeUp {
  private final EngineRuntime runtime;
  private final String what;
  private final Runnable task;

  // Guarded by this.
  private ScheduledFuture<?> pending;
  private Instant pendingAt;
  private boolean stopped;

  WakeUp(EngineRuntime runtime, String what, Runnable task) {
    this.runtime = runtime;
    this.what = what;
    this.task = task;
  }

  /** Wakes up at {@code at}, unless a wake-up is already due by then. */
  synchronized void at(Instant at) {
    if (stopped || (pending != null && !pendingAt.isAfter(at))) {
      return;
    }
    cancel();
    // In nanoseconds: a delay rounded down to the millisecond would wake the task before what it
    // waits for is due, and it would wake again at once until the clock caught up.
    long delay = Math.max(0, Duration.between(runtime.clock().instant(), at).toNanos());
    try {
      pending =
          runtime
              .timer()
              .schedule(
                  TaskGuard.guarded(
                      what,
                      this::fire,
                      t -> at(runtime.clock().instant().plus(PassSchedule.FIRST_BACKOFF))),
                  delay,
                  TimeUnit.NANOSECONDS);
      pendingAt = at;
    } catch (RejectedExecutionException closing) {
      // The operator is closing: no more wake-ups.
    }
  }

  /** No more wake-ups. */
  synchronized void stop() {
    stopped = true;
    cancel();
  }

  private void fire() {
    synchronized (this) {
      pending = null;
      pendingAt = null;
    }
    task.run();
  }

  private void cancel() {
    if (pending != null) {
      pending.cancel(false);
      pending = null;
      pendingAt = null;
    }
  }
}
