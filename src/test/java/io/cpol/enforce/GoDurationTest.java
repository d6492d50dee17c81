package io.cpol.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {
  static Stream<Arguments> validDurations() {
    return Stream.of(
        Arguments.of("30s", Duration.ofSeconds(30)),
        Arguments.of("1m30s", Duration.ofSeconds(90)),
        Arguments.of("1.5h", Duration.ofMinutes(90)),
        Arguments.of("500ms", Duration.ofMillis(500)),
        Arguments.of("2h45m", Duration.ofMinutes(165)),
        Arguments.of("1h2m3s4ms5us6ns", Duration.parse("PT1H2M3.004005006S")),
        Arguments.of("10\u00b5s", Duration.ofNanos(10_000)),
        Arguments.of("10\u03bcs", Duration.ofNanos(10_000)),
        Arguments.of("7ns", Duration.ofNanos(7)),
        Arguments.of("0", Duration.ZERO),
        Arguments.of("0s", Duration.ZERO),
        Arguments.of(".5s", Duration.ofMillis(500)),
        Arguments.of("1.s", Duration.ofSeconds(1)),
        Arguments.of("-1.5h", Duration.ofMinutes(-90)),
        Arguments.of("+5s", Duration.ofSeconds(5)),
        Arguments.of("1m1m", Duration.ofMinutes(2)),
        Arguments.of("24h", Duration.ofHours(24)),
        Arguments.of("1.0000000009s", Duration.ofSeconds(1)),
        Arguments.of("1.2345678919ms", Duration.ofNanos(1_234_567)),
        Arguments.of("2562047h", Duration.ofHours(2_562_047)),
        Arguments.of("9223372036854775807ns", Duration.ofNanos(Long.MAX_VALUE)),
        Arguments.of("-9223372036854775808ns", Duration.ofNanos(Long.MIN_VALUE)));
  }

  @ParameterizedTest
  @MethodSource("validDurations")
  void parsesGoDurations(String text, Duration expected) {
    assertThat(GoDuration.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "s",
        "30",
        "1x",
        "1.5",
        "1h30",
        "--1s",
        "-",
        "1 s",
        " 1s",
        "1s ",
        "1e3s",
        "h1",
        ".s",
        "1..5s",
        "1S",
        "1sec",
        "2562048h",
        "9223372036854775808ns",
        "PT30S"
      })
  void rejectsWhatGoRejects(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid duration \"" + text + "\": ");
  }

  @Test
  void explainsWhatIsWrong() {
    assertThatThrownBy(() -> GoDuration.parse("30"))
        .hasMessage("invalid duration \"30\": missing unit after 30 (use ns, us, ms, s, m or h)");
    assertThatThrownBy(() -> GoDuration.parse("5d"))
        .hasMessage("invalid duration \"5d\": unknown unit \"d\" (use ns, us, ms, s, m or h)");
    assertThatThrownBy(() -> GoDuration.parse(null)).hasMessage("invalid duration: null");
  }
}
