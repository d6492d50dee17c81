package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One back-off for everything the operator sends to one Beebotte account: when a call is answered
 * 429 or fails transiently (5xx, timeout, reset), the account pauses — for the server's Retry-After
 * when it gave one (at most {@link #MAX_RETRY_AFTER}), else for an exponential delay — and no
 * listing, drop or watch call starts until then. Waiting is done by scheduling, never by sleeping
 * in a worker. Thread-safe.
 */
final class AccountThrottle {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(AccountThrottle.class);

  private static final Duration FIRST_DELAY = Duration.ofSeconds(1);

  /**
   * The longest pause a server's Retry-After gets: a 503 asking for ten minutes (or a day) must not
   * stop an account's enforcement that long; after this the account tries again, and backs off
   * again if Beebotte still refuses.
   */
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

  private final Duration maxDelay;
  private Instant pausedUntil = Instant.MIN;
  private int consecutiveFailures;

  /**
   * @param maxDelay the longest pause of its own; a server's Retry-After may ask for more
   */
  AccountThrottle(Duration maxDelay) {
    this.maxDelay = maxDelay;
  }

  /** Whether {@code e} is the account asking to slow down (so it pauses the account). */
  static boolean slowsDown(BeebotteException e) {
    return e.kind() == BeebotteException.Kind.RATE_LIMITED
        || e.kind() == BeebotteException.Kind.TRANSIENT;
  }

  /**
   * The pause {@code e}'s Retry-After asks for, at most {@link #MAX_RETRY_AFTER}; empty without.
   */
  static Optional<Duration> serverPause(BeebotteException e) {
    Duration asked = e.retryAfter();
    if (asked == null || asked.isNegative()) {
      return Optional.empty();
    }
    return Optional.of(asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked);
  }

  /**
   * Pauses the account after {@code e}; returns until when.
   *
   * @param cap the longest pause of its own this time (the account's shortest policy interval, so
   *     recovery after Beebotte comes back is within min(interval, maxDelay)); a Retry-After may
   *     ask for longer, up to {@link #MAX_RETRY_AFTER}
   */
  synchronized Instant failed(BeebotteException e, Instant now, Duration cap) {
    consecutiveFailures++;
    Duration own = backoff(consecutiveFailures);
    if (own.compareTo(cap) > 0) {
      own = cap;
    }
    Duration delay = serverPause(e).orElse(own);
    Instant until = now.plus(delay);
    if (until.isAfter(pausedUntil)) {
      pausedUntil = until;
    }
    log.info(
        "Beebotte call failed ({}, HTTP {}): pausing the account's calls for {} ms"
            + " ({} failures in a row)",
        e.kind(),
        e.httpStatus(),
        Duration.between(now, pausedUntil).toMillis(),
        consecutiveFailures);
    return pausedUntil;
  }

  synchronized void succeeded() {
    consecutiveFailures = 0;
  }

  synchronized boolean paused(Instant now) {
    return now.isBefore(pausedUntil);
  }

  synchronized Instant pausedUntil() {
    return pausedUntil;
  }

  /** 1 s, 2 s, 4 s, ... up to the cap. */
  private Duration backoff(int failures) {
    Duration delay = FIRST_DELAY.multipliedBy(1L << Math.min(failures - 1, 20));
    return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
  }
}
