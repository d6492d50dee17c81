package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.JsonValidator;
import com.networknt.schema.Keyword;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationContext;
import com.networknt.schema.ValidationMessage;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A CRD's structural schema applied as the API server applies it, by a JSON Schema validator
 * (networknt, draft 7) over a translation of the Kubernetes dialect, with errors worded as the API
 * server words them ({@code kube-openapi} messages turned into {@link FieldError}s).
 *
 * <p>The translation: {@code nullable: true} lets null through; {@code x-kubernetes-int-or-string}
 * is {@code type: [integer, string]}; OpenAPI's boolean {@code exclusiveMinimum}/{@code
 * exclusiveMaximum} become draft 7's numeric ones; {@code pattern} is matched with RE2 (re2j, Go's
 * regexp semantics: {@code $} is the end of the text, {@code \s} has no vertical tab) and is
 * unanchored, as in Go; {@code format} is checked for the formats listed in {@link #FORMATS}, with
 * Kubernetes' own rules, and ignored otherwise. Descriptions, defaults and the other {@code
 * x-kubernetes-*} markers do not validate values here ({@link StructuralSchema} prunes and
 * defaults; {@link CelValidation} evaluates {@code x-kubernetes-validations}).
 */
final class SchemaValidation {
  /** The formats checked as Kubernetes checks them ({@code kube-openapi}'s strfmt). */
  static final Set<String> FORMATS = Set.of("date", "date-time", "datetime", "byte");

  private static final String PATTERN = "x-go-pattern";
  private static final String FORMAT = "x-k8s-format";
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final com.google.re2j.Pattern TIME =
      com.google.re2j.Pattern.compile(
          "^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$");

  private final JsonSchema schema;

  SchemaValidation(JsonNode structural) {
    JsonMetaSchema dialect =
        JsonMetaSchema.builder(JsonMetaSchema.getV7().getIri(), JsonMetaSchema.getV7())
            .keyword(new GoPattern())
            .keyword(new KubernetesFormat())
            .build();
    JsonSchemaFactory factory =
        JsonSchemaFactory.getInstance(
            SpecVersion.VersionFlag.V7,
            b -> b.metaSchema(dialect).defaultMetaSchemaIri(dialect.getIri()));
    ObjectNode translated = translate(structural);
    translated.put("$schema", dialect.getIri());
    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().build();
    this.schema = factory.getSchema(translated, config);
  }

  /** Every violation of the schema by {@code value}, in the order the validator found them. */
  List<FieldError> validate(JsonNode value) {
    Set<ValidationMessage> messages = schema.validate(value);
    List<FieldError> errors = new ArrayList<>();
    for (ValidationMessage m : messages) {
      errors.add(toFieldError(m));
    }
    return errors;
  }

  // --- the Kubernetes dialect as draft 7

  private static ObjectNode translate(JsonNode k8s) {
    ObjectNode out = JSON.objectNode();
    boolean nullable = k8s.path("nullable").asBoolean(false);
    if (k8s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      out.putArray("type").add("integer").add("string");
    } else if (k8s.has("type")) {
      out.put("type", k8s.get("type").asText());
    }
    for (String keyword :
        List.of(
            "enum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
            "multipleOf",
            "uniqueItems",
            "required")) {
      if (k8s.has(keyword)) {
        out.set(keyword, k8s.get(keyword).deepCopy());
      }
    }
    bound(k8s, out, "minimum", "exclusiveMinimum");
    bound(k8s, out, "maximum", "exclusiveMaximum");
    if (k8s.has("pattern")) {
      out.put(PATTERN, k8s.get("pattern").asText());
    }
    if (k8s.has("format") && FORMATS.contains(k8s.get("format").asText())) {
      out.put(FORMAT, k8s.get("format").asText());
    }
    if (k8s.path("properties").isObject()) {
      ObjectNode properties = out.putObject("properties");
      k8s.get("properties")
          .fields()
          .forEachRemaining(p -> properties.set(p.getKey(), translate(p.getValue())));
    }
    if (k8s.path("additionalProperties").isObject()) {
      out.set("additionalProperties", translate(k8s.get("additionalProperties")));
    }
    if (k8s.path("items").isObject()) {
      out.set("items", translate(k8s.get("items")));
    }
    for (String combinator : List.of("allOf", "anyOf", "oneOf")) {
      if (k8s.path(combinator).isArray()) {
        ArrayNode list = out.putArray(combinator);
        k8s.get(combinator).forEach(s -> list.add(translate(s)));
      }
    }
    if (k8s.path("not").isObject()) {
      out.set("not", translate(k8s.get("not")));
    }
    if (!nullable) {
      return out;
    }
    // null passes a nullable schema whatever else it says.
    ObjectNode either = JSON.objectNode();
    either.putObject("if").put("type", "null");
    either.put("then", true);
    either.set("else", out);
    return either;
  }

  private static void bound(JsonNode k8s, ObjectNode out, String inclusive, String exclusive) {
    if (!k8s.has(inclusive)) {
      return;
    }
    if (k8s.path(exclusive).asBoolean(false)) {
      out.set(exclusive, k8s.get(inclusive));
    } else {
      out.set(inclusive, k8s.get(inclusive));
    }
  }

  // --- messages, as kube-openapi words them and apiextensions turns them into field errors

  private static FieldError toFieldError(ValidationMessage m) {
    String path = path(m.getInstanceLocation());
    JsonNode value = m.getInstanceNode();
    JsonNode rule = m.getSchemaNode();
    String in = path + " in body";
    return switch (m.getType()) {
      case "required" -> FieldError.required(StructuralSchema.join(path, m.getProperty()), "");
      case "type" ->
          FieldError.typeInvalid(
              path,
              typeName(value),
              in
                  + " must be of type "
                  + expectedTypes(rule)
                  + ": "
                  + FieldError.goQuote(typeName(value)));
      case "enum" -> {
        List<String> supported = new ArrayList<>();
        rule.forEach(v -> supported.add(v.isTextual() ? v.textValue() : v.toString()));
        yield FieldError.notSupported(path, value, supported);
      }
      case "minLength" ->
          FieldError.invalid(
              path, value, in + " should be at least " + rule.asText() + " chars long");
      case "maxLength" -> FieldError.tooLong(path, "may not be longer than " + rule.asText());
      case "minItems" ->
          FieldError.invalid(
              path,
              JSON.numberNode(value.size()),
              in + " should have at least " + rule.asText() + " items");
      case "maxItems" -> FieldError.tooMany(path, value.size(), rule.asLong());
      case "minProperties" ->
          FieldError.invalid(
              path,
              JSON.numberNode(value.size()),
              in + " should have at least " + rule.asText() + " properties");
      case "maxProperties" -> FieldError.tooMany(path, value.size(), rule.asLong());
      case "minimum" ->
          FieldError.invalid(
              path, value, in + " should be greater than or equal to " + number(rule));
      case "exclusiveMinimum" ->
          FieldError.invalid(path, value, in + " should be greater than " + number(rule));
      case "maximum" ->
          FieldError.invalid(path, value, in + " should be less than or equal to " + number(rule));
      case "exclusiveMaximum" ->
          FieldError.invalid(path, value, in + " should be less than " + number(rule));
      case "multipleOf" ->
          FieldError.invalid(path, value, in + " should be a multiple of " + number(rule));
      case "uniqueItems" -> FieldError.invalid(path, value, in + " shouldn't contain duplicates");
      case "anyOf" ->
          FieldError.invalid(path, value, in + " must validate at least one schema (anyOf)");
      case "oneOf" ->
          FieldError.invalid(path, value, in + " must validate one and only one schema (oneOf)");
      case "not" -> FieldError.invalid(path, value, in + " must not validate the schema (not)");
      case PATTERN -> FieldError.invalid(path, value, in + " should match '" + rule.asText() + "'");
      case FORMAT ->
          FieldError.typeInvalid(
              path,
              value.asText(),
              in + " must be of type " + rule.asText() + ": " + FieldError.goQuote(value.asText()));
      default -> FieldError.invalid(path, value, m.getMessage());
    };
  }

  /** {@code spec.deny[0].userids}, from the validator's instance location. */
  static String path(JsonNodePath location) {
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      if (element instanceof Integer index) {
        path.append('[').append(index).append(']');
      } else {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(element);
      }
    }
    return path.toString();
  }

  /** The JSON type as Go's unstructured values name it. */
  static String typeName(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return "null";
    }
    if (value.isTextual()) {
      return "string";
    }
    if (value.isBoolean()) {
      return "boolean";
    }
    if (value.isIntegralNumber()) {
      return "integer";
    }
    if (value.isNumber()) {
      return "number";
    }
    return value.isArray() ? "array" : "object";
  }

  private static String expectedTypes(JsonNode type) {
    if (type.isArray()) {
      List<String> names = new ArrayList<>();
      type.forEach(t -> names.add(t.asText()));
      return String.join(",", names);
    }
    return type.asText();
  }

  private static String number(JsonNode n) {
    return n.isIntegralNumber() ? n.asText() : FieldError.goFloat(n.doubleValue());
  }

  // --- custom keywords

  /** {@code pattern} with Go's regexp semantics (RE2), unanchored as kube-openapi applies it. */
  private static final class GoPattern implements Keyword {
    @Override
    public String getValue() {
      return PATTERN;
    }

    @Override
    public JsonValidator newValidator(
        SchemaLocation location,
        JsonNodePath evaluationPath,
        JsonNode schemaNode,
        JsonSchema parent,
        ValidationContext context) {
      com.google.re2j.Pattern pattern = com.google.re2j.Pattern.compile(schemaNode.asText());
      return new StringCheck(location, evaluationPath, PATTERN, schemaNode) {
        @Override
        boolean accepts(String value) {
          return pattern.matcher(value).find();
        }
      };
    }
  }

  /** {@code format}, for the formats in {@link #FORMATS}, as Kubernetes' strfmt checks them. */
  private static final class KubernetesFormat implements Keyword {
    @Override
    public String getValue() {
      return FORMAT;
    }

    @Override
    public JsonValidator newValidator(
        SchemaLocation location,
        JsonNodePath evaluationPath,
        JsonNode schemaNode,
        JsonSchema parent,
        ValidationContext context) {
      String format = schemaNode.asText();
      return new StringCheck(location, evaluationPath, FORMAT, schemaNode) {
        @Override
        boolean accepts(String value) {
          return switch (format) {
            case "date" -> isDate(value);
            case "date-time", "datetime" -> isDateTime(value);
            case "byte" -> isBase64(value);
            default -> true;
          };
        }
      };
    }
  }

  private abstract static class StringCheck implements JsonValidator {
    private final SchemaLocation location;
    private final JsonNodePath evaluationPath;
    private final String keyword;
    private final JsonNode schemaNode;

    StringCheck(
        SchemaLocation location, JsonNodePath evaluationPath, String keyword, JsonNode schemaNode) {
      this.location = location;
      this.evaluationPath = evaluationPath;
      this.keyword = keyword;
      this.schemaNode = schemaNode;
    }

    abstract boolean accepts(String value);

    @Override
    public Set<ValidationMessage> validate(
        ExecutionContext context, JsonNode node, JsonNode rootNode, JsonNodePath instanceLocation) {
      if (!node.isTextual() || accepts(node.textValue())) {
        return Set.of();
      }
      Set<ValidationMessage> failed = new LinkedHashSet<>();
      failed.add(
          ValidationMessage.builder()
              .type(keyword)
              .code(keyword)
              .instanceLocation(instanceLocation)
              .evaluationPath(evaluationPath)
              .schemaLocation(location)
              .instanceNode(node)
              .schemaNode(schemaNode)
              .message(keyword + " " + schemaNode.asText())
              .build());
      return failed;
    }

    @Override
    public SchemaLocation getSchemaLocation() {
      return location;
    }

    @Override
    public JsonNodePath getEvaluationPath() {
      return evaluationPath;
    }

    @Override
    public String getKeyword() {
      return keyword;
    }
  }

  /** strfmt.IsDate: Go's {@code time.Parse("2006-01-02", s)}. */
  static boolean isDate(String value) {
    if (!value.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
      return false;
    }
    try {
      LocalDate.of(
          Integer.parseInt(value.substring(0, 4)),
          Integer.parseInt(value.substring(5, 7)),
          Integer.parseInt(value.substring(8, 10)));
      return true;
    } catch (DateTimeException e) {
      return false;
    }
  }

  /**
   * strfmt.IsDateTime, quirks included: the text is lowercased and split at every "t", only the
   * first two parts are looked at, and the fraction's dot matches any character.
   */
  static boolean isDateTime(String value) {
    if (value.length() < 4) {
      return false;
    }
    String[] parts = value.toLowerCase(Locale.ROOT).split("t", -1);
    if (parts.length < 2 || !isDate(parts[0])) {
      return false;
    }
    com.google.re2j.Matcher m = TIME.matcher(parts[1]);
    if (!m.find()) {
      return false;
    }
    return m.group(1).compareTo("23") <= 0
        && m.group(2).compareTo("59") <= 0
        && m.group(3).compareTo("59") <= 0;
  }

  /** Go's {@code base64.StdEncoding.DecodeString}: padding required, newlines ignored. */
  static boolean isBase64(String value) {
    String text = value.replace("\r", "").replace("\n", "");
    if (text.length() % 4 != 0) {
      return false;
    }
    try {
      Base64.getDecoder().decode(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
