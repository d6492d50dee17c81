package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.DenyRule;
import io.cpol.sim.BeebotteSimulator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator on an API server whose watches end every second or two ({@code
 * --min-request-timeout=1}) and which is restarted in the middle of the run (etcd kept), while
 * policies are created and changed: every policy reaches the status of its last generation, every
 * session its last generation denies is dropped, each policy's {@code dropped} equals the drops of
 * its sessions in the simulator, and the operator process runs on throughout (started once, never
 * exited).
 *
 * <p>Each change of a policy adds a deny rule for a new group of userids ({@code p2-g3-*}) and
 * sessions in that group, so the last generation of a policy denies every session ever made for it:
 * a change the operator missed leaves sessions connected and {@code observedGeneration} behind.
 */
@ExtendWith(RealKubernetesTier.class)
class WatchChurnOnRealServerIT {
  private static final String NAMESPACE = "iot";
  private static final String API_KEY = "churn-api-key";
  private static final String SECRET_KEY = "churn-secret-key";
  private static final Pattern SESSION = Pattern.compile("(p\\d+)-g\\d+-\\d+");

  private static RealKubernetes kube;
  private static BeebotteSimulator simulator;
  private static KubernetesClient admin;
  private static OperatorProcess operator;
  private static ConnectionCuttingProxy proxy;

  /** Sessions made per policy (every one must end dropped). */
  private final Map<String, Integer> sessions = new LinkedHashMap<>();

  /** Deny rules (= generations since creation) per policy. */
  private final Map<String, Integer> groups = new LinkedHashMap<>();

  private final Random random = new Random(19);

  @BeforeAll
  static void install() {
    kube =
        RealKubernetes.start(
            RealKubernetesTier.binaries().orElseThrow(), "--min-request-timeout=1");
    OperatorInstall.apply(kube);
    admin = kube.adminClient();
    simulator = BeebotteSimulator.builder().account("churn", API_KEY, SECRET_KEY).build().start();
    OperatorInstall.namespaceWithKeys(admin, NAMESPACE, "beebotte-account", API_KEY, SECRET_KEY);
    // --min-request-timeout=1 ends only the watches that give no timeoutSeconds (kubectl's);
    // Fabric8's informers ask for 600 s, so the operator reaches the API server through a proxy
    // that ends every connection after 1 to 2 s.
    proxy =
        ConnectionCuttingProxy.start(
            URI.create(kube.url()).getPort(), Duration.ofSeconds(1), Duration.ofSeconds(2));
    // One replica without leader election. With it, the leader gives up after 10 s without a
    // renewal (the renew deadline) and the process exits for Kubernetes to restart it, by design;
    // a restart of kube-apiserver here keeps it away 6 to 9 s on a loaded machine, too close to
    // that deadline for a test that must not flap. LeaderHandoverOnRealServerIT covers the Lease.
    operator =
        OperatorProcess.start(
            "churn",
            kube.kubeconfigForToken(
                OperatorInstall.SERVICE_ACCOUNT, OperatorInstall.token(kube), proxy.url()),
            kube.directory(),
            "--default-endpoint=" + simulator.baseUrl());
    operator.awaitReady(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    OperatorInstall.tearDown(operator, proxy, admin, simulator, kube);
  }

  @Test
  void noChangeIsLostAndCountsAreExactAcrossWatchEndsAndAnApiServerRestart() {
    for (int p = 0; p < 3; p++) {
      create("p" + p);
    }
    churn(Duration.ofSeconds(5));
    create("p3");

    // Sessions to drop while the API server is away: their counts are written after it is back.
    sessions.keySet().forEach(p -> addSessions(p, groups.get(p) - 1, 3));
    long stopping = System.nanoTime();
    kube.restartApiServer();
    Duration restart = Duration.ofNanos(System.nanoTime() - stopping);

    create("p4");
    churn(Duration.ofSeconds(5));
    create("p5");
    churn(Duration.ofSeconds(2));

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              assertThat(simulator.connections()).as("sessions left connected").isEmpty();
              for (String p : sessions.keySet()) {
                ConnectionPolicy policy = policy(p);
                ConnectionPolicyStatus status = policy.getStatus();
                assertThat(status).as(p).isNotNull();
                assertThat(status.getObservedGeneration())
                    .as("%s observedGeneration", p)
                    .isEqualTo(policy.getMetadata().getGeneration());
                assertThat(condition(status, "Ready")).as("%s Ready", p).isEqualTo("True");
                assertThat(status.getDropped())
                    .as("%s dropped", p)
                    .isEqualTo(dropsInSimulator(p))
                    .isEqualTo((long) sessions.get(p));
              }
            });

    long watches =
        AuditLog.read(kube.auditLog()).stream()
            .filter(e -> e.user().equals(OperatorInstall.USER))
            .filter(e -> e.verb().equals("watch") && e.resource().equals("connectionpolicies"))
            .count();
    System.out.printf(
        "watch churn: kube-apiserver restarted in %d ms; the proxy cut %d of %d connections;"
            + " the operator watched policies %d times; %d policies, %d generations, %d sessions"
            + " dropped%n",
        restart.toMillis(),
        proxy.cuts(),
        proxy.accepted(),
        watches,
        sessions.size(),
        groups.values().stream().mapToInt(Integer::intValue).sum(),
        simulator.drops().size());
    assertThat(watches).as("watches of policies the operator opened").isGreaterThan(5);
    assertThat(operator.isAlive()).as("the operator process is still running").isTrue();
    String log = operator.log();
    assertThat(log.split("operator started", -1)).as("operator starts in its log").hasSize(2);
  }

  /** For {@code duration}: every 200 ms, a policy gets a new deny rule and sessions it denies. */
  private void churn(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    List<String> names = new ArrayList<>(sessions.keySet());
    while (System.nanoTime() < end) {
      String p = names.get(random.nextInt(names.size()));
      int group = groups.get(p);
      // A JSON patch appending a rule, as kubectl patch --type=json sends it: no resourceVersion,
      // so the operator's status writes meanwhile do not make it conflict.
      admin
          .resources(ConnectionPolicy.class)
          .inNamespace(NAMESPACE)
          .withName(p)
          .patch(
              PatchContext.of(PatchType.JSON),
              "[{\"op\": \"add\", \"path\": \"/spec/deny/-\", \"value\": "
                  + Serialization.asJson(denyGroup(p, group))
                  + "}]");
      groups.put(p, group + 1);
      addSessions(p, group, 1 + random.nextInt(3));
      RealKubernetes.sleep(200);
    }
  }

  private void create(String p) {
    ConnectionPolicy policy =
        Serialization.unmarshal(
            """
            apiVersion: beebotte.io/v1alpha1
            kind: ConnectionPolicy
            metadata: {name: %s, namespace: %s}
            spec:
              credentialsRef: {name: beebotte-account}
              interval: 2s
              deny: []
            """
                .formatted(p, NAMESPACE),
            ConnectionPolicy.class);
    policy.getSpec().setDeny(new ArrayList<>(List.of(denyGroup(p, 0))));
    admin.resource(policy).create();
    groups.put(p, 1);
    sessions.put(p, 0);
    addSessions(p, 0, 2);
  }

  private static DenyRule denyGroup(String p, int group) {
    DenyRule rule = new DenyRule();
    rule.setUseridPatterns(List.of(p + "-g" + group + "-*"));
    return rule;
  }

  /** Adds {@code n} MQTT sessions in the policy's group. */
  private void addSessions(String p, int group, int n) {
    for (int i = 0; i < n; i++) {
      int k = sessions.merge(p, 1, Integer::sum);
      String userid = p + "-g" + group + "-" + k;
      simulator.addConnection(
          new Connection(
              userid, userid, "mqtt", userid, "::ffff:198.51.100.7", null, null, List.of()));
    }
  }

  private static long dropsInSimulator(String p) {
    return simulator.drops().stream()
        .map(d -> SESSION.matcher(d.connection().userid()))
        .filter(Matcher::matches)
        .filter(m -> m.group(1).equals(p))
        .count();
  }

  private static ConnectionPolicy policy(String name) {
    return admin.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName(name).get();
  }

  private static String condition(ConnectionPolicyStatus status, String type) {
    if (status.getConditions() == null) {
      return null;
    }
    return status.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .map(Condition::getStatus)
        .findFirst()
        .orElse(null);
  }
}
