package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The watch's record of what it closed: exact for a pass, bounded however rarely passes ask. */
class RecentClosesTest {
  static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void aDayOfWatchDropsWithoutAPassKeepsAboutAMinuteOfThem() {
    // 5 drops a second (the watch's default budget) for 24 h, and no pass asks in between (a
    // policy with interval: 24h).
    RecentCloses closes = new RecentCloses();
    int largest = 0;
    for (int i = 0; i < 5 * 86_400; i++) {
      closes.closed("device-" + i + "\n" + "device-" + i, T0.plusMillis(200L * i));
      largest = Math.max(largest, closes.size());
    }
    System.out.printf("recent closes: largest %d entries over 432000 drops in 24 h%n", largest);
    // A minute of drops (300), plus what waits for the next prune: never more than the floor.
    assertThat(largest).isLessThanOrEqualTo(1024);
  }

  @Test
  void aPassSeesWhatClosedSinceItsListingWithinTheMinute() {
    RecentCloses closes = new RecentCloses();
    closes.closed("a\na", T0);
    closes.closed("b\nb", T0.plusSeconds(10));
    closes.closed("c\nc", T0.plusSeconds(20));

    assertThat(closes.since(T0.plusSeconds(10), T0.plusSeconds(30)))
        .containsExactlyInAnyOrder("b\nb", "c\nc");
    assertThat(closes.since(T0, T0.plus(Duration.ofSeconds(65))))
        .as("older than a minute: forgotten")
        .containsExactlyInAnyOrder("b\nb", "c\nc");
    assertThat(closes.size()).isEqualTo(2);
  }
}
