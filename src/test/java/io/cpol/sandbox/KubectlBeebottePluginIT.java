package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.DropEvent;
import io.cpol.testing.ApiServerDispatcher;
import io.cpol.testing.ApiServerFrontend;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The real kubectl runs the packaged plugin ({@code target/kubectl-beebotte}, put first on the
 * PATH) against the sandbox: every verb, filter and output format, the preview's counts against
 * what the operator then does, and every error a user can meet. Runs after {@code package}
 * (failsafe); skipped when kubectl is not on the PATH.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubectlBeebottePluginIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = "sandbox";

  @TempDir static Path dir;
  private static Sandbox sandbox;
  private static Kubectl plugin;
  private static Kubectl kubectl;
  private static ApiServerFrontend forbidding;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Kubectl.installed(), "kubectl is not on the PATH");
    Path pluginDir = Path.of(System.getProperty("kubectl.beebotte.dir", "target/kubectl-beebotte"));
    assertThat(pluginDir.resolve("kubectl-beebotte")).as("mvn package builds it").isExecutable();
    sandbox =
        Sandbox.start(
            SandboxOptions.parse(
                "--k8s-port=0",
                "--beebotte-port=0",
                "--metrics-port=0",
                "--sessions-port=0",
                "--mqtt-port=off",
                "--socketio-port=off",
                "--connections=40",
                "--kubeconfig=" + dir.resolve("kubeconfig")));
    sandbox.awaitConverged(Duration.ofSeconds(60));
    // Quiet the account: block-socketio's budget may leave sessions for its next sync.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> enforced("block-socketio").getReason().equals("AllDropped"));
    Map<String, String> env = new HashMap<>();
    env.put("PATH", pluginDir.toAbsolutePath() + ":" + System.getenv("PATH"));
    env.put("KUBECONFIG", sandbox.kubeconfig().toString());
    env.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    plugin = new Kubectl(sandbox.kubeconfig(), dir, env);
    kubectl = new Kubectl(sandbox.kubeconfig(), dir);
  }

  @AfterAll
  static void stop() {
    if (forbidding != null) {
      forbidding.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static Kubectl.Run beebotte(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("beebotte"));
    all.addAll(List.of(args));
    Kubectl.Run run = plugin.run(all.toArray(String[]::new));
    assertThat(run.stderr())
        .as("no stack trace, no secret")
        .doesNotContain("\tat ", "Exception in", Sandbox.SECRET_KEY, Sandbox.TOKEN);
    return run;
  }

  private static List<String> rows(Kubectl.Run run) {
    return run.stdout().lines().skip(1).toList();
  }

  private static List<Connection> live() {
    return sandbox.simulator().connections();
  }

  private static ConnectionPolicy policy(String name) {
    return sandbox.client().resources(ConnectionPolicy.class).inNamespace(NS).withName(name).get();
  }

  private static Condition enforced(String name) {
    return Sandbox.condition(policy(name), "Enforced");
  }

  @Test
  @Order(1)
  void sessionsListsEveryLiveSessionWithItsVerdict() throws Exception {
    Kubectl.Run run = beebotte("sessions");

    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout().lines().findFirst().orElse(""))
        .matches(
            "USERID +PROTOCOL +SID +CLIENT IP +USERNAME +SUBSCRIPTIONS +VERDICT +POLICY +RULE");
    assertThat(rows(run)).hasSize(live().size());
    assertThat(run.stdout())
        .containsPattern(
            "(?m)^ops-admin +socketio +ops-admin-console-7Qx2 +::ffff:10.0.0.5 +root +\\S+ +Allowed"
                + " +block-socketio +allow\\[0\\]$")
        .containsPattern(
            "(?m)^contractor-acme-dev007 +mqtt .* WouldDrop +dryrun-contractors +deny\\[0\\]$");
  }

  @Test
  @Order(2)
  void eachFilterSelectsWhatItSays() throws Exception {
    assertThat(rows(beebotte("sessions", "--protocol", "mqtt")))
        .hasSize((int) live().stream().filter(c -> c.protocol().equals("mqtt")).count())
        .allMatch(l -> l.split(" +")[1].equals("mqtt"));
    assertThat(rows(beebotte("sessions", "--userid", "contractor-*")))
        .hasSize((int) live().stream().filter(c -> c.userid().startsWith("contractor-")).count())
        .allMatch(l -> l.startsWith("contractor-"));
    assertThat(rows(beebotte("sessions", "--username", "root")))
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("ops-admin "));
    long alerts =
        live().stream()
            .filter(c -> c.subscriptions().stream().anyMatch(s -> "alerts".equals(s.channel())))
            .count();
    assertThat(rows(beebotte("sessions", "--channel", "alerts"))).hasSize((int) alerts);
    assertThat(rows(beebotte("sessions", "--cidr", "203.0.113.0/24")))
        .hasSize(
            (int) live().stream().filter(c -> c.clientip().startsWith("::ffff:203.0.113.")).count())
        .allMatch(l -> l.contains(" ::ffff:203.0.113."));
    int wouldDrop = (int) live().stream().filter(c -> c.userid().startsWith("contractor-")).count();
    assertThat(rows(beebotte("sessions", "--verdict", "would-drop")))
        .hasSize(wouldDrop)
        .allMatch(l -> l.matches(".* WouldDrop +dryrun-contractors +deny\\[0\\]"));
    assertThat(rows(beebotte("sessions", "block-socketio", "--verdict", "allowed")))
        .allMatch(l -> l.contains(" Allowed "));

    Kubectl.Run dropped = beebotte("sessions", "--verdict", "dropped");
    assertThat(dropped.exit()).isEqualTo(2);
    assertThat(dropped.stderr()).contains("live sessions are never Dropped", "--from-status");
    Kubectl.Run badCidr = beebotte("sessions", "--cidr", "300.1.1.1/8");
    assertThat(badCidr.exit()).isEqualTo(2);
    assertThat(badCidr.stderr()).startsWith("error: --cidr");
  }

  @Test
  @Order(3)
  void everyOutputFormat() throws Exception {
    Kubectl.Run wide = beebotte("sessions", "-o", "wide");
    assertThat(wide.stdout().lines().findFirst().orElse(""))
        .matches(".*RULE +CLIENT ID +ACCOUNT +ALSO MATCHED");
    assertThat(wide.stdout()).contains("sandbox at " + sandbox.simulator().baseUrl());

    JsonNode json = JSON.readTree(beebotte("sessions", "-o", "json").stdout());
    assertThat(json.path("items")).hasSize(live().size());
    JsonNode ops = null;
    for (JsonNode item : json.path("items")) {
      if (item.path("userid").asText().equals("ops-admin")) {
        ops = item;
      }
    }
    assertThat(ops).isNotNull();
    assertThat(ops.path("verdict").asText()).isEqualTo("Allowed");
    assertThat(ops.path("rule").asText()).isEqualTo("allow[0]");
    assertThat(ops.path("subscriptions").get(0).path("write").asBoolean()).isTrue();

    Object yaml =
        new Load(LoadSettings.builder().build())
            .loadFromString(beebotte("sessions", "--protocol", "socketio", "-o", "yaml").stdout());
    List<?> items = (List<?>) ((Map<?, ?>) yaml).get("items");
    assertThat(items)
        .hasSize((int) live().stream().filter(c -> c.protocol().equals("socketio")).count());
  }

  @Test
  @Order(4)
  void fromStatusReadsOnlyTheStatus() throws Exception {
    Kubectl.Run run = beebotte("sessions", "--from-status", "-o", "json");

    assertThat(run.exit()).as(run.all()).isZero();
    Set<String> expected =
        sandbox.policies().stream()
            .flatMap(p -> p.getStatus().getConnections().stream())
            .map(r -> r.getUserid() + "/" + r.getSid())
            .collect(Collectors.toSet());
    Set<String> printed = new java.util.HashSet<>();
    JSON.readTree(run.stdout())
        .path("items")
        .forEach(i -> printed.add(i.path("userid").asText() + "/" + i.path("sid").asText()));
    assertThat(printed).as("one row per session the statuses list").isEqualTo(expected);
    Set<String> dropped =
        sandbox.simulator().drops().stream()
            .map(d -> d.connection().userid())
            .collect(Collectors.toSet());
    assertThat(rows(beebotte("sessions", "--from-status", "--verdict", "dropped")))
        .allMatch(l -> dropped.contains(l.split(" +")[0]) && l.contains(" Dropped "));
  }

  @Test
  @Order(5)
  void previewOfANewPolicyIsWhatTheOperatorThenDoes() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("block-range.yaml"),
            """
            apiVersion: beebotte.io/v1alpha1
            kind: ConnectionPolicy
            metadata:
              name: block-range
            spec:
              credentialsRef:
                name: beebotte-credentials
              maxDropsPerSync: 3
              deny:
              - clientCIDRs: ["203.0.113.0/24"]
                protocols: [mqtt]
            """);
    Kubectl.Run table = beebotte("preview", "-f", file.toString());
    assertThat(table.exit()).as(table.all()).isZero();
    assertThat(table.stdout())
        .contains("Policy sandbox/block-range (new, Enforce)", "Drop calls of the first sync:");
    JsonNode preview =
        JSON.readTree(beebotte("preview", "-f", file.toString(), "-o", "json").stdout());
    int denied = preview.path("denied").asInt();
    assertThat(denied).isGreaterThan(3);
    assertThat(preview.path("droppedAtFirstSync").asInt()).isEqualTo(3);
    assertThat(preview.path("deferred").asInt()).isEqualTo(denied - 3);
    List<String> previewed = new ArrayList<>();
    preview.path("calls").forEach(c -> previewed.add(c.path("userid").asText()));
    int dropsBefore = sandbox.simulator().drops().size();

    assertThat(kubectl.run("apply", "-f", file.toString()).exit()).isZero();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> policy("block-range") != null && Sandbox.converged(policy("block-range")));
    ConnectionPolicy applied = policy("block-range");
    assertThat(applied.getStatus().getDenied()).isEqualTo(denied);
    assertThat(applied.getStatus().getDropped()).isEqualTo(3);
    assertThat(enforced("block-range").getReason()).isEqualTo("DropBudgetExceeded");
    assertThat(enforced("block-range").getMessage())
        .startsWith((denied - 3) + " denied connections");
    List<DropEvent> made = sandbox.simulator().drops();
    assertThat(made.subList(dropsBefore, made.size()))
        .extracting(d -> d.connection().userid())
        .containsExactlyInAnyOrderElementsOf(previewed);
    assertThat(kubectl.run("delete", "cpol", "block-range").exit()).isZero();
  }

  @Test
  @Order(6)
  void previewOfAChangedPolicyAndFailOver() throws Exception {
    String changed =
        Files.readString(Path.of("deploy/samples/dryrun-contractors.yaml"))
            .replace("enforcement: DryRun", "enforcement: Enforce\n  maxDropsPerSync: 2");
    assertThat(changed).contains("maxDropsPerSync: 2");
    Path file = Files.writeString(dir.resolve("contractors.yaml"), changed);

    Kubectl.Run over = beebotte("preview", "-f", file.toString(), "--fail-over", "0");
    assertThat(over.exit()).as(over.all()).isEqualTo(3);
    assertThat(over.stdout()).contains("Policy sandbox/dryrun-contractors (changed, Enforce)");
    assertThat(over.stderr()).contains("more than --fail-over 0");
    JsonNode preview =
        JSON.readTree(
            beebotte("preview", "-f", file.toString(), "--fail-over", "1000", "-o", "json")
                .stdout());
    assertThat(preview.path("change").asText()).isEqualTo("changed");
    int denied = preview.path("denied").asInt();
    assertThat(preview.path("droppedAtFirstSync").asInt()).isEqualTo(Math.min(2, denied));
    long generation = policy("dryrun-contractors").getMetadata().getGeneration();

    assertThat(kubectl.run("apply", "-f", file.toString()).exit()).isZero();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                policy("dryrun-contractors").getMetadata().getGeneration() > generation
                    && Sandbox.converged(policy("dryrun-contractors")));
    ConnectionPolicy applied = policy("dryrun-contractors");
    assertThat(applied.getStatus().getDenied()).isEqualTo(denied);
    assertThat(applied.getStatus().getDropped()).isEqualTo(Math.min(2, denied));
    assertThat(preview.path("wouldDrop").asInt()).isEqualTo(denied);
  }

  @Test
  @Order(7)
  void whyExplainsEveryPolicysVerdict() throws Exception {
    Kubectl.Run run = beebotte("why", "ops-admin");

    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout())
        .contains("Session ops-admin-console-7Qx2 (socketio, ::ffff:10.0.0.5, username root")
        .containsPattern("(?m)^  block-socketio +Enforce +Allowed +allow\\[0\\] +<none>$")
        .containsPattern("(?m)^  revoke-device +Enforce +Allowed +no rule matched +<none>$");
    Kubectl.Run gone = beebotte("why", "device-0042");
    assertThat(gone.stdout()).contains("userid device-0042 has no live session");
  }

  @Test
  @Order(8)
  void clearErrors() throws Exception {
    Map<String, String> noConfig = new HashMap<>();
    noConfig.put(
        "PATH",
        System.getenv("PATH")
            + ":"
            + Path.of(System.getProperty("kubectl.beebotte.dir", "target/kubectl-beebotte"))
                .toAbsolutePath());
    noConfig.put("HOME", dir.resolve("empty-home").toString());
    noConfig.put("KUBECONFIG", dir.resolve("missing").toString());
    noConfig.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    Kubectl.Run none = new Kubectl(sandbox.kubeconfig(), dir, noConfig).run("beebotte", "sessions");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.stderr()).startsWith("error: no kubeconfig found");

    Kubectl.Run context = beebotte("sessions", "--context", "nope");
    assertThat(context.stderr()).startsWith("error: context \"nope\" not found in the kubeconfig");

    Kubectl.Run missing = beebotte("sessions", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.stderr())
        .startsWith("error: connectionpolicy \"nope\" not found in namespace sandbox");

    // A namespace whose policies point at a closed port, and at the simulator with bad keys.
    sandbox
        .client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("errors").endMetadata().build())
        .create();
    secret(
        "errors",
        "wrong-keys",
        Map.of("apiKey", Sandbox.API_KEY, "secretKey", "not-" + Sandbox.SECRET_KEY));
    secret(
        "errors", "right-keys", Map.of("apiKey", Sandbox.API_KEY, "secretKey", Sandbox.SECRET_KEY));
    Path bad =
        Files.writeString(
            dir.resolve("errors.yaml"),
            """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: unreachable, namespace: errors}
        spec:
          credentialsRef: {name: right-keys}
          endpoint: http://127.0.0.1:1
          enforcement: DryRun
          deny: [{userids: [x]}]
        ---
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: refused, namespace: errors}
        spec:
          credentialsRef: {name: wrong-keys}
          endpoint: %s
          enforcement: DryRun
          deny: [{userids: [x]}]
        """
                .formatted(sandbox.simulator().baseUrl()));
    assertThat(kubectl.run("apply", "-f", bad.toString()).exit()).isZero();

    Kubectl.Run unreachable = beebotte("sessions", "unreachable", "-n", "errors");
    assertThat(unreachable.exit()).isEqualTo(1);
    assertThat(unreachable.stderr())
        .startsWith(
            "error: Beebotte is unreachable: listing the connections at http://127.0.0.1:1");
    Kubectl.Run refused = beebotte("sessions", "refused", "-n", "errors");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.stderr())
        .startsWith("error: Beebotte refused the credentials")
        .contains("errors/wrong-keys");

    Path invalid =
        Files.writeString(
            dir.resolve("invalid.yaml"),
            """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: invalid}
        spec:
          credentialsRef: {name: beebotte-credentials}
          deny: [{clientCIDRs: ["10.0.0.0/33"]}]
        """);
    Kubectl.Run refusedSpec = beebotte("preview", "-f", invalid.toString());
    assertThat(refusedSpec.exit()).isEqualTo(1);
    assertThat(refusedSpec.stderr())
        .contains("Ready=False InvalidSpec", "spec.deny[0].clientCIDRs[0]");
  }

  @Test
  @Order(9)
  void aSecretTheUserMayNotReadIsSaidSo() throws Exception {
    forbidding =
        ApiServerFrontend.start(
            new SecretsForbidden(sandbox.kubernetes().dispatcher()),
            InetAddress.getLoopbackAddress(),
            0);
    Path config =
        Files.writeString(
            dir.resolve("rbac-kubeconfig"),
            Sandbox.kubeconfig("http://127.0.0.1:" + forbidding.port(), NS));
    Map<String, String> env = new HashMap<>();
    env.put(
        "PATH",
        Path.of(System.getProperty("kubectl.beebotte.dir", "target/kubectl-beebotte"))
                .toAbsolutePath()
            + ":"
            + System.getenv("PATH"));
    env.put("KUBECONFIG", config.toString());
    env.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    Kubectl rbac = new Kubectl(config, dir, env);

    Kubectl.Run live = rbac.run("beebotte", "sessions");
    assertThat(live.exit()).isEqualTo(1);
    assertThat(live.stderr())
        .startsWith("error: cannot read Secret sandbox/beebotte-credentials")
        .contains("forbidden (RBAC)", "--from-status needs no Secret");
    Kubectl.Run fromStatus = rbac.run("beebotte", "sessions", "--from-status");
    assertThat(fromStatus.exit()).as(fromStatus.all()).isZero();
    assertThat(fromStatus.stdout()).containsPattern("(?m)^ops-admin .* allow\\[0\\]$");
  }

  private static void secret(String namespace, String name, Map<String, String> data) {
    sandbox
        .client()
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withStringData(data)
                .build())
        .create();
  }

  /** The sandbox's API as a user without RBAC on Secrets sees it. */
  private static final class SecretsForbidden extends ApiServerDispatcher {
    private final ApiServerDispatcher inner;

    SecretsForbidden(ApiServerDispatcher inner) {
      this.inner = inner;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (request.getPath().matches("/api/v1/namespaces/[^/]+/secrets.*")) {
        String body =
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                + "\"message\":\"secrets is forbidden: User \\\"sandbox\\\" cannot get resource"
                + " \\\"secrets\\\" in API group \\\"\\\" in the namespace \\\"sandbox\\\"\","
                + "\"reason\":\"Forbidden\",\"code\":403}";
        return new MockResponse()
            .setResponseCode(403)
            .setHeader("Content-Type", "application/json")
            .setBody(new Buffer(body.getBytes(StandardCharsets.UTF_8)));
      }
      return inner.dispatch(request);
    }
  }
}
