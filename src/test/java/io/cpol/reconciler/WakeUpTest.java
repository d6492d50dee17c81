package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One pending wake-up: earlier replaces later, and a task that throws wakes again, later. */
class WakeUpTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private final ManualTime time = new ManualTime(T0);
  private final List<Instant> woke = new ArrayList<>();

  @Test
  void anEarlierWakeUpReplacesALaterOneAndALaterOneIsIgnored() {
    WakeUp wakeUp = new WakeUp(time.runtime(), "test", () -> woke.add(time.now()));
    wakeUp.at(T0.plusSeconds(10));
    wakeUp.at(T0.plusSeconds(5));
    wakeUp.at(T0.plusSeconds(7));

    time.advance(Duration.ofSeconds(20));

    assertThat(woke).containsExactly(T0.plusSeconds(5));
  }

  @Test
  void aTaskThatThrowsAnythingWakesAgainAfterABackOffNeverAtOnce() {
    WakeUp[] self = {null};
    self[0] =
        new WakeUp(
            time.runtime(),
            "test",
            () -> {
              woke.add(time.now());
              throw new StackOverflowError("a bug in a wake-up");
            });
    self[0].at(T0.plusNanos(1));

    time.advance(Duration.ofMillis(3500));

    // The timer chain lives on, a second apart: no hot loop, no dead timer.
    assertThat(woke)
        .containsExactly(
            T0.plusNanos(1),
            T0.plusNanos(1).plusSeconds(1),
            T0.plusNanos(1).plusSeconds(2),
            T0.plusNanos(1).plusSeconds(3));
  }

  @Test
  void aStoppedWakeUpNeverFires() {
    WakeUp wakeUp = new WakeUp(time.runtime(), "test", () -> woke.add(time.now()));
    wakeUp.at(T0.plusSeconds(1));
    wakeUp.stop();
    wakeUp.at(T0.plusSeconds(2));

    time.advance(Duration.ofSeconds(5));

    assertThat(woke).isEmpty();
  }
}
