package io.cpol.live;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Kubernetes label selector as {@code ?labelSelector=} carries it: comma-separated requirements,
 * each {@code key}, {@code !key}, {@code key=v}, {@code key==v}, {@code key!=v}, {@code key in
 * (a,b)} or {@code key notin (a,b)}; all must hold.
 */
public final class LabelSelector {
  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  private enum Op {
    EXISTS,
    NOT_EXISTS,
    IN,
    NOT_IN
  }

  private record Requirement(String key, Op op, Set<String> values) {
    boolean matches(Map<String, String> labels) {
      String value = labels.get(key);
      return switch (op) {
        case EXISTS -> value != null;
        case NOT_EXISTS -> value == null;
        case IN -> value != null && values.contains(value);
        case NOT_IN -> value == null || !values.contains(value);
      };
    }
  }

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = List.copyOf(requirements);
  }

  /**
   * Parses {@code text}; null or blank selects everything.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static LabelSelector parse(String text) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    for (String part : splitTopLevel(text)) {
      requirements.add(requirement(part.trim(), text));
    }
    return new LabelSelector(requirements);
  }

  public boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  private static Requirement requirement(String part, String text) {
    if (part.isEmpty()) {
      throw invalid(text, "an empty requirement");
    }
    if (part.startsWith("!")) {
      return new Requirement(key(part.substring(1).trim(), text), Op.NOT_EXISTS, Set.of());
    }
    int notin = indexOfWord(part, "notin");
    int in = indexOfWord(part, "in");
    if (notin > 0 || in > 0) {
      boolean negated = notin > 0;
      int at = negated ? notin : in;
      String rest = part.substring(at + (negated ? 5 : 2)).trim();
      if (!rest.startsWith("(") || !rest.endsWith(")")) {
        throw invalid(text, "a set needs parentheses: " + part);
      }
      Set<String> values = new java.util.LinkedHashSet<>();
      for (String v : rest.substring(1, rest.length() - 1).split(",", -1)) {
        values.add(value(v.trim(), text));
      }
      return new Requirement(
          key(part.substring(0, at).trim(), text), negated ? Op.NOT_IN : Op.IN, Set.copyOf(values));
    }
    for (String op : List.of("!=", "==", "=")) {
      int at = part.indexOf(op);
      if (at >= 0) {
        String key = key(part.substring(0, at).trim(), text);
        String value = value(part.substring(at + op.length()).trim(), text);
        return new Requirement(key, op.equals("!=") ? Op.NOT_IN : Op.IN, Set.of(value));
      }
    }
    return new Requirement(key(part, text), Op.EXISTS, Set.of());
  }

  /** A selector's requirements as written: split on the commas outside parentheses. */
  public static List<String> splitTopLevel(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int from = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(from, i));
        from = i + 1;
      }
    }
    parts.add(text.substring(from));
    return parts;
  }

  private static int indexOfWord(String part, String word) {
    int at = part.indexOf(" " + word + " ");
    if (at < 0) {
      at = part.indexOf(" " + word + "(");
    }
    return at < 0 ? -1 : at + 1;
  }

  private static final java.util.regex.Pattern KEY =
      java.util.regex.Pattern.compile(
          "([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
              + "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
  private static final java.util.regex.Pattern VALUE =
      java.util.regex.Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

  private static String key(String key, String text) {
    if (!KEY.matcher(key).matches()) {
      throw invalid(text, "invalid label key \"" + key + "\"");
    }
    return key;
  }

  private static String value(String value, String text) {
    if (!VALUE.matcher(value).matches()) {
      throw invalid(text, "invalid label value \"" + value + "\"");
    }
    return value;
  }

  private static IllegalArgumentException invalid(String text, String why) {
    return new IllegalArgumentException(
        "unable to parse requirement: " + why + " in label selector \"" + text + "\"");
  }
}
