package io.cpol;

import io.cpol.beebotte.Redactor;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One of the process's console streams, written on to its target line by line, each line scrubbed
 * by the redactors: what is written is held until its line ends, so a value written in pieces is
 * still found. A partial line waits for its end (or {@link #MAX_LINE}, or close).
 *
 * <p>A value may itself hold a line break (a token pasted with one), and then no single line holds
 * it. Lines are therefore scrubbed together with the lines held back before them, and a line is
 * held back only while the text so far ends with the beginning of such a value up to one of its
 * breaks ({@link Redactor#unfinishedAt}): the next line either completes the value, which is then
 * taken out whole, or shows it was not one, and the held lines go on at once. Waiting for the whole
 * value, rather than taking out each of its lines wherever it appears, keeps innocent text: a value
 * whose first line is "a" would otherwise take every "a" out of the console. What is held never
 * waits longer than {@link #HOLD} without a new line: everything that prints a value (a println, a
 * stack trace, which holds the stream for all its lines) writes it at once, so a pause that long
 * means the rest is not coming, and the held lines go on as they are.
 */
final class ScrubbedLines extends OutputStream {
  /** A line longer than this is scrubbed and written in pieces (no credential is this long). */
  static final int MAX_LINE = 64 * 1024;

  /**
   * How long lines ending with the beginning of a value wait for the rest: far more than the gap
   * between two lines of one print, even across a GC pause on a throttled node; little enough for a
   * reader of the console.
   */
  static final Duration HOLD = Duration.ofSeconds(1);

  private final PrintStream target;
  private final Charset charset;
  private final Collection<Redactor> redactors;
  private final ScheduledExecutorService timer;

  /** What is not written yet: held lines (already scrubbed), then a partial line. */
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(256);

  /** The release of the lines held now; guarded by this. */
  private ScheduledFuture<?> release;

  /** Counts holds, so that a release that lost the race with a newer hold does nothing. */
  private long holds;

  /**
   * @param redactors read at every line, so a redactor attached later counts at once
   * @param timer lets held lines go after {@link #HOLD}
   */
  ScrubbedLines(
      PrintStream target,
      Charset charset,
      Collection<Redactor> redactors,
      ScheduledExecutorService timer) {
    this.target = target;
    this.charset = charset;
    this.redactors = redactors;
    this.timer = timer;
  }

  @Override
  public synchronized void write(int b) {
    pending.write(b);
    if (b == '\n' || pending.size() >= MAX_LINE) {
      drain(b == '\n');
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    int start = off;
    for (int i = off; i < off + len; i++) {
      if (b[i] == '\n' || pending.size() + (i + 1 - start) >= MAX_LINE) {
        pending.write(b, start, i + 1 - start);
        start = i + 1;
        drain(b[i] == '\n');
      }
    }
    pending.write(b, start, off + len - start);
  }

  @Override
  public synchronized void flush() {
    // A partial or held line stays: flushing it now could cut a value in two.
    target.flush();
  }

  /** Writes the held lines now, as they are; a partial line stays. */
  synchronized void releaseHeld() {
    cancelRelease();
    holds++;
    byte[] bytes = pending.toByteArray();
    int end = lastLineEnd(bytes);
    if (end > 0) {
      pending.reset();
      pending.write(bytes, end, bytes.length - end);
      write(new String(bytes, 0, end, charset));
    }
  }

  @Override
  public synchronized void close() {
    cancelRelease();
    String rest = pending.toString(charset);
    pending.reset();
    write(rest);
  }

  /**
   * Called when {@link #pending} ends with a line break ({@code lineEnded}) or is {@link #MAX_LINE}
   * long; then nothing is held, so a long line cannot make every next byte a drain.
   */
  private void drain(boolean lineEnded) {
    String text = scrub(pending.toString(charset));
    pending.reset();
    int unfinished = -1;
    for (Redactor redactor : lineEnded ? redactors : List.<Redactor>of()) {
      int at = redactor.unfinishedAt(text);
      if (at >= 0 && (unfinished < 0 || at < unfinished)) {
        unfinished = at;
      }
    }
    // Held from the start of the line the value may begin in: only whole lines are written.
    int cut = unfinished < 0 ? text.length() : text.lastIndexOf('\n', unfinished - 1) + 1;
    print(text.substring(0, cut));
    if (cut == text.length()) {
      cancelRelease();
      return;
    }
    pending.writeBytes(text.substring(cut).getBytes(charset));
    // From the newest line: while lines keep completing a value's beginning, it is still coming.
    cancelRelease();
    long hold = ++holds;
    try {
      release = timer.schedule(() -> releaseHeld(hold), HOLD.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      releaseHeld();
    }
  }

  private synchronized void releaseHeld(long hold) {
    if (hold == holds) {
      releaseHeld();
    }
  }

  private void write(String text) {
    print(scrub(text));
  }

  private void print(String scrubbed) {
    if (!scrubbed.isEmpty()) {
      target.print(scrubbed);
      target.flush();
    }
  }

  private String scrub(String text) {
    String scrubbed = text;
    for (Redactor redactor : redactors) {
      scrubbed = redactor.scrub(scrubbed);
    }
    return scrubbed;
  }

  private void cancelRelease() {
    if (release != null) {
      release.cancel(false);
      release = null;
    }
  }

  private static int lastLineEnd(byte[] bytes) {
    for (int i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }
}
