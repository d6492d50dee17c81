package io.cpol.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Sessions closed by drops in the last {@link #KEPT}, with when each drop landed: a pass whose
 * listing was made before a drop of the reconnect watch takes those sessions out, so it neither
 * drops nor counts them again. Bounded by what closes within {@code KEPT}, however rarely passes
 * run (a policy with {@code interval: 24h} asks only once a day): entries older than that are
 * removed as new ones come, not only when a pass asks. Thread-safe.
 */
final class RecentCloses {
  /** How long a close is remembered: longer than a pass takes from its listing to its plan. */
  static final Duration KEPT = Duration.ofMinutes(1);

  /** Below this size nothing is pruned on insertion (pruning walks every entry). */
  private static final int PRUNE_FLOOR = 1024;

  private final Map<String, Instant> closed = new HashMap<>();
  private int pruneAt = PRUNE_FLOOR;

  /** {@code session} (userid and sid) was closed by a drop that landed at {@code at}. */
  synchronized void closed(String session, Instant at) {
    closed.put(session, at);
    if (closed.size() >= pruneAt) {
      prune(at);
      // Pruning again only once the map has doubled keeps each insertion O(1) on average.
      pruneAt = Math.max(PRUNE_FLOOR, 2 * closed.size());
    }
  }

  /** The sessions closed at or after {@code since}, of those closed within KEPT of {@code now}. */
  synchronized Set<String> since(Instant since, Instant now) {
    prune(now);
    Set<String> out = new HashSet<>();
    closed.forEach(
        (session, at) -> {
          if (!at.isBefore(since)) {
            out.add(session);
          }
        });
    return out;
  }

  synchronized int size() {
    return closed.size();
  }

  private void prune(Instant now) {
    Instant horizon = now.minus(KEPT);
    closed.values().removeIf(at -> at.isBefore(horizon));
  }
}
