package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final RetryPolicy policy = RetryPolicy.defaults();

  @Test
  void defaultsAreFourAttemptsWithinTwentySeconds() {
    assertThat(policy.maxAttempts()).isEqualTo(4);
    assertThat(policy.baseBackoff()).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.maxBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(policy.maxTotalTime()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void ceilingDoublesPerRetryUpToTheCap() {
    assertThat(policy.backoff(1, 0.5)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.backoff(2, 0.5)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.backoff(3, 0.5)).isEqualTo(Duration.ofMillis(400));
    assertThat(policy.backoff(6, 0.5)).isEqualTo(Duration.ofMillis(2500));
    assertThat(policy.backoff(7, 0.5)).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void fullJitterSpansZeroToTheCeiling() {
    assertThat(policy.backoff(1, 0.0)).isEqualTo(Duration.ZERO);
    assertThat(policy.backoff(3, 0.999_999)).isLessThan(Duration.ofMillis(800));
    assertThat(policy.backoff(3, 0.999_999)).isGreaterThan(Duration.ofMillis(799));
  }

  @Test
  void largeRetryNumbersDoNotOverflow() {
    assertThat(policy.backoff(64, 0.5)).isEqualTo(Duration.ofMillis(2500));
    assertThat(policy.backoff(Integer.MAX_VALUE, 0.5)).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new RetryPolicy(2, Duration.ofMillis(-1), Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> policy.backoff(0, 0.5)).isInstanceOf(IllegalArgumentException.class);
  }
}
