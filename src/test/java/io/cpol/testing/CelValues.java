package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.runtime.CelEvaluationException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON values as CEL sees them in a validation rule, and CEL errors as cel-go words them. */
final class CelValues {
  private CelValues() {}

  /** Objects become maps keyed by their escaped property names; integers are int64. */
  static Object of(JsonNode value, JsonNode schema) {
    if (value == null || value.isNull()) {
      return com.google.protobuf.NullValue.NULL_VALUE;
    }
    if (value.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      JsonNode properties = schema.path("properties");
      boolean isMap = schema.path("additionalProperties").isObject();
      value
          .fields()
          .forEachRemaining(
              f -> {
                JsonNode child =
                    isMap ? schema.get("additionalProperties") : properties.path(f.getKey());
                String key = isMap ? f.getKey() : CelValidation.escape(f.getKey());
                if (key != null) {
                  map.put(key, of(f.getValue(), child));
                }
              });
      return map;
    }
    if (value.isArray()) {
      List<Object> list = new ArrayList<>(value.size());
      value.forEach(item -> list.add(of(item, schema.path("items"))));
      return list;
    }
    if (value.isTextual()) {
      return value.textValue();
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    if (value.isIntegralNumber()) {
      return value.longValue();
    }
    return value.doubleValue();
  }

  /** The error text cel-go would give, without cel-java's location prefix. */
  static String goError(CelEvaluationException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    Throwable cause = e.getCause();
    while (cause instanceof CelEvaluationException nested && nested.getMessage() != null) {
      message = nested.getMessage();
      cause = nested.getCause();
    }
    return message.replaceFirst("^evaluation error( at [^:]*:\\d+)?: ", "");
  }
}
