package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The JSONPath subset printer columns use ({@code additionalPrinterColumns[].jsonPath}): {@code
 * .a.b}, {@code .a[0]}, {@code .a[*]}, {@code ['a.b']} and filters {@code [?(@.type=="Ready")]}
 * with {@code ==} or {@code !=} against a quoted string or a number.
 */
final class SimpleJsonPath {
  private final String expression;
  private final List<Function<JsonNode, List<JsonNode>>> steps;

  private SimpleJsonPath(String expression, List<Function<JsonNode, List<JsonNode>>> steps) {
    this.expression = expression;
    this.steps = steps;
  }

  /** Parses {@code expression}; throws IllegalArgumentException outside the subset. */
  static SimpleJsonPath parse(String expression) {
    String e = expression.trim();
    if (e.startsWith("{") && e.endsWith("}")) {
      e = e.substring(1, e.length() - 1).trim();
    }
    if (e.startsWith("$")) {
      e = e.substring(1);
    }
    List<Function<JsonNode, List<JsonNode>>> steps = new ArrayList<>();
    int i = 0;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '.') {
        int end = i + 1;
        while (end < e.length() && e.charAt(end) != '.' && e.charAt(end) != '[') {
          end++;
        }
        String name = e.substring(i + 1, end);
        if (name.isEmpty()) {
          throw new IllegalArgumentException("empty field in " + expression);
        }
        steps.add(field(name));
        i = end;
      } else if (c == '[') {
        int end = closingBracket(e, i, expression);
        steps.add(bracket(e.substring(i + 1, end).trim(), expression));
        i = end + 1;
      } else {
        throw new IllegalArgumentException("unexpected '" + c + "' in " + expression);
      }
    }
    return new SimpleJsonPath(expression, List.copyOf(steps));
  }

  /** Every node the path selects in {@code root}, in document order. */
  List<JsonNode> select(JsonNode root) {
    List<JsonNode> current = List.of(root);
    for (Function<JsonNode, List<JsonNode>> step : steps) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : current) {
        next.addAll(step.apply(node));
      }
      current = next;
    }
    return current;
  }

  @Override
  public String toString() {
    return expression;
  }

  private static int closingBracket(String e, int open, String expression) {
    char quote = 0;
    for (int i = open + 1; i < e.length(); i++) {
      char c = e.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == ']') {
        return i;
      }
    }
    throw new IllegalArgumentException("unclosed [ in " + expression);
  }

  private static Function<JsonNode, List<JsonNode>> field(String name) {
    return node -> {
      if (name.equals("*")) {
        List<JsonNode> all = new ArrayList<>();
        node.elements().forEachRemaining(all::add);
        return all;
      }
      JsonNode child = node.isObject() ? node.get(name) : null;
      return child == null ? List.of() : List.of(child);
    };
  }

  private static Function<JsonNode, List<JsonNode>> bracket(String inside, String expression) {
    if (inside.equals("*")) {
      return field("*");
    }
    if (inside.matches("-?\\d+")) {
      int index = Integer.parseInt(inside);
      return node -> {
        if (!node.isArray()) {
          return List.of();
        }
        int at = index < 0 ? node.size() + index : index;
        return at >= 0 && at < node.size() ? List.of(node.get(at)) : List.of();
      };
    }
    if (isQuoted(inside)) {
      return field(inside.substring(1, inside.length() - 1));
    }
    if (inside.startsWith("?(") && inside.endsWith(")")) {
      return filter(inside.substring(2, inside.length() - 1).trim(), expression);
    }
    throw new IllegalArgumentException("unsupported [" + inside + "] in " + expression);
  }

  private static Function<JsonNode, List<JsonNode>> filter(String condition, String expression) {
    boolean negated = condition.contains("!=");
    String[] sides = condition.split(negated ? "!=" : "==", 2);
    if (sides.length != 2 || !sides[0].trim().startsWith("@")) {
      throw new IllegalArgumentException("unsupported filter " + condition + " in " + expression);
    }
    SimpleJsonPath left = parse(sides[0].trim().substring(1));
    String literal = sides[1].trim();
    String expected = isQuoted(literal) ? literal.substring(1, literal.length() - 1) : literal;
    return node -> {
      List<JsonNode> out = new ArrayList<>();
      node.elements()
          .forEachRemaining(
              element -> {
                List<JsonNode> found = left.select(element);
                boolean equal =
                    !found.isEmpty() && Objects.equals(found.get(0).asText(null), expected);
                if (equal != negated) {
                  out.add(element);
                }
              });
      return out;
    };
  }

  private static boolean isQuoted(String s) {
    return s.length() >= 2
        && (s.charAt(0) == '"' || s.charAt(0) == '\'')
        && s.charAt(s.length() - 1) == s.charAt(0);
  }
}
