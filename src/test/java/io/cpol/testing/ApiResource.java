package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One resource type the embedded API serves, as discovery describes it.
 *
 * @param group API group, empty for the core group
 * @param crdVersion the CRD's version entry (printer columns, schema); null for built-in types
 */
record ApiResource(
    String group,
    String version,
    String plural,
    String singular,
    String kind,
    boolean namespaced,
    List<String> shortNames,
    List<String> categories,
    boolean statusSubresource,
    JsonNode crdVersion) {

  static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  /** The types the embedded API serves besides custom resources. */
  static final List<ApiResource> BUILT_IN =
      List.of(
          builtIn("", "namespaces", "Namespace", false, "ns"),
          builtIn("", "secrets", "Secret", true),
          builtIn("", "configmaps", "ConfigMap", true, "cm"),
          builtIn("", "events", "Event", true, "ev"),
          builtIn(
              "apiextensions.k8s.io",
              "customresourcedefinitions",
              "CustomResourceDefinition",
              false,
              "crd",
              "crds"),
          builtIn("coordination.k8s.io", "leases", "Lease", true));

  private static ApiResource builtIn(
      String group, String plural, String kind, boolean namespaced, String... shortNames) {
    return new ApiResource(
        group,
        "v1",
        plural,
        kind.toLowerCase(),
        kind,
        namespaced,
        List.of(shortNames),
        List.of(),
        false,
        null);
  }

  /** One entry per served version of a stored CustomResourceDefinition. */
  static List<ApiResource> fromCrd(JsonNode crd) {
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    List<ApiResource> out = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      if (!v.path("served").asBoolean(true)) {
        continue;
      }
      out.add(
          new ApiResource(
              spec.path("group").asText(),
              v.path("name").asText(),
              names.path("plural").asText(),
              names.path("singular").asText(names.path("kind").asText().toLowerCase()),
              names.path("kind").asText(),
              !"Cluster".equals(spec.path("scope").asText()),
              texts(names.path("shortNames")),
              texts(names.path("categories")),
              v.path("subresources").has("status"),
              v));
    }
    return out;
  }

  /** {@code v1} or {@code group/version}. */
  String groupVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  String listKind() {
    return kind + "List";
  }

  /** How error messages name the type, e.g. {@code connectionpolicies.beebotte.io}. */
  String qualifiedName() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return List.copyOf(out);
  }
}
