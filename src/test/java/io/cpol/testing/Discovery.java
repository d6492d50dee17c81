package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The unaggregated discovery documents kubectl reads to map {@code cpol} to a resource: {@code
 * /api}, {@code /api/v1}, {@code /apis}, {@code /apis/GROUP} and {@code /apis/GROUP/VERSION}, plus
 * {@code /version} and the root path list. Aggregated discovery (apidiscovery.k8s.io) is not
 * offered; kubectl falls back to these when the response is plain {@code application/json}.
 */
final class Discovery {
  static final String SERVER_VERSION = "v1.32.0";
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private Discovery() {}

  /** The document for {@code path}, or null when {@code path} is not a discovery path. */
  static JsonNode document(String path, List<ApiResource> types) {
    String p =
        path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
    if (p.equals("/")) {
      return rootPaths(types);
    }
    if (p.equals("/version")) {
      return version();
    }
    if (p.equals("/api")) {
      ObjectNode versions = JSON.objectNode();
      versions.put("kind", "APIVersions");
      versions.putArray("versions").add("v1");
      ArrayNode cidrs = versions.putArray("serverAddressByClientCIDRs");
      ObjectNode any = cidrs.addObject();
      any.put("clientCIDR", "0.0.0.0/0");
      any.put("serverAddress", "");
      return versions;
    }
    if (p.equals("/apis")) {
      ObjectNode list = JSON.objectNode();
      list.put("kind", "APIGroupList");
      list.put("apiVersion", "v1");
      ArrayNode groups = list.putArray("groups");
      byGroup(types).forEach((group, versions) -> groups.add(group(group, versions)));
      return list;
    }
    String[] s = p.substring(1).split("/");
    if (s.length == 2 && s[0].equals("api")) {
      return resourceList("", s[1], types);
    }
    if (s.length == 2 && s[0].equals("apis")) {
      List<String> versions = byGroup(types).get(s[1]);
      return versions == null ? null : group(s[1], versions);
    }
    if (s.length == 3 && s[0].equals("apis")) {
      return resourceList(s[1], s[2], types);
    }
    return null;
  }

  private static JsonNode version() {
    ObjectNode v = JSON.objectNode();
    v.put("major", "1");
    v.put("minor", "32");
    v.put("gitVersion", SERVER_VERSION);
    v.put("gitCommit", "sandbox");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "2026-01-01T00:00:00Z");
    v.put("goVersion", "go1.23");
    v.put("compiler", "gc");
    v.put("platform", "linux/amd64");
    return v;
  }

  private static JsonNode rootPaths(List<ApiResource> types) {
    ObjectNode root = JSON.objectNode();
    ArrayNode paths = root.putArray("paths");
    paths.add("/api");
    paths.add("/api/v1");
    paths.add("/apis");
    byGroup(types)
        .forEach(
            (group, versions) -> {
              paths.add("/apis/" + group);
              versions.forEach(v -> paths.add("/apis/" + group + "/" + v));
            });
    paths.add("/openapi/v2");
    paths.add("/openapi/v3");
    paths.add("/version");
    return root;
  }

  private static Map<String, List<String>> byGroup(List<ApiResource> types) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (ApiResource t : types) {
      if (!t.group().isEmpty()) {
        List<String> versions = groups.computeIfAbsent(t.group(), g -> new ArrayList<>());
        if (!versions.contains(t.version())) {
          versions.add(t.version());
        }
      }
    }
    return groups;
  }

  private static ObjectNode group(String name, List<String> versions) {
    ObjectNode group = JSON.objectNode();
    group.put("kind", "APIGroup");
    group.put("apiVersion", "v1");
    group.put("name", name);
    ArrayNode list = group.putArray("versions");
    for (String v : versions) {
      ObjectNode entry = list.addObject();
      entry.put("groupVersion", name + "/" + v);
      entry.put("version", v);
    }
    ObjectNode preferred = group.putObject("preferredVersion");
    preferred.put("groupVersion", name + "/" + versions.get(0));
    preferred.put("version", versions.get(0));
    return group;
  }

  private static JsonNode resourceList(String group, String version, List<ApiResource> types) {
    List<ApiResource> matching =
        types.stream().filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
    if (matching.isEmpty()) {
      return null;
    }
    ObjectNode list = JSON.objectNode();
    list.put("kind", "APIResourceList");
    list.put("apiVersion", "v1");
    list.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = list.putArray("resources");
    for (ApiResource t : matching) {
      ObjectNode r = resources.addObject();
      r.put("name", t.plural());
      r.put("singularName", t.singular());
      r.put("namespaced", t.namespaced());
      r.put("kind", t.kind());
      ArrayNode verbs = r.putArray("verbs");
      ApiResource.VERBS.forEach(verbs::add);
      if (!t.shortNames().isEmpty()) {
        ArrayNode shortNames = r.putArray("shortNames");
        t.shortNames().forEach(shortNames::add);
      }
      if (!t.categories().isEmpty()) {
        ArrayNode categories = r.putArray("categories");
        t.categories().forEach(categories::add);
      }
      if (t.statusSubresource()) {
        ObjectNode status = resources.addObject();
        status.put("name", t.plural() + "/status");
        status.put("singularName", "");
        status.put("namespaced", t.namespaced());
        status.put("kind", t.kind());
        ArrayNode statusVerbs = status.putArray("verbs");
        List.of("get", "patch", "update").forEach(statusVerbs::add);
      }
    }
    return list;
  }
}
