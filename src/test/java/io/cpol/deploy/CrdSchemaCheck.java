package io.cpol.deploy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the API server's structural schema validation would reject in a custom resource, for
 * checking manifests without a cluster. CEL rules (x-kubernetes-validations) are not evaluated.
 */
final class CrdSchemaCheck {
  private CrdSchemaCheck() {}

  /** The schema of a CRD version's {@code spec}, from a parsed CRD. */
  static Map<String, Object> specSchema(Map<String, Object> crd, String version) {
    Map<String, Object> spec = DeployManifests.map(crd.get("spec"));
    Map<String, Object> crdVersion =
        DeployManifests.listOfMaps(spec.get("versions")).stream()
            .filter(v -> version.equals(v.get("name")))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("No version " + version));
    Map<String, Object> root =
        DeployManifests.map(DeployManifests.map(crdVersion.get("schema")).get("openAPIV3Schema"));
    return DeployManifests.map(DeployManifests.map(root.get("properties")).get("spec"));
  }

  /** Every violation of {@code schema} by {@code value}, as "path: problem"; empty when valid. */
  static List<String> violations(Map<String, Object> schema, Object value, String path) {
    List<String> violations = new ArrayList<>();
    check(schema, value, path, violations);
    return violations;
  }

  private static void check(
      Map<String, Object> schema, Object value, String path, List<String> violations) {
    String type = (String) schema.get("type");
    if (type != null && !hasType(value, type)) {
      violations.add(path + ": expected " + type + ", got " + value);
      return;
    }
    if (schema.get("enum") instanceof List<?> allowed && !allowed.contains(value)) {
      violations.add(path + ": " + value + " is not one of " + allowed);
    }
    if (value instanceof String string) {
      checkString(schema, string, path, violations);
    } else if (value instanceof Number number) {
      checkNumber(schema, number, path, violations);
    } else if (value instanceof List<?> list) {
      checkBounds(list.size(), schema, "minItems", "maxItems", path + " items", violations);
      Map<String, Object> items = DeployManifests.map(schema.get("items"));
      for (int i = 0; i < list.size(); i++) {
        check(items, list.get(i), path + "[" + i + "]", violations);
      }
    } else if (value instanceof Map<?, ?> map) {
      checkObject(schema, map, path, violations);
    }
  }

  private static void checkObject(
      Map<String, Object> schema, Map<?, ?> object, String path, List<String> violations) {
    Map<String, Object> properties = DeployManifests.map(schema.get("properties"));
    for (String required : DeployManifests.strings(schema.get("required"))) {
      if (!object.containsKey(required)) {
        violations.add(path + ": missing required " + required);
      }
    }
    boolean keepsUnknown = Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"));
    Object additional = schema.get("additionalProperties");
    for (Map.Entry<?, ?> entry : object.entrySet()) {
      String key = String.valueOf(entry.getKey());
      String keyPath = path + "." + key;
      if (properties.containsKey(key)) {
        check(DeployManifests.map(properties.get(key)), entry.getValue(), keyPath, violations);
      } else if (additional instanceof Map<?, ?>) {
        check(DeployManifests.map(additional), entry.getValue(), keyPath, violations);
      } else if (!keepsUnknown) {
        violations.add(keyPath + ": unknown field (the API server would drop it)");
      }
    }
  }

  private static void checkString(
      Map<String, Object> schema, String value, String path, List<String> violations) {
    if (schema.get("pattern") instanceof String pattern
        && !Pattern.compile(pattern).matcher(value).find()) {
      violations.add(path + ": " + value + " does not match " + pattern);
    }
    checkBounds(value.length(), schema, "minLength", "maxLength", path + " length", violations);
  }

  private static void checkNumber(
      Map<String, Object> schema, Number value, String path, List<String> violations) {
    BigDecimal number = new BigDecimal(value.toString());
    if (schema.get("minimum") instanceof Number minimum
        && number.compareTo(new BigDecimal(minimum.toString())) < 0) {
      violations.add(path + ": " + value + " is below " + minimum);
    }
    if (schema.get("maximum") instanceof Number maximum
        && number.compareTo(new BigDecimal(maximum.toString())) > 0) {
      violations.add(path + ": " + value + " is above " + maximum);
    }
  }

  private static void checkBounds(
      int size,
      Map<String, Object> schema,
      String minKey,
      String maxKey,
      String what,
      List<String> violations) {
    if (schema.get(minKey) instanceof Number min && size < min.intValue()) {
      violations.add(what + ": " + size + " < " + minKey + " " + min);
    }
    if (schema.get(maxKey) instanceof Number max && size > max.intValue()) {
      violations.add(what + ": " + size + " > " + maxKey + " " + max);
    }
  }

  private static boolean hasType(Object value, String type) {
    return switch (type) {
      case "object" -> value instanceof Map;
      case "array" -> value instanceof List;
      case "string" -> value instanceof String;
      case "boolean" -> value instanceof Boolean;
      case "integer" ->
          value instanceof Integer || value instanceof Long || value instanceof BigInteger;
      case "number" -> value instanceof Number;
      default -> true;
    };
  }
}
