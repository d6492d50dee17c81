package io.cpol.sim;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP request as it arrived: the request target is kept byte for byte because Beebotte signs
 * it verbatim (a trailing {@code ?} included).
 *
 * @param rawTarget the request target exactly as on the request line, one char per byte
 *     (ISO-8859-1), as Node gives it to Beebotte's server in {@code req.url}; header values alike
 * @param version "HTTP/1.1" or "HTTP/1.0"
 * @param headers case-insensitive; the first occurrence of a repeated header wins
 */
record SimRequest(
    String method, String rawTarget, String version, Map<String, String> headers, byte[] body) {

  SimRequest {
    TreeMap<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    copy.putAll(headers);
    headers = Collections.unmodifiableMap(copy);
  }

  /** The header's value, or null when absent. */
  String header(String name) {
    return headers.get(name);
  }

  /** The target up to (not including) the first {@code ?}. */
  String path() {
    int q = rawTarget.indexOf('?');
    return q < 0 ? rawTarget : rawTarget.substring(0, q);
  }

  /** The raw query after the first {@code ?}; empty for a trailing {@code ?}, null without one. */
  String rawQuery() {
    int q = rawTarget.indexOf('?');
    return q < 0 ? null : rawTarget.substring(q + 1);
  }

  /** Whether the connection may serve another request after this one (RFC 9112 section 9.3). */
  boolean keepAlive() {
    String connection = header("Connection");
    boolean http10 = "HTTP/1.0".equals(version);
    if (connection == null) {
      return !http10;
    }
    String c = connection.toLowerCase(Locale.ROOT);
    if (c.contains("close")) {
      return false;
    }
    return !http10 || c.contains("keep-alive");
  }
}
