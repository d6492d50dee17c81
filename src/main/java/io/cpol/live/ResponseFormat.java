package io.cpol.live;

import java.util.Locale;

/**
 * How to answer, from the request's Accept header: objects as JSON, or a {@code meta.k8s.io} Table
 * (what kubectl asks for to print rows). The first media range this server can serve wins; none at
 * all means 406.
 */
enum ResponseFormat {
  JSON(null),
  TABLE_V1("meta.k8s.io/v1"),
  TABLE_V1BETA1("meta.k8s.io/v1beta1");

  private final String tableApiVersion;

  ResponseFormat(String tableApiVersion) {
    this.tableApiVersion = tableApiVersion;
  }

  boolean isTable() {
    return tableApiVersion != null;
  }

  String tableApiVersion() {
    return tableApiVersion;
  }

  /** The format for {@code accept}; null when it names nothing this server serves. */
  static ResponseFormat negotiate(String accept) {
    if (accept == null || accept.isBlank()) {
      return JSON;
    }
    for (String range : accept.split(",")) {
      ResponseFormat format = ofRange(range);
      if (format != null) {
        return format;
      }
    }
    return null;
  }

  /**
   * Whether {@code accept} can take plain JSON (an APIGroupList rather than aggregated discovery).
   */
  static boolean acceptsPlainJson(String accept) {
    if (accept == null || accept.isBlank()) {
      return true;
    }
    for (String range : accept.split(",")) {
      if (ofRange(range) == JSON) {
        return true;
      }
    }
    return false;
  }

  private static ResponseFormat ofRange(String range) {
    String[] parts = range.split(";");
    String type = parts[0].trim().toLowerCase(Locale.ROOT);
    if (!type.equals("application/json") && !type.equals("application/*") && !type.equals("*/*")) {
      return null;
    }
    String as = null;
    String group = null;
    String version = null;
    for (int i = 1; i < parts.length; i++) {
      String[] kv = parts[i].trim().split("=", 2);
      if (kv.length != 2) {
        continue;
      }
      switch (kv[0].trim()) {
        case "as" -> as = kv[1].trim();
        case "g" -> group = kv[1].trim();
        case "v" -> version = kv[1].trim();
        default -> {}
      }
    }
    if (as == null) {
      return JSON;
    }
    if (as.equals("Table") && "meta.k8s.io".equals(group)) {
      if ("v1".equals(version)) {
        return TABLE_V1;
      }
      if ("v1beta1".equals(version)) {
        return TABLE_V1BETA1;
      }
    }
    return null;
  }
}
