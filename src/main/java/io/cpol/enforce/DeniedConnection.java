package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import java.util.Objects;

/** A connection the policy denies, with the rule ({@code deny[i]}) that denied it. */
public record DeniedConnection(Connection connection, String rule) {
  public DeniedConnection {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(rule, "rule");
  }
}
