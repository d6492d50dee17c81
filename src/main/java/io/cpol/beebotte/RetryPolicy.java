package io.cpol.beebotte;

import java.time.Duration;
import java.util.Objects;

/**
 * How often and how long to retry a call that failed with a retryable kind (transient or rate
 * limited): exponential back-off with full jitter, bounded by attempts and by total elapsed time.
 *
 * @param maxAttempts attempts per call including the first; 1 disables retries
 * @param baseBackoff back-off ceiling before the first retry; doubles with every further retry
 * @param maxBackoff back-off ceiling for any one retry (a server's Retry-After may exceed it)
 * @param maxTotalTime no retry starts when it would begin after this much time since the first
 *     attempt
 */
public record RetryPolicy(
    int maxAttempts, Duration baseBackoff, Duration maxBackoff, Duration maxTotalTime) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
    }
    requireNonNegative(baseBackoff, "baseBackoff");
    requireNonNegative(maxBackoff, "maxBackoff");
    requireNonNegative(maxTotalTime, "maxTotalTime");
  }

  /** 4 attempts, 200 ms base, 5 s cap, 20 s in total. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(
        4, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(20));
  }

  /** A single attempt. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);
  }

  /**
   * The full-jitter back-off before retry number {@code retry} (1 for the first retry): a uniform
   * pick in [0, min(maxBackoff, baseBackoff * 2^(retry-1))). Full jitter rather than a fixed
   * schedule so that several reconcilers failing together do not retry in lock step.
   *
   * @param unitRandom a random number in [0, 1)
   */
  public Duration backoff(int retry, double unitRandom) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry numbers start at 1: " + retry);
    }
    long base = baseBackoff.toNanos();
    long max = maxBackoff.toNanos();
    // Shifting past the cap's magnitude only overflows; 2^62 ns is centuries.
    int shift = Math.min(retry - 1, 62);
    long ceiling = base > (max >> shift) ? max : Math.min(max, base << shift);
    return Duration.ofNanos((long) (ceiling * unitRandom));
  }

  private static void requireNonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + d);
    }
  }
}
