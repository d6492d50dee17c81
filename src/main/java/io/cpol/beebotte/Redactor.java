package io.cpol.beebotte;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Makes what a server (or a proxy) says fit to be stored: in a condition, an event, a log line or a
 * metric label. Takes out every credential the request carried (the whole {@code apiKey:signature}
 * Authorization value, the bare signature, the API key, the secret key, the token), also
 * percent-encoded, so an echo cannot be replayed within the Date window; and replaces HTTP dates,
 * so that the same failure gives the same message on every retry even though each request is signed
 * at another second.
 */
final class Redactor {
  /** What a credential becomes. */
  static final String CREDENTIAL = "***";

  /** What an HTTP date (IMF-fixdate, as in Date headers) becomes. */
  static final String DATE = "<date>";

  private static final Pattern HTTP_DATE =
      Pattern.compile(
          "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2}"
              + " (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4}"
              + " [0-9]{2}:[0-9]{2}:[0-9]{2} GMT");

  private final Set<String> values;

  /** The values and their encodings, longest first, so that one containing another goes whole. */
  private final List<String> secrets;

  private Redactor(Set<String> values) {
    this.values = values;
    Set<String> all = new LinkedHashSet<>();
    for (String value : values) {
      if (value != null && !value.isEmpty()) {
        all.add(value);
        all.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
        all.add(RequestTarget.encode(value));
      }
    }
    this.secrets = all.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
  }

  /** Takes out the account's own credentials. */
  static Redactor of(Credentials credentials) {
    if (credentials instanceof Credentials.Keys keys) {
      return new Redactor(Set.of(keys.apiKey(), keys.secretKey()));
    }
    return new Redactor(Set.of(((Credentials.Token) credentials).token()));
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
    Set<String> more = new LinkedHashSet<>(values);
    more.add(authorization);
    int colon = authorization.indexOf(':');
    if (colon >= 0) {
      more.add(authorization.substring(colon + 1));
    }
    return new Redactor(more);
  }

  /** The text without credentials, and with its HTTP dates replaced; null stays null. */
  String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String secret : secrets) {
      out = out.replace(secret, CREDENTIAL);
    }
    return HTTP_DATE.matcher(out).replaceAll(DATE);
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
}
