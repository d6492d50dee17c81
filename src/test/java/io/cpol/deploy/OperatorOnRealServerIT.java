package io.cpol.deploy;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.OWNER;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static io.cpol.testing.OperatorHarness.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.cpol.ConnectionPolicyOperator;
import io.cpol.OperatorConfig;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import io.cpol.kube.AuditLog;
import io.cpol.kube.KubeBinaries;
import io.cpol.kube.RealKubernetes;
import io.cpol.kube.RealKubernetesTier;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionReport;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.DropEvent;
import io.cpol.sim.RecordedCall.EndpointKind;
import io.cpol.testing.NamespacePolicies;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator, wired as {@code main} wires it (the real OkHttp Beebotte client against the
 * simulator, leader election on as the Deployment has it), on a real kube-apiserver as the
 * ServiceAccount of deploy/rbac/ holding exactly that ClusterRole and Role, through the behaviours
 * the mock-server end-to-end tests check (EnforcementTest, FailureHandlingTest, AccountEngineTest),
 * with the real kubectl reading what it wrote. Last, the API server's audit log of the whole run
 * holds the RBAC to exactly what the operator used ({@link #rbacGrantsExactlyWhatTheRunUsed}).
 */
@ExtendWith(RealKubernetesTier.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorOnRealServerIT {
  static final String OPERATOR_USER =
      "system:serviceaccount:"
          + DeployManifests.OPERATOR_NAMESPACE
          + ":"
          + DeployManifests.OPERATOR_SERVICE_ACCOUNT;

  private static final Path ROOT = KubeBinaries.projectRoot();
  private static RealKubernetes kube;
  private static KubernetesClient admin;
  private static NamespacePolicies policies;
  private static KubernetesClient operatorClient;
  private static BeebotteSimulator simulator;
  private static ConnectionPolicyOperator operator;

  /** The scenarios that ran to the end: the RBAC check needs them all to judge what is unused. */
  private static final Set<String> completed = new java.util.concurrent.ConcurrentSkipListSet<>();

  @BeforeAll
  static void start() throws IOException {
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    admin = kube.adminClient();
    policies = new NamespacePolicies(admin, NAMESPACE);
    kube.createCrdAndAwaitEstablished(ROOT.resolve(DeployManifests.CRD_FILE));
    kube.kubectl("create", "namespace", DeployManifests.OPERATOR_NAMESPACE).orFail();
    kube.kubectl("create", "namespace", NAMESPACE).orFail();
    // deploy/rbac/ as the install applies it: the ServiceAccount, its ClusterRole and Role.
    kube.kubectl("apply", "--server-side", "-f", ROOT.resolve("deploy/rbac").toString()).orFail();

    simulator =
        BeebotteSimulator.builder()
            .account(OWNER, API_KEY, SECRET_KEY)
            .token(TOKEN, "admin:connection:read", "admin:connection:write")
            .build()
            .start();
    // What the kubelet mounts in the operator's Pod, and what Config.autoConfigure then builds:
    // the token, the Pod's namespace, main's User-Agent; nothing else (HTTP/2 left as it is).
    Config config =
        kube.configForToken(
            kube.serviceAccountToken(
                DeployManifests.OPERATOR_NAMESPACE,
                DeployManifests.OPERATOR_SERVICE_ACCOUNT,
                Duration.ofHours(1)));
    config.setNamespace(DeployManifests.OPERATOR_NAMESPACE);
    config.setUserAgent("beebotte-connection-operator");
    operatorClient = new KubernetesClientBuilder().withConfig(config).build();
    // The Deployment's environment (deploy/operator/deployment.yaml), the endpoint and port aside;
    // one drop call at a time so that a pass of 30 drops is long enough to delete a policy in.
    Map<String, String> env =
        Map.of(
            "LEADER_ELECTION", "true",
            "LEADER_ELECTION_NAMESPACE", DeployManifests.OPERATOR_NAMESPACE,
            "LEADER_ELECTION_LEASE_NAME", "beebotte-connection-operator",
            "POD_NAME", "beebotte-connection-operator-0",
            "POD_NAMESPACE", DeployManifests.OPERATOR_NAMESPACE,
            "HTTP_PORT", "0",
            "DEFAULT_ENDPOINT", simulator.baseUrl());
    // The pod the leader labels for the sessions Service (no kubelet: it stays Pending).
    admin
        .pods()
        .resource(DeployManifests.read().operatorPod("beebotte-connection-operator-0"))
        .create();
    OperatorConfig operatorConfig =
        OperatorConfig.from(
            new String[] {
              "--beebotte-max-attempts=2", "--beebotte-retry-budget=1s", "--drop-concurrency=1"
            },
            env);
    operator = ConnectionPolicyOperator.start(operatorConfig, operatorClient, null);
    await().atMost(Duration.ofSeconds(30)).until(operator::isReady);
    createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (simulator != null) {
      simulator.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  /** Each scenario starts from no policies and an empty simulator. */
  @AfterEach
  void removePolicies() {
    admin.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).delete();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                admin
                    .resources(ConnectionPolicy.class)
                    .inNamespace(NAMESPACE)
                    .list()
                    .getItems()
                    .isEmpty());
    simulator.faults().clear();
    simulator.clearConnections();
    // Let a pass under way end before the next scenario counts calls.
    await().pollDelay(Duration.ofMillis(500)).until(() -> true);
    simulator.clearRequests();
    simulator.clearDrops();
  }

  @Test
  @Order(1)
  void createDropsAndReportsAndKubectlReadsIt() {
    simulator.addConnections(
        List.of(
            socketio("uid-1", "sid-bad", "::ffff:203.0.113.7"),
            socketio("uid-1", "sid-good", "::ffff:198.51.100.1"),
            mqtt("uid-2", "::ffff:203.0.113.9"),
            mqtt("uid-3", "::ffff:198.51.100.3")));
    apply("block-range", "deny:\n- clientCIDRs: [\"203.0.113.0/24\"]");

    ConnectionPolicy p = awaitCondition("block-range", "Enforced", "True", "AllDropped");

    assertThat(liveSids()).containsExactlyInAnyOrder("sid-good", "uid-3");
    assertThat(simulator.drops())
        .extracting(DropEvent::rawTarget)
        .containsExactlyInAnyOrder(
            "/v1/connections/drop/uid-1?sid=sid-bad&protocol=socketio",
            "/v1/connections/drop/uid-2?sid=uid-2&protocol=mqtt");
    assertThat(p.getStatus().getConnected()).isEqualTo(4);
    assertThat(p.getStatus().getDenied()).isEqualTo(2);
    assertThat(p.getStatus().getDropped()).isEqualTo(2);
    assertThat(p.getStatus().getConnections())
        .extracting(
            ConnectionReport::getSid, ConnectionReport::getVerdict, ConnectionReport::getRule)
        .containsExactly(
            tuple("sid-bad", "Dropped", "deny[0]"),
            tuple("uid-2", "Dropped", "deny[0]"),
            tuple("sid-good", "Allowed", null),
            tuple("uid-3", "Allowed", null));
    assertThat(condition("block-range", "Ready").getReason()).isEqualTo("Synced");
    assertThat(p.getStatus().getObservedGeneration()).isEqualTo(p.getMetadata().getGeneration());
    await().atMost(Duration.ofSeconds(10)).until(() -> !events("block-range").isEmpty());
    assertThat(events("block-range"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getType()).isEqualTo("Normal");
              assertThat(e.getReason()).isEqualTo("Dropped");
              assertThat(e.getSource().getComponent()).isEqualTo("beebotte-connection-operator");
            });

    // The real kubectl on the same server.
    assertThat(
            kube.kubectl("wait", "--for=condition=Ready", "cpol/block-range", "-n", NAMESPACE)
                .orFail()
                .out())
        .contains("connectionpolicy.beebotte.io/block-range condition met");
    String get = kube.kubectl("get", "cpol", "-n", NAMESPACE).orFail().out();
    assertThat(get.lines().findFirst().orElse(""))
        .matches("NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE");
    assertThat(get).containsPattern("(?m)^block-range +Enforce +4 +2 +2 +True +\\w+ +\\w+$");
    String wide = kube.kubectl("get", "cpol", "-n", NAMESPACE, "-o", "wide").orFail().out();
    assertThat(wide.lines().findFirst().orElse(""))
        .matches(
            "NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE +ENFORCED +INTERVAL"
                + " +OMITTED");
    assertThat(wide)
        .containsPattern(
            "(?m)^block-range +Enforce +4 +2 +2 +True +\\w+ +\\w+ +AllDropped +\\S+ +0$");
    String describe =
        kube.kubectl("describe", "cpol", "block-range", "-n", NAMESPACE).orFail().out();
    assertThat(describe)
        .contains("Name:         block-range", "Namespace:    " + NAMESPACE)
        .contains("Type:                  Ready")
        .containsPattern(
            "(?m)^Events:\\n.*\\n.*\\n +Normal +Dropped +\\S+ +beebotte-connection-operator +.*uid-2");
    assertThat(kube.explain("cpol.spec.deny").out()).contains("FIELDS", "clientCIDRs");
    completed.add("create");
  }

  @Test
  @Order(2)
  void aSpecChangeResyncsRightAway() {
    simulator.addConnections(
        List.of(mqtt("uid-1", "::ffff:198.51.100.1"), mqtt("uid-2", "::ffff:198.51.100.2")));
    apply("change-me", "interval: 1h\ndeny:\n- userids: [\"uid-1\"]");
    ConnectionPolicy before = awaitCondition("change-me", "Enforced", "True", "AllDropped");
    assertThat(liveSids()).containsExactly("uid-2");

    ConnectionPolicy changed =
        edit(
            "change-me",
            p -> {
              p.getSpec().getDeny().get(0).setUserids(List.of("uid-2"));
              return p;
            });

    // A real server moves generation on a spec change, and only then.
    assertThat(changed.getMetadata().getGeneration())
        .isEqualTo(before.getMetadata().getGeneration() + 1);
    // The interval is an hour: only the spec change can explain a sync within the wait.
    await().atMost(Duration.ofSeconds(10)).until(() -> liveSids().isEmpty());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                policy("change-me").getStatus().getObservedGeneration()
                    == changed.getMetadata().getGeneration());
    completed.add("spec change");
  }

  @Test
  @Order(3)
  void deletingAPolicyMidPassStopsItsDrops() {
    List<Connection> denied = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      denied.add(socketio("u-" + i, "s-" + i, "::ffff:203.0.113." + i));
    }
    simulator.addConnections(denied);
    simulator.faults().latency(Duration.ofMillis(300));
    apply(
        "doomed",
        "interval: 1h\nmaxDropsPerSync: 1000\ndeny:\n- clientCIDRs: [\"203.0.113.0/24\"]");
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> !simulator.drops().isEmpty());

    admin.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName("doomed").delete();
    Instant deleted = Instant.now();

    // Long enough for several more 300 ms calls, had the pass gone on.
    await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
    assertThat(
            simulator.requests().stream()
                .filter(c -> c.endpoint() == EndpointKind.DROP && !c.time().isBefore(deleted)))
        .as("drop calls after the delete")
        .hasSizeLessThanOrEqualTo(1);
    assertThat(simulator.drops()).hasSizeLessThan(30);
    assertThat(events("doomed")).filteredOn(e -> "Dropped".equals(e.getReason())).isEmpty();
    completed.add("delete mid-pass");
  }

  @Test
  @Order(4)
  void suspendedPolicyNeitherListsNorDrops() {
    simulator.addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
    apply("paused", "suspend: true\ndeny:\n- useridPatterns: [\"*\"]");

    awaitCondition("paused", "Enforced", "False", "Suspended");

    assertThat(simulator.requests()).noneMatch(c -> c.endpoint() == EndpointKind.DROP);
    assertThat(liveSids()).containsExactly("uid-1");
    completed.add("suspend");
  }

  @Test
  @Order(5)
  void dryRunReportsWouldDropAndDropsNothing() {
    simulator.addConnections(
        List.of(
            mqtt("contractor-1", "::ffff:198.51.100.1"), mqtt("staff-1", "::ffff:198.51.100.2")));
    apply("contractors", "enforcement: DryRun\ndeny:\n- useridPatterns: [\"contractor-*\"]");

    ConnectionPolicy p = awaitCondition("contractors", "Enforced", "False", "DryRun");

    assertThat(condition("contractors", "Ready").getStatus()).isEqualTo("True");
    assertThat(p.getStatus().getDenied()).isEqualTo(1);
    assertThat(p.getStatus().getConnections())
        .extracting(ConnectionReport::getUserid, ConnectionReport::getVerdict)
        .containsExactly(tuple("contractor-1", "WouldDrop"), tuple("staff-1", "Allowed"));
    assertThat(simulator.requests()).noneMatch(c -> c.endpoint() == EndpointKind.DROP);
    assertThat(liveSids()).containsExactlyInAnyOrder("contractor-1", "staff-1");
    completed.add("dry run");
  }

  @Test
  @Order(6)
  void aMissingSecretThenWrongKeysThenARotationHealWithoutRestart() {
    simulator.addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
    apply("rotated", "interval: 1h\ndeny:\n- userids: [\"uid-1\"]", "rotated-account");

    awaitCondition("rotated", "Ready", "False", "CredentialsNotFound");
    assertThat(condition("rotated", "Ready").getMessage()).contains(NAMESPACE + "/rotated-account");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> events("rotated").stream().anyMatch(e -> "Warning".equals(e.getType())));

    // The interval is an hour: only the Secret's events can explain each next sync.
    createKeysSecret("rotated-account", API_KEY, "stale-secret-must-stay-hidden-5e1d");
    awaitCondition("rotated", "Ready", "False", "AuthenticationFailed");
    assertThat(liveSids()).containsExactly("uid-1");

    createKeysSecret("rotated-account", API_KEY, SECRET_KEY);
    awaitCondition("rotated", "Ready", "True", "Synced");
    assertThat(liveSids()).isEmpty();
    assertThat(Serialization.asJson(policy("rotated")) + Serialization.asJson(events("rotated")))
        .doesNotContain("stale-secret-must-stay-hidden-5e1d")
        .doesNotContain(SECRET_KEY);
    completed.add("secret rotation");
  }

  @Test
  @Order(7)
  void theOperatorHoldsTheLeaseOnTheRealLeaseApi() {
    Lease lease =
        admin
            .leases()
            .inNamespace(DeployManifests.OPERATOR_NAMESPACE)
            .withName("beebotte-connection-operator")
            .get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("beebotte-connection-operator-0");
    // Renewed while the run went on (every second, LEASE_RETRY_PERIOD).
    Instant renewed = Instant.parse(lease.getSpec().getRenewTime().toString());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                Instant.parse(
                        admin
                            .leases()
                            .inNamespace(DeployManifests.OPERATOR_NAMESPACE)
                            .withName("beebotte-connection-operator")
                            .get()
                            .getSpec()
                            .getRenewTime()
                            .toString())
                    .isAfter(renewed));
    // A graceful stop releases it (what SIGTERM does): Fabric8's release() writes a Lease that
    // lasts one second from now, so a standby takes over at its next try. Its holder stays: the
    // release is a JSON merge patch, and a null holderIdentity is left out of it.
    operator.close();
    Lease released =
        admin
            .leases()
            .inNamespace(DeployManifests.OPERATOR_NAMESPACE)
            .withName("beebotte-connection-operator")
            .get();
    assertThat(released.getSpec().getLeaseDurationSeconds()).isEqualTo(1);
    completed.add("lease");
  }

  @Test
  @Order(100)
  void rbacGrantsExactlyWhatTheRunUsed() throws IOException {
    assertThat(completed)
        .as("the RBAC check judges the whole run: run the class, not this method alone")
        .hasSize(7);
    List<AuditLog.Entry> calls =
        AuditLog.read(kube.auditLog()).stream()
            .filter(e -> e.user().equals(OPERATOR_USER))
            .toList();
    RbacUsage deploy =
        RbacUsage.of(
            calls,
            DeployManifests.read(),
            withBuiltInRoles(
                RbacMarkers.read(
                    ROOT.resolve("deploy/rbac/cluster-role.yaml"),
                    ROOT.resolve("deploy/rbac/leader-election-role.yaml"),
                    ROOT.resolve("deploy/rbac/sessions-api-role.yaml"))));
    RbacUsage helm =
        RbacUsage.of(
            calls,
            HelmChart.defaults(),
            withBuiltInRoles(
                RbacMarkers.read(ROOT.resolve(HelmChart.CHART).resolve("templates/rbac.yaml"))));
    Path table = Path.of("target/rbac-table.md");
    Files.createDirectories(table.getParent());
    Files.writeString(
        table,
        "# The operator's RBAC on a real kube-apiserver\n\n"
            + "From the audit log of OperatorOnRealServerIT: every request of "
            + OPERATOR_USER
            + ".\n\n## deploy/rbac/\n\n"
            + deploy.markdown()
            + "\n## The Helm chart (default values)\n\n"
            + helm.markdown());

    assertThat(calls).as("the operator's requests in the audit log").isNotEmpty();
    assertThat(deploy.forbidden()).as("403s answered to the operator").isEmpty();
    for (RbacUsage usage : List.of(deploy, helm)) {
      assertThat(usage.notGranted()).as("used but not granted (see %s)", table).isEmpty();
      assertThat(usage.unusedWithoutReason())
          .as("granted but never used, and no kept-unused marker beside the rule (see %s)", table)
          .isEmpty();
    }
  }

  /** The kept-unused rules of the Kubernetes roles the install binds, beside the files' own. */
  private static Map<RbacMarkers.Rule, String> withBuiltInRoles(
      Map<RbacMarkers.Rule, String> kept) {
    kept.putAll(RbacMarkers.parse(DeployManifests.BUILT_IN_ROLES));
    return kept;
  }

  static Connection socketio(String userid, String sid, String ip) {
    return new Connection(
        userid,
        sid,
        "socketio",
        userid,
        ip,
        null,
        null,
        List.of(new Subscription("c", "*", true, false)));
  }

  static Connection mqtt(String userid, String ip) {
    return new Connection(userid, userid, "mqtt", userid, ip, null, null, List.of());
  }

  private static void createKeysSecret(String name, String apiKey, String secretKey) {
    admin
        .secrets()
        .inNamespace(NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withStringData(Map.of("apiKey", apiKey, "secretKey", secretKey))
                .build())
        .createOr(NonDeletingOperation::update);
  }

  private static void apply(String name, String specBody) {
    apply(name, specBody, "beebotte-account");
  }

  private static void apply(String name, String specBody, String secret) {
    String yaml =
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: %s, namespace: %s}
        spec:
          credentialsRef: {name: %s}
        %s"""
            .formatted(name, NAMESPACE, secret, specBody.indent(2));
    admin.resource(Serialization.unmarshal(yaml, ConnectionPolicy.class)).create();
  }

  private static ConnectionPolicy edit(String name, UnaryOperator<ConnectionPolicy> change) {
    return admin
        .resources(ConnectionPolicy.class)
        .inNamespace(NAMESPACE)
        .withName(name)
        .edit(change);
  }

  private static ConnectionPolicy policy(String name) {
    return policies.policy(name);
  }

  private static Condition condition(String name, String type) {
    return policies.condition(name, type);
  }

  private static ConnectionPolicy awaitCondition(
      String name, String type, String status, String reason) {
    return policies.awaitCondition(name, type, status, reason);
  }

  private static List<Event> events(String policyName) {
    return policies.events(policyName);
  }

  private static Set<String> liveSids() {
    return Set.copyOf(simulator.connections().stream().map(Connection::sid).toList());
  }
}
