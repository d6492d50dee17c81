package io.cpol.beebotte;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Waits between retries; injected so tests can record back-off instead of sleeping. */
@FunctionalInterface
public interface Sleeper {

  void sleep(Duration duration) throws InterruptedException;

  /** Blocks the calling thread. */
  static Sleeper system() {
    return duration -> TimeUnit.NANOSECONDS.sleep(duration.toNanos());
  }
}
