package io.cpol.enforce;

import java.util.List;

/**
 * A ConnectionPolicy spec the operator refuses to enforce; the message lists every problem found,
 * each prefixed with its field path, so one status update tells the user everything to fix.
 */
public final class InvalidSpecException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Enough to act on while keeping the message (which lands in a status condition) small. */
  static final int MAX_PROBLEMS_IN_MESSAGE = 20;

  private final List<String> problems;

  public InvalidSpecException(List<String> problems) {
    super(describe(problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, e.g. {@code spec.deny[2].clientCIDRs[0]: "10.0.0.0/33" is not a CIDR}. */
  public List<String> problems() {
    return problems;
  }

  private static String describe(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an invalid spec has at least one problem");
    }
    int shown = Math.min(problems.size(), MAX_PROBLEMS_IN_MESSAGE);
    StringBuilder message = new StringBuilder(String.join("; ", problems.subList(0, shown)));
    if (problems.size() > shown) {
      message.append("; and ").append(problems.size() - shown).append(" more problems");
    }
    return message.toString();
  }
}
