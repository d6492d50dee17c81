package io.cpol.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A clock and a timer that move only when the test says so: {@link #advance} runs every task due on
 * the way, in time order, on the test's thread. Passes and drop workers run inline ({@link
 * #inline()}), so one {@code advance} runs a whole pass. A task that keeps rescheduling itself at
 * the same instant is a hot loop: {@link #advance} fails instead of spinning.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  /** Tasks run at one instant before the scheduler calls it a hot loop. */
  static final int HOT_LOOP = 1000;

  private final PriorityQueue<Task<?>> queue =
      new PriorityQueue<>(Comparator.comparing((Task<?> t) -> t.at).thenComparing(t -> t.seq));
  private Instant now;
  private long seq;
  private boolean shutdown;

  ManualScheduler(Instant start) {
    this.now = start;
  }

  /** The runtime of an engine under test: this clock and timer, passes and calls inline. */
  EngineRuntime runtime() {
    return new EngineRuntime(clock(), this, inline(), inline());
  }

  Clock clock() {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        synchronized (ManualScheduler.this) {
          return now;
        }
      }
    };
  }

  synchronized Instant now() {
    return now;
  }

  /** Moves time forward by {@code d}, running every task due on the way. */
  void advance(Duration d) {
    Instant until;
    synchronized (this) {
      until = now.plus(d);
    }
    int atOneInstant = 0;
    Instant last = null;
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.at.isAfter(until)) {
          now = until;
          return;
        }
        queue.poll();
        now = next.at;
      }
      atOneInstant = next.at.equals(last) ? atOneInstant + 1 : 0;
      last = next.at;
      if (atOneInstant > HOT_LOOP) {
        throw new AssertionError("hot loop: more than " + HOT_LOOP + " tasks at " + last);
      }
      next.run();
    }
  }

  /** When the earliest pending task is due, or null. */
  synchronized Instant nextAt() {
    Task<?> next = queue.peek();
    return next == null ? null : next.at;
  }

  private synchronized <V> Task<V> add(Callable<V> work, long delay, TimeUnit unit) {
    if (shutdown) {
      throw new RejectedExecutionException("shut down");
    }
    Task<V> task = new Task<>(work, now.plusNanos(Math.max(0, unit.toNanos(delay))), seq++);
    queue.add(task);
    return task;
  }

  private synchronized void remove(Task<?> task) {
    queue.remove(task);
  }

  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    final Instant at;
    final long seq;

    Task(Callable<V> work, Instant at, long seq) {
      super(work);
      this.at = at;
      this.seq = seq;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(now(), at));
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean interrupt) {
      remove(this);
      return super.cancel(interrupt);
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(
        () -> {
          command.run();
          return null;
        },
        delay,
        unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(callable, delay, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("the engines schedule one wake-up at a time");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("the engines schedule one wake-up at a time");
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
    queue.clear();
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown();
    return new ArrayList<>();
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return isShutdown();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  /** An executor that runs each task at once on the caller's thread. */
  static ExecutorService inline() {
    return new AbstractExecutorService() {
      private volatile boolean shutdown;

      @Override
      public void execute(Runnable command) {
        if (shutdown) {
          throw new RejectedExecutionException("shut down");
        }
        command.run();
      }

      @Override
      public void shutdown() {
        shutdown = true;
      }

      @Override
      public List<Runnable> shutdownNow() {
        shutdown = true;
        return new ArrayList<>();
      }

      @Override
      public boolean isShutdown() {
        return shutdown;
      }

      @Override
      public boolean isTerminated() {
        return shutdown;
      }

      @Override
      public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
      }
    };
  }
}
