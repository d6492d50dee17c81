package io.cpol.deploy;

import static io.cpol.deploy.DeployManifests.CRD_FILE;
import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static io.cpol.deploy.DeployManifests.OPERATOR_SERVICE_ACCOUNT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.policy.ConnectionPolicySpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

/** deploy/ installs what the operator needs, the way a production cluster wants it. */
class DeployManifestsTest {
  static final String NAME = "beebotte-connection-operator";
  static final String IMAGE = "ghcr.io/cpol/beebotte-connection-operator:0.1.0";
  static final Map<String, String> POD_SELECTOR = Map.of("app.kubernetes.io/name", NAME);

  final DeployManifests manifests = DeployManifests.read();

  static void assumeKubectl() {
    assumeTrue(
        DeployManifests.kubectlAvailable(),
        "kubectl is not on the PATH: skipping the `kubectl kustomize` check");
  }

  @Test
  void kubectlRendersExactlyTheExpectedObjects() {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(DeployManifests.DEPLOY_DIR);

    assertThat(rendered.objects())
        .extracting(DeployManifestsTest::identity)
        .containsExactlyInAnyOrder(
            "CustomResourceDefinition//connectionpolicies.beebotte.io",
            "Namespace//" + OPERATOR_NAMESPACE,
            "ServiceAccount/" + OPERATOR_NAMESPACE + "/" + NAME,
            "ClusterRole//" + NAME,
            "ClusterRoleBinding//" + NAME,
            "Role/" + OPERATOR_NAMESPACE + "/" + NAME + "-leader-election",
            "RoleBinding/" + OPERATOR_NAMESPACE + "/" + NAME + "-leader-election",
            "ClusterRole//beebotte-connectionpolicy-viewer",
            "ClusterRole//beebotte-connectionpolicy-editor",
            "Deployment/" + OPERATOR_NAMESPACE + "/" + NAME,
            "PodDisruptionBudget/" + OPERATOR_NAMESPACE + "/" + NAME,
            "Service/" + OPERATOR_NAMESPACE + "/" + NAME + "-metrics");
  }

  @Test
  void kubectlRendersTheCommittedCrdUnchanged() {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(DeployManifests.DEPLOY_DIR);

    List<Map<String, Object>> crds = rendered.ofKind("CustomResourceDefinition");
    assertThat(crds).hasSize(1);
    assertThat(DeployManifests.canonical(crds.get(0)))
        .isEqualTo(DeployManifests.canonical(DeployManifests.parseYaml(CRD_FILE).get(0)));
  }

  @Test
  void kubectlRendersWhatTheFilesSay() {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(DeployManifests.DEPLOY_DIR);

    // The tests that read the files without kubectl (RBAC above all) see what gets applied.
    assertThat(DeployManifests.canonical(byIdentity(manifests.objects())))
        .isEqualTo(DeployManifests.canonical(byIdentity(rendered.objects())));
  }

  @Test
  void everyNamespacedObjectLivesInTheOperatorNamespace() {
    assertThat(manifests.find("Namespace", OPERATOR_NAMESPACE)).isPresent();
    Set<String> clusterScoped =
        Set.of("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding");
    for (Map<String, Object> object : manifests.objects()) {
      Object namespace = DeployManifests.metadata(object).get("namespace");
      if (clusterScoped.contains((String) object.get("kind"))) {
        assertThat(namespace).as(identity(object)).isNull();
      } else {
        assertThat(namespace).as(identity(object)).isEqualTo(OPERATOR_NAMESPACE);
      }
    }
  }

  @Test
  void namespaceEnforcesTheRestrictedPodSecurityStandard() {
    assertThat(DeployManifests.metadata(manifests.find("Namespace", OPERATOR_NAMESPACE).get()))
        .extractingByKey("labels")
        .asInstanceOf(InstanceOfAssertFactories.MAP)
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
  }

  @Test
  void deploymentRunsTwoReplicasWithLeaderElection() {
    Deployment deployment = deployment();
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment.getSpec().getSelector().getMatchLabels()).isEqualTo(POD_SELECTOR);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(POD_SELECTOR);
    assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
        .isEqualTo(new IntOrString(0));

    PodSpec pod = pod();
    assertThat(pod.getServiceAccountName()).isEqualTo(OPERATOR_SERVICE_ACCOUNT);
    assertThat(manifests.find("ServiceAccount", OPERATOR_SERVICE_ACCOUNT)).isPresent();
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(30L);
    assertThat(pod.getContainers()).hasSize(1);
    assertThat(container().getImage()).isEqualTo(IMAGE);
  }

  @Test
  void deploymentConfiguresTheOperatorThroughItsEnvironment() {
    Map<String, EnvVar> env =
        container().getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));

    assertThat(env)
        .containsOnlyKeys(
            "WATCH_NAMESPACES",
            "HTTP_PORT",
            "LEADER_ELECTION",
            "LEADER_ELECTION_NAMESPACE",
            "LEADER_ELECTION_LEASE_NAME",
            "POD_NAME",
            "LOG_FORMAT",
            "LOG_LEVEL",
            "DEFAULT_ENDPOINT",
            "JAVA_TOOL_OPTIONS");
    assertThat(env.get("WATCH_NAMESPACES").getValue()).isEmpty();
    assertThat(env.get("HTTP_PORT").getValue())
        .isEqualTo(String.valueOf(httpPort().getContainerPort()));
    assertThat(env.get("LEADER_ELECTION").getValue()).isEqualTo("true");
    assertThat(env.get("LEADER_ELECTION_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get("LEADER_ELECTION_LEASE_NAME").getValue()).isEqualTo(NAME);
    assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env.get("LOG_FORMAT").getValue()).isEqualTo("json");
    assertThat(env.get("LOG_LEVEL").getValue()).isEqualTo("info");
    assertThat(env.get("DEFAULT_ENDPOINT").getValue())
        .isEqualTo(ConnectionPolicySpec.DEFAULT_ENDPOINT);
    assertThat(env.get("JAVA_TOOL_OPTIONS").getValue()).contains("-XX:MaxRAMPercentage=55");
  }

  @Test
  void probesUseTheHttpPort() {
    assertThat(httpPort().getContainerPort()).isEqualTo(8080);
    assertThat(httpPort().getProtocol()).isEqualTo("TCP");
    assertProbe(container().getLivenessProbe(), "/healthz");
    assertProbe(container().getReadinessProbe(), "/readyz");
    // Only a startup probe may be slower than liveness, so a slow JVM start is not a crash loop.
    assertProbe(container().getStartupProbe(), "/healthz");
  }

  @Test
  void resourcesRequestCpuAndMemoryAndLimitOnlyMemory() {
    var resources = container().getResources();
    assertThat(resources.getRequests())
        .isEqualTo(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")));
    assertThat(resources.getLimits()).isEqualTo(Map.of("memory", new Quantity("512Mi")));
  }

  @Test
  void podRunsLockedDown() {
    var podSecurity = pod().getSecurityContext();
    assertThat(podSecurity.getRunAsNonRoot()).isTrue();
    assertThat(podSecurity.getRunAsUser()).isEqualTo(65532L);
    assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    var containerSecurity = container().getSecurityContext();
    assertThat(containerSecurity.getAllowPrivilegeEscalation()).isFalse();
    assertThat(containerSecurity.getReadOnlyRootFilesystem()).isTrue();
    assertThat(containerSecurity.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(containerSecurity.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(containerSecurity.getPrivileged()).isNotEqualTo(Boolean.TRUE);
    // Nothing in the container may undo the pod-level settings.
    assertThat(containerSecurity.getRunAsUser()).isNull();
    assertThat(containerSecurity.getRunAsNonRoot()).isNotEqualTo(Boolean.FALSE);
    assertThat(containerSecurity.getSeccompProfile()).isNull();

    assertThat(pod().getHostNetwork()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod().getHostPID()).isNotEqualTo(Boolean.TRUE);
  }

  @Test
  void tmpIsTheOnlyWritableMountAndIsAnEmptyDir() {
    assertThat(container().getVolumeMounts())
        .singleElement()
        .satisfies(mount -> assertThat(mount.getMountPath()).isEqualTo("/tmp"));
    String volumeName = container().getVolumeMounts().get(0).getName();
    Volume volume =
        pod().getVolumes().stream()
            .filter(v -> v.getName().equals(volumeName))
            .findFirst()
            .orElseThrow();
    assertThat(volume.getEmptyDir()).isNotNull();
  }

  @Test
  void replicasPreferDifferentNodesWithoutEverBlockingScheduling() {
    var antiAffinity = pod().getAffinity().getPodAntiAffinity();
    assertThat(antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution()).isNullOrEmpty();
    assertThat(antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution())
        .extracting(WeightedPodAffinityTerm::getPodAffinityTerm)
        .anySatisfy(
            term -> {
              assertThat(term.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
              assertThat(term.getLabelSelector().getMatchLabels()).isEqualTo(POD_SELECTOR);
            });
    assertThat(pod().getTopologySpreadConstraints())
        .allSatisfy(
            c -> {
              assertThat(c.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
              assertThat(c.getLabelSelector().getMatchLabels()).isEqualTo(POD_SELECTOR);
            });
  }

  @Test
  void disruptionBudgetKeepsOneReplicaAndStillAllowsDrains() {
    PodDisruptionBudget pdb = manifests.get("PodDisruptionBudget", NAME, PodDisruptionBudget.class);
    assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
    assertThat(pdb.getSpec().getMinAvailable().getIntVal())
        .isLessThan(deployment().getSpec().getReplicas());
    assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(POD_SELECTOR);
  }

  @Test
  void metricsServiceExposesTheHttpPortToPrometheus() {
    Service service = manifests.get("Service", NAME + "-metrics", Service.class);
    assertThat(service.getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "8080")
        .containsEntry("prometheus.io/path", "/metrics");
    assertThat(service.getSpec().getSelector()).isEqualTo(POD_SELECTOR);
    ServicePort port = service.getSpec().getPorts().get(0);
    assertThat(service.getSpec().getPorts()).hasSize(1);
    assertThat(port.getName()).isEqualTo("http-metrics");
    assertThat(port.getPort()).isEqualTo(8080);
    assertThat(port.getTargetPort()).isEqualTo(new IntOrString("http"));
  }

  @Test
  void dockerImageRunsAsTheUserAndPortTheDeploymentExpects() throws IOException {
    List<String> dockerfile = Files.readAllLines(Path.of("Dockerfile"));
    List<String> runtimeStage =
        dockerfile.subList(lastIndexStartingWith(dockerfile, "FROM "), dockerfile.size());

    assertThat(runtimeStage).contains("USER 65532:65532", "EXPOSE 8080");
    assertThat(pod().getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(pod().getSecurityContext().getRunAsGroup()).isEqualTo(65532L);
    assertThat(runtimeStage).anyMatch(l -> l.startsWith("ENTRYPOINT [\"/usr/bin/java\", \"-jar\""));
    assertThat(Files.readAllLines(Path.of(".dockerignore"))).contains("target/", ".git/");
  }

  private static int lastIndexStartingWith(List<String> lines, String prefix) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("No line starting with " + prefix);
  }

  private void assertProbe(Probe probe, String path) {
    assertThat(probe).as(path).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    assertThat(probe.getHttpGet().getPort()).isEqualTo(new IntOrString("http"));
  }

  private Deployment deployment() {
    return manifests.get("Deployment", NAME, Deployment.class);
  }

  private PodSpec pod() {
    return deployment().getSpec().getTemplate().getSpec();
  }

  private Container container() {
    return pod().getContainers().get(0);
  }

  private ContainerPort httpPort() {
    return container().getPorts().stream()
        .filter(p -> "http".equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("No container port named http"));
  }

  static String identity(Map<String, Object> object) {
    Map<String, Object> metadata = DeployManifests.metadata(object);
    Object namespace = metadata.get("namespace");
    return object.get("kind")
        + "/"
        + (namespace == null ? "" : namespace)
        + "/"
        + metadata.get("name");
  }

  private static Map<String, Map<String, Object>> byIdentity(List<Map<String, Object>> objects) {
    return objects.stream()
        .collect(Collectors.toMap(DeployManifestsTest::identity, Function.identity()));
  }
}
