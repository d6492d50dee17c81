package io.cpol.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Entry point of {@code kubectl-beebotte}: runs a verb, prints failures as one {@code error:} line
 * (never a stack trace), and ends quietly when the reader of its output goes away ({@code | head}).
 */
public final class Main {
  private static final PrintStream OUT =
      new PrintStream(
          new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
          false,
          StandardCharsets.UTF_8);
  private static final PrintStream ERR =
      new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

  private Main() {}

  public static void main(String[] args) {
    int code = run(args);
    OUT.flush();
    System.exit(code);
  }

  /** Runs the command line; returns the exit status. */
  static int run(String... args) {
    CommandLine cli = new CommandLine(new KubectlBeebotte());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(new java.io.PrintWriter(OUT, true));
    cli.setErr(new java.io.PrintWriter(ERR, true));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CliException c) {
            ERR.println("error: " + c.getMessage());
            return c.exitCode();
          }
          if (e instanceof OutputClosed) {
            return 0;
          }
          // A bug: say what it was in one line, not as a trace.
          ERR.println("error: unexpected " + e);
          return CliException.FAILED;
        });
    int code = cli.execute(args);
    OUT.flush();
    return code;
  }

  static PrintStream stdout() {
    return OUT;
  }

  static PrintStream stderr() {
    return ERR;
  }

  /** The reader of standard output has gone: stop printing, successfully. */
  static void outputClosed(IOException e) {
    throw new OutputClosed(e);
  }

  private static final class OutputClosed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputClosed(IOException cause) {
      super(cause);
    }
  }
}
