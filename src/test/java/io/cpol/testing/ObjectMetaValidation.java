package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The metadata rules every API server applies to every object ({@code apimachinery}'s {@code
 * ValidateObjectMeta}): a name or generateName, names that are DNS subdomains (labels for
 * Namespaces), qualified label and annotation keys, label values, and at most 256 KiB of
 * annotations in total. Messages are apimachinery's.
 */
final class ObjectMetaValidation {
  static final int TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
  private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String SUBDOMAIN = LABEL + "(\\." + LABEL + ")*";
  private static final String QUALIFIED = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final Pattern LABEL_PATTERN = Pattern.compile(LABEL);
  private static final Pattern SUBDOMAIN_PATTERN = Pattern.compile(SUBDOMAIN);
  private static final Pattern QUALIFIED_PATTERN = Pattern.compile(QUALIFIED);
  private static final Pattern LABEL_VALUE_PATTERN = Pattern.compile("(" + QUALIFIED + ")?");
  private static final String SUBDOMAIN_MESSAGE =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or"
          + " '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex"
          + " used for validation is '"
          + SUBDOMAIN
          + "')";
  private static final String LABEL_MESSAGE =
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and"
          + " must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc',"
          + " regex used for validation is '"
          + LABEL
          + "')";

  private ObjectMetaValidation() {}

  /**
   * @param dnsLabelNames whether names must be DNS labels (Namespaces) rather than subdomains
   * @param create whether the object is being created (a name or generateName is then required)
   */
  static List<FieldError> validate(JsonNode metadata, boolean dnsLabelNames, boolean create) {
    List<FieldError> errors = new ArrayList<>();
    String name = metadata.path("name").asText("");
    String generateName = metadata.path("generateName").asText("");
    if (name.isEmpty() && generateName.isEmpty()) {
      if (create) {
        errors.add(FieldError.required("metadata.name", "name or generateName is required"));
      }
    } else if (!name.isEmpty()) {
      for (String problem : nameProblems(name, dnsLabelNames)) {
        errors.add(FieldError.invalid("metadata.name", text(name), problem));
      }
    }
    if (!generateName.isEmpty()) {
      // apimachinery's maskTrailingDash, quirk included: a final dash and the character before it
      // stand for what the generator appends.
      String prefix =
          generateName.length() > 1 && generateName.endsWith("-")
              ? generateName.substring(0, generateName.length() - 2) + "a"
              : generateName;
      for (String problem : nameProblems(prefix, dnsLabelNames)) {
        errors.add(FieldError.invalid("metadata.generateName", text(generateName), problem));
      }
    }
    JsonNode labels = metadata.path("labels");
    labels
        .fields()
        .forEachRemaining(
            l -> {
              for (String problem : qualifiedNameProblems(l.getKey())) {
                errors.add(FieldError.invalid("metadata.labels", text(l.getKey()), problem));
              }
              String value = l.getValue().asText("");
              for (String problem : labelValueProblems(value)) {
                errors.add(FieldError.invalid("metadata.labels", text(value), problem));
              }
            });
    JsonNode annotations = metadata.path("annotations");
    long size = 0;
    for (var it = annotations.fields(); it.hasNext(); ) {
      var a = it.next();
      for (String problem : qualifiedNameProblems(a.getKey().toLowerCase(Locale.ROOT))) {
        errors.add(FieldError.invalid("metadata.annotations", text(a.getKey()), problem));
      }
      size +=
          a.getKey().getBytes(StandardCharsets.UTF_8).length
              + a.getValue().asText("").getBytes(StandardCharsets.UTF_8).length;
    }
    if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
      errors.add(
          FieldError.tooLong(
              "metadata.annotations",
              "must have at most " + TOTAL_ANNOTATION_SIZE_LIMIT + " bytes"));
    }
    return errors;
  }

  static List<String> nameProblems(String name, boolean dnsLabel) {
    List<String> problems = new ArrayList<>();
    int max = dnsLabel ? 63 : 253;
    if (name.length() > max) {
      problems.add("must be no more than " + max + " characters");
    }
    Pattern pattern = dnsLabel ? LABEL_PATTERN : SUBDOMAIN_PATTERN;
    if (!pattern.matcher(name).matches()) {
      problems.add(dnsLabel ? LABEL_MESSAGE : SUBDOMAIN_MESSAGE);
    }
    return problems;
  }

  private static List<String> qualifiedNameProblems(String key) {
    List<String> problems = new ArrayList<>();
    String name = key;
    int slash = key.indexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      if (prefix.isEmpty()) {
        problems.add("prefix part must be non-empty");
      } else {
        for (String p : nameProblems(prefix, false)) {
          problems.add("prefix part " + p);
        }
      }
      if (name.contains("/")) {
        return List.of(
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must"
                + " start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or"
                + " '123-abc', regex used for validation is '"
                + QUALIFIED
                + "') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      }
    }
    if (name.isEmpty()) {
      problems.add("name part must be non-empty");
    } else if (name.length() > 63) {
      problems.add("name part must be no more than 63 characters");
    }
    if (!name.isEmpty() && !QUALIFIED_PATTERN.matcher(name).matches()) {
      problems.add(
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and"
              + " end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc',"
              + " regex used for validation is '"
              + QUALIFIED
              + "')");
    }
    return problems;
  }

  private static List<String> labelValueProblems(String value) {
    List<String> problems = new ArrayList<>();
    if (value.length() > 63) {
      problems.add("must be no more than 63 characters");
    }
    if (!LABEL_VALUE_PATTERN.matcher(value).matches()) {
      problems.add(
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_'"
              + " or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', "
              + " or 'my_value',  or '12345', regex used for validation is '(("
              + "[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
    return problems;
  }

  private static JsonNode text(String value) {
    return JsonNodeFactory.instance.textNode(value);
  }
}
