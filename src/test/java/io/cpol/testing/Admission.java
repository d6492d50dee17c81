package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What a real API server does with a write before it stores anything, for the embedded API:
 *
 * <ol>
 *   <li>the request body is at most 3 MiB;
 *   <li>a namespaced object's namespace matches the URL's and, on create, exists
 *       (NamespaceLifecycle);
 *   <li>custom resources are pruned to their CRD's structural schema: unknown fields are an error
 *       under {@code fieldValidation=Strict} (kubectl's default), a {@code Warning} header under
 *       {@code Warn} (the API's default) and silently dropped under {@code Ignore}; then
 *       non-nullable nulls are dropped and defaults applied;
 *   <li>validation: apiVersion and kind, ObjectMeta ({@link ObjectMetaValidation}), the schema
 *       ({@link SchemaValidation}) and, unless a blocking schema error came first, the CEL rules
 *       ({@link CelValidation}); on updates, errors on values that did not change are dropped
 *       (validation ratcheting, on by default since Kubernetes 1.30).
 * </ol>
 *
 * Failures are the Status bodies a real API server sends ({@code 422 Invalid} with {@code
 * details.causes}, {@code 400 BadRequest} for strict decoding, {@code 404} for a missing
 * namespace), so kubectl prints them as it does on a cluster. Built-in kinds get the metadata and
 * namespace checks only: their schemas are not known here.
 */
final class Admission {
  static final int MAX_REQUEST_BYTES = 3 * 1024 * 1024;
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** How a write reaches admission. */
  enum Operation {
    CREATE,
    UPDATE,
    PATCH,
    STATUS
  }

  /** The object to store and the warnings to send, or the response that refuses the write. */
  record Outcome(JsonNode object, List<String> warnings, Rejection rejection) {
    boolean admitted() {
      return rejection == null;
    }
  }

  /** A refusal: HTTP status and the Status body. */
  record Rejection(int code, ObjectNode status) {}

  /** A CRD version's schema, compiled once per CRD content. */
  private record Compiled(
      StructuralSchema structural, SchemaValidation schema, CelValidation cel, String error) {}

  private final Predicate<String> namespaceExists;
  private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();

  Admission(Predicate<String> namespaceExists) {
    this.namespaceExists = namespaceExists;
  }

  /**
   * Compiles a CRD's schemas and rules, as an API server does when the CRD is created.
   *
   * @return the errors that would make a real API server refuse the CRD, empty when none
   */
  List<FieldError> checkCrd(JsonNode crd) {
    List<FieldError> errors = new ArrayList<>();
    JsonNode versions = crd.path("spec").path("versions");
    for (int i = 0; i < versions.size(); i++) {
      JsonNode schema = versions.get(i).path("schema").path("openAPIV3Schema");
      if (schema.isMissingNode()) {
        continue;
      }
      try {
        CelValidation.compile(schema);
      } catch (CelValidation.InvalidRules e) {
        for (FieldError error : e.errors()) {
          errors.add(
              new FieldError(
                  error.type(),
                  "spec.versions[" + i + "].schema." + error.field(),
                  error.value(),
                  error.detail()));
        }
      }
    }
    return errors;
  }

  /** Rules of a CRD version that the sandbox accepts but cannot evaluate. */
  List<String> unsupportedRules(ApiResource type) {
    Compiled c = compiled(type);
    return c == null || c.cel() == null ? List.of() : c.cel().unsupported();
  }

  /**
   * @param object the object as the write would leave it (a patch already applied)
   * @param old the stored object (null on create)
   * @param pathNamespace the namespace in the URL (null for cluster-scoped paths)
   * @param fieldValidation the request's {@code fieldValidation} parameter (null: Warn)
   */
  Outcome admit(
      ApiResource type,
      Operation operation,
      ObjectNode object,
      JsonNode old,
      String pathNamespace,
      String fieldValidation) {
    String directive =
        fieldValidation == null || fieldValidation.isEmpty() ? "Warn" : fieldValidation;
    if (!Set.of("Ignore", "Warn", "Strict").contains(directive)) {
      return rejected(
          400,
          "BadRequest",
          "fieldValidation parameter unsupported: "
              + directive
              + ". Supported values are: Ignore, Warn, Strict",
          null);
    }
    ObjectNode metadata = object.withObjectProperty("metadata");
    String name =
        metadata
            .path("name")
            .asText(old == null ? "" : old.path("metadata").path("name").asText(""));
    if (type.namespaced() && pathNamespace != null) {
      String bodyNamespace = metadata.path("namespace").asText("");
      if (!bodyNamespace.isEmpty() && !bodyNamespace.equals(pathNamespace)) {
        return rejected(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
            null);
      }
      if (operation == Operation.CREATE && !namespaceExists.test(pathNamespace)) {
        ObjectNode details = JSON.objectNode().put("name", pathNamespace).put("kind", "namespaces");
        return rejected(404, "NotFound", "namespaces \"" + pathNamespace + "\" not found", details);
      }
    }
    List<String> warnings = new ArrayList<>();
    Compiled schema = compiled(type);
    JsonNode admitted = object;
    if (schema != null && schema.error() == null) {
      admitted = StructuralSchema.normalizeNumbers(object);
      List<String> unknown = schema.structural().prune((ObjectNode) admitted);
      if (!unknown.isEmpty() && !directive.equals("Ignore")) {
        List<String> messages = unknown.stream().map(p -> "unknown field \"" + p + "\"").toList();
        if (directive.equals("Strict")) {
          String strict = "strict decoding error: " + String.join(", ", messages);
          String message =
              operation == Operation.PATCH
                  ? strict
                  : type.kind()
                      + " in version \""
                      + type.version()
                      + "\" cannot be handled as a "
                      + type.kind()
                      + ": "
                      + strict;
          return rejected(400, "BadRequest", message, null);
        }
        warnings.addAll(messages);
      }
      schema.structural().applyDefaults(admitted);
      if (type.statusSubresource()) {
        ObjectNode o = (ObjectNode) admitted;
        if (operation == Operation.CREATE) {
          o.remove("status");
        } else if (operation != Operation.STATUS && old != null && old.has("status")) {
          o.set("status", old.get("status").deepCopy());
        } else if (operation != Operation.STATUS) {
          o.remove("status");
        }
      }
    }
    List<FieldError> errors = new ArrayList<>();
    if (schema != null) {
      errors.addAll(typeMeta(type, admitted));
    }
    if (errors.isEmpty()) {
      errors.addAll(
          ObjectMetaValidation.validate(
              admitted.path("metadata"),
              type.plural().equals("namespaces"),
              operation == Operation.CREATE));
      if (schema != null && schema.error() == null) {
        errors.addAll(schema.schema().validate(admitted));
        if (schema.cel() != null) {
          FieldError blocking = blocking(errors);
          if (blocking != null) {
            errors.add(blocking);
          } else {
            errors.addAll(schema.cel().validate(admitted, old));
          }
        }
      }
    }
    if (old != null) {
      errors = ratcheted(errors, admitted, old);
    }
    if (!errors.isEmpty()) {
      return new Outcome(null, warnings, invalid(type, name, errors));
    }
    return new Outcome(admitted, warnings, null);
  }

  private Compiled compiled(ApiResource type) {
    if (type.crdVersion() == null || !type.crdVersion().path("schema").has("openAPIV3Schema")) {
      return null;
    }
    JsonNode structural = type.crdVersion().path("schema").path("openAPIV3Schema");
    return compiled.computeIfAbsent(
        type.qualifiedName() + "/" + type.version() + "/" + structural.hashCode() + structural,
        k -> {
          try {
            return new Compiled(
                new StructuralSchema(structural),
                new SchemaValidation(structural),
                CelValidation.compile(structural),
                null);
          } catch (CelValidation.InvalidRules e) {
            return new Compiled(null, null, null, e.getMessage());
          }
        });
  }

  private static List<FieldError> typeMeta(ApiResource type, JsonNode object) {
    List<FieldError> errors = new ArrayList<>();
    String kind = object.path("kind").asText("");
    String apiVersion = object.path("apiVersion").asText("");
    if (!kind.equals(type.kind())) {
      errors.add(FieldError.invalid("kind", JSON.textNode(kind), "must be " + type.kind()));
    }
    if (!apiVersion.equals(type.groupVersion())) {
      errors.add(
          FieldError.invalid(
              "apiVersion", JSON.textNode(apiVersion), "must be " + type.groupVersion()));
    }
    return errors;
  }

  /** Schema errors after which the API server does not run the CEL rules, and says so. */
  private static FieldError blocking(List<FieldError> errors) {
    Set<String> blocking =
        Set.of(
            "FieldValueNotSupported",
            "FieldValueRequired",
            "FieldValueTooLong",
            "FieldValueTooMany",
            "FieldValueTypeInvalid");
    for (FieldError e : errors) {
      if (blocking.contains(e.type())) {
        return new FieldError(
            "FieldValueInvalid",
            FieldError.NIL_PATH,
            "\"null\"",
            "some validation rules were not checked because the object was invalid; correct the"
                + " existing errors to complete validation");
      }
    }
    return null;
  }

  /** Errors about values an update left as they were are not errors (ratcheting). */
  private static List<FieldError> ratcheted(List<FieldError> errors, JsonNode now, JsonNode old) {
    List<FieldError> kept = new ArrayList<>();
    for (FieldError e : errors) {
      JsonNode before = at(old, e.field());
      if (before == null || !before.equals(at(now, e.field()))) {
        kept.add(e);
      }
    }
    return kept;
  }

  /** The value at a field path such as {@code spec.deny[0].userids}, or null. */
  static JsonNode at(JsonNode root, String field) {
    if (field.equals(FieldError.NIL_PATH) || field.startsWith("metadata")) {
      return null;
    }
    JsonNode node = root;
    for (String part : field.split("\\.")) {
      String name = part.contains("[") ? part.substring(0, part.indexOf('[')) : part;
      node = name.isEmpty() ? node : node.path(name);
      for (int i = part.indexOf('['); i >= 0; i = part.indexOf('[', i + 1)) {
        String index = part.substring(i + 1, part.indexOf(']', i));
        node = index.matches("[0-9]+") ? node.path(Integer.parseInt(index)) : node.path(index);
      }
    }
    return node.isMissingNode() ? null : node;
  }

  /** {@code apimachinery}'s {@code errors.NewInvalid}. */
  static Rejection invalid(ApiResource type, String name, List<FieldError> errors) {
    Set<String> messages = new LinkedHashSet<>();
    errors.forEach(e -> messages.add(e.toString()));
    String aggregate =
        messages.size() == 1 ? messages.iterator().next() : "[" + String.join(", ", messages) + "]";
    String qualifiedKind = type.group().isEmpty() ? type.kind() : type.kind() + "." + type.group();
    ObjectNode details = JSON.objectNode();
    details.put("name", name);
    details.put("group", type.group());
    details.put("kind", type.kind());
    ArrayNode causes = details.putArray("causes");
    errors.forEach(e -> causes.add(e.cause()));
    return rejected(
            422, "Invalid", qualifiedKind + " \"" + name + "\" is invalid: " + aggregate, details)
        .rejection();
  }

  static Outcome rejected(int code, String reason, String message, ObjectNode details) {
    ObjectNode status = JSON.objectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    if (details != null) {
      status.set("details", details);
    }
    status.put("code", code);
    return new Outcome(null, List.of(), new Rejection(code, status));
  }

  /** An RFC 7234 warning header value, as the API server sends them. */
  static String warningHeader(String text) {
    return "299 - \"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String describe(List<FieldError> errors) {
    return errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
  }
}
