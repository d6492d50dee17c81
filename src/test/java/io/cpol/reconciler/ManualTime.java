package io.cpol.reconciler;

import io.cpol.testing.InlineExecutor;
import io.cpol.testing.ManualClock;
import io.cpol.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;

/**
 * The engine's time and threads on the fixtures' {@link ManualClock} and {@link ManualScheduler}:
 * timers and passes run when the test advances the clock, drop workers and watch checks inline, so
 * one {@link #advance} runs whole passes, in time order, on the test's thread.
 */
final class ManualTime {
  private final ManualClock clock;
  private final ManualScheduler scheduler;
  private final EngineRuntime runtime;

  ManualTime(Instant start) {
    this.clock = new ManualClock(start);
    this.scheduler = new ManualScheduler(clock);
    this.runtime = new EngineRuntime(clock, scheduler, scheduler, new InlineExecutor());
  }

  EngineRuntime runtime() {
    return runtime;
  }

  Instant now() {
    return clock.instant();
  }

  /** Lets {@code d} pass, running everything that falls due meanwhile. */
  void advance(Duration d) {
    scheduler.advance(d);
  }
}
