package io.cpol.testing;

import static org.awaitility.Awaitility.await;

import io.cpol.ConnectionPolicyOperator;
import io.cpol.OperatorConfig;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.LiveSimulator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything an end-to-end test needs, all real parts on loopback: the embedded Kubernetes API, the
 * Beebotte simulator, and the operator as {@code main} wires it.
 */
public final class OperatorHarness implements AutoCloseable {
  public static final String OWNER = "acme";
  public static final String API_KEY = "acme-api-key";
  public static final String SECRET_KEY = "acme-secret-key-do-not-log-7f3a9c";
  public static final String TOKEN = "iamtkn_acme_full";
  public static final String NAMESPACE = "iot";

  private final EmbeddedKubernetes kubernetes;
  private final BeebotteSimulator simulator;
  private LiveSimulator live;

  /** The User-Agent of the operator's own Kubernetes client, to tell its requests apart. */
  public static final String OPERATOR_USER_AGENT = "beebotte-connection-operator/test";

  private ConnectionPolicyOperator operator;
  private KubernetesClient operatorClient;

  private OperatorHarness(EmbeddedKubernetes kubernetes, BeebotteSimulator simulator) {
    this.kubernetes = kubernetes;
    this.simulator = simulator;
  }

  /** Starts everything with one Beebotte account (keys and a full-rights token). */
  public static OperatorHarness start() {
    return start(new String[0]);
  }

  /**
   * Starts everything with the simulator's MQTT and Socket.IO front doors open, so real clients'
   * sessions are the live connections.
   */
  public static OperatorHarness startLive() {
    return startLive(new String[0]);
  }

  /** {@link #startLive()} with flags for the operator (e.g. --watch-calls-per-second=0). */
  public static OperatorHarness startLive(String... operatorFlags) {
    BeebotteSimulator rest =
        BeebotteSimulator.builder()
            .account(OWNER, API_KEY, SECRET_KEY)
            .token(TOKEN, "admin:connection:read", "admin:connection:write")
            .build();
    LiveSimulator live = LiveSimulator.start(rest, 0, 0);
    OperatorHarness harness = new OperatorHarness(EmbeddedKubernetes.start(0), live.rest());
    harness.live = live;
    harness.createNamespaceAndStart(operatorFlags);
    return harness;
  }

  /** Starts everything; the flags go to the operator (e.g. --leader-election=true). */
  public static OperatorHarness start(String... operatorFlags) {
    BeebotteSimulator simulator =
        BeebotteSimulator.builder()
            .account(OWNER, API_KEY, SECRET_KEY)
            .token(TOKEN, "admin:connection:read", "admin:connection:write")
            .build()
            .start();
    OperatorHarness harness = new OperatorHarness(EmbeddedKubernetes.start(0), simulator);
    harness.createNamespaceAndStart(operatorFlags);
    return harness;
  }

  private void createNamespaceAndStart(String[] operatorFlags) {
    kube()
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    startOperator(operatorFlags);
  }

  /** Starts (or restarts) the operator against the same API server and simulator. */
  public void startOperator(String... extraFlags) {
    List<String> flags =
        new java.util.ArrayList<>(
            List.of(
                "--http-port=0",
                "--default-endpoint=" + simulator.baseUrl(),
                // Failure tests should not wait out production back-off.
                "--beebotte-max-attempts=2",
                "--beebotte-retry-budget=1s"));
    flags.addAll(List.of(extraFlags));
    OperatorConfig config = OperatorConfig.from(flags.toArray(String[]::new), Map.of());
    operatorClient = kubernetes.newClient(OPERATOR_USER_AGENT);
    try {
      operator = ConnectionPolicyOperator.start(config, operatorClient, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    await().atMost(Duration.ofSeconds(20)).until(operator::isReady);
  }

  public void stopOperator() {
    operator.close();
    operatorClient.close();
  }

  public KubernetesClient kube() {
    return kubernetes.client();
  }

  public EmbeddedKubernetes kubernetes() {
    return kubernetes;
  }

  /** The front doors; only after {@link #startLive()}. */
  public LiveSimulator live() {
    if (live == null) {
      throw new IllegalStateException("started without front doors; use startLive()");
    }
    return live;
  }

  public BeebotteSimulator simulator() {
    return simulator;
  }

  public ConnectionPolicyOperator operator() {
    return operator;
  }

  public void createKeysSecret(String name, String apiKey, String secretKey) {
    kube()
        .secrets()
        .inNamespace(NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withStringData(Map.of("apiKey", apiKey, "secretKey", secretKey))
                .build())
        .create();
  }

  public void createTokenSecret(String name, String token) {
    kube()
        .secrets()
        .inNamespace(NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withStringData(Map.of("token", token))
                .build())
        .create();
  }

  /** Applies a policy written as YAML (namespace iot unless it says otherwise). */
  public ConnectionPolicy apply(String yaml) {
    ConnectionPolicy policy = Serialization.unmarshal(yaml, ConnectionPolicy.class);
    if (policy.getMetadata().getNamespace() == null) {
      policy.getMetadata().setNamespace(NAMESPACE);
    }
    return kube().resource(policy).create();
  }

  public ConnectionPolicy policy(String name) {
    return kube().resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName(name).get();
  }

  public Condition condition(String name, String type) {
    ConnectionPolicy p = policy(name);
    if (p == null || p.getStatus() == null || p.getStatus().getConditions() == null) {
      return null;
    }
    return p.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  /** Waits until the condition has the given status and reason; returns the policy then. */
  public ConnectionPolicy awaitCondition(String name, String type, String status, String reason) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              Condition c = condition(name, type);
              return c != null && status.equals(c.getStatus()) && reason.equals(c.getReason());
            });
    return policy(name);
  }

  public List<Event> events(String policyName) {
    return kube().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> policyName.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /** Sids (or userids for MQTT) still connected. */
  public Set<String> liveSids() {
    return Set.copyOf(simulator.connections().stream().map(c -> c.sid()).toList());
  }

  @Override
  public void close() {
    if (operator != null) {
      stopOperator();
    }
    kubernetes.close();
    if (live != null) {
      live.close();
    } else {
      simulator.close();
    }
  }
}
