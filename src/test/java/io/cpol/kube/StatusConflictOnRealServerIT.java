package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.ConnectionPolicyOperator;
import io.cpol.OperatorConfig;
import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.sim.BeebotteSimulator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Another writer updates a policy's status (through the /status subresource, with the version it
 * read) while the operator keeps dropping and recording: the operator's writes based on the copy it
 * read before meet 409 Conflict on the real API server, and it must neither lose a drop nor ever
 * write a lower count. Every status version is seen through a watch.
 */
@ExtendWith(RealKubernetesTier.class)
class StatusConflictOnRealServerIT {
  private static final String NAMESPACE = "iot";
  private static final String POLICY = "contested";
  private static final String API_KEY = "conflict-api-key";
  private static final String SECRET_KEY = "conflict-secret-key";
  private static final Duration RUN = Duration.ofSeconds(8);

  private static RealKubernetes kube;
  private static BeebotteSimulator simulator;
  private static KubernetesClient admin;
  private static KubernetesClient operatorClient;
  private static ConnectionPolicyOperator operator;

  @BeforeAll
  static void install() throws IOException {
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    OperatorInstall.apply(kube);
    admin = kube.adminClient();
    simulator =
        BeebotteSimulator.builder().account("conflict", API_KEY, SECRET_KEY).build().start();
    OperatorInstall.namespaceWithKeys(admin, NAMESPACE, "beebotte-account", API_KEY, SECRET_KEY);
    // As main wires it, as the ServiceAccount of deploy/rbac; one replica, no Lease needed.
    operatorClient =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(kube.configForToken(OperatorInstall.token(kube)))
                    .withUserAgent("beebotte-connection-operator")
                    .build())
            .build();
    OperatorConfig config =
        OperatorConfig.from(
            new String[] {
              "--http-port=0",
              "--http-bind-address=127.0.0.1",
              "--pod-name=conflict",
              "--default-endpoint=" + simulator.baseUrl()
            },
            Map.of());
    operator = ConnectionPolicyOperator.start(config, operatorClient, null);
    await().atMost(Duration.ofSeconds(60)).until(operator::isReady);
  }

  @AfterAll
  static void stop() {
    OperatorInstall.tearDown(operator, operatorClient, admin, simulator, kube);
  }

  @Test
  void anotherStatusWriterNeitherLosesADropNorLowersACount() throws Exception {
    ConnectionPolicy created =
        admin
            .resource(
                Serialization.unmarshal(
                    """
                    apiVersion: beebotte.io/v1alpha1
                    kind: ConnectionPolicy
                    metadata: {name: contested, namespace: iot}
                    spec:
                      credentialsRef: {name: beebotte-account}
                      interval: 1s
                      deny:
                      - useridPatterns: ["c-*"]
                    """,
                    ConnectionPolicy.class))
            .create();
    List<ConnectionPolicyStatus> versions = new CopyOnWriteArrayList<>();
    AtomicReference<WatcherException> watchEnded = new AtomicReference<>();
    try (Watch watch =
        admin
            .resources(ConnectionPolicy.class)
            .inNamespace(NAMESPACE)
            .watch(
                new ListOptionsBuilder()
                    .withResourceVersion(created.getMetadata().getResourceVersion())
                    .build(),
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, ConnectionPolicy p) {
                    if (p.getStatus() != null) {
                      versions.add(p.getStatus());
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {
                    watchEnded.set(cause);
                  }
                })) {
      AtomicInteger written = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      long end = System.nanoTime() + RUN.toNanos();
      Thread writer =
          new Thread(
              () -> {
                while (System.nanoTime() < end) {
                  if (touchStatus(written.get())) {
                    written.incrementAndGet();
                  } else {
                    refused.incrementAndGet();
                  }
                  RealKubernetes.sleep(ThreadLocalRandom.current().nextLong(10, 60));
                }
              },
              "other-status-writer");
      writer.start();
      int sessions = 0;
      while (System.nanoTime() < end) {
        String userid = "c-" + sessions++;
        simulator.addConnection(
            new Connection(
                userid, userid, "mqtt", userid, "::ffff:198.51.100.3", null, null, List.of()));
        RealKubernetes.sleep(100);
      }
      writer.join();
      int made = sessions;

      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () -> {
                assertThat(simulator.connections()).isEmpty();
                ConnectionPolicyStatus status = policy().getStatus();
                assertThat(status.getDropped()).isEqualTo(made);
                assertThat(status.getConditions())
                    .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
              });
      assertThat(simulator.drops()).hasSize(made);
      assertThat(watchEnded.get()).as("the watch of every version ended early").isNull();

      long operatorConflicts =
          AuditLog.read(kube.auditLog()).stream()
              .filter(e -> e.user().equals(OperatorInstall.USER))
              .filter(e -> e.rbacResource().equals("connectionpolicies/status"))
              .filter(e -> e.verb().equals("update") && e.code() == 409)
              .count();
      List<Long> dropped =
          versions.stream().map(s -> s.getDropped() == null ? 0L : s.getDropped()).toList();
      System.out.printf(
          "status conflict: %d sessions dropped; the other writer wrote %d times (%d refused);"
              + " the operator's writes met %d conflicts; %d status versions watched%n",
          made, written.get(), refused.get(), operatorConflicts, versions.size());
      assertThat(written.get()).as("the other writer's writes").isPositive();
      assertThat(operatorConflicts).as("the operator's writes refused with 409").isPositive();
      List<Long> lowered = new ArrayList<>();
      for (int i = 1; i < dropped.size(); i++) {
        if (dropped.get(i) < dropped.get(i - 1)) {
          lowered.add(dropped.get(i));
        }
      }
      assertThat(lowered).as("dropped went down, in the versions %s", dropped).isEmpty();
      assertThat(versions)
          .as("a conflict is no failure")
          .noneMatch(s -> reasons(s).contains("ReconcileError"));
    }
  }

  /**
   * What another writer does: reads the policy and writes its status back with one field changed
   * (the Ready condition's message), conditional on the version it read. Returns false when the API
   * server refused it (409: the operator wrote in between).
   */
  private static boolean touchStatus(int n) {
    ConnectionPolicy p = policy();
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return false;
    }
    p.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals("Ready"))
        .forEach(c -> c.setMessage("touched by another writer (" + n + ")"));
    try {
      admin.resource(p).updateStatus();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  private static List<String> reasons(ConnectionPolicyStatus s) {
    return s.getConditions() == null
        ? List.of()
        : s.getConditions().stream().map(Condition::getReason).toList();
  }

  private static ConnectionPolicy policy() {
    return admin.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName(POLICY).get();
  }
}
