package io.cpol.reconciler;

import java.time.Duration;

/**
 * How the account engines pace their work.
 *
 * @param dropConcurrency drop calls in flight at once per account
 * @param freshListing a listing at most this old is reused instead of listing again (a new or
 *     changed policy acts on a listing at most this old)
 * @param coalesce how long a pass for a new or changed policy waits for others arriving together,
 *     so a batch of policies applied at once shares one listing
 * @param failureRetryCap the longest wait before listing again after a failure (a server's
 *     Retry-After may ask for longer); a policy retries after min(its interval, this)
 * @param progressEvery during a long pass, how often the drops made so far are written to status
 *     for the user to see (what a crash can lose is bounded apart: {@link StoredCounts})
 * @param watchCallsPerSecond the reconnect watch's budget of calls per account; 0 turns it off
 */
record EngineSettings(
    int dropConcurrency,
    Duration freshListing,
    Duration coalesce,
    Duration failureRetryCap,
    Duration progressEvery,
    double watchCallsPerSecond) {
  EngineSettings {
    if (dropConcurrency < 1) {
      throw new IllegalArgumentException("dropConcurrency must be at least 1: " + dropConcurrency);
    }
    if (watchCallsPerSecond < 0) {
      throw new IllegalArgumentException("watchCallsPerSecond must not be negative");
    }
  }

  static EngineSettings defaults(int dropConcurrency) {
    return defaults(dropConcurrency, 5);
  }

  static EngineSettings defaults(int dropConcurrency, double watchCallsPerSecond) {
    return new EngineSettings(
        dropConcurrency,
        Duration.ofSeconds(1),
        Duration.ofMillis(50),
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        watchCallsPerSecond);
  }
}
