package io.cpol.enforce;

import java.util.Arrays;

/**
 * Working memory for {@link RuleSet#collect}: the lowest matching rule per group (policy) for one
 * connection, and which groups matched, so resetting costs as much as the matches did.
 */
final class GroupMatches {
  static final int NONE = Integer.MAX_VALUE;

  private final int[] best;
  private final int[] touched;
  private final boolean[] skipped;
  private int touchedCount;

  /**
   * @param skipped groups not to look at (true = skip), or null to look at every group
   */
  GroupMatches(int groups, boolean[] skipped) {
    this.best = new int[groups];
    Arrays.fill(best, NONE);
    this.touched = new int[groups];
    this.skipped = skipped;
  }

  int best(int group) {
    return best[group];
  }

  boolean skips(int group) {
    return skipped != null && skipped[group];
  }

  void offer(int group, int rule) {
    if (best[group] == NONE) {
      touched[touchedCount++] = group;
    }
    if (rule < best[group]) {
      best[group] = rule;
    }
  }

  /** How many groups matched. */
  int count() {
    return touchedCount;
  }

  /** The k-th group that matched, in the order they first matched. */
  int group(int k) {
    return touched[k];
  }

  void reset() {
    for (int k = 0; k < touchedCount; k++) {
      best[touched[k]] = NONE;
    }
    touchedCount = 0;
  }
}
