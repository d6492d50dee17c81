package io.cpol.live;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A field selector as {@code ?fieldSelector=} carries it: comma-separated {@code key=value}, {@code
 * key==value} or {@code key!=value}, all of which must hold; the keys are {@link Session#FIELDS}.
 */
public final class FieldSelector {
  public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

  private record Requirement(String key, boolean equal, String value) {}

  private final List<Requirement> requirements;

  private FieldSelector(List<Requirement> requirements) {
    this.requirements = List.copyOf(requirements);
  }

  /**
   * Parses {@code text}; null or blank selects everything.
   *
   * @throws IllegalArgumentException for a malformed selector or a key the API does not support
   */
  public static FieldSelector parse(String text) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String p = part.trim();
      int at;
      int width;
      boolean equal;
      if ((at = p.indexOf("!=")) > 0) {
        width = 2;
        equal = false;
      } else if ((at = p.indexOf("==")) > 0) {
        width = 2;
        equal = true;
      } else if ((at = p.indexOf('=')) > 0) {
        width = 1;
        equal = true;
      } else {
        throw new IllegalArgumentException(
            "invalid selector: '" + text + "'; can't understand '" + p + "'");
      }
      String key = p.substring(0, at).trim();
      if (!Session.FIELDS.contains(key)) {
        throw new IllegalArgumentException(
            "field label not supported: "
                + key
                + " (sessions support "
                + String.join(", ", Session.FIELDS.stream().sorted().toList())
                + ")");
      }
      requirements.add(new Requirement(key, equal, p.substring(at + width).trim()));
    }
    return new FieldSelector(requirements);
  }

  /** Whether {@code field} (a key's value, or null) meets every requirement. */
  public boolean matches(Function<String, String> field) {
    for (Requirement r : requirements) {
      String value = field.apply(r.key());
      boolean same = r.value().equals(value == null ? "" : value);
      if (same != r.equal()) {
        return false;
      }
    }
    return true;
  }

  /** The value an {@code key=value} requirement fixes, or null; lets a store look one up fast. */
  public String equalTo(String key) {
    for (Requirement r : requirements) {
      if (r.equal() && r.key().equals(key)) {
        return r.value();
      }
    }
    return null;
  }
}
