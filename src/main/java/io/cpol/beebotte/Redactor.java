package io.cpol.beebotte;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one scrubber: makes text fit to be stored in a condition, an event, a log line or a metric
 * label by taking out every credential value it knows, whatever characters the value holds, also
 * percent-encoded, without surrounding blanks, or as an ASCII console prints it. A client's own
 * instance ({@link #of}) knows its account's credentials and, per request ({@link #forRequest}),
 * the whole {@code apiKey:signature} Authorization value and the bare signature, so an echo cannot
 * be replayed within the Date window; it also replaces HTTP dates ({@link #redact}), so that the
 * same failure gives the same message on every retry although each request is signed at another
 * second. The operator's instance ({@link #Redactor()}) learns the values of every Secret it reads
 * ({@link #remember}) and guards status, events and logs. Thread-safe.
 */
public final class Redactor {
  /** What a credential becomes. */
  static final String CREDENTIAL = "***";

  /** What an HTTP date (IMF-fixdate, as in Date headers) becomes. */
  static final String DATE = "<date>";

  /**
   * How many values the operator's instance keeps, the least recently remembered going first: far
   * more than the Secrets one operator reads (three values each), and a bound on the work of each
   * scrub, which looks for every value.
   */
  static final int CAPACITY = 1024;

  /**
   * Printable ASCII characters a value needs for its ASCII-console form to be looked for: fewer
   * leave that form mostly "?", which innocent text holds too; a credential has dozens.
   */
  static final int MIN_ASCII = 8;

  private static final Pattern HTTP_DATE =
      Pattern.compile(
          "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2}"
              + " (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4}"
              + " [0-9]{2}:[0-9]{2}:[0-9]{2} GMT");

  /** The values as given, oldest first; guarded by {@code this}. */
  private final LinkedHashSet<String> values;

  /** What is looked for, replaced whole when a value changes. */
  private volatile Known known;

  /**
   * @param secrets the values and their encodings, longest first, so that one containing another
   *     goes whole
   * @param openings of the values that span lines, each beginning up to and including one of its
   *     line breaks (not the last character): what a text read line by line can end with while the
   *     value is still to come; none that is only blanks
   */
  private record Known(List<String> secrets, List<String> openings) {}

  /** An instance that knows no value yet; {@link #remember} teaches it. */
  public Redactor() {
    this(Set.of());
  }

  private Redactor(Collection<String> values) {
    this.values = new LinkedHashSet<>();
    values.stream().filter(v -> v != null && !v.isEmpty()).forEach(this.values::add);
    this.known = known(this.values);
  }

  /** Takes out the account's own credentials. */
  static Redactor of(Credentials credentials) {
    if (credentials instanceof Credentials.Keys keys) {
      return new Redactor(List.of(keys.apiKey(), keys.secretKey()));
    }
    return new Redactor(List.of(((Credentials.Token) credentials).token()));
  }

  /**
   * Also takes out these values from now on: every value of a Secret the operator read, used or
   * refused. The values stay (up to {@link #CAPACITY}) after the Secret changes, so that a pass
   * still running with the old credentials cannot write them either.
   */
  public void remember(Collection<String> more) {
    synchronized (this) {
      boolean changed = false;
      for (String value : more) {
        if (value != null && !value.isEmpty()) {
          // Moved to the newest end: a value still in use is the last to be forgotten.
          changed |= !values.remove(value);
          values.add(value);
        }
      }
      for (Iterator<String> oldest = values.iterator(); values.size() > CAPACITY; ) {
        oldest.next();
        oldest.remove();
        changed = true;
      }
      if (changed) {
        known = known(values);
      }
    }
  }

  /**
   * Also takes out what one request carried besides the credentials themselves.
   *
   * @param authorization the request's Authorization header ({@code apiKey:signature}), or null
   */
  Redactor forRequest(String authorization) {
    if (authorization == null) {
      return this;
    }
    List<String> more;
    synchronized (this) {
      more = new ArrayList<>(values);
    }
    more.add(authorization);
    int colon = authorization.indexOf(':');
    if (colon >= 0) {
      more.add(authorization.substring(colon + 1));
    }
    return new Redactor(more);
  }

  /** Whether there is nothing to take out: every text stays as it is. */
  public boolean knowsNothing() {
    return known.secrets().isEmpty();
  }

  /**
   * The text without any value this instance knows, nor any of their encodings; null stays null.
   * The result never contains a value, even one that shares characters with {@value #CREDENTIAL}.
   */
  public String scrub(String text) {
    List<String> secrets = known.secrets();
    if (text == null || secrets.isEmpty()) {
      return text;
    }
    String out = text;
    for (String secret : secrets) {
      out = out.replace(secret, CREDENTIAL);
    }
    // Only a value that shares characters with the mark can be found again (across a mark); such
    // values go without one. Each pass shortens the text, so this ends.
    for (boolean again = true; again; ) {
      again = false;
      for (String secret : secrets) {
        if (out.contains(secret)) {
          out = out.replace(secret, "");
          again = true;
        }
      }
    }
    return out;
  }

  /**
   * Where a value that spans lines may have begun in {@code text} (read line by line, scrubbed),
   * its rest not written yet: the smallest index from which the rest of {@code text} is the
   * beginning of a value up to one of its line breaks; -1 when there is none. Only values holding a
   * line break can answer other than -1, and only for a text ending with a line break.
   */
  public int unfinishedAt(String text) {
    int at = -1;
    for (String opening : known.openings()) {
      if (text.endsWith(opening)) {
        int start = text.length() - opening.length();
        at = at < 0 ? start : Math.min(at, start);
      }
    }
    return at;
  }

  /** {@link #scrub} after replacing HTTP dates, so that retries read alike; null stays null. */
  String redact(String text) {
    return text == null ? null : scrub(HTTP_DATE.matcher(text).replaceAll(DATE));
  }

  /**
   * The exception itself when its message holds nothing to take out; otherwise a plain IOException
   * with the redacted message and the original stack trace, so that logging the cause cannot bring
   * an echo back.
   */
  IOException redact(IOException e) {
    String message = e.getMessage();
    String redacted = redact(message);
    if (message == null || message.equals(redacted)) {
      return e;
    }
    IOException copy = new IOException(e.getClass().getSimpleName() + ": " + redacted);
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  private static Known known(Collection<String> values) {
    Set<String> all = new LinkedHashSet<>();
    for (String value : values) {
      all.add(value);
      all.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
      all.add(RequestTarget.encode(value));
      // A value beginning with a blank line has no opening worth waiting for (every line ends with
      // one); read line by line it is still found whole without its surrounding blanks.
      String stripped = value.strip();
      if (!stripped.isEmpty()) {
        all.add(stripped);
      }
      // As a console whose charset is ASCII prints it (Java 17's default in a container without a
      // locale): each other character, a byte-order mark or a decoded invalid byte too, as "?".
      // Not for a value of a few ASCII characters: "?" alone would take every "?" out of a text.
      if (value.chars().filter(c -> c > ' ' && c < 0x7f).count() >= MIN_ASCII) {
        all.add(
            value
                .codePoints()
                .map(c -> c < 0x80 ? c : '?')
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString());
      }
    }
    List<String> openings = new ArrayList<>();
    for (String secret : all) {
      for (int i = secret.indexOf('\n'); i >= 0 && i < secret.length() - 1; ) {
        String opening = secret.substring(0, i + 1);
        if (!opening.isBlank()) {
          openings.add(opening);
        }
        i = secret.indexOf('\n', i + 1);
      }
    }
    return new Known(
        all.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList(),
        List.copyOf(openings));
  }
}
