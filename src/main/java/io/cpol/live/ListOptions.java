package io.cpol.live;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The query parameters of a list, get or watch, parsed and checked.
 *
 * @param limit at most this many items per page; 0 for all
 * @param timeoutSeconds how long a watch lasts; 0 for the server's default
 */
record ListOptions(
    int limit,
    String continueToken,
    LabelSelector labels,
    String labelSelector,
    String fieldSelector,
    boolean watch,
    String resourceVersion,
    long timeoutSeconds,
    boolean allowWatchBookmarks,
    SessionTable.IncludeObject includeObject) {

  /**
   * @throws IllegalArgumentException with the message a 400 carries
   */
  static ListOptions parse(String rawQuery) {
    Map<String, String> q = query(rawQuery);
    String labelSelector = q.get("labelSelector");
    return new ListOptions(
        nonNegative(q, "limit"),
        blankToNull(q.get("continue")),
        LabelSelector.parse(labelSelector),
        labelSelector,
        q.get("fieldSelector"),
        bool(q.get("watch")),
        blankToNull(q.get("resourceVersion")),
        nonNegative(q, "timeoutSeconds"),
        bool(q.get("allowWatchBookmarks")),
        SessionTable.IncludeObject.parse(q.get("includeObject")));
  }

  /** The field selector, with {@code metadata.name} fixed when the path names one session. */
  FieldSelector fields(String name) {
    String text = fieldSelector == null ? "" : fieldSelector;
    if (name != null) {
      text = text.isBlank() ? "metadata.name=" + name : text + ",metadata.name=" + name;
    }
    return FieldSelector.parse(text);
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> q = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return q;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      q.putIfAbsent(key, value);
    }
    return q;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static int nonNegative(Map<String, String> q, String key) {
    String v = q.get(key);
    if (v == null || v.isEmpty()) {
      return 0;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new IllegalArgumentException(key + " must not be negative, not " + v);
      }
      return (int) Math.min(n, Integer.MAX_VALUE);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, not " + v);
    }
  }

  /** As kube-apiserver reads a boolean query parameter ("1", "true"). */
  private static boolean bool(String v) {
    if (v == null) {
      return false;
    }
    return switch (v) {
      case "", "0", "false", "False", "FALSE", "f", "F" -> false;
      case "1", "true", "True", "TRUE", "t", "T" -> true;
      default -> throw new IllegalArgumentException("not a boolean: " + v);
    };
  }

  private static String blankToNull(String v) {
    return v == null || v.isEmpty() ? null : v;
  }
}
