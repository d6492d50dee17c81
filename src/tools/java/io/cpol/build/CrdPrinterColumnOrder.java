package io.cpol.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Build step: puts the generated CRD's printer columns in the contract's order.
 *
 * <p>The Fabric8 generator sorts printer columns by JSON path, but {@code kubectl get cpol} must
 * print NAME, MODE, CONNECTED, DENIED, DROPPED, READY, LAST SYNC, AGE, and {@code -o wide} then
 * ENFORCED, INTERVAL, OMITTED. Runs at process-test-classes, before the test that compares the
 * result with the committed copy in {@code crds/}. Only the column entries move; every other byte
 * stays as generated.
 */
public final class CrdPrinterColumnOrder {
  /** The contract's printer columns, in order; those after Age show with {@code -o wide}. */
  public static final List<String> ORDER =
      List.of(
          "Mode",
          "Connected",
          "Denied",
          "Dropped",
          "Ready",
          "Last Sync",
          "Age",
          "Enforced",
          "Interval",
          "Omitted");

  private static final String BLOCK_START = "  - additionalPrinterColumns:\n";
  private static final String ENTRY_START = "    - jsonPath: ";

  private CrdPrinterColumnOrder() {}

  public static void main(String[] args) throws IOException {
    for (String arg : args) {
      Path file = Path.of(arg);
      String yaml = Files.readString(file, StandardCharsets.UTF_8);
      Files.writeString(file, reorder(yaml), StandardCharsets.UTF_8);
    }
  }

  static String reorder(String yaml) {
    int start = yaml.indexOf(BLOCK_START);
    if (start < 0) {
      throw new IllegalStateException("no additionalPrinterColumns block in the CRD");
    }
    int bodyStart = start + BLOCK_START.length();
    int end = bodyStart;
    while (end < yaml.length()
        && yaml.startsWith("    ", end)
        && !yaml.startsWith("    name:", end)) {
      end = yaml.indexOf('\n', end) + 1;
    }
    Map<String, String> entries = new LinkedHashMap<>();
    List<String> lines = List.of(yaml.substring(bodyStart, end).split("(?<=\n)"));
    List<String> current = new ArrayList<>();
    for (String line : lines) {
      if (line.startsWith(ENTRY_START) && !current.isEmpty()) {
        put(entries, current);
        current = new ArrayList<>();
      }
      current.add(line);
    }
    put(entries, current);
    if (!entries.keySet().containsAll(ORDER) || entries.size() != ORDER.size()) {
      throw new IllegalStateException(
          "printer columns " + entries.keySet() + " differ from " + ORDER);
    }
    StringBuilder out = new StringBuilder(yaml.substring(0, bodyStart));
    ORDER.forEach(name -> out.append(entries.get(name)));
    return out.append(yaml.substring(end)).toString();
  }

  private static void put(Map<String, String> entries, List<String> entryLines) {
    String name =
        entryLines.stream()
            .filter(l -> l.startsWith("      name: "))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("printer column without a name"))
            .substring("      name: ".length())
            .trim()
            .replace("\"", "");
    entries.put(name, String.join("", entryLines));
  }
}
