package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an API server does to a custom resource before validating it, from the CRD version's
 * structural schema ({@code openAPIV3Schema}): prune unknown fields (reporting their paths, which
 * strict field validation turns into errors), drop non-nullable nulls that have no default, and
 * apply defaults. Mirrors {@code apiextensions-apiserver}'s {@code pruning} and {@code defaulting}
 * packages; the resource root and {@code x-kubernetes-embedded-resource} objects keep {@code
 * apiVersion}, {@code kind} and {@code metadata}, whose fields are pruned to ObjectMeta's.
 */
final class StructuralSchema {
  /** ObjectMeta's fields, the only ones kept under metadata. */
  static final Set<String> OBJECT_META =
      Set.of(
          "name",
          "generateName",
          "namespace",
          "selfLink",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "labels",
          "annotations",
          "ownerReferences",
          "finalizers",
          "managedFields");

  private final JsonNode root;

  StructuralSchema(JsonNode openApiV3Schema) {
    this.root = openApiV3Schema;
  }

  JsonNode root() {
    return root;
  }

  /** Removes unknown fields from {@code object} in place; returns their paths, sorted. */
  List<String> prune(ObjectNode object) {
    List<String> pruned = new ArrayList<>();
    pruneResource(object, root, "", pruned);
    pruned.sort(null);
    return pruned;
  }

  /** Drops non-nullable nulls without defaults, then applies defaults, in place. */
  void applyDefaults(JsonNode object) {
    dropNulls(object, root);
    defaults(object, root);
  }

  private static void pruneResource(
      ObjectNode object, JsonNode schema, String path, List<String> pruned) {
    JsonNode metadata = object.get("metadata");
    if (metadata instanceof ObjectNode meta) {
      removeUnknown(meta, OBJECT_META, join(path, "metadata"), pruned);
    }
    pruneObject(object, schema, path, pruned, Set.of("apiVersion", "kind", "metadata"));
  }

  private static void prune(JsonNode value, JsonNode schema, String path, List<String> pruned) {
    if (schema == null || schema.isMissingNode()) {
      return;
    }
    if (value instanceof ObjectNode object) {
      if (schema.path("x-kubernetes-embedded-resource").asBoolean(false)) {
        pruneResource(object, schema, path, pruned);
      } else {
        pruneObject(object, schema, path, pruned, Set.of());
      }
    } else if (value instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        prune(array.get(i), schema.path("items"), path + "[" + i + "]", pruned);
      }
    }
  }

  private static void pruneObject(
      ObjectNode object, JsonNode schema, String path, List<String> pruned, Set<String> kept) {
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.path("additionalProperties");
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String key = field.getKey();
      String keyPath = join(path, key);
      if (properties.has(key)) {
        prune(field.getValue(), properties.get(key), keyPath, pruned);
      } else if (additional.isObject()) {
        prune(field.getValue(), additional, keyPath, pruned);
      } else if (!preserve && !kept.contains(key) && !additional.asBoolean(false)) {
        pruned.add(keyPath);
        fields.remove();
      }
    }
  }

  private static void removeUnknown(
      ObjectNode object, Set<String> known, String path, List<String> pruned) {
    Set<String> unknown = new HashSet<>();
    object.fieldNames().forEachRemaining(n -> unknown.add(n));
    unknown.removeAll(known);
    for (String key : unknown) {
      object.remove(key);
      pruned.add(join(path, key));
    }
  }

  private static void dropNulls(JsonNode value, JsonNode schema) {
    if (schema == null || schema.isMissingNode()) {
      return;
    }
    if (value instanceof ObjectNode object) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode fieldSchema =
            properties.has(field.getKey())
                ? properties.get(field.getKey())
                : additional.isObject() ? additional : null;
        if (fieldSchema == null) {
          continue;
        }
        if (field.getValue().isNull()) {
          if (!fieldSchema.path("nullable").asBoolean(false) && !fieldSchema.has("default")) {
            fields.remove();
          }
        } else {
          dropNulls(field.getValue(), fieldSchema);
        }
      }
    } else if (value instanceof ArrayNode array) {
      array.forEach(item -> dropNulls(item, schema.path("items")));
    }
  }

  private static void defaults(JsonNode value, JsonNode schema) {
    if (schema == null || schema.isMissingNode()) {
      return;
    }
    if (value instanceof ObjectNode object) {
      JsonNode properties = schema.path("properties");
      properties
          .fields()
          .forEachRemaining(
              p -> {
                JsonNode current = object.get(p.getKey());
                boolean nonNullableNull =
                    current != null
                        && current.isNull()
                        && !p.getValue().path("nullable").asBoolean(false);
                if (p.getValue().has("default") && (current == null || nonNullableNull)) {
                  object.set(p.getKey(), p.getValue().get("default").deepCopy());
                }
              });
      JsonNode additional = schema.path("additionalProperties");
      object
          .fields()
          .forEachRemaining(
              f -> {
                if (properties.has(f.getKey())) {
                  defaults(f.getValue(), properties.get(f.getKey()));
                } else if (additional.isObject()) {
                  defaults(f.getValue(), additional);
                }
              });
    } else if (value instanceof ArrayNode array) {
      array.forEach(item -> defaults(item, schema.path("items")));
    }
  }

  /**
   * Integral JSON numbers written with a fraction or exponent ({@code 5.0}, {@code 1e3}) as the
   * integers an API server stores them as (Go decodes them to float64 and writes them back without
   * a fraction).
   */
  static JsonNode normalizeNumbers(JsonNode value) {
    if (value instanceof ObjectNode object) {
      object.fields().forEachRemaining(f -> f.setValue(normalizeNumbers(f.getValue())));
    } else if (value instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, normalizeNumbers(array.get(i)));
      }
    } else if (value != null
        && value.isFloatingPointNumber()
        && value.doubleValue() == Math.rint(value.doubleValue())
        && Math.abs(value.doubleValue()) <= 9007199254740992.0) {
      return JsonNodeFactory.instance.numberNode((long) value.doubleValue());
    }
    return value;
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
