package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.deploy.DeployManifests;
import io.cpol.enforce.TestSpecs;
import io.cpol.live.AccountListing;
import io.cpol.live.ListedPolicy;
import io.cpol.live.SessionStore;
import io.cpol.live.SessionsApiServer;
import io.cpol.live.SessionsApiSettings;
import io.cpol.testing.Closeables;
import io.cpol.testing.SessionsApiRegistration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code kubectl get sessions} through a real kube-apiserver's aggregation layer: the sessions API
 * server runs as deploy/rbac's ServiceAccount (a TokenRequest token, the install's ClusterRoles and
 * bindings: auth-delegator for its SubjectAccessReviews, the authentication reader for the front
 * proxy's ConfigMap), registered by the APIService of deploy/ pointed at an ExternalName Service
 * for localhost (no kube-proxy here). The real kubectl lists, filters, pages and watches as a user
 * bound to beebotte-session-viewer; a user without it is refused by kube-apiserver before the
 * request is proxied.
 */
@ExtendWith(RealKubernetesTier.class)
class SessionsOnRealServerIT {
  private static final String NAMESPACE = "iot";
  private static final String VIEWER = "viewer";
  private static final Path ROOT = KubeBinaries.projectRoot();
  private static final ListedPolicy REVOKE =
      new ListedPolicy(
          NAMESPACE, "revoke-device", TestSpecs.compile("deny: [{userids: [device-0042]}]"));

  private static RealKubernetes kube;
  private static KubernetesClient serverClient;
  private static SessionStore store;
  private static SessionsApiServer server;
  private static final Object engine = new Object();
  private static final List<Connection> connections = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    kube.kubectl("create", "namespace", DeployManifests.OPERATOR_NAMESPACE).orFail();
    kube.kubectl("create", "namespace", NAMESPACE).orFail();
    kube.kubectl("apply", "--server-side", "-f", ROOT.resolve("deploy/rbac").toString()).orFail();
    kube.kubectl(
            "apply",
            "--server-side",
            "-f",
            ROOT.resolve("deploy/sessions-api/session-viewer-role.yaml").toString())
        .orFail();
    kube.kubectl(
            "create",
            "clusterrolebinding",
            "viewer-sees-sessions",
            "--clusterrole=beebotte-session-viewer",
            "--user=" + VIEWER)
        .orFail();
    serverClient =
        new KubernetesClientBuilder()
            .withConfig(
                kube.configForToken(
                    kube.serviceAccountToken(
                        DeployManifests.OPERATOR_NAMESPACE,
                        DeployManifests.OPERATOR_SERVICE_ACCOUNT,
                        Duration.ofHours(1))))
            .build();

    store = new SessionStore(Clock.systemUTC());
    for (int i = 0; i < 40; i++) {
      connections.add(mqtt("device-%04d".formatted(i + 100)));
    }
    connections.add(mqtt("device-0042"));
    publish();

    Path tls = kube.directory().resolve("sessions-tls");
    String ca =
        SessionsApiRegistration.writeServingCertificate(tls, DeployManifests.OPERATOR_NAMESPACE);
    server =
        SessionsApiServer.start(
            new SessionsApiSettings(
                "127.0.0.1",
                0,
                tls,
                SessionsApiSettings.serviceHosts(DeployManifests.OPERATOR_NAMESPACE),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10)),
            store,
            () -> true,
            serverClient,
            Clock.systemUTC());
    try (KubernetesClient admin = kube.adminClient()) {
      SessionsApiRegistration.register(
          admin, DeployManifests.OPERATOR_NAMESPACE, server.port(), ca);
    }
    kube.kubectl(
            "wait",
            "--for=condition=Available",
            "apiservice/v1alpha1.live.beebotte.io",
            "--timeout=60s")
        .orFail();
    // Available comes first; kube-apiserver's discovery takes the group in a moment later.
    await("discovery to list sessions")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                kube.kubectl("api-resources", "--api-group=live.beebotte.io")
                    .out()
                    .contains("sessions"));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(server, store, serverClient, kube);
  }

  private static Connection mqtt(String userid) {
    return new Connection(userid, userid, "mqtt", userid, "10.0.0.7", "acme", null, List.of());
  }

  private static synchronized void publish() {
    store.listed(
        engine,
        new AccountListing(
            "https://api.beebotte.com",
            "acme",
            List.copyOf(connections),
            Instant.now(),
            List.of(REVOKE)));
  }

  private static synchronized int sessionCount() {
    return connections.size();
  }

  private static RealKubernetes.KubectlRun asViewer(String... args) {
    List<String> all = new ArrayList<>(List.of("--as=" + VIEWER));
    all.addAll(List.of(args));
    return kube.kubectl(all.toArray(String[]::new)).orFail();
  }

  @Test
  void aViewerListsFiltersAndPagesThroughKubeApiServer() {
    String listed = asViewer("get", "sessions", "-n", NAMESPACE).out();
    assertThat(listed.lines()).hasSize(sessionCount() + 1);
    assertThat(listed).containsPattern("device-0042 +mqtt +10.0.0.7 +Denied +revoke-device");
    assertThat(asViewer("get", "bbs", "-A").out()).contains("NAMESPACE").contains(NAMESPACE);
    assertThat(
            asViewer("get", "sessions", "-n", NAMESPACE, "-l", "verdict=Denied", "-o", "name")
                .out()
                .lines())
        .hasSize(1);
    assertThat(
            asViewer("get", "sessions", "-n", NAMESPACE, "--field-selector", "userid=device-0042")
                .out()
                .lines())
        .hasSize(2);
    assertThat(
            asViewer("get", "sessions", "-n", NAMESPACE, "--chunk-size=7", "-o", "name")
                .out()
                .lines())
        .hasSize(sessionCount())
        .doesNotHaveDuplicates();
  }

  @Test
  void aViewerWatchesANewSessionArrive() throws Exception {
    Path out = Files.createTempFile(kube.directory(), "watch", ".out");
    Process watch =
        new ProcessBuilder(
                kube.binaries().kubectl().toString(),
                "--kubeconfig=" + kube.kubeconfig(),
                "--as=" + VIEWER,
                "get",
                "sessions",
                "-n",
                NAMESPACE,
                "--watch-only",
                "-o",
                "name")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      // kubectl lists before it watches, so a session published before its list is no news to
      // it: a new one comes every poll until one is printed, however long kubectl takes to start.
      int[] newcomers = {0};
      await("kubectl -w to print a new session")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                synchronized (SessionsOnRealServerIT.class) {
                  connections.add(mqtt("newcomer-" + ++newcomers[0]));
                }
                publish();
                return Files.readString(out).contains("newcomer-");
              });
    } finally {
      watch.destroy();
      watch.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aUserWithoutTheRoleIsForbiddenByKubeApiServer() {
    var refused = kube.kubectl("--as=someone", "get", "sessions", "-n", NAMESPACE);
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.err())
        .contains("Forbidden")
        .contains(
            "\"someone\" cannot list resource \"sessions\" in API group \"live.beebotte.io\"");
  }
}
