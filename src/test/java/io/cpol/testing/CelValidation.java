package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.checker.CelStandardDeclarations;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.extensions.CelExtensions;
import dev.cel.extensions.CelOptionalLibrary;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelStandardFunctions;
import io.cpol.enforce.GoDuration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A CRD version's {@code x-kubernetes-validations}, compiled and evaluated as the API server does
 * (apiextensions-apiserver's {@code schema/cel}) with a real CEL engine (cel-java): {@code self} is
 * typed from the schema, so a rule naming a field the schema lacks fails to compile, as it fails
 * CRD creation on a cluster; {@code oldSelf} is bound on updates where the old value correlates
 * (object properties and map values), and transition rules are skipped otherwise unless {@code
 * optionalOldSelf}; {@code message}, {@code messageExpression}, {@code reason} and {@code
 * fieldPath} shape the error as on a cluster.
 *
 * <p>Functions: CEL's standard library and the cel-go extensions Kubernetes enables that cel-java
 * implements to the same spec (strings, optional types), with {@code duration()} replaced by Go's
 * {@code time.ParseDuration} semantics and error. Kubernetes' own libraries (lists, regex, URLs,
 * quantity, IP/CIDR, format, semver, authz) are not implemented: a rule that calls one is accepted
 * and reported by {@link #unsupported()}, never evaluated. Not mirrored either: the estimated cost
 * limits checked at CRD creation and the runtime cost budget.
 */
final class CelValidation {
  /** Functions of Kubernetes' CEL libraries the sandbox does not implement. */
  static final Set<String> KUBERNETES_LIBRARY_FUNCTIONS =
      Set.of(
          "isSorted",
          "sum",
          "min",
          "max",
          "indexOf",
          "lastIndexOf",
          "find",
          "findAll",
          "url",
          "isURL",
          "getScheme",
          "getHost",
          "getHostname",
          "getPort",
          "getEscapedPath",
          "getQuery",
          "quantity",
          "isQuantity",
          "ip",
          "isIP",
          "cidr",
          "isCIDR",
          "format",
          "semver",
          "isSemver",
          "authorizer",
          "reverse",
          "sets");

  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> RESERVED =
      Set.of(
          "true",
          "false",
          "null",
          "in",
          "as",
          "break",
          "const",
          "continue",
          "else",
          "for",
          "function",
          "if",
          "import",
          "let",
          "loop",
          "package",
          "namespace",
          "return",
          "var",
          "void",
          "while");

  /** Rules at one schema node, with the schema under them. */
  private record Node(
      JsonNode schema,
      CelType selfType,
      List<Rule> rules,
      Map<String, Node> properties,
      Node additional,
      Node items) {}

  private record Rule(
      JsonNode source,
      CelRuntime.Program program,
      CelRuntime.Program messageExpression,
      boolean usesOldSelf) {}

  private final Node root;
  private final List<String> unsupported = new ArrayList<>();
  private final Map<String, CelType> types = new LinkedHashMap<>();

  private CelValidation(JsonNode schema, List<FieldError> compileErrors) {
    this.root = node(schema, "openAPIV3Schema", true, compileErrors);
  }

  /**
   * Compiles every rule under {@code schema} (a version's {@code openAPIV3Schema}).
   *
   * @throws InvalidRules listing each rule that does not compile, with its schema path
   */
  static CelValidation compile(JsonNode schema) throws InvalidRules {
    List<FieldError> errors = new ArrayList<>();
    CelValidation validation = new CelValidation(schema, errors);
    if (!errors.isEmpty()) {
      throw new InvalidRules(errors);
    }
    return validation;
  }

  /** Rules that call Kubernetes library functions the sandbox does not implement. */
  List<String> unsupported() {
    return List.copyOf(unsupported);
  }

  /**
   * Every rule that does not hold for {@code object}, which replaces {@code old} (null: create).
   */
  List<FieldError> validate(JsonNode object, JsonNode old) {
    List<FieldError> errors = new ArrayList<>();
    validate(root, object, old, "", errors);
    return errors;
  }

  /** Thrown when a CRD's rules do not compile; the errors point into the CRD. */
  static final class InvalidRules extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<FieldError> errors;

    InvalidRules(List<FieldError> errors) {
      super(errors.toString());
      this.errors = List.copyOf(errors);
    }

    List<FieldError> errors() {
      return errors;
    }
  }

  // --- compilation

  private Node node(
      JsonNode schema, String schemaPath, boolean resourceRoot, List<FieldError> errors) {
    CelType selfType = declType(schema, schemaPath, resourceRoot);
    List<Rule> rules = new ArrayList<>();
    JsonNode validations = schema.path("x-kubernetes-validations");
    for (int i = 0; i < validations.size(); i++) {
      Rule rule =
          compileRule(
              validations.get(i),
              selfType,
              schemaPath + ".x-kubernetes-validations[" + i + "]",
              errors);
      if (rule != null) {
        rules.add(rule);
      }
    }
    Map<String, Node> properties = new LinkedHashMap<>();
    schema
        .path("properties")
        .fields()
        .forEachRemaining(
            p ->
                properties.put(
                    p.getKey(),
                    node(
                        p.getValue(),
                        schemaPath + ".properties[" + p.getKey() + "]",
                        p.getValue().path("x-kubernetes-embedded-resource").asBoolean(false),
                        errors)));
    Node additional =
        schema.path("additionalProperties").isObject()
            ? node(
                schema.get("additionalProperties"),
                schemaPath + ".additionalProperties",
                false,
                errors)
            : null;
    Node items =
        schema.path("items").isObject()
            ? node(
                schema.get("items"),
                schemaPath + ".items",
                schema.get("items").path("x-kubernetes-embedded-resource").asBoolean(false),
                errors)
            : null;
    return new Node(schema, selfType, rules, properties, additional, items);
  }

  private Rule compileRule(JsonNode rule, CelType selfType, String path, List<FieldError> errors) {
    String expression = rule.path("rule").asText("");
    boolean optionalOldSelf = rule.path("optionalOldSelf").asBoolean(false);
    Cel cel = environment(selfType, optionalOldSelf);
    try {
      CelAbstractSyntaxTree ast = cel.compile(expression).getAst();
      CelRuntime.Program messageExpression = null;
      if (rule.hasNonNull("messageExpression")) {
        messageExpression =
            cel.createProgram(cel.compile(rule.get("messageExpression").asText()).getAst());
      }
      boolean usesOldSelf = Pattern.compile("\\boldSelf\\b").matcher(expression).find();
      return new Rule(rule, cel.createProgram(ast), messageExpression, usesOldSelf);
    } catch (CelValidationException e) {
      if (callsKubernetesLibrary(e.getMessage())) {
        unsupported.add(path + ": " + expression);
        return null;
      }
      errors.add(
          FieldError.invalid(path + ".rule", expression, "compilation failed: " + e.getMessage()));
      return null;
    } catch (CelEvaluationException e) {
      errors.add(
          FieldError.invalid(path + ".rule", expression, "compilation failed: " + e.getMessage()));
      return null;
    }
  }

  private static boolean callsKubernetesLibrary(String message) {
    for (String function : KUBERNETES_LIBRARY_FUNCTIONS) {
      if (message.contains("undeclared reference to '" + function + "'")
          || message.contains("found no matching overload for '" + function + "'")) {
        return true;
      }
    }
    return false;
  }

  private Cel environment(CelType selfType, boolean optionalOldSelf) {
    CelTypeProvider provider =
        new CelTypeProvider() {
          @Override
          public com.google.common.collect.ImmutableCollection<CelType> types() {
            return ImmutableList.copyOf(types.values());
          }

          @Override
          public Optional<CelType> findType(String name) {
            return Optional.ofNullable(types.get(name));
          }
        };
    return CelFactory.standardCelBuilder()
        .setOptions(CelOptions.current().build())
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .setStandardEnvironmentEnabled(false)
        .setStandardDeclarations(CelStandardDeclarations.newBuilder().build())
        .setStandardFunctions(
            CelStandardFunctions.newBuilder()
                .excludeFunctions(CelStandardFunctions.StandardFunction.DURATION)
                .build())
        .addFunctionBindings(
            CelFunctionBinding.from("string_to_duration", String.class, CelValidation::duration))
        .addCompilerLibraries(CelExtensions.strings(), CelOptionalLibrary.INSTANCE)
        .addRuntimeLibraries(CelExtensions.strings(), CelOptionalLibrary.INSTANCE)
        .setTypeProvider(provider)
        .addVar("self", selfType)
        .addVar("oldSelf", optionalOldSelf ? OptionalType.create(selfType) : selfType)
        .build();
  }

  /** cel-go's {@code duration(string)}: Go's time.ParseDuration, and cel-go's error. */
  private static com.google.protobuf.Duration duration(String text) throws CelEvaluationException {
    Duration d;
    try {
      d = GoDuration.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CelEvaluationException(
          "type conversion error from 'string' to 'google.protobuf.Duration'");
    }
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }

  /** The CEL type of values of {@code schema}, as Kubernetes declares it. */
  private CelType declType(JsonNode schema, String path, boolean resourceRoot) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return SimpleType.DYN;
    }
    switch (schema.path("type").asText("")) {
      case "string":
        return SimpleType.STRING;
      case "integer":
        return SimpleType.INT;
      case "number":
        return SimpleType.DOUBLE;
      case "boolean":
        return SimpleType.BOOL;
      case "array":
        return ListType.create(
            schema.path("items").isObject()
                ? declType(schema.get("items"), path + ".items", false)
                : SimpleType.DYN);
      case "object":
        if (schema.path("additionalProperties").isObject()) {
          return MapType.create(
              SimpleType.STRING,
              declType(schema.get("additionalProperties"), path + ".additionalProperties", false));
        }
        if (!schema.path("properties").isObject() && !resourceRoot) {
          return SimpleType.DYN;
        }
        Map<String, CelType> fields = new LinkedHashMap<>();
        schema
            .path("properties")
            .fields()
            .forEachRemaining(
                p -> {
                  String name = escape(p.getKey());
                  if (name != null) {
                    fields.put(
                        name,
                        declType(
                            p.getValue(),
                            path + ".properties[" + p.getKey() + "]",
                            p.getValue().path("x-kubernetes-embedded-resource").asBoolean(false)));
                  }
                });
        if (resourceRoot || schema.path("x-kubernetes-embedded-resource").asBoolean(false)) {
          fields.putIfAbsent("apiVersion", SimpleType.STRING);
          fields.putIfAbsent("kind", SimpleType.STRING);
          fields.putIfAbsent("metadata", metadataType(path));
        }
        return struct(path, fields);
      default:
        return SimpleType.DYN;
    }
  }

  private CelType metadataType(String path) {
    Map<String, CelType> fields = new LinkedHashMap<>();
    fields.put("name", SimpleType.STRING);
    fields.put("generateName", SimpleType.STRING);
    return struct(path + ".metadata", fields);
  }

  private CelType struct(String path, Map<String, CelType> fields) {
    String name = "sandbox.schema" + types.size();
    Map<String, CelType> copy = Map.copyOf(fields);
    StructType type =
        StructType.create(
            name, ImmutableSet.copyOf(fields.keySet()), f -> Optional.ofNullable(copy.get(f)));
    types.put(name, type);
    return type;
  }

  /** Kubernetes' property-name escaping for CEL, or null for a name CEL cannot reach. */
  static String escape(String name) {
    if (RESERVED.contains(name)) {
      return "__" + name + "__";
    }
    if (IDENTIFIER.matcher(name).matches() && !name.contains("__")) {
      return name;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (name.startsWith("__", i)) {
        out.append("__underscores__");
        i++;
      } else if (c == '.') {
        out.append("__dot__");
      } else if (c == '-') {
        out.append("__dash__");
      } else if (c == '/') {
        out.append("__slash__");
      } else if (Character.isLetterOrDigit(c) && c < 128 || c == '_') {
        out.append(c);
      } else {
        return null;
      }
    }
    return Character.isDigit(out.charAt(0)) ? null : out.toString();
  }

  // --- evaluation

  private void validate(
      Node node, JsonNode value, JsonNode old, String path, List<FieldError> errors) {
    if (node == null || value == null || value.isNull() || value.isMissingNode()) {
      return;
    }
    String type = node.schema().path("type").asText("object");
    for (Rule rule : node.rules()) {
      evaluate(rule, node, value, old, path, type, errors);
    }
    if (value.isObject()) {
      value
          .fields()
          .forEachRemaining(
              f -> {
                Node child = node.properties().get(f.getKey());
                JsonNode oldChild = old == null ? null : old.get(f.getKey());
                if (child != null) {
                  validate(
                      child,
                      f.getValue(),
                      oldChild,
                      StructuralSchema.join(path, f.getKey()),
                      errors);
                } else if (node.additional() != null) {
                  validate(
                      node.additional(),
                      f.getValue(),
                      oldChild,
                      path + "[" + f.getKey() + "]",
                      errors);
                }
              });
    } else if (value.isArray() && node.items() != null) {
      for (int i = 0; i < value.size(); i++) {
        validate(
            node.items(),
            value.get(i),
            correlated(node, value.get(i), old),
            path + "[" + i + "]",
            errors);
      }
    }
  }

  /** The old item a list item correlates with: only lists of type map, by their keys. */
  private static JsonNode correlated(Node list, JsonNode item, JsonNode oldList) {
    if (oldList == null
        || !oldList.isArray()
        || !"map".equals(list.schema().path("x-kubernetes-list-type").asText())) {
      return null;
    }
    List<String> keys = new ArrayList<>();
    list.schema().path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
    for (JsonNode candidate : oldList) {
      boolean same = true;
      for (String key : keys) {
        same &= candidate.path(key).equals(item.path(key));
      }
      if (same) {
        return candidate;
      }
    }
    return null;
  }

  private void evaluate(
      Rule rule,
      Node node,
      JsonNode value,
      JsonNode old,
      String path,
      String type,
      List<FieldError> errors) {
    boolean optionalOldSelf = rule.source().path("optionalOldSelf").asBoolean(false);
    if (rule.usesOldSelf() && old == null && !optionalOldSelf) {
      return;
    }
    Map<String, Object> activation = new HashMap<>();
    activation.put("self", CelValues.of(value, node.schema()));
    if (rule.usesOldSelf()) {
      Object oldValue = old == null ? null : CelValues.of(old, node.schema());
      activation.put("oldSelf", optionalOldSelf ? Optional.ofNullable(oldValue) : oldValue);
    }
    String field = path.isEmpty() ? FieldError.NIL_PATH : path;
    Object result;
    try {
      result = rule.program().eval(activation);
    } catch (CelEvaluationException e) {
      errors.add(
          FieldError.invalid(
              field,
              type,
              CelValues.goError(e) + " evaluating rule: " + ruleErrorString(rule.source())));
      return;
    }
    if (Boolean.TRUE.equals(result)) {
      return;
    }
    String errorPath = path;
    if (rule.source().hasNonNull("fieldPath")) {
      errorPath = path + rule.source().get("fieldPath").asText();
    }
    String detail = null;
    if (rule.messageExpression() != null) {
      try {
        Object message = rule.messageExpression().eval(activation);
        if (message instanceof String text && !text.isBlank() && !text.contains("\n")) {
          detail = text.trim();
        }
      } catch (CelEvaluationException e) {
        // As on a cluster: a failing messageExpression falls back to the message.
      }
    }
    if (detail == null) {
      String message = rule.source().path("message").asText("");
      detail =
          message.isEmpty() ? "failed rule: " + ruleErrorString(rule.source()) : message.trim();
    }
    String errorField = errorPath.isEmpty() ? FieldError.NIL_PATH : errorPath;
    errors.add(
        switch (rule.source().path("reason").asText("FieldValueInvalid")) {
          case "FieldValueForbidden" -> FieldError.forbidden(errorField, detail);
          case "FieldValueRequired" -> FieldError.required(errorField, detail);
          case "FieldValueDuplicate" -> FieldError.duplicate(errorField, null);
          default -> FieldError.invalid(errorField, type, detail);
        });
  }

  private static String ruleErrorString(JsonNode rule) {
    String message = rule.path("message").asText("");
    return message.isEmpty() ? rule.path("rule").asText("").trim() : message.trim();
  }

  /** The type names the stored CRD uses, for tests. */
  Set<String> typeNames() {
    return new LinkedHashSet<>(types.keySet());
  }
}
