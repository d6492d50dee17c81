package io.cpol;

import static io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.deploy.DeployManifests;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

  @Test
  void defaultsSuitALocalRun() {
    OperatorConfig c = OperatorConfig.from(new String[0], Map.of());
    assertThat(c.watchNamespaces()).isEmpty();
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.httpBindAddress()).as("every interface, as a pod needs").isNull();
    assertThat(c.leaderElection()).isFalse();
    assertThat(c.logFormat()).isEqualTo("text");
    assertThat(c.defaultEndpoint()).isEqualTo("https://api.beebotte.com");
    assertThat(c.statusHeartbeat()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.beebotteMaxAttempts()).isEqualTo(4);
    assertThat(c.podName()).as("outside a pod: no pod to label").isNull();
    assertThat(c.podNamespace()).isNull();
  }

  @Test
  void theDeploymentsEnvironmentIsUnderstood() {
    Deployment d =
        DeployManifests.read().get("Deployment", "beebotte-connection-operator", Deployment.class);
    Map<String, String> env = new HashMap<>();
    for (EnvVar v : d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
      // fieldRef values come from the pod at run time; stand in for them.
      env.put(v.getName(), v.getValue() != null ? v.getValue() : "from-the-pod");
    }

    OperatorConfig c = OperatorConfig.from(new String[0], env);

    assertThat(c.leaderElection()).isTrue();
    assertThat(c.leaseNamespace()).isEqualTo("from-the-pod");
    assertThat(c.identity()).isEqualTo("from-the-pod");
    // Both set: the leader labels its pod for the sessions Service.
    assertThat(c.podName()).isEqualTo("from-the-pod");
    assertThat(c.podNamespace()).isEqualTo("from-the-pod");
    assertThat(c.logFormat()).isEqualTo("json");
    assertThat(c.httpPort()).isEqualTo(8080);
  }

  @Test
  void readsTheSessionsApiSettings() {
    OperatorConfig defaults = OperatorConfig.from(new String[0], Map.of());
    assertThat(defaults.sessionsApiPort()).isEqualTo(8443);
    assertThat(defaults.sessionsApiBindAddress()).isNull();
    assertThat(defaults.sessionsApiTlsDirectory())
        .isEqualTo(java.nio.file.Path.of("/etc/beebotte/sessions-tls"));
    assertThat(defaults.podNamespace()).isNull();

    OperatorConfig c =
        OperatorConfig.from(
            new String[] {"--sessions-api-port=0", "--sessions-api-tls-dir=/tmp/tls"},
            Map.of("SESSIONS_API_BIND_ADDRESS", "127.0.0.1", "POD_NAMESPACE", "beebotte-system"));
    assertThat(c.sessionsApiPort()).as("off").isZero();
    assertThat(c.sessionsApiBindAddress()).isEqualTo("127.0.0.1");
    assertThat(c.sessionsApiTlsDirectory()).isEqualTo(java.nio.file.Path.of("/tmp/tls"));
    assertThat(c.podNamespace()).isEqualTo("beebotte-system");
    assertThatThrownBy(
            () -> OperatorConfig.from(new String[] {"--sessions-api-port=70000"}, Map.of()))
        .hasMessageContaining("SESSIONS_API_PORT");
  }

  @Test
  void flagsOverrideEnvironment() {
    OperatorConfig c =
        OperatorConfig.from(
            new String[] {"--watch-namespaces=iot, fleet", "--http-port=9090"},
            Map.of("WATCH_NAMESPACES", "other", "HTTP_PORT", "1"));
    assertThat(c.watchNamespaces()).isEqualTo(Set.of("iot", "fleet"));
    assertThat(c.httpPort()).isEqualTo(9090);
  }

  @Test
  void theOperationsPortListensWhereItIsTold() throws Exception {
    for (String address : new String[] {"127.0.0.1", "::1"}) {
      OperatorConfig c =
          OperatorConfig.from(
              new String[] {"--http-bind-address=" + address},
              Map.of("HTTP_BIND_ADDRESS", "0.0.0.0"));
      try (OperationsServer server =
          new OperationsServer(
              c.httpBindAddress(),
              0,
              () -> true,
              () -> true,
              new PrometheusMeterRegistry(DEFAULT))) {
        assertThat(server.address().getAddress()).isEqualTo(InetAddress.getByName(address));
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
      }
    }
    try (OperationsServer server =
        new OperationsServer(
            null, 0, () -> true, () -> true, new PrometheusMeterRegistry(DEFAULT))) {
      assertThat(server.address().getAddress().isAnyLocalAddress()).isTrue();
    }
  }

  @Test
  void badSettingsAreNamedInTheError() {
    assertThatThrownBy(() -> OperatorConfig.from(new String[] {"--http-port=abc"}, Map.of()))
        .hasMessageContaining("HTTP_PORT");
    assertThatThrownBy(() -> OperatorConfig.from(new String[0], Map.of("LOG_FORMAT", "xml")))
        .hasMessageContaining("LOG_FORMAT");
    assertThatThrownBy(() -> OperatorConfig.from(new String[0], Map.of("LEADER_ELECTION", "maybe")))
        .hasMessageContaining("LEADER_ELECTION");
    assertThatThrownBy(
            () -> OperatorConfig.from(new String[0], Map.of("STATUS_HEARTBEAT", "5 minutes")))
        .hasMessageContaining("STATUS_HEARTBEAT");
    assertThatThrownBy(
            () -> OperatorConfig.from(new String[] {"--http-bind-address=300.1.1.1"}, Map.of()))
        .hasMessageContaining("HTTP_BIND_ADDRESS");
    assertThatThrownBy(() -> OperatorConfig.from(new String[] {"http-port"}, Map.of()))
        .hasMessageContaining("--http-port=8080");
  }
}
