package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OpenAPI v3 documents ({@code /openapi/v3} and one per group-version), enough for kubectl:
 *
 * <ul>
 *   <li>{@code apply}/{@code create} validation: each resource's PATCH operation lists the {@code
 *       fieldValidation} query parameter, so kubectl leaves validation to the server instead of
 *       asking for the OpenAPI v2 document (which is not served). The server stores what it gets;
 *       only the fields it reads are checked.
 *   <li>{@code apply} patch type: no type advertises strategic merge patches here, so kubectl sends
 *       JSON merge patches for custom resources, as with a real API server, and computes strategic
 *       ones for built-in types from its own compiled-in types.
 *   <li>{@code explain}: custom resource schemas come from their CRD's {@code openAPIV3Schema}.
 * </ul>
 */
final class OpenApi {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String PREFIX = "/openapi/v3";

  private OpenApi() {}

  /** The document at {@code path}, if there is one. */
  static Optional<JsonNode> document(String path, List<ApiResource> types) {
    Map<String, ObjectNode> byGroupVersion = new LinkedHashMap<>();
    for (ApiResource t : types) {
      String key = t.group().isEmpty() ? "api/" + t.version() : "apis/" + t.groupVersion();
      ObjectNode doc =
          byGroupVersion.computeIfAbsent(
              key,
              k -> {
                ObjectNode d = JSON.objectNode();
                d.put("openapi", "3.0.0");
                d.putObject("info").put("title", "Kubernetes").put("version", "v1.32.0");
                d.putObject("paths");
                d.putObject("components").putObject("schemas");
                return d;
              });
      addResource(doc, t);
    }
    if (path.equals(PREFIX) || path.equals(PREFIX + "/")) {
      ObjectNode root = JSON.objectNode();
      ObjectNode paths = root.putObject("paths");
      byGroupVersion.forEach(
          (key, doc) ->
              paths
                  .putObject(key)
                  .put("serverRelativeURL", PREFIX + "/" + key + "?hash=" + hash(doc)));
      return Optional.of(root);
    }
    if (path.startsWith(PREFIX + "/")) {
      return Optional.ofNullable(byGroupVersion.get(path.substring(PREFIX.length() + 1)));
    }
    return Optional.empty();
  }

  private static void addResource(ObjectNode doc, ApiResource t) {
    String schemaName = schemaName(t);
    ObjectNode schemas = (ObjectNode) doc.path("components").path("schemas");
    schemas.set(schemaName, schema(t));
    String base = t.group().isEmpty() ? "/api/" + t.version() : "/apis/" + t.groupVersion();
    String collection = base + (t.namespaced() ? "/namespaces/{namespace}/" : "/") + t.plural();
    ObjectNode paths = (ObjectNode) doc.path("paths");
    ObjectNode item = paths.putObject(collection + "/{name}");
    for (String method : List.of("get", "put", "delete")) {
      operation(item, method, t, schemaName);
    }
    operation(item, "patch", t, schemaName);
    ObjectNode list = paths.putObject(collection);
    operation(list, "get", t, schemaName);
    operation(list, "post", t, schemaName);
  }

  private static void operation(
      ObjectNode pathItem, String method, ApiResource t, String schemaName) {
    ObjectNode op = pathItem.putObject(method);
    op.put("operationId", method + t.kind());
    ObjectNode gvk = op.putObject("x-kubernetes-group-version-kind");
    gvk.put("group", t.group());
    gvk.put("version", t.version());
    gvk.put("kind", t.kind());
    ArrayNode parameters = op.putArray("parameters");
    if (method.equals("patch") || method.equals("put") || method.equals("post")) {
      for (String name : List.of("dryRun", "fieldManager", "fieldValidation")) {
        ObjectNode p = parameters.addObject();
        p.put("name", name);
        p.put("in", "query");
        p.putObject("schema").put("type", "string");
      }
      ObjectNode content = op.putObject("requestBody").putObject("content");
      // No strategic merge patch: kubectl then computes it from its compiled-in types (built-in
      // kinds) or sends a JSON merge patch (custom resources), never from these thin schemas.
      List<String> types =
          method.equals("patch")
              ? List.of(
                  "application/json-patch+json",
                  "application/merge-patch+json",
                  "application/apply-patch+yaml")
              : List.of("*/*");
      for (String type : types) {
        content
            .putObject(type)
            .putObject("schema")
            .put("$ref", "#/components/schemas/" + schemaName);
      }
    }
    op.putObject("responses")
        .putObject("200")
        .put("description", "OK")
        .putObject("content")
        .putObject("application/json")
        .putObject("schema")
        .put("$ref", "#/components/schemas/" + schemaName);
  }

  private static ObjectNode schema(ApiResource t) {
    ObjectNode schema =
        t.crdVersion() != null && t.crdVersion().path("schema").has("openAPIV3Schema")
            ? t.crdVersion().path("schema").path("openAPIV3Schema").deepCopy()
            : JSON.objectNode().put("type", "object");
    if (!schema.has("description")) {
      schema.put("description", t.kind() + " (" + t.groupVersion() + ")");
    }
    ObjectNode properties =
        schema.path("properties").isObject()
            ? (ObjectNode) schema.get("properties")
            : schema.putObject("properties");
    properties
        .putObject("apiVersion")
        .put("type", "string")
        .put("description", "APIVersion defines the versioned schema of this representation.");
    properties
        .putObject("kind")
        .put("type", "string")
        .put("description", "Kind is a string value representing the REST resource.");
    properties
        .putObject("metadata")
        .put("type", "object")
        .put("description", "Standard object's metadata.");
    ObjectNode gvk = schema.putArray("x-kubernetes-group-version-kind").addObject();
    gvk.put("group", t.group());
    gvk.put("kind", t.kind());
    gvk.put("version", t.version());
    return schema;
  }

  private static String schemaName(ApiResource t) {
    if (t.group().isEmpty()) {
      return "io.k8s.api.core." + t.version() + "." + t.kind();
    }
    String[] parts = t.group().split("\\.");
    StringBuilder reversed = new StringBuilder();
    for (int i = parts.length - 1; i >= 0; i--) {
      reversed.append(parts[i]).append('.');
    }
    return reversed + t.version() + "." + t.kind();
  }

  private static String hash(JsonNode doc) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(doc.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16).toUpperCase();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
