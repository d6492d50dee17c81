package io.cpol.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What a benchmark run found: JSON sections, printed tables, and the targets with PASS/MISS. */
final class Results {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One target: what it asks, what was measured, and whether it holds. */
  record Target(String name, String goal, String measured, boolean pass) {}

  private final ObjectNode root = JsonNodeFactory.instance.objectNode();
  private final List<Target> targets = new ArrayList<>();
  private final PrintStream out;

  Results(PrintStream out) {
    this.out = out;
  }

  ObjectNode root() {
    return root;
  }

  /** A new top-level section. */
  ObjectNode section(String name) {
    return root.putObject(name);
  }

  ArrayNode arraySection(String name) {
    return root.putArray(name);
  }

  void target(String name, String goal, String measured, boolean pass) {
    targets.add(new Target(name, goal, measured, pass));
  }

  List<Target> targets() {
    return List.copyOf(targets);
  }

  /** Prints a line now, so a long run shows its progress. */
  void print(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }

  void heading(String title) {
    out.println();
    out.println("== " + title);
    out.flush();
  }

  void printTargets() {
    heading("Targets");
    int width = targets.stream().mapToInt(t -> t.name().length()).max().orElse(10);
    for (Target t : targets) {
      print(
          "%-4s  %-" + width + "s  goal %s; measured %s",
          t.pass() ? "PASS" : "MISS",
          t.name(),
          t.goal(),
          t.measured());
    }
    ArrayNode array = root.putArray("targets");
    for (Target t : targets) {
      ObjectNode node = array.addObject();
      node.put("name", t.name());
      node.put("goal", t.goal());
      node.put("measured", t.measured());
      node.put("result", t.pass() ? "PASS" : "MISS");
    }
  }

  void write(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    JSON.writeValue(file.toFile(), root);
  }

  /** Milliseconds with three significant digits (at least whole milliseconds). */
  static String ms(double value) {
    double magnitude = Math.abs(value);
    String format =
        magnitude >= 100
            ? "%.0f ms"
            : magnitude >= 10 ? "%.1f ms" : magnitude >= 1 ? "%.2f ms" : "%.3f ms";
    return String.format(Locale.ROOT, format, value);
  }

  static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
