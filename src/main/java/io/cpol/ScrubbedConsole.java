package io.cpol;

import io.cpol.beebotte.Redactor;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code System.out} and {@code System.err} of the operator's process, scrubbed line by line
 * ({@link ScrubbedLines}, which also finds a value spanning lines) by the redactors of the
 * operators running in it: whatever writes there (a library's {@code printStackTrace}, a stray
 * {@code println}, the console appender itself) shows no credential. Logback's own lines are
 * already scrubbed ({@link RedactingLogFilter}); this is for everything that does not go through
 * it. The two streams are the process's, so this is too: {@link #attach} wraps them, the last
 * {@link #detach} puts back what it wrapped (unless something else has replaced them since).
 */
final class ScrubbedConsole {
  private static final Set<Redactor> redactors = new CopyOnWriteArraySet<>();
  private static PrintStream originalOut;
  private static PrintStream originalErr;
  private static Wrapped out;
  private static Wrapped err;
  private static ScheduledExecutorService timer;

  /** A stream put in place of one of the process's, and the lines under it. */
  private record Wrapped(PrintStream stream, ScrubbedLines lines) {}

  private ScrubbedConsole() {}

  /**
   * From now on every line written to System.out and System.err passes {@code redactor} (and the
   * other attached ones). Streams someone else put in place since the last attach are wrapped too.
   */
  static synchronized void attach(Redactor redactor) {
    redactors.add(redactor);
    if (out == null || System.out != out.stream()) {
      originalOut = System.out;
      out = scrubbing(originalOut);
      System.setOut(out.stream());
    }
    if (err == null || System.err != err.stream()) {
      originalErr = System.err;
      err = scrubbing(originalErr);
      System.setErr(err.stream());
    }
  }

  /** The operator that owns {@code redactor} is closing. */
  static synchronized void detach(Redactor redactor) {
    redactors.remove(redactor);
    if (!redactors.isEmpty() || out == null) {
      return;
    }
    // Nothing is left to complete them: the lines held for a value's rest go now.
    for (Wrapped wrapped : new Wrapped[] {out, err}) {
      wrapped.stream().flush();
      wrapped.lines().releaseHeld();
    }
    if (System.out == out.stream()) {
      System.setOut(originalOut);
    }
    if (System.err == err.stream()) {
      System.setErr(originalErr);
    }
    out = null;
    err = null;
  }

  private static Wrapped scrubbing(PrintStream target) {
    Charset charset = Charset.defaultCharset();
    ScrubbedLines lines = new ScrubbedLines(target, charset, redactors, timer());
    return new Wrapped(new PrintStream(lines, true, charset), lines);
  }

  /** One idle daemon thread for the life of the process, made when first needed. */
  private static ScheduledExecutorService timer() {
    if (timer == null) {
      timer =
          Executors.newSingleThreadScheduledExecutor(
              task -> {
                Thread thread = new Thread(task, "scrubbed-console");
                thread.setDaemon(true);
                return thread;
              });
    }
    return timer;
  }
}
