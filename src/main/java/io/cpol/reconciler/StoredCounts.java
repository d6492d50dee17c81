package io.cpol.reconciler;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * How far each policy's {@code dropped} has reached its stored status, so that a drop call waits
 * for the count of the one before it: at any moment at most the calls in flight (one per worker,
 * {@code DROP_CONCURRENCY} per account, and the watch's) are made and not yet stored, which is all
 * a crash can lose. Writes are grouped: one status write stores every drop counted before it.
 * Thread-safe.
 */
final class StoredCounts {
  private final Map<String, Long> stored = new HashMap<>();
  private boolean closed;

  /** A status with {@code dropped} was read from or written to the API server. */
  synchronized void stored(String uid, Long dropped) {
    if (dropped != null && dropped > stored.getOrDefault(uid, -1L)) {
      stored.put(uid, dropped);
      notifyAll();
    }
  }

  synchronized boolean reached(String uid, long dropped) {
    return closed || stored.getOrDefault(uid, 0L) >= dropped;
  }

  /**
   * Waits until {@code uid}'s stored count reaches {@code dropped}, at most {@code max} (the API
   * server may not take writes for a while: the drops then go on, and are stored when it does).
   *
   * @return whether it was reached
   */
  synchronized boolean await(String uid, long dropped, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (!reached(uid, dropped)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  synchronized void forget(Set<String> uids) {
    stored.keySet().removeAll(uids);
  }

  /** Shutting down: nobody waits any more. */
  synchronized void close() {
    closed = true;
    notifyAll();
  }
}
