package io.cpol.cli;

import picocli.CommandLine.Option;

/** {@code -o} of the verbs that print one document: a human summary, or JSON or YAML. */
final class DocumentOutput {
  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
  SessionOutput.Format format;
}
