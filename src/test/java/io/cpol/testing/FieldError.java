package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One field-level validation error, worded as {@code k8s.io/apimachinery}'s {@code field.Error}
 * words it: {@code spec.deny: Invalid value: 0: spec.deny in body should have at least 1 items}.
 * The Status an API server returns carries {@link #body()} as a cause's message and {@link
 * #field()} as its field, which is what kubectl prints.
 *
 * @param type the cause type, e.g. {@code FieldValueInvalid}
 * @param field the field path, {@code <nil>} for an error about the whole object
 * @param value the bad value, already rendered as Go's {@code %v}/{@code %q} would; null when the
 *     error type shows no value
 * @param detail what is wrong, possibly empty
 */
public record FieldError(String type, String field, String value, String detail) {
  static final String NIL_PATH = "<nil>";

  static FieldError invalid(String field, JsonNode value, String detail) {
    return new FieldError("FieldValueInvalid", field, render(value), detail);
  }

  /** An Invalid error whose bad value is a word, e.g. CEL errors show the schema type. */
  static FieldError invalid(String field, String quotedWord, String detail) {
    return new FieldError("FieldValueInvalid", field, goQuote(quotedWord), detail);
  }

  static FieldError typeInvalid(String field, String quotedWord, String detail) {
    return new FieldError("FieldValueTypeInvalid", field, goQuote(quotedWord), detail);
  }

  static FieldError required(String field, String detail) {
    return new FieldError("FieldValueRequired", field, null, detail);
  }

  static FieldError forbidden(String field, String detail) {
    return new FieldError("FieldValueForbidden", field, null, detail);
  }

  static FieldError duplicate(String field, JsonNode value) {
    return new FieldError("FieldValueDuplicate", field, render(value), "");
  }

  static FieldError notSupported(String field, JsonNode value, List<String> supported) {
    String detail =
        supported.isEmpty()
            ? ""
            : "supported values: "
                + supported.stream().map(FieldError::goQuote).collect(Collectors.joining(", "));
    return new FieldError("FieldValueNotSupported", field, render(value), detail);
  }

  /** Too long: the value is never shown. */
  static FieldError tooLong(String field, String detail) {
    return new FieldError("FieldValueTooLong", field, null, detail);
  }

  static FieldError tooMany(String field, long actual, long max) {
    return new FieldError(
        "FieldValueTooMany", field, Long.toString(actual), "must have at most " + max + " items");
  }

  /** The message without the field, as {@code field.Error.ErrorBody()} builds it. */
  public String body() {
    String head =
        switch (type) {
          case "FieldValueRequired" -> "Required value";
          case "FieldValueForbidden" -> "Forbidden";
          case "FieldValueTooLong" -> "Too long";
          case "FieldValueDuplicate" -> "Duplicate value: " + value;
          case "FieldValueNotSupported" -> "Unsupported value: " + value;
          case "FieldValueTooMany" -> "Too many: " + value;
          default -> "Invalid value: " + value;
        };
    return detail.isEmpty() ? head : head + ": " + detail;
  }

  ObjectNode cause() {
    ObjectNode cause = JsonNodeFactory.instance.objectNode();
    cause.put("reason", type);
    cause.put("message", body());
    cause.put("field", field);
    return cause;
  }

  @Override
  public String toString() {
    return field + ": " + body();
  }

  /** A JSON value as Go prints the unstructured value: strings quoted, numbers and bools bare. */
  static String render(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return "\"null\"";
    }
    if (value.isTextual()) {
      return goQuote(value.textValue());
    }
    if (value.isIntegralNumber() || value.isBoolean()) {
      return value.asText();
    }
    if (value.isNumber()) {
      return goFloat(value.doubleValue());
    }
    // Go falls back to %#v for maps and slices; no error from a schema or CEL rule shows one.
    return value.toString();
  }

  /** Go's {@code strconv.Quote}: double quotes, backslash escapes, printable Unicode kept. */
  static String goQuote(String text) {
    StringBuilder out = new StringBuilder("\"");
    text.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case 7 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 11 -> out.append("\\v");
                default -> {
                  if (c < 0x20 || c == 0x7f) {
                    out.append(String.format("\\x%02x", c));
                  } else if (Character.isISOControl(c) || !Character.isDefined(c)) {
                    out.append(
                        c > 0xffff ? String.format("\\U%08x", c) : String.format("\\u%04x", c));
                  } else {
                    out.appendCodePoint(c);
                  }
                }
              }
            });
    return out.append('"').toString();
  }

  /** Go's {@code %v} of a float64: shortest digits, exponent form below 1e-4 and from 1e6. */
  static String goFloat(double value) {
    if (value == 0) {
      return "0";
    }
    BigDecimal shortest = new BigDecimal(Double.toString(value)).stripTrailingZeros();
    int exponent = shortest.precision() - shortest.scale() - 1;
    if (exponent < -4 || exponent >= 6) {
      String digits = shortest.unscaledValue().abs().toString();
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return (value < 0 ? "-" : "")
          + mantissa
          + "e"
          + (exponent < 0 ? "-" : "+")
          + String.format("%02d", Math.abs(exponent));
    }
    return shortest.toPlainString();
  }
}
