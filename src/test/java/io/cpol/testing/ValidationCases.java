package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The validation table: ConnectionPolicy inputs, valid and invalid, from {@code
 * src/test/resources/validation/connectionpolicy-cases.yaml}, each as the full object a user would
 * apply.
 */
public final class ValidationCases {
  public static final Path FILE =
      Path.of("src/test/resources/validation/connectionpolicy-cases.yaml");
  private static final Pattern REPEAT = Pattern.compile("\\$\\{repeat:(.+):(\\d+)}");
  private static final Pattern RULES = Pattern.compile("\\$\\{rules:(\\d+)}");

  /**
   * One input.
   *
   * @param field for an invalid input, the field path both checks must name
   * @param typed whether the input binds to the Java model (the compiler can see it)
   */
  public record Case(
      String id,
      String title,
      boolean valid,
      String field,
      boolean typed,
      String namespace,
      ObjectNode object) {
    @Override
    public String toString() {
      return id + " (" + title + ")";
    }
  }

  private ValidationCases() {}

  public static List<Case> all() {
    JsonNode list;
    try {
      list = Serialization.unmarshal(Files.readString(FILE), JsonNode.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : list) {
      String id = c.path("id").asText();
      String namespace = c.path("namespace").asText("sandbox");
      ObjectNode object = JsonNodeFactory.instance.objectNode();
      object.put("apiVersion", "beebotte.io/v1alpha1");
      object.put("kind", "ConnectionPolicy");
      ObjectNode metadata = object.putObject("metadata");
      metadata.put("name", id);
      metadata.put("namespace", namespace);
      c.path("metadata")
          .fields()
          .forEachRemaining(f -> metadata.set(f.getKey(), expand(f.getValue())));
      object.set("spec", expand(c.path("spec")));
      cases.add(
          new Case(
              id,
              c.path("title").asText(),
              id.startsWith("v"),
              c.path("field").asText(null),
              c.path("typed").asBoolean(true),
              namespace,
              object));
    }
    return cases;
  }

  private static JsonNode expand(JsonNode node) {
    if (node.isTextual()) {
      Matcher repeat = REPEAT.matcher(node.textValue());
      if (repeat.matches()) {
        return TextNode.valueOf(repeat.group(1).repeat(Integer.parseInt(repeat.group(2))));
      }
      Matcher rules = RULES.matcher(node.textValue());
      if (rules.matches()) {
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < Integer.parseInt(rules.group(1)); i++) {
          list.addObject().putArray("sids").add("sid-" + i);
        }
        return list;
      }
      return node;
    }
    JsonNode copy = node.deepCopy();
    if (copy instanceof ObjectNode o) {
      o.fields().forEachRemaining(f -> f.setValue(expand(f.getValue())));
    } else if (copy instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, expand(a.get(i)));
      }
    }
    return copy;
  }
}
