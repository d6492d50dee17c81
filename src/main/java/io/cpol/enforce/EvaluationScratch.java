package io.cpol.enforce;

import io.cpol.beebotte.Connection;

/**
 * Working memory for evaluating connections one after another, reused so the hot path allocates
 * nothing; not thread-safe, one instance per thread.
 */
final class EvaluationScratch {
  private final IpAddressParser parser = new IpAddressParser();
  private final GroupMatches singleGroup = new GroupMatches(1, null);
  private Connection parsedFor;
  private boolean parsed;

  /** Matches of a single-policy {@link RuleSet}. */
  GroupMatches singleGroup() {
    return singleGroup;
  }

  /**
   * The connection's client address, unmapped from IPv4-mapped IPv6, or null when it is missing or
   * not an IP address. Parsed at most once per connection.
   */
  IpAddressParser clientAddress(Connection connection) {
    if (connection != parsedFor) {
      parsedFor = connection;
      parsed = parser.parse(connection.clientip(), true);
    }
    return parsed ? parser : null;
  }
}
