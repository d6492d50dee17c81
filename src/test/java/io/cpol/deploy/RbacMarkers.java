package io.cpol.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules of an RBAC file that are granted on purpose although a test run cannot use them: a
 * comment line {@code # kept-unused: <why>} in the comments right above the rule's {@code -
 * apiGroups:} line. Read from the source file (kustomize and Helm drop comments), for rules written
 * in the flow style deploy/ uses ({@code resources: ["leases"]}).
 */
final class RbacMarkers {
  static final String MARKER = "kept-unused:";
  private static final Pattern FLOW_LIST = Pattern.compile("^\\s*-?\\s*(\\w+):\\s*\\[(.*)]\\s*$");

  /** One verb on one resource of one group, whatever binding grants it. */
  record Rule(String apiGroup, String resource, String verb) {}

  private RbacMarkers() {}

  /** The marked rules of these files and why each is kept. */
  static Map<Rule, String> read(Path... files) {
    Map<Rule, String> kept = new LinkedHashMap<>();
    for (Path file : files) {
      try {
        kept.putAll(parse(Files.readString(file)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return kept;
  }

  /** The marked rules of one file's text. */
  static Map<Rule, String> parse(String yaml) {
    Map<Rule, String> kept = new LinkedHashMap<>();
    List<String> lines = yaml.lines().toList();
    String reason = null;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.startsWith("#")) {
        int at = line.indexOf(MARKER);
        if (at >= 0) {
          reason = line.substring(at + MARKER.length()).strip();
          if (reason.isEmpty()) {
            throw new IllegalStateException(
                "line " + (i + 1) + ": " + MARKER + " without a reason");
          }
        }
        continue;
      }
      if (line.startsWith("- apiGroups:") && reason != null) {
        Map<String, List<String>> rule = new LinkedHashMap<>();
        for (int j = i; j < lines.size() && j < i + 3; j++) {
          Matcher m = FLOW_LIST.matcher(lines.get(j));
          if (m.matches()) {
            rule.put(m.group(1), items(m.group(2)));
          }
        }
        if (!rule.keySet().containsAll(List.of("apiGroups", "resources", "verbs"))) {
          throw new IllegalStateException(
              "line "
                  + (i + 1)
                  + ": a rule marked "
                  + MARKER
                  + " must list apiGroups, resources"
                  + " and verbs in flow style on its first three lines");
        }
        for (String group : rule.get("apiGroups")) {
          for (String resource : rule.get("resources")) {
            for (String verb : rule.get("verbs")) {
              kept.put(new Rule(group, resource, verb), reason);
            }
          }
        }
      }
      reason = null;
    }
    return kept;
  }

  private static List<String> items(String flow) {
    List<String> items = new ArrayList<>();
    for (String item : flow.split(",")) {
      String s = item.strip();
      if (s.startsWith("\"") && s.endsWith("\"") && s.length() >= 2) {
        s = s.substring(1, s.length() - 1);
      }
      if (!s.isEmpty() || flow.contains("\"\"")) {
        items.add(s);
      }
    }
    return items;
  }
}
