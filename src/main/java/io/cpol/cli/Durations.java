package io.cpol.cli;

import io.cpol.enforce.GoDuration;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Go-style durations on the command line ("30s", "1m30s"), as kubectl takes them. */
final class Durations implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    Duration d;
    try {
      d = GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      d = null;
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new TypeConversionException("'" + value + "' is not a positive duration such as 30s");
    }
    return d;
  }
}
