package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.policy.ConnectionPolicy;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl against the sandbox's embedded API: what the README tells people to type must
 * work. Skipped when kubectl is not on the PATH.
 */
class KubectlCompatibilityTest {
  @TempDir static Path dir;
  private static Sandbox sandbox;

  private static Kubectl kubectl;

  @BeforeAll
  static void startSandbox() throws Exception {
    assumeTrue(Kubectl.installed(), "kubectl is not on the PATH");
    sandbox =
        Sandbox.start(
            SandboxOptions.parse(
                "--k8s-port=0",
                "--beebotte-port=0",
                "--metrics-port=0",
                "--sessions-port=0",
                "--mqtt-port=off",
                "--socketio-port=off",
                "--connections=50",
                "--kubeconfig=" + dir.resolve("kubeconfig")));
    sandbox.awaitConverged(Duration.ofSeconds(30));
    kubectl = new Kubectl(sandbox.kubeconfig(), dir);
  }

  @AfterAll
  static void stopSandbox() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  void getAllNamespacesPrintsThePrinterColumns() throws Exception {
    Kubectl.Run run = kubectl("get", "cpol", "-A");

    assertThat(run.exit()).as(run.all()).isZero();
    List<String> lines = run.stdout().lines().toList();
    assertThat(lines.get(0))
        .matches("NAMESPACE +NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE");
    assertThat(run.stdout())
        .containsPattern(
            "(?m)^sandbox +revoke-device +Enforce +\\d+ +1 +1 +True +\\d+\\w+ +\\d+\\w+$")
        .containsPattern("(?m)^sandbox +dryrun-contractors +DryRun +\\d+ +\\d+ +0 +True ")
        .containsPattern("(?m)^sandbox +block-socketio +Enforce +\\d+ +\\d+ +\\d+ +True ");
  }

  @Test
  void wideAddsEnforcedIntervalAndOmittedAndModeSaysSuspended() throws Exception {
    Path file =
        write(
            "resting.yaml",
            policy("resting", "beebotte-credentials", 1).replace("  enforcement: DryRun\n", "")
                + "  suspend: true\n");
    assertThat(kubectl("apply", "-f", file.toString()).exit()).isZero();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> policy("resting").getStatus() != null && Sandbox.converged(policy("resting")));

    Kubectl.Run wide = kubectl("get", "cpol", "-o", "wide");
    Kubectl.Run narrow = kubectl("get", "cpol", "resting");

    assertThat(wide.exit()).as(wide.all()).isZero();
    assertThat(wide.stdout().lines().findFirst().orElse(""))
        .matches(
            "NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE +ENFORCED +INTERVAL"
                + " +OMITTED");
    assertThat(wide.stdout())
        .containsPattern(
            "(?m)^block-socketio +Enforce +\\d+ +\\d+ +\\d+ +True +\\w+ +\\w+ +(AllDropped|DropBudgetExceeded)"
                + " +30s +\\d+$")
        .containsPattern("(?m)^dryrun-contractors +DryRun .* +DryRun +1m +\\d+$")
        .containsPattern("(?m)^resting +Suspended +0 +True +\\w+ +Suspended +30s *$");
    assertThat(narrow.stdout().lines().findFirst().orElse(""))
        .as("the wide columns only with -o wide")
        .matches("NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE");
    assertThat(narrow.stdout()).containsPattern("(?m)^resting +Suspended ");
    assertThat(kubectl("delete", "cpol", "resting").exit()).isZero();
  }

  @Test
  void getSessionsListsTheOperatorsLiveSessionsThroughTheApiServer() throws Exception {
    // The sandbox's API server routes live.beebotte.io to the operator's sessions API, as an
    // aggregator does; the rows come from the operator's last listing.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Kubectl.Run run = kubectl("get", "sessions", "-l", "verdict=WouldDrop", "-o", "wide");
              assertThat(run.exit()).as(run.stderr()).isZero();
              assertThat(run.stdout())
                  .contains("SID", "ACCOUNT", "dryrun-contractors", "deny[0]", "WouldDrop");
            });
    Kubectl.Run all = kubectl("get", "bbs", "-A", "--no-headers");
    assertThat(all.stdout().lines()).isNotEmpty().allMatch(line -> line.startsWith("sandbox "));
  }

  @Test
  void explainStatesTheBoundOfLastSyncTime() throws Exception {
    Kubectl.Run run = kubectl("explain", "cpol.status.lastSyncTime");

    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout().replaceAll("\\s+", " "))
        .contains("never more than STATUS_HEARTBEAT behind the last successful sync");
  }

  @Test
  void getByShortNameAndCategoryInTheKubeconfigNamespace() throws Exception {
    Kubectl.Run byCategory = kubectl("get", "beebotte");

    assertThat(byCategory.exit()).as(byCategory.all()).isZero();
    assertThat(byCategory.stdout().lines().findFirst().orElse(""))
        .matches("NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE");
    assertThat(byCategory.stdout()).contains("revoke-device", "block-socketio");
  }

  @Test
  void getAsYamlIsTheStoredObject() throws Exception {
    Kubectl.Run run = kubectl("get", "cpol", "revoke-device", "-o", "yaml");

    assertThat(run.exit()).as(run.all()).isZero();
    ConnectionPolicy policy = Serialization.unmarshal(run.stdout(), ConnectionPolicy.class);
    assertThat(policy.getSpec().getDeny().get(0).getUserids()).containsExactly("device-0042");
    assertThat(policy.getStatus().getDropped()).isEqualTo(1);
    assertThat(policy.getStatus().getRecentDrops())
        .extracting(d -> d.getUserid())
        .contains("device-0042");
  }

  @Test
  void applyReplacesListsAndBumpsTheGeneration() throws Exception {
    Path before = write("shrinking.yaml", policy("shrinking", "beebotte-credentials", 2));
    Path after = write("shrunk.yaml", policy("shrinking", "beebotte-credentials", 1));

    Kubectl.Run created = kubectl("apply", "-f", before.toString());
    Kubectl.Run configured = kubectl("apply", "-f", after.toString());

    assertThat(created.stdout()).as(created.all()).contains("shrinking created");
    assertThat(configured.stdout()).as(configured.all()).contains("shrinking configured");
    ConnectionPolicy stored = policy("shrinking");
    assertThat(stored.getSpec().getDeny())
        .singleElement()
        .satisfies(r -> assertThat(r.getUserids()).containsExactly("uid-0"));
    assertThat(stored.getMetadata().getGeneration()).isEqualTo(2);
    Kubectl.Run unchanged = kubectl("apply", "-f", after.toString());
    assertThat(unchanged.stdout()).as(unchanged.all()).contains("shrinking unchanged");
  }

  @Test
  void waitReturnsWhenReadyTurnsTrueThroughAWatch() throws Exception {
    Path file = write("waiting.yaml", policy("waiting", "late-credentials", 1));
    assertThat(kubectl("apply", "-f", file.toString()).exit()).isZero();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              var ready = Sandbox.condition(policy("waiting"), "Ready");
              return ready != null && ready.getReason().equals("CredentialsNotFound");
            });
    int watchesBefore = sandbox.apiServer().httpWatches();

    Kubectl.Started wait = start("wait", "--for=condition=Ready", "cpol/waiting", "--timeout=30s");
    // Only once kubectl watches does the Secret appear, so Ready can only reach it by the watch.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> sandbox.apiServer().httpWatches() > watchesBefore || !wait.isAlive());
    assertThat(wait.isAlive()).as("kubectl wait is still waiting").isTrue();
    sandbox
        .client()
        .secrets()
        .inNamespace("sandbox")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("late-credentials")
                .endMetadata()
                .withStringData(Map.of("apiKey", Sandbox.API_KEY, "secretKey", Sandbox.SECRET_KEY))
                .build())
        .create();

    Kubectl.Run run = finish(wait);
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout()).contains("connectionpolicy.beebotte.io/waiting condition met");
  }

  @Test
  void describeShowsConditionsAndEvents() throws Exception {
    Kubectl.Run run = kubectl("describe", "cpol", "revoke-device");

    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout())
        .contains("Name:         revoke-device", "Namespace:    sandbox")
        .contains("Type:                  Ready")
        .containsPattern(
            "(?m)^Events:\\n.*\\n.*\\n +Normal +Dropped +\\S+ +beebotte-connection-operator +.*device-0042");
  }

  @Test
  void deleteRemovesThePolicy() throws Exception {
    Path file = write("doomed.yaml", policy("doomed", "beebotte-credentials", 1));
    assertThat(kubectl("apply", "-f", file.toString()).exit()).isZero();

    Kubectl.Run run = kubectl("delete", "cpol", "doomed");

    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout()).contains("connectionpolicy.beebotte.io \"doomed\" deleted");
    assertThat(policy("doomed")).isNull();
    Kubectl.Run missing = kubectl("get", "cpol", "doomed");
    assertThat(missing.exit()).isNotZero();
    assertThat(missing.stderr()).contains("connectionpolicies.beebotte.io \"doomed\" not found");
  }

  @Test
  void secretsCanBeCreatedListedAndDeleted() throws Exception {
    Kubectl.Run created =
        kubectl(
            "create",
            "secret",
            "generic",
            "spare-credentials",
            "--from-literal=apiKey=k",
            "--from-literal=secretKey=s");
    Kubectl.Run listed = kubectl("get", "secrets");
    Kubectl.Run deleted = kubectl("delete", "secret", "spare-credentials");

    assertThat(created.exit()).as(created.all()).isZero();
    assertThat(listed.stdout())
        .containsPattern("(?m)^NAME +TYPE +DATA +AGE$")
        .containsPattern("(?m)^beebotte-credentials +Opaque +2 +\\w+$")
        .containsPattern("(?m)^spare-credentials +Opaque +2 +\\w+$");
    assertThat(deleted.stdout()).as(deleted.all()).contains("secret \"spare-credentials\" deleted");
  }

  private static ConnectionPolicy policy(String name) {
    return sandbox
        .client()
        .resources(ConnectionPolicy.class)
        .inNamespace("sandbox")
        .withName(name)
        .get();
  }

  /** A dry-run policy (so it drops nothing) with {@code rules} deny rules. */
  private static String policy(String name, String secret, int rules) {
    StringBuilder yaml =
        new StringBuilder(
            """
            apiVersion: beebotte.io/v1alpha1
            kind: ConnectionPolicy
            metadata:
              name: %s
            spec:
              credentialsRef:
                name: %s
              enforcement: DryRun
              deny:
            """
                .formatted(name, secret));
    for (int i = 0; i < rules; i++) {
      yaml.append("  - userids: [\"uid-").append(i).append("\"]\n");
    }
    return yaml.toString();
  }

  private static Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  private static Kubectl.Run kubectl(String... args) throws Exception {
    return kubectl.run(args);
  }

  private static Kubectl.Started start(String... args) throws IOException {
    return kubectl.start(args);
  }

  private static Kubectl.Run finish(Kubectl.Started started) throws Exception {
    return kubectl.finish(started);
  }
}
