package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON merge patch as RFC 7386 defines it: objects merge key by key, {@code null} removes a key,
 * and anything else, lists included, replaces what was there. Fabric8's mock merges with Jackson's
 * {@code readerForUpdating}, which appends to lists and stores nulls; this is what a real API
 * server does instead.
 */
final class MergePatch {
  private MergePatch() {}

  /** The patched document; {@code target} is left untouched. */
  static JsonNode apply(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject()
            ? ((ObjectNode) target).deepCopy()
            : JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> field : patch.properties()) {
      if (field.getValue().isNull()) {
        result.remove(field.getKey());
      } else {
        result.set(field.getKey(), apply(result.get(field.getKey()), field.getValue()));
      }
    }
    return result;
  }

  /**
   * Turns a strategic merge patch into the merge patch it amounts to for objects whose lists have
   * no merge keys (Secrets, ConfigMaps, Namespaces, custom resources): directives such as {@code
   * $setElementOrder/...} and {@code $retainKeys} are dropped, {@code $patch: delete} becomes null
   * and {@code $patch: replace} is honoured. Lists are replaced, never merged by key.
   */
  static JsonNode fromStrategic(JsonNode patch, JsonNode target) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    String directive = patch.path("$patch").asText("");
    if (directive.equals("delete")) {
      return JsonNodeFactory.instance.nullNode();
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    List<String> keys = new ArrayList<>();
    patch.fieldNames().forEachRemaining(keys::add);
    for (String key : keys) {
      if (key.startsWith("$")) {
        continue;
      }
      JsonNode current = target == null ? null : target.get(key);
      result.set(key, fromStrategic(patch.get(key), current));
    }
    if (directive.equals("replace") && target != null && target.isObject()) {
      // Keys the replacement does not carry go away.
      target
          .fieldNames()
          .forEachRemaining(
              k -> {
                if (!patch.has(k)) {
                  result.putNull(k);
                }
              });
    }
    return result;
  }
}
