package io.cpol.deploy;

import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.cpol.OperatorConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart, linted and rendered by the real Helm engine: with its defaults it installs what
 * deploy/ does ({@link HelmInstallTest} and {@link HelmRbacTest} run deploy/'s checks on it), and
 * each value changes what it says.
 */
class HelmChartTest {
  static final String NAME = InstallChecks.NAME;
  static final Map<String, String> POD_SELECTOR = HelmInstallTest.POD_SELECTOR;

  @Test
  void lintsCleanUnderStrict() {
    LintResult lint = HelmChart.lint();
    assertThat(lint.isFailed()).as(lint.getMessages().toString()).isFalse();
    assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void defaultsRenderDeploysObjectsButTheNamespaceAndTheCrd() {
    DeployManifests deploy = DeployManifests.read();
    Set<String> expected =
        deploy.objects().stream()
            .filter(o -> !Set.of("Namespace", "CustomResourceDefinition").contains(o.get("kind")))
            .map(DeployManifestsTest::identity)
            .collect(Collectors.toSet());

    assertThat(HelmChart.defaults().objects())
        .extracting(DeployManifestsTest::identity)
        .containsExactlyInAnyOrderElementsOf(expected);
    for (String kind : List.of("ClusterRole", "Role")) {
      for (Map<String, Object> role : deploy.ofKind(kind)) {
        String name = (String) DeployManifests.metadata(role).get("name");
        assertThat(HelmChart.defaults().find(kind, name).orElseThrow().get("rules"))
            .as("%s %s", kind, name)
            .isEqualTo(role.get("rules"));
      }
    }
  }

  @Test
  void chartCopiesAreTheRepositorysFiles() throws IOException {
    // Helm reads only files inside the chart: crds/, the alert rules and the dashboard are copies.
    Map<Path, Path> copies =
        Map.of(
            DeployManifests.CRD_FILE,
            HelmChart.CHART.resolve("crds").resolve(DeployManifests.CRD_FILE.getFileName()),
            PrometheusFiles.ALERTS,
            HelmChart.CHART.resolve("files/alerts.yaml"),
            PrometheusFiles.DASHBOARD,
            HelmChart.CHART.resolve("files/grafana-dashboard.json"));
    for (Map.Entry<Path, Path> copy : copies.entrySet()) {
      assertThat(Files.readString(copy.getValue()))
          .as(
              "%s must be a copy of %s: cp %s %s",
              copy.getValue(), copy.getKey(), copy.getKey(), copy.getValue())
          .isEqualTo(Files.readString(copy.getKey()));
    }
    try (var files = Files.list(HelmChart.CHART.resolve("crds"))) {
      assertThat(files).hasSize(1);
    }
  }

  @Test
  void valuesReachTheDeployment() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("image", Map.of("repository", "registry.example.com/bco", "tag", "1.2.3"));
    values.put("imagePullSecrets", List.of(Map.of("name", "pull")));
    values.put("replicaCount", 3);
    values.put("resources", Map.of("requests", Map.of("cpu", "1", "memory", "1Gi")));
    values.put("watchNamespaces", List.of("iot", "fleet"));
    values.put("logFormat", "text");
    values.put("logLevel", "debug");
    values.put("defaultEndpoint", "http://beebotte-proxy.egress:8080");
    values.put("nodeSelector", Map.of("pool", "system"));
    values.put("tolerations", List.of(Map.of("key", "system", "operator", "Exists")));
    values.put(
        "affinity",
        Map.of(
            "nodeAffinity",
            Map.of(
                "requiredDuringSchedulingIgnoredDuringExecution",
                Map.of(
                    "nodeSelectorTerms",
                    List.of(
                        Map.of(
                            "matchExpressions",
                            List.of(
                                Map.of(
                                    "key",
                                    "arch",
                                    "operator",
                                    "In",
                                    "values",
                                    List.of("amd64")))))))));
    values.put("extraEnv", List.of(Map.of("name", "STATUS_HEARTBEAT", "value", "10m")));
    values.put("podAnnotations", Map.of("example.com/team", "iot"));
    values.put("podLabels", Map.of("team", "iot"));
    values.put("priorityClassName", "system-cluster-critical");

    DeployManifests rendered = HelmChart.render(values);
    Deployment deployment = rendered.get("Deployment", NAME, Deployment.class);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);
    Map<String, String> env = env(container);

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    assertThat(container.getImage()).isEqualTo("registry.example.com/bco:1.2.3");
    assertThat(pod.getImagePullSecrets()).singleElement().extracting("name").isEqualTo("pull");
    assertThat(container.getResources().getRequests())
        .isEqualTo(Map.of("cpu", new Quantity("1"), "memory", new Quantity("1Gi")));
    assertThat(pod.getNodeSelector()).isEqualTo(Map.of("pool", "system"));
    assertThat(pod.getTolerations()).singleElement().extracting("key").isEqualTo("system");
    assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
    assertThat(pod.getAffinity().getPodAntiAffinity()).isNull();
    assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("example.com/team", "iot");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("team", "iot")
        .containsAllEntriesOf(POD_SELECTOR);
    assertThat(env)
        .containsEntry("WATCH_NAMESPACES", "iot,fleet")
        .containsEntry("LOG_FORMAT", "text")
        .containsEntry("LOG_LEVEL", "debug")
        .containsEntry("DEFAULT_ENDPOINT", "http://beebotte-proxy.egress:8080")
        .containsEntry("STATUS_HEARTBEAT", "10m");

    // The operator reads that environment as meant.
    OperatorConfig config = OperatorConfig.from(new String[0], env);
    assertThat(config.watchNamespaces()).containsExactlyInAnyOrder("iot", "fleet");
    assertThat(config.logFormat()).isEqualTo("text");
    assertThat(config.defaultEndpoint()).isEqualTo("http://beebotte-proxy.egress:8080");
    assertThat(config.statusHeartbeat()).hasMinutes(10);
  }

  @Test
  void watchedNamespacesGetRoleBindingsInsteadOfAClusterWideBinding() {
    DeployManifests rendered = HelmChart.render(Map.of("watchNamespaces", List.of("iot", "fleet")));

    // The main ClusterRole is bound only in those namespaces; the sessions API's bindings stay
    // cluster-wide (APIServices and access reviews are cluster-scoped).
    assertThat(rendered.ofKind("ClusterRoleBinding"))
        .extracting(b -> DeployManifests.map(b.get("roleRef")).get("name"))
        .containsExactlyInAnyOrder(NAME + "-sessions-api", "system:auth-delegator");
    List<Map<String, Object>> bindings =
        rendered.ofKind("RoleBinding").stream()
            .filter(b -> DeployManifests.map(b.get("roleRef")).get("kind").equals("ClusterRole"))
            .toList();
    assertThat(bindings)
        .extracting(b -> DeployManifests.metadata(b).get("namespace"))
        .containsExactlyInAnyOrder("iot", "fleet");
    assertThat(bindings)
        .allSatisfy(
            b -> {
              assertThat(DeployManifests.map(b.get("roleRef"))).containsEntry("name", NAME);
              assertThat(b.get("subjects"))
                  .isEqualTo(
                      List.of(
                          Map.of(
                              "kind",
                              "ServiceAccount",
                              "name",
                              NAME,
                              "namespace",
                              OPERATOR_NAMESPACE)));
            });
  }

  @Test
  void oneReplicaWithoutLeaderElectionHasNoLeaseRbacAndNoDisruptionBudget() {
    DeployManifests rendered =
        HelmChart.render(Map.of("replicaCount", 1, "leaderElection", Map.of("enabled", false)));

    assertThat(rendered.ofKind("Role"))
        .extracting(r -> DeployManifests.metadata(r).get("name"))
        .containsExactly(NAME + "-serving-label");
    assertThat(rendered.ofKind("PodDisruptionBudget")).isEmpty();
    assertThat(rendered.operatorPermissions()).noneMatch(p -> p.resource().equals("leases"));
    Map<String, String> env =
        env(
            rendered
                .get("Deployment", NAME, Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0));
    assertThat(OperatorConfig.from(new String[0], env).leaderElection()).isFalse();
  }

  @Test
  void shardsAreReleasesThatNeverSelectOrElectTogether() {
    DeployManifests a =
        HelmChart.render(
            "shard-a",
            OPERATOR_NAMESPACE,
            Map.of("watchLabelSelector", "shard=a", "rbac", Map.of("aggregatedRoles", true)));
    DeployManifests b =
        HelmChart.render(
            "shard-b",
            OPERATOR_NAMESPACE,
            Map.of(
                "watchLabelSelector",
                "shard=b",
                "rbac",
                Map.of("aggregatedRoles", false),
                // The sessions API is one per cluster (its APIService): in one release only.
                "sessionsApi",
                Map.of("enabled", false)));

    Set<String> namesA =
        a.objects().stream().map(DeployManifestsTest::identity).collect(Collectors.toSet());
    assertThat(b.objects())
        .extracting(DeployManifestsTest::identity)
        .doesNotContainAnyElementsOf(namesA);
    Deployment deploymentA = a.get("Deployment", "shard-a-" + NAME, Deployment.class);
    Deployment deploymentB = b.get("Deployment", "shard-b-" + NAME, Deployment.class);
    assertThat(deploymentA.getSpec().getSelector().getMatchLabels())
        .isNotEqualTo(deploymentB.getSpec().getSelector().getMatchLabels());

    OperatorConfig configA = config(deploymentA);
    OperatorConfig configB = config(deploymentB);
    assertThat(configA.watchLabelSelector().expression()).isEqualTo("shard=a");
    assertThat(configB.watchLabelSelector().expression()).isEqualTo("shard=b");
    assertThat(configA.leaseName()).startsWith("shard-a-" + NAME + "-shard-a-");
    assertThat(configA.leaseName()).isNotEqualTo(configB.leaseName());
  }

  @Test
  void sessionsApiOffLeavesNoTraceAndTurnsTheServerOff() {
    DeployManifests rendered = HelmChart.render(Map.of("sessionsApi", Map.of("enabled", false)));

    assertThat(rendered.ofKind("APIService")).isEmpty();
    assertThat(rendered.find("Service", "beebotte-sessions")).isEmpty();
    assertThat(rendered.find("ClusterRole", "beebotte-session-viewer")).isEmpty();
    assertThat(rendered.operatorPermissions())
        .containsExactlyInAnyOrderElementsOf(
            HelmChart.defaults().operatorPermissions().stream()
                .filter(
                    p ->
                        !Set.of(
                                "pods",
                                "apiservices",
                                "subjectaccessreviews",
                                "tokenreviews",
                                "configmaps")
                            .contains(p.resource()))
                .toList());
    Container container = rendered.operatorPodTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = env(container);
    assertThat(env).containsEntry("SESSIONS_API_PORT", "0").doesNotContainKey("POD_NAMESPACE");
    assertThat(container.getPorts()).extracting("name").containsExactly("http");
    assertThat(container.getVolumeMounts()).extracting("mountPath").containsExactly("/tmp");
  }

  /**
   * cert-manager as deploy/'s Component does it: a CA of the release's own (or the issuer named),
   * the serving Certificate for the Service's name, the CA injected into the APIService, and a
   * Secret the pod waits for.
   */
  @Test
  void certManagerIssuesTheServingCertificateAndInjectsItsCa() {
    DeployManifestsTest.assumeKubectl();
    DeployManifests own =
        HelmChart.render(Map.of("sessionsApi", Map.of("certManager", Map.of("enabled", true))));
    DeployManifests component;
    try {
      component = DeployManifests.render(DeployManifestsTest.certManagerInstall());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    for (String kind : List.of("Issuer", "Certificate")) {
      assertThat(own.ofKind(kind))
          .extracting(o -> DeployManifests.metadata(o).get("name"))
          .containsExactlyInAnyOrderElementsOf(
              component.ofKind(kind).stream()
                  .map(o -> DeployManifests.metadata(o).get("name"))
                  .toList());
      for (Map<String, Object> object : component.ofKind(kind)) {
        String name = (String) DeployManifests.metadata(object).get("name");
        assertThat(own.find(kind, name).orElseThrow().get("spec"))
            .as("%s %s", kind, name)
            .isEqualTo(object.get("spec"));
      }
    }
    DeployManifestsTest.assertCertManagerWired(own);

    DeployManifests named =
        HelmChart.render(
            Map.of(
                "sessionsApi",
                Map.of(
                    "certManager",
                    Map.of(
                        "enabled",
                        true,
                        "issuerRef",
                        Map.of("kind", "ClusterIssuer", "name", "internal-ca")))));
    assertThat(named.ofKind("Issuer")).isEmpty();
    assertThat(named.ofKind("Certificate")).singleElement();
    assertThat(
            DeployManifests.map(
                DeployManifests.map(
                        named.find("Certificate", "beebotte-sessions").get().get("spec"))
                    .get("issuerRef")))
        .isEqualTo(Map.of("kind", "ClusterIssuer", "name", "internal-ca"));
  }

  @Test
  void monitoringObjectsAreOptInAndCarryTheRepositorysRulesAndDashboard() throws IOException {
    assertThat(HelmChart.defaults().ofKind("ServiceMonitor")).isEmpty();
    assertThat(HelmChart.defaults().ofKind("PrometheusRule")).isEmpty();
    assertThat(HelmChart.defaults().ofKind("ConfigMap")).isEmpty();

    Map<String, Object> metrics = new HashMap<>();
    metrics.put("serviceMonitor", Map.of("enabled", true, "labels", Map.of("release", "kps")));
    metrics.put("prometheusRule", Map.of("enabled", true, "labels", Map.of("release", "kps")));
    metrics.put("grafanaDashboard", Map.of("enabled", true));
    DeployManifests rendered = HelmChart.render(Map.of("metrics", metrics));

    Map<String, Object> monitor = rendered.find("ServiceMonitor", NAME).orElseThrow();
    assertThat(DeployManifests.metadata(monitor).get("labels").toString()).contains("release=kps");
    Map<String, Object> monitorSpec = DeployManifests.map(monitor.get("spec"));
    assertThat(DeployManifests.map(monitorSpec.get("selector")).get("matchLabels"))
        .isEqualTo(POD_SELECTOR);
    assertThat(DeployManifests.listOfMaps(monitorSpec.get("endpoints")))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e)
                    .containsEntry("port", "http-metrics")
                    .containsEntry("honorLabels", true));
    // job="beebotte-connection-operator", as the alert rules expect, from the Service's labels.
    Map<String, Object> service = rendered.find("Service", NAME + "-metrics").orElseThrow();
    assertThat(DeployManifests.map(DeployManifests.metadata(service).get("labels")))
        .containsEntry((String) monitorSpec.get("jobLabel"), PrometheusFiles.JOB);

    Map<String, Object> rule = rendered.find("PrometheusRule", NAME).orElseThrow();
    assertThat(rule.get("spec")).isEqualTo(PrometheusFiles.alertRules());
    assertThat(DeployManifests.metadata(rule).get("labels").toString()).contains("release=kps");

    Map<String, Object> dashboard = rendered.find("ConfigMap", NAME + "-dashboard").orElseThrow();
    assertThat(DeployManifests.map(DeployManifests.metadata(dashboard).get("labels")))
        .containsEntry("grafana_dashboard", "1");
    assertThat(DeployManifests.map(dashboard.get("data")))
        .containsEntry(
            "beebotte-connection-operator.json", Files.readString(PrometheusFiles.DASHBOARD));
  }

  @Test
  void runbookUrlIsAddedToEveryAlert() {
    DeployManifests rendered =
        HelmChart.render(
            Map.of(
                "metrics",
                Map.of(
                    "prometheusRule",
                    Map.of(
                        "enabled", true, "runbookUrl", "https://git.example.com/bco/README.md"))));
    Map<String, Object> rule = rendered.find("PrometheusRule", NAME).orElseThrow();
    List<Map<String, Object>> alerts =
        PrometheusFiles.alerts(DeployManifests.map(rule.get("spec")));
    assertThat(alerts).hasSameSizeAs(PrometheusFiles.alerts(PrometheusFiles.alertRules()));
    assertThat(alerts)
        .allSatisfy(
            a ->
                assertThat(DeployManifests.map(a.get("annotations")))
                    .containsEntry(
                        "runbook_url", "https://git.example.com/bco/README.md#troubleshooting"));
  }

  @Test
  void settingsThatCannotWorkFailTheRenderWithTheReason() {
    assertThatThrownBy(
            () ->
                HelmChart.render(
                    Map.of("replicaCount", 2, "leaderElection", Map.of("enabled", false))))
        .hasMessageContaining("leaderElection.enabled");
    assertThatThrownBy(
            () ->
                HelmChart.render(
                    Map.of("replicaCount", 2, "podDisruptionBudget", Map.of("minAvailable", 2))))
        .hasMessageContaining("minAvailable");
    assertThatThrownBy(() -> HelmChart.render(Map.of("logFormat", "xml")))
        .hasMessageContaining("logFormat");
    assertThatThrownBy(() -> HelmChart.render(Map.of("replicas", 3)))
        .hasMessageContaining("replicas");
    assertThatThrownBy(() -> HelmChart.render(Map.of("watchNamespaces", List.of("Not_A_Name"))))
        .hasMessageContaining("watchNamespaces");
  }

  private static OperatorConfig config(Deployment deployment) {
    return OperatorConfig.from(
        new String[0], env(deployment.getSpec().getTemplate().getSpec().getContainers().get(0)));
  }

  /** The container's environment, with fieldRef values standing in for what the pod provides. */
  private static Map<String, String> env(Container container) {
    Map<String, String> env = new HashMap<>();
    for (EnvVar v : container.getEnv()) {
      env.put(v.getName(), v.getValue() != null ? v.getValue() : "from-the-pod");
    }
    return env;
  }
}
