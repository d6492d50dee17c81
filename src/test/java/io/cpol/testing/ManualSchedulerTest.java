package io.cpol.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ManualSchedulerTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private final ManualClock clock = new ManualClock(T0);
  private final ManualScheduler scheduler = new ManualScheduler(clock, 100);
  private final List<String> ran = new ArrayList<>();

  private Runnable note(String name) {
    return () -> ran.add(name + "@" + Duration.between(T0, clock.instant()).toMillis());
  }

  @Test
  void runsNothingUntilTheTestSaysThenEveryDueTaskInTimeOrderAtItsTime() {
    scheduler.schedule(note("late"), 300, TimeUnit.MILLISECONDS);
    scheduler.schedule(note("early"), 100, TimeUnit.MILLISECONDS);
    scheduler.execute(note("now"));
    scheduler.schedule(note("tie"), 100, TimeUnit.MILLISECONDS);

    assertThat(ran).isEmpty();
    assertThat(scheduler.advance(Duration.ofMillis(200))).isEqualTo(3);

    assertThat(ran).containsExactly("now@0", "early@100", "tie@100");
    assertThat(clock.instant()).isEqualTo(T0.plusMillis(200));
    assertThat(scheduler.nextDue()).contains(T0.plusMillis(300));
    assertThat(scheduler.pending()).isEqualTo(1);
  }

  @Test
  void tasksQueuedForNowByADueTaskRunInTheSameStep() {
    scheduler.execute(
        () -> {
          note("first").run();
          scheduler.execute(note("second"));
          scheduler.schedule(note("later"), 1, TimeUnit.SECONDS);
        });

    scheduler.runDue();

    assertThat(ran).containsExactly("first@0", "second@0");
  }

  @Test
  void aTaskThatLetsTimePassMakesTheNextOnesRunLateNotEarly() {
    scheduler.execute(() -> clock.advance(Duration.ofMillis(500)));
    scheduler.schedule(note("due at 100"), 100, TimeUnit.MILLISECONDS);

    scheduler.advance(Duration.ofMillis(200));

    assertThat(ran).containsExactly("due at 100@500");
    assertThat(clock.instant()).isEqualTo(T0.plusMillis(500));
  }

  @Test
  void periodicTasksRepeatAtAFixedRateOrWithAFixedDelay() {
    scheduler.scheduleAtFixedRate(note("rate"), 0, 100, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(
        () -> {
          note("delay").run();
          clock.advance(Duration.ofMillis(10));
        },
        50,
        100,
        TimeUnit.MILLISECONDS);

    scheduler.advance(Duration.ofMillis(250));

    assertThat(ran).containsExactly("rate@0", "delay@50", "rate@100", "delay@160", "rate@200");
  }

  @Test
  void aCancelledTaskNeverRuns() {
    ScheduledFuture<?> f = scheduler.schedule(note("x"), 1, TimeUnit.SECONDS);

    assertThat(f.cancel(false)).isTrue();
    scheduler.advance(Duration.ofSeconds(2));

    assertThat(ran).isEmpty();
    assertThat(f.isCancelled()).isTrue();
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void whatATaskThrowsEndsInItsFutureAndStopsAPeriodicTask() throws Exception {
    Future<?> failing =
        scheduler.submit(
            () -> {
              throw new IllegalStateException("boom");
            });
    Future<String> fine = scheduler.submit(() -> "ok");
    scheduler.scheduleAtFixedRate(
        () -> {
          note("tick").run();
          throw new Error("dead timer");
        },
        0,
        1,
        TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(5));

    assertThatThrownBy(failing::get)
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("boom");
    assertThat(fine.get()).isEqualTo("ok");
    assertThat(ran).containsExactly("tick@0");
    assertThat(scheduler.failures())
        .extracting(Throwable::getMessage)
        .containsExactly("boom", "dead timer");
  }

  @Test
  void getOnATaskThatHasNotRunSaysSoInsteadOfBlockingForever() {
    Future<?> f = scheduler.schedule(note("x"), 1, TimeUnit.SECONDS);

    assertThatThrownBy(f::get).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void afterShutdownNewTasksAreRefusedDelayedOnesStillRunAndPeriodicOnesStop() {
    scheduler.schedule(note("delayed"), 1, TimeUnit.SECONDS);
    scheduler.scheduleAtFixedRate(note("periodic"), 2, 1, TimeUnit.SECONDS);

    scheduler.shutdown();

    assertThatThrownBy(() -> scheduler.execute(note("new")))
        .isInstanceOf(RejectedExecutionException.class);
    assertThat(scheduler.isTerminated()).isFalse();
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(ran).containsExactly("delayed@1000");
    assertThat(scheduler.isTerminated()).isTrue();
  }

  @Test
  void shutdownNowHandsBackWhatWasWaiting() {
    scheduler.schedule(note("a"), 1, TimeUnit.SECONDS);
    scheduler.execute(note("b"));

    assertThat(scheduler.shutdownNow()).hasSize(2);
    scheduler.advance(Duration.ofSeconds(5));

    assertThat(ran).isEmpty();
  }

  @Test
  void aTaskThatReschedulesItselfWithoutDelayIsCalledAHotLoop() {
    Runnable[] loop = new Runnable[1];
    loop[0] = () -> scheduler.execute(loop[0]);
    scheduler.execute(loop[0]);

    assertThatThrownBy(scheduler::runDue)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("hot loop");
  }

  @Test
  void aTaskCannotDriveTheSchedulerItRunsOn() {
    scheduler.execute(scheduler::runDue);

    scheduler.runDue();

    assertThat(scheduler.failures()).singleElement().isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theInlineExecutorFinishesATaskBeforeExecuteReturnsAndKeepsWhatItThrew() {
    InlineExecutor inline = new InlineExecutor();

    inline.execute(note("a"));
    inline.execute(
        () -> {
          throw new IllegalArgumentException("worker bug");
        });
    inline.shutdown();

    assertThat(ran).containsExactly("a@0");
    assertThat(inline.failures()).extracting(Throwable::getMessage).containsExactly("worker bug");
    assertThatThrownBy(() -> inline.execute(note("b")))
        .isInstanceOf(RejectedExecutionException.class);
  }
}
