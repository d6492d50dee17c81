package io.cpol.reconciler;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way the engines run a scheduled task or a worker. Whatever it throws, an {@link Error}
 * too, is logged once and handed to the task's failure handler, which backs off: it never escapes
 * into an executor, where it would vanish with the timer chain it belonged to, and it is never
 * retried at once.
 */
final class TaskGuard {
  private static final Logger log = LoggerFactory.getLogger(TaskGuard.class);

  private TaskGuard() {}

  /** {@code task} guarded: run it later on any executor. */
  static Runnable guarded(String what, Runnable task, Consumer<Throwable> failed) {
    return () -> run(what, task, failed);
  }

  /** Runs {@code task}; on any Throwable, logs it and calls {@code failed}. */
  static void run(String what, Runnable task, Consumer<Throwable> failed) {
    try {
      task.run();
    } catch (Throwable t) {
      log.error("{} failed unexpectedly: {}", what, describe(t), t);
      try {
        failed.accept(t);
      } catch (Throwable second) {
        // The handler itself failed: nothing is left to tell; the next wake-up starts afresh.
        log.error("{}: handling the failure failed too: {}", what, describe(second), second);
      }
    }
  }

  /**
   * What the operator says about an unexpected failure in status, events and logs: its class and
   * message, the one place such text is made.
   */
  static String describe(Throwable t) {
    return t.toString();
  }
}
