package io.cpol.reconciler;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Status timestamps: RFC 3339 in UTC with whole seconds, as Kubernetes writes them. */
final class StatusTime {
  private StatusTime() {}

  static String format(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
