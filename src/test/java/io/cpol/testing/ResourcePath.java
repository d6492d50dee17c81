package io.cpol.testing;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A request target on the Kubernetes API, taken apart: {@code
 * /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]?query} (or {@code /api/v1/...}
 * for the core group).
 *
 * @param plural null when the path is not a resource path (discovery, /version, /openapi)
 * @param query decoded query parameters, first value of each
 */
record ResourcePath(
    String path,
    String group,
    String version,
    String namespace,
    String plural,
    String name,
    String subresource,
    Map<String, String> query) {

  static ResourcePath parse(String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    Map<String, String> query = parseQuery(q < 0 ? "" : target.substring(q + 1));
    List<String> segments =
        Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    String group;
    List<String> rest;
    if (segments.size() >= 2 && segments.get(0).equals("api")) {
      group = "";
      rest = segments.subList(1, segments.size());
    } else if (segments.size() >= 3 && segments.get(0).equals("apis")) {
      group = segments.get(1);
      rest = segments.subList(2, segments.size());
    } else {
      return new ResourcePath(path, null, null, null, null, null, null, query);
    }
    String version = rest.get(0);
    List<String> r = new ArrayList<>(rest.subList(1, rest.size()));
    String namespace = null;
    if (r.size() >= 3
        && r.get(0).equals("namespaces")
        && !r.get(2).equals("status")
        && !r.get(2).equals("finalize")) {
      namespace = r.get(1);
      r = r.subList(2, r.size());
    }
    if (r.isEmpty() || r.size() > 3) {
      return new ResourcePath(path, group, version, null, null, null, null, query);
    }
    return new ResourcePath(
        path,
        group,
        version,
        namespace,
        r.get(0),
        r.size() > 1 ? r.get(1) : null,
        r.size() > 2 ? r.get(2) : null,
        query);
  }

  boolean isResource() {
    return plural != null;
  }

  boolean isList() {
    return plural != null && name == null;
  }

  boolean isWatch() {
    return "true".equals(query.get("watch")) || "1".equals(query.get("watch"));
  }

  /** The target again without the given query parameter. */
  static String without(String target, String parameter) {
    int q = target.indexOf('?');
    if (q < 0) {
      return target;
    }
    String kept =
        Arrays.stream(target.substring(q + 1).split("&"))
            .filter(p -> !p.isEmpty() && !p.split("=", 2)[0].equals(parameter))
            .collect(Collectors.joining("&"));
    return target.substring(0, q) + (kept.isEmpty() ? "" : "?" + kept);
  }

  private static Map<String, String> parseQuery(String query) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      String[] kv = pair.split("=", 2);
      out.putIfAbsent(
          URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
    }
    return out;
  }
}
