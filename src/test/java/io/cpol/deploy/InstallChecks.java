package io.cpol.deploy;

import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static io.cpol.deploy.DeployManifests.OPERATOR_SERVICE_ACCOUNT;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.live.ServingLabel;
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
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What every way of installing the operator (deploy/, the Helm chart) must give a production
 * cluster: a hardened Deployment with leader election, probes, sizing and placement, a disruption
 * budget and the metrics Service. Subclasses say which install.
 */
abstract class InstallChecks {
  static final String NAME = "beebotte-connection-operator";
  static final String IMAGE = "ghcr.io/cpol/beebotte-connection-operator:0.1.0";
  static final String AUTH_READER_BINDING = "RoleBinding/kube-system/" + NAME + "-auth-reader";
  static final String TLS_DIR = "/etc/beebotte/sessions-tls";

  /** The install under test, rendered for the beebotte-system namespace. */
  abstract DeployManifests manifests();

  /** The labels the Deployment, its PodDisruptionBudget and its Service select pods by. */
  abstract Map<String, String> podSelector();

  @Test
  void everyNamespacedObjectLivesInTheOperatorNamespace() {
    Set<String> clusterScoped =
        Set.of(
            "Namespace",
            "CustomResourceDefinition",
            "ClusterRole",
            "ClusterRoleBinding",
            "APIService");
    for (Map<String, Object> object : manifests().objects()) {
      Object namespace = DeployManifests.metadata(object).get("namespace");
      if (AUTH_READER_BINDING.equals(DeployManifestsTest.identity(object))) {
        // The built-in Role it binds lives in kube-system, and so must the binding.
        assertThat(namespace).isEqualTo("kube-system");
      } else if (clusterScoped.contains((String) object.get("kind"))) {
        assertThat(namespace).as(DeployManifestsTest.identity(object)).isNull();
      } else {
        assertThat(namespace)
            .as(DeployManifestsTest.identity(object))
            .isEqualTo(OPERATOR_NAMESPACE);
      }
    }
  }

  @Test
  void deploymentRunsTwoReplicasWithLeaderElection() {
    Deployment deployment = deployment();
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment.getSpec().getSelector().getMatchLabels()).isEqualTo(podSelector());
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(podSelector());
    assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
        .isEqualTo(new IntOrString(0));

    PodSpec pod = pod();
    assertThat(pod.getServiceAccountName()).isEqualTo(OPERATOR_SERVICE_ACCOUNT);
    assertThat(manifests().find("ServiceAccount", OPERATOR_SERVICE_ACCOUNT)).isPresent();
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
            "WATCH_LABEL_SELECTOR",
            "HTTP_PORT",
            "LEADER_ELECTION",
            "LEADER_ELECTION_NAMESPACE",
            "LEADER_ELECTION_LEASE_NAME",
            "POD_NAME",
            "POD_NAMESPACE",
            "SESSIONS_API_PORT",
            "LOG_FORMAT",
            "LOG_LEVEL",
            "DEFAULT_ENDPOINT",
            "JAVA_TOOL_OPTIONS");
    assertThat(env.get("WATCH_NAMESPACES").getValue()).isEmpty();
    assertThat(env.get("WATCH_LABEL_SELECTOR").getValue()).isEmpty();
    assertThat(env.get("HTTP_PORT").getValue())
        .isEqualTo(String.valueOf(httpPort().getContainerPort()));
    assertThat(env.get("LEADER_ELECTION").getValue()).isEqualTo("true");
    assertThat(env.get("LEADER_ELECTION_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get("LEADER_ELECTION_LEASE_NAME").getValue()).isEqualTo(NAME);
    assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get("SESSIONS_API_PORT").getValue())
        .isEqualTo(String.valueOf(port("sessions-api").getContainerPort()));
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
        .extracting(VolumeMount::getMountPath)
        .containsExactlyInAnyOrder("/tmp", TLS_DIR);
    VolumeMount tmp = mount("/tmp");
    assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);
    assertThat(volume(tmp.getName()).getEmptyDir()).isNotNull();
    assertThat(mount(TLS_DIR).getReadOnly()).isTrue();
  }

  /**
   * The sessions API's certificate comes from an optional Secret: without it the operator generates
   * its own, so a default install needs nothing more.
   */
  @Test
  void sessionsApiCertificateIsAnOptionalSecretAtTheDefaultTlsDir() {
    Volume tls = volume(mount(TLS_DIR).getName());
    assertThat(tls.getSecret().getSecretName()).isEqualTo("beebotte-sessions-tls");
    assertThat(tls.getSecret().getOptional()).isTrue();
  }

  /**
   * The APIService's Service reaches the sessions port of the leader only: the pods' labels plus
   * the serving label, which only the leader carries (io.cpol.live.ServingLabel).
   */
  @Test
  void sessionsServiceRoutesToTheServingReplicaOnly() {
    assertThat(port("sessions-api").getContainerPort()).isEqualTo(8443);
    assertThat(port("sessions-api").getProtocol()).isEqualTo("TCP");
    Service service = manifests().get("Service", "beebotte-sessions", Service.class);
    Map<String, String> selector = new java.util.HashMap<>(podSelector());
    selector.put(ServingLabel.LABEL, "true");
    assertThat(service.getSpec().getSelector()).isEqualTo(selector);
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(
            port -> {
              assertThat(port.getPort()).isEqualTo(443);
              assertThat(port.getTargetPort()).isEqualTo(new IntOrString("sessions-api"));
            });
    // Every other selector keeps the standby: metrics, the disruption budget, the Deployment.
    assertThat(deployment().getSpec().getSelector().getMatchLabels())
        .doesNotContainKey(ServingLabel.LABEL);
  }

  private VolumeMount mount(String path) {
    return container().getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals(path))
        .findFirst()
        .orElseThrow(() -> new AssertionError("No volume mounted at " + path));
  }

  private Volume volume(String name) {
    return pod().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("No volume " + name));
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
              assertThat(term.getLabelSelector().getMatchLabels()).isEqualTo(podSelector());
            });
    assertThat(pod().getTopologySpreadConstraints())
        .allSatisfy(
            c -> {
              assertThat(c.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
              assertThat(c.getLabelSelector().getMatchLabels()).isEqualTo(podSelector());
            });
  }

  @Test
  void disruptionBudgetKeepsOneReplicaAndStillAllowsDrains() {
    PodDisruptionBudget pdb =
        manifests().get("PodDisruptionBudget", NAME, PodDisruptionBudget.class);
    assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
    assertThat(pdb.getSpec().getMinAvailable().getIntVal())
        .isLessThan(deployment().getSpec().getReplicas());
    assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(podSelector());
  }

  @Test
  void metricsServiceExposesTheHttpPortToPrometheus() {
    Service service = manifests().get("Service", NAME + "-metrics", Service.class);
    assertThat(service.getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "8080")
        .containsEntry("prometheus.io/path", "/metrics");
    assertThat(service.getSpec().getSelector()).isEqualTo(podSelector());
    ServicePort port = service.getSpec().getPorts().get(0);
    assertThat(service.getSpec().getPorts()).hasSize(1);
    assertThat(port.getName()).isEqualTo("http-metrics");
    assertThat(port.getPort()).isEqualTo(8080);
    assertThat(port.getTargetPort()).isEqualTo(new IntOrString("http"));
  }

  private void assertProbe(Probe probe, String path) {
    assertThat(probe).as(path).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    assertThat(probe.getHttpGet().getPort()).isEqualTo(new IntOrString("http"));
  }

  Deployment deployment() {
    return manifests().get("Deployment", NAME, Deployment.class);
  }

  PodSpec pod() {
    return deployment().getSpec().getTemplate().getSpec();
  }

  Container container() {
    return pod().getContainers().get(0);
  }

  private ContainerPort httpPort() {
    return port("http");
  }

  private ContainerPort port(String name) {
    return container().getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("No container port named " + name));
  }
}
