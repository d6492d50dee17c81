package io.cpol.enforce;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;

/**
 * Parses durations written the way Go's {@code time.ParseDuration} reads them ("1m30s", "1.5h").
 */
public final class GoDuration {
  private static final Map<String, Long> NANOS_PER_UNIT =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "\u00b5s", 1_000L, // micro sign, as Go accepts
          "\u03bcs", 1_000L, // Greek small letter mu, as Go accepts
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L);
  private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
  private static final BigInteger MIN_NANOS = BigInteger.valueOf(Long.MIN_VALUE);

  private GoDuration() {}

  /**
   * Parses a possibly signed sequence of decimal numbers, each with an optional fraction and a unit
   * suffix (ns, us, µs, ms, s, m, h); "0" alone is also accepted.
   *
   * @throws IllegalArgumentException naming the input and what is wrong with it
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("invalid duration: null");
    }
    int pos = 0;
    boolean negative = false;
    if (pos < text.length() && (text.charAt(pos) == '-' || text.charAt(pos) == '+')) {
      negative = text.charAt(pos) == '-';
      pos++;
    }
    if (text.substring(pos).equals("0")) {
      return Duration.ZERO;
    }
    if (pos == text.length()) {
      throw invalid(text, "empty");
    }
    BigInteger total = BigInteger.ZERO;
    while (pos < text.length()) {
      int numberStart = pos;
      int integerDigits = skipDigits(text, pos) - pos;
      pos += integerDigits;
      int fractionDigits = 0;
      if (pos < text.length() && text.charAt(pos) == '.') {
        pos++;
        fractionDigits = skipDigits(text, pos) - pos;
        pos += fractionDigits;
      }
      if (integerDigits == 0 && fractionDigits == 0) {
        throw invalid(text, "expected a number at position " + numberStart);
      }
      String number = text.substring(numberStart, pos);
      int unitStart = pos;
      while (pos < text.length() && text.charAt(pos) != '.' && !isDigit(text.charAt(pos))) {
        pos++;
      }
      String unit = text.substring(unitStart, pos);
      if (unit.isEmpty()) {
        throw invalid(text, "missing unit after " + number + " (use ns, us, ms, s, m or h)");
      }
      Long unitNanos = NANOS_PER_UNIT.get(unit);
      if (unitNanos == null) {
        throw invalid(text, "unknown unit \"" + unit + "\" (use ns, us, ms, s, m or h)");
      }
      // Like Go, each component is truncated to whole nanoseconds before summing.
      total =
          total.add(
              new BigDecimal(number.endsWith(".") ? number + "0" : number)
                  .multiply(BigDecimal.valueOf(unitNanos))
                  .setScale(0, RoundingMode.DOWN)
                  .toBigIntegerExact());
      if (total.compareTo(MAX_NANOS) > 0 && !(negative && total.negate().equals(MIN_NANOS))) {
        throw invalid(text, "out of range (at most about 2562047h)");
      }
    }
    return Duration.ofNanos((negative ? total.negate() : total).longValueExact());
  }

  private static int skipDigits(String text, int pos) {
    while (pos < text.length() && isDigit(text.charAt(pos))) {
      pos++;
    }
    return pos;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static IllegalArgumentException invalid(String text, String reason) {
    return new IllegalArgumentException("invalid duration \"" + text + "\": " + reason);
  }
}
