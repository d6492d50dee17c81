package io.cpol.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monitoring files under {@code deploy/prometheus/}: alert rules, their promtool tests, the
 * Grafana dashboard, and where Debian's Prometheus tools are.
 */
final class PrometheusFiles {
  static final Path DIR = DeployManifests.DEPLOY_DIR.resolve("prometheus");
  static final Path ALERTS = DIR.resolve("alerts.yaml");
  static final Path ALERT_TESTS = DIR.resolve("alerts-test.yaml");
  static final Path PROMETHEUS_RULE = DIR.resolve("prometheus-rule.yaml");
  static final Path SERVICE_MONITOR = DIR.resolve("service-monitor.yaml");
  static final Path DASHBOARD = DIR.resolve("grafana-dashboard.json");

  /** The job label the alert rules select the operator's scrape targets by. */
  static final String JOB = "beebotte-connection-operator";

  /** A series selector in an expression: a metric of ours (or up) and its label matchers. */
  private static final Pattern SELECTOR =
      Pattern.compile("\\b((?:beebotte|jvm|process)_[a-z_]+|up)\\b(\\{[^}]*\\})?(?!\\s*\\()");

  private PrometheusFiles() {}

  /** alerts.yaml, parsed: {@code {groups: [...]}}. */
  static Map<String, Object> alertRules() {
    return DeployManifests.parseYaml(ALERTS).get(0);
  }

  /** The alerting rules (not recording rules) of a rule file or PrometheusRule spec. */
  static List<Map<String, Object>> alerts(Map<String, Object> rules) {
    List<Map<String, Object>> alerts = new ArrayList<>();
    for (Map<String, Object> group : DeployManifests.listOfMaps(rules.get("groups"))) {
      for (Map<String, Object> rule : DeployManifests.listOfMaps(group.get("rules"))) {
        if (rule.containsKey("alert")) {
          alerts.add(rule);
        }
      }
    }
    return alerts;
  }

  /** The dashboard's panels that query, rows left out. */
  static List<JsonNode> dashboardPanels() {
    try {
      List<JsonNode> panels = new ArrayList<>();
      for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
        if (panel.has("targets")) {
          panels.add(panel);
        }
      }
      return panels;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every series selector in a PromQL expression, e.g. {@code up{job="x"}}, in order. */
  static Set<String> selectors(String expression) {
    Set<String> selectors = new LinkedHashSet<>();
    Matcher m = SELECTOR.matcher(expression);
    while (m.find()) {
      selectors.add(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
    }
    return selectors;
  }

  /** The metric name of a selector. */
  static String metricName(String selector) {
    int brace = selector.indexOf('{');
    return brace < 0 ? selector : selector.substring(0, brace);
  }

  /** A Debian Prometheus tool ({@code promtool}, {@code prometheus}) on the PATH or in /usr/bin. */
  static Optional<Path> tool(String name) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.add("/usr/bin");
    for (String dir : dirs) {
      Path candidate = Path.of(dir, name);
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Why a test that needs {@code name} is skipped without it. */
  static String missing(String name) {
    return name
        + " is not installed (Debian package prometheus; .ci/run installs it when it can):"
        + " skipping";
  }
}
