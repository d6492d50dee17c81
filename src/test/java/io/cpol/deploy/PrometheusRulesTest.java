package io.cpol.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The alert rules, their promtool unit tests, the PrometheusRule and ServiceMonitor, and the
 * dashboard under deploy/prometheus/: checked and unit-tested by Debian's promtool when it is
 * installed, and against the README and each other always.
 */
class PrometheusRulesTest {
  static final Path README = Path.of("README.md");

  @Test
  void promtoolChecksTheRules() throws Exception {
    assertThat(promtool("check", "rules", PrometheusFiles.ALERTS.toString()))
        .contains("SUCCESS: " + PrometheusFiles.alerts(PrometheusFiles.alertRules()).size());
  }

  @Test
  void promtoolUnitTestsPass() throws Exception {
    assertThat(promtool("test", "rules", PrometheusFiles.ALERT_TESTS.toString()))
        .contains("SUCCESS");
  }

  @Test
  void everyAlertHasAUnitTestThatFiresIt() {
    Set<String> fired = new HashSet<>();
    Map<String, Object> tests = DeployManifests.parseYaml(PrometheusFiles.ALERT_TESTS).get(0);
    assertThat(DeployManifests.strings(tests.get("rule_files"))).containsExactly("alerts.yaml");
    for (Map<String, Object> test : DeployManifests.listOfMaps(tests.get("tests"))) {
      for (Map<String, Object> check : DeployManifests.listOfMaps(test.get("alert_rule_test"))) {
        if (!DeployManifests.listOfMaps(check.get("exp_alerts")).isEmpty()) {
          fired.add((String) check.get("alertname"));
        }
      }
    }
    assertThat(fired).containsExactlyInAnyOrderElementsOf(alertNames());
  }

  @Test
  void everyAlertIsActionableAndPointsAtTheReadmesTroubleshooting() throws IOException {
    String troubleshooting = readmeSection("## Troubleshooting");
    for (Map<String, Object> alert : PrometheusFiles.alerts(PrometheusFiles.alertRules())) {
      String name = (String) alert.get("alert");
      Map<String, Object> labels = DeployManifests.map(alert.get("labels"));
      Map<String, Object> annotations = DeployManifests.map(alert.get("annotations"));
      assertThat(labels.get("severity")).as(name).isIn("warning", "critical");
      assertThat(annotations).as(name).containsKeys("summary", "description", "runbook");
      assertThat((String) annotations.get("runbook"))
          .as(name)
          .startsWith("README.md#troubleshooting");
      assertThat(troubleshooting).as("README's Troubleshooting covers " + name).contains(name);
      assertThat(alert.get("for")).as(name + " waits before firing").isNotNull();
    }
  }

  @Test
  void prometheusRuleCarriesExactlyTheRuleFile() {
    Map<String, Object> rule = DeployManifests.parseYaml(PrometheusFiles.PROMETHEUS_RULE).get(0);
    assertThat(rule).containsEntry("apiVersion", "monitoring.coreos.com/v1");
    assertThat(rule).containsEntry("kind", "PrometheusRule");
    assertThat(rule.get("spec"))
        .as("prometheus-rule.yaml's spec must be alerts.yaml's groups")
        .isEqualTo(PrometheusFiles.alertRules());
  }

  @Test
  void serviceMonitorScrapesTheMetricsServiceAsTheRulesExpect() {
    Map<String, Object> monitor = DeployManifests.parseYaml(PrometheusFiles.SERVICE_MONITOR).get(0);
    Map<String, Object> spec = DeployManifests.map(monitor.get("spec"));
    Map<String, Object> service =
        DeployManifests.read()
            .find("Service", "beebotte-connection-operator-metrics")
            .orElseThrow();
    Map<String, Object> serviceLabels =
        DeployManifests.map(DeployManifests.metadata(service).get("labels"));

    assertThat(DeployManifests.metadata(monitor))
        .containsEntry("namespace", DeployManifests.OPERATOR_NAMESPACE);
    assertThat(serviceLabels)
        .containsAllEntriesOf(
            DeployManifests.map(DeployManifests.map(spec.get("selector")).get("matchLabels")));
    assertThat(serviceLabels).containsEntry((String) spec.get("jobLabel"), PrometheusFiles.JOB);
    assertThat(DeployManifests.listOfMaps(spec.get("endpoints")))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e).containsEntry("port", "http-metrics").containsEntry("path", "/metrics");
              // The policies' namespace label must win over the target's.
              assertThat(e).containsEntry("honorLabels", true);
            });
  }

  @Test
  void kubectlRendersTheMonitoringKustomization() throws IOException {
    DeployManifestsTest.assumeKubectl();
    DeployManifests rendered = DeployManifests.render(PrometheusFiles.DIR);
    assertThat(rendered.objects())
        .extracting(DeployManifestsTest::identity)
        .containsExactlyInAnyOrder(
            "ServiceMonitor/beebotte-system/beebotte-connection-operator",
            "PrometheusRule/beebotte-system/beebotte-connection-operator",
            "ConfigMap/beebotte-system/beebotte-connection-operator-dashboard");
    Map<String, Object> dashboard =
        rendered.find("ConfigMap", "beebotte-connection-operator-dashboard").orElseThrow();
    assertThat(DeployManifests.map(DeployManifests.metadata(dashboard).get("labels")))
        .containsEntry("grafana_dashboard", "1");
    assertThat(DeployManifests.map(dashboard.get("data")))
        .containsEntry("grafana-dashboard.json", Files.readString(PrometheusFiles.DASHBOARD));
  }

  @Test
  void dashboardPanelsQueryThroughTheDatasourceVariable() {
    List<JsonNode> panels = PrometheusFiles.dashboardPanels();
    assertThat(panels).hasSizeGreaterThan(10);
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : panels) {
      String title = panel.path("title").asText();
      assertThat(ids.add(panel.path("id").asInt())).as("unique id: " + title).isTrue();
      assertThat(panel.path("datasource").path("uid").asText())
          .as(title)
          .isEqualTo("${datasource}");
      assertThat(panel.path("targets")).as(title).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("expr").asText()).as(title).isNotBlank();
        assertThat(target.path("refId").asText()).as(title).isNotBlank();
      }
    }
  }

  @Test
  void everyMetricTheRulesAndDashboardUseIsDocumentedOrNamedAsComing() throws IOException {
    String metricsTable = readmeSection("## Metrics");
    List<String> expressions = new ArrayList<>();
    PrometheusFiles.alerts(PrometheusFiles.alertRules())
        .forEach(a -> expressions.add((String) a.get("expr")));
    PrometheusFiles.dashboardPanels()
        .forEach(p -> p.path("targets").forEach(t -> expressions.add(t.path("expr").asText())));

    Set<String> undocumented =
        expressions.stream()
            .flatMap(e -> PrometheusFiles.selectors(e).stream())
            .map(PrometheusFiles::metricName)
            .filter(m -> m.startsWith("beebotte_"))
            .filter(m -> !PrometheusScrapeTest.NOT_EXPORTED_YET.containsKey(m))
            .filter(
                m -> !metricsTable.contains("`" + m.replaceAll("_(bucket|count|sum)$", "") + "`"))
            .collect(Collectors.toSet());
    assertThat(undocumented).as("metrics missing from the README's Metrics table").isEmpty();
  }

  private static Set<String> alertNames() {
    return PrometheusFiles.alerts(PrometheusFiles.alertRules()).stream()
        .map(a -> (String) a.get("alert"))
        .collect(Collectors.toSet());
  }

  private static String readmeSection(String heading) throws IOException {
    String readme = Files.readString(README);
    int start = readme.indexOf("\n" + heading + "\n");
    assertThat(start).as("README has " + heading).isNotNegative();
    int end = readme.indexOf("\n## ", start + heading.length() + 2);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  /** Runs promtool; fails with its output when it exits non-zero. */
  private static String promtool(String... args) throws Exception {
    Path promtool = PrometheusFiles.tool("promtool").orElse(null);
    assumeTrue(promtool != null, PrometheusFiles.missing("promtool"));
    List<String> command = new ArrayList<>(List.of(promtool.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
    return output;
  }
}
