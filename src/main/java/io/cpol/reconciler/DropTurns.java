package io.cpol.reconciler;

import java.util.HashSet;
import java.util.Set;

/**
 * Who may drop on one account right now, so that a session is dropped and counted once, by a pass
 * or by the reconnect watch, never by both.
 *
 * <p>A pass's drop phase and the watch's checks take turns: a check (its look and its drops) starts
 * only while no pass drops, and a pass starts dropping only once the checks in progress have ended.
 * So when a pass plans, every session the watch closed since the pass's listing is known (and taken
 * out of it: {@link AccountWatch#closedSince}), and no check acts on a look made before a pass's
 * drop of the same session. Two checks of one userid never overlap either (two policies, or a check
 * started again after a pass's drop of its identity), so one never drops what the other's look
 * showed and already dropped. Thread-safe.
 */
final class DropTurns {
  private final Set<String> checking = new HashSet<>();
  private boolean passDropping;

  /**
   * Starts a check of {@code userid}, unless a pass is dropping or another check of the userid is
   * in progress (the caller looks again a little later). A started check must be {@link #checkEnded
   * ended}.
   */
  synchronized boolean tryCheck(String userid) {
    if (passDropping || checking.contains(userid)) {
      return false;
    }
    checking.add(userid);
    return true;
  }

  synchronized void checkEnded(String userid) {
    checking.remove(userid);
    notifyAll();
  }

  /**
   * A pass is about to plan and make its drops: no check starts from now on, and this returns once
   * the checks in progress have ended (each is one look and its drops, bounded by the client's
   * timeouts). Must be followed by {@link #passEnded}.
   */
  synchronized void passDropping() {
    passDropping = true;
    boolean interrupted = false;
    while (!checking.isEmpty()) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized void passEnded() {
    passDropping = false;
  }
}
