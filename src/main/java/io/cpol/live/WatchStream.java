package io.cpol.live;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One watch's events between the store's thread, which must never wait, and the thread writing them
 * to the client: a bounded queue. A client too slow to keep up fills it; the watch then ends (the
 * client lists and watches again, as after any ended watch) rather than the store waiting or memory
 * growing.
 */
final class WatchStream implements SessionSource.Watcher {
  private final BlockingQueue<SessionEvent> queue;
  private volatile boolean overflowed;

  WatchStream(int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  @Override
  public void event(SessionEvent event) {
    if (!overflowed && !queue.offer(event)) {
      overflowed = true;
    }
  }

  /** The next event, or null when none came within {@code timeoutMillis}. */
  SessionEvent next(long timeoutMillis) throws InterruptedException {
    return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  /** Whether an event was refused: the events after it cannot be sent without a gap. */
  boolean overflowed() {
    return overflowed;
  }
}
