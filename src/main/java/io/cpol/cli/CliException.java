package io.cpol.cli;

/**
 * A failure the plugin explains in one message and an exit code, without a stack trace. Messages
 * never carry secret material: Beebotte's and Kubernetes' messages are already redacted.
 */
final class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Something went wrong (cluster, Secret, Beebotte, the policy). */
  static final int FAILED = 1;

  /** The command line itself is wrong. */
  static final int USAGE = 2;

  /** {@code preview --fail-over N}: the policy would drop more than N sessions. */
  static final int OVER_LIMIT = 3;

  private final int exitCode;

  CliException(String message) {
    this(message, FAILED);
  }

  CliException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
