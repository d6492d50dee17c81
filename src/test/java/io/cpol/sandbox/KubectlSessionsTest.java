package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.TestSpecs;
import io.cpol.live.AccountListing;
import io.cpol.live.ListedPolicy;
import io.cpol.live.SessionStore;
import io.cpol.live.SessionsApiServer;
import io.cpol.live.SessionsApiSettings;
import io.cpol.testing.ApiServerFrontend;
import io.cpol.testing.Closeables;
import io.cpol.testing.EmbeddedKubernetes;
import io.cpol.testing.SessionsApiRegistration;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl get sessions} as the sandbox serves it, without the engine: the session store (fed
 * one account's listing), the sessions API server on its own HTTPS port, registered with the
 * embedded API server by an APIService and an ExternalName Service, and the real kubectl through
 * the embedded aggregator. Skipped when kubectl is not on the PATH.
 */
class KubectlSessionsTest {
  private static final String NAMESPACE = "iot";
  private static final String OPERATOR_NAMESPACE = "beebotte-system";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ListedPolicy REVOKE =
      new ListedPolicy(
          NAMESPACE, "revoke-device", TestSpecs.compile("deny: [{userids: [device-0042]}]"));
  private static final ListedPolicy DRY_RUN =
      new ListedPolicy(
          NAMESPACE,
          "dryrun-web",
          TestSpecs.compile("enforcement: DryRun\ndeny: [{protocols: [socketio]}]"));

  @TempDir static Path dir;
  private static EmbeddedKubernetes kubernetes;
  private static ApiServerFrontend api;
  private static KubernetesClient client;
  private static SessionStore store;
  private static SessionsApiServer server;
  private static Kubectl kubectl;
  private static final Object engine = new Object();
  private static final List<Connection> connections = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Kubectl.installed(), "kubectl is not on the PATH");
    kubernetes = EmbeddedKubernetes.startValidating(0);
    api = ApiServerFrontend.start(kubernetes.dispatcher(), InetAddress.getLoopbackAddress(), 0);
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, Sandbox.kubeconfig("http://127.0.0.1:" + api.port(), NAMESPACE));
    client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(kubeconfig.toFile()))
            .build();
    for (String ns : List.of(NAMESPACE, OPERATOR_NAMESPACE)) {
      client.namespaces().resource(EmbeddedKubernetes.activeNamespace(ns)).create();
    }
    kubectl = new Kubectl(kubeconfig, dir);

    store = new SessionStore(Clock.systemUTC());
    for (int i = 0; i < 30; i++) {
      connections.add(mqtt("device-%04d".formatted(i + 100)));
    }
    connections.add(mqtt("device-0042"));
    connections.add(socketio("web-1", "AbCdEfGh"));
    publish();

    Path tls = dir.resolve("sessions-tls");
    String ca = SessionsApiRegistration.writeServingCertificate(tls, OPERATOR_NAMESPACE);
    server =
        SessionsApiServer.start(
            new SessionsApiSettings(
                "127.0.0.1",
                0,
                tls,
                SessionsApiSettings.serviceHosts(OPERATOR_NAMESPACE),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10)),
            store,
            () -> true,
            client,
            Clock.systemUTC());
    SessionsApiRegistration.register(client, OPERATOR_NAMESPACE, server.port(), ca);
    Kubectl.Run available =
        kubectl.run(
            "wait",
            "--for=condition=Available",
            "apiservice/v1alpha1.live.beebotte.io",
            "--timeout=30s");
    assertThat(available.exit()).as(available.all()).isZero();
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(server, store, client, api, kubernetes);
  }

  private static Connection mqtt(String userid) {
    return new Connection(userid, userid, "mqtt", userid, "10.0.0.7", "acme", null, List.of());
  }

  private static Connection socketio(String userid, String sid) {
    return new Connection(userid, sid, "socketio", null, "203.0.113.9", "acme", "alice", List.of());
  }

  private static void publish() {
    store.listed(
        engine,
        new AccountListing(
            "https://api.beebotte.com",
            "acme",
            List.copyOf(connections),
            Instant.now(),
            List.of(REVOKE, DRY_RUN)));
  }

  private static synchronized int sessionCount() {
    return connections.size();
  }

  private static Kubectl.Run ok(String... args) throws Exception {
    Kubectl.Run run = kubectl.run(args);
    assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.all()).isZero();
    return run;
  }

  @Test
  void getSessionsListsTheNamespacesSessionsWithTheirVerdicts() throws Exception {
    Kubectl.Run run = ok("get", "sessions", "-n", NAMESPACE);
    List<String> lines = run.stdout().lines().toList();
    assertThat(lines.get(0)).startsWith("NAME").contains("USERID", "PROTOCOL", "VERDICT", "POLICY");
    assertThat(lines).hasSize(sessionCount() + 1);
    assertThat(run.stdout()).containsPattern("device-0042 +mqtt +10.0.0.7 +Denied +revoke-device");
    assertThat(ok("get", "bbs", "-A").stdout()).contains("NAMESPACE").contains("device-0042");
  }

  @Test
  void selectorsFilterOnTheServer() throws Exception {
    Kubectl.Run denied =
        ok("get", "sessions", "-n", NAMESPACE, "-l", "verdict=Denied", "-o", "name");
    assertThat(denied.stdout().lines()).hasSize(1);
    Kubectl.Run byUser =
        ok("get", "sessions", "-n", NAMESPACE, "--field-selector", "userid=web-1", "-o", "wide");
    assertThat(byUser.stdout()).contains("AbCdEfGh").contains("WouldDrop").contains("dryrun-web");
    assertThat(byUser.stdout().lines()).hasSize(2);
  }

  @Test
  void chunkedListsPage() throws Exception {
    Kubectl.Run run = ok("get", "sessions", "-n", NAMESPACE, "--chunk-size=7", "-o", "name");
    assertThat(run.stdout().lines()).hasSize(sessionCount()).doesNotHaveDuplicates();
  }

  @Test
  void explainDescribesEveryField() throws Exception {
    // kubectl explain finds the kind through an operation's x-kubernetes-group-version-kind in the
    // group's OpenAPI v3 document, then prints the schema's descriptions.
    assertThat(ok("explain", "sessions").stdout())
        .contains("KIND:       Session", "VERSION:    v1alpha1", "evaluations", "listedAt");
    assertThat(ok("explain", "sessions.evaluations.rule").stdout()).contains("The deciding rule");
  }

  @Test
  void discoveryListsTheGroup() throws Exception {
    assertThat(ok("api-resources", "--api-group=live.beebotte.io").stdout())
        .containsPattern("sessions +bbs +live.beebotte.io/v1alpha1 +true +Session");
  }

  @Test
  void aWatchSeesANewSession() throws Exception {
    Kubectl.Started watch =
        kubectl.start("get", "sessions", "-n", NAMESPACE, "--watch-only", "-o", "name");
    try {
      // kubectl lists before it watches, so a session published before its list is no news to
      // it: a new one comes every poll until one is printed, however long kubectl takes to start.
      int[] newcomers = {0};
      await("kubectl -w to print a new session")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                connections.add(mqtt("newcomer-" + ++newcomers[0]));
                publish();
                return Files.readString(watch.out()).contains("newcomer-");
              });
    } finally {
      watch.process().destroy();
    }
  }

  @Test
  void aUserTheSandboxGrantsNothingIsForbidden() throws Exception {
    Kubectl.Run run = kubectl.run("--as=someone", "get", "sessions", "-n", NAMESPACE);
    assertThat(run.exit()).isNotZero();
    assertThat(run.stderr()).contains("Forbidden").contains("someone");
  }
}
