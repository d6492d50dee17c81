package io.cpol;

import io.cpol.beebotte.Redactor;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * {@code System.out} and {@code System.err} of the operator's process, scrubbed line by line by the
 * redactors of the operators running in it: whatever writes there (a library's {@code
 * printStackTrace}, a stray {@code println}, the console appender itself) shows no credential.
 * Logback's own lines are already scrubbed ({@link RedactingLogFilter}); this is for everything
 * that does not go through it. The two streams are the process's, so this is too: {@link #attach}
 * wraps them, the last {@link #detach} puts back what it wrapped (unless something else has
 * replaced them since).
 */
final class ScrubbedConsole {
  /** A line longer than this is scrubbed and written in pieces (no credential is this long). */
  static final int MAX_LINE = 64 * 1024;

  private static final Set<Redactor> redactors = new CopyOnWriteArraySet<>();
  private static PrintStream originalOut;
  private static PrintStream originalErr;
  private static PrintStream out;
  private static PrintStream err;

  private ScrubbedConsole() {}

  /**
   * From now on every line written to System.out and System.err passes {@code redactor} (and the
   * other attached ones). Streams someone else put in place since the last attach are wrapped too.
   */
  static synchronized void attach(Redactor redactor) {
    redactors.add(redactor);
    if (System.out != out) {
      originalOut = System.out;
      out = scrubbing(originalOut);
      System.setOut(out);
    }
    if (System.err != err) {
      originalErr = System.err;
      err = scrubbing(originalErr);
      System.setErr(err);
    }
  }

  /** The operator that owns {@code redactor} is closing. */
  static synchronized void detach(Redactor redactor) {
    redactors.remove(redactor);
    if (!redactors.isEmpty() || out == null) {
      return;
    }
    out.flush();
    err.flush();
    if (System.out == out) {
      System.setOut(originalOut);
    }
    if (System.err == err) {
      System.setErr(originalErr);
    }
    out = null;
    err = null;
  }

  private static PrintStream scrubbing(PrintStream target) {
    Charset charset = Charset.defaultCharset();
    return new PrintStream(new Lines(target, charset), true, charset);
  }

  private static String scrub(String line) {
    String scrubbed = line;
    for (Redactor redactor : redactors) {
      scrubbed = redactor.scrub(scrubbed);
    }
    return scrubbed;
  }

  /**
   * Holds what is written until a line ends, then writes the line scrubbed: a value written in two
   * pieces is still found. A partial line waits for its end (or {@link #MAX_LINE}, or close).
   */
  private static final class Lines extends OutputStream {
    private final PrintStream target;
    private final Charset charset;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

    Lines(PrintStream target, Charset charset) {
      this.target = target;
      this.charset = charset;
    }

    @Override
    public synchronized void write(int b) {
      line.write(b);
      if (b == '\n' || line.size() >= MAX_LINE) {
        emit();
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      int start = off;
      for (int i = off; i < off + len; i++) {
        if (b[i] == '\n') {
          line.write(b, start, i + 1 - start);
          start = i + 1;
          emit();
        } else if (line.size() + (i + 1 - start) >= MAX_LINE) {
          line.write(b, start, i + 1 - start);
          start = i + 1;
          emit();
        }
      }
      line.write(b, start, off + len - start);
    }

    @Override
    public synchronized void flush() {
      // A partial line stays until it ends: flushing it now could cut a value in two.
      target.flush();
    }

    @Override
    public synchronized void close() {
      emit();
      target.flush();
    }

    private void emit() {
      if (line.size() == 0) {
        return;
      }
      String text = line.toString(charset);
      line.reset();
      target.print(scrub(text));
      target.flush();
    }
  }
}
