package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.testing.AggregatedApiBackend;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * kube-apiserver's aggregation layer as {@link RealKubernetes} sets it up, with no kube-proxy and
 * no Pods: an APIService naming an {@code ExternalName} Service whose name is {@code localhost}
 * reaches an HTTPS server on a loopback port. kube-aggregator resolves such a Service to {@code
 * https://<externalName>:<the APIService's port>} (apiserver's {@code proxy.ResolveCluster}; no
 * Service port or endpoint is checked for that type), checks availability by a GET of {@code
 * /apis/<group>/<version>} as {@code system:kube-aggregator} (2xx/3xx = Available), and verifies
 * the backend's certificate against the caBundle for {@code <service>.<namespace>.svc}.
 */
@ExtendWith(RealKubernetesTier.class)
class AggregationOnRealServerIT {
  private static final String GROUP = "probe.cpol.io";
  private static final String VERSION = "v1";
  private static final String NAMESPACE = "aggregation";
  private static final String SERVICE = "probe";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static RealKubernetes kube;
  private static AggregatedApiBackend backend;

  @BeforeAll
  static void start() {
    backend = AggregatedApiBackend.start(GROUP, VERSION, SERVICE, NAMESPACE);
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    String caBundle =
        Base64.getEncoder()
            .encodeToString(
                backend.servingCa().certificatePem().getBytes(StandardCharsets.US_ASCII));
    kube.kubectl(
            kube.kubeconfig(),
            """
            apiVersion: v1
            kind: Namespace
            metadata: {name: %s}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: %s, namespace: %s}
            spec: {type: ExternalName, externalName: localhost}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: widget-viewer}
            rules:
            - apiGroups: [%s]
              resources: [widgets]
              verbs: [get, list, watch]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: team-views-widgets}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: widget-viewer}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: team}
            ---
            apiVersion: apiregistration.k8s.io/v1
            kind: APIService
            metadata: {name: %s.%s}
            spec:
              group: %s
              version: %s
              service: {namespace: %s, name: %s, port: %d}
              caBundle: %s
              groupPriorityMinimum: 1000
              versionPriority: 15
            """
                .formatted(
                    NAMESPACE,
                    SERVICE,
                    NAMESPACE,
                    GROUP,
                    VERSION,
                    GROUP,
                    GROUP,
                    VERSION,
                    NAMESPACE,
                    SERVICE,
                    backend.port(),
                    caBundle),
            "apply",
            "-f",
            "-")
        .orFail();
  }

  @AfterAll
  static void stop() {
    if (kube != null) {
      kube.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void theApiServiceBecomesAvailableAfterADiscoveryCheckWithTheFrontProxyCertificate() {
    awaitAvailable();
    assertThat(backend.received())
        .anySatisfy(
            r -> {
              assertThat(r.uri()).isEqualTo("/apis/" + GROUP + "/" + VERSION);
              assertThat(r.header("X-Remote-User")).isEqualTo("system:kube-aggregator");
              assertThat(r.headers("X-Remote-Group")).containsExactly("system:masters");
              assertThat(r.clientCertificateSubject()).isEqualTo("CN=front-proxy-client");
              assertThat(r.clientCertificateIssuer()).isEqualTo("CN=front-proxy-ca");
            });
  }

  @Test
  void kubeApiServerPublishesTheRequestHeaderSettingsForAggregatedServers() throws Exception {
    ConfigMap published;
    try (KubernetesClient admin = kube.adminClient()) {
      published =
          admin
              .configMaps()
              .inNamespace("kube-system")
              .withName("extension-apiserver-authentication")
              .waitUntilCondition(
                  c -> c != null && c.getData().containsKey("requestheader-client-ca-file"),
                  30,
                  TimeUnit.SECONDS);
    }
    var data = published.getData();
    assertThat(data.get("requestheader-client-ca-file").trim())
        .isEqualTo(kube.frontProxyCa().certificatePem().trim());
    assertThat(jsonList(data.get("requestheader-allowed-names")))
        .containsExactly(RealKubernetes.FRONT_PROXY_CLIENT);
    assertThat(jsonList(data.get("requestheader-username-headers")))
        .containsExactly("X-Remote-User");
    assertThat(jsonList(data.get("requestheader-group-headers"))).containsExactly("X-Remote-Group");
    assertThat(jsonList(data.get("requestheader-extra-headers-prefix")))
        .containsExactly("X-Remote-Extra-");
  }

  @Test
  void kubectlReachesTheBackendThroughKubeApiServerAsTheCallerAndWatchesStream() throws Exception {
    awaitAvailable();
    backend.emit(NAMESPACE, "first");

    var listed =
        kube.kubectl("--as=alice", "--as-group=team", "get", "widgets", "-n", NAMESPACE).orFail();
    assertThat(listed.out()).contains("first");
    assertThat(backend.received())
        .anySatisfy(
            r -> {
              assertThat(r.uri()).startsWith("/apis/" + GROUP + "/" + VERSION + "/namespaces/");
              assertThat(r.header("X-Remote-User")).isEqualTo("alice");
              assertThat(r.headers("X-Remote-Group")).contains("team", "system:authenticated");
              assertThat(r.clientCertificateSubject()).isEqualTo("CN=front-proxy-client");
            });

    // kube-apiserver authorizes before it proxies: a caller without the role never gets through.
    var refused = kube.kubectl("--as=bob", "get", "widgets", "-n", NAMESPACE);
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.err()).contains("Forbidden").contains("\"bob\" cannot list");
    assertThat(backend.received()).noneMatch(r -> "bob".equals(r.header("X-Remote-User")));

    // kubectl get -w: the watch goes through kube-apiserver's proxy as a chunked stream.
    Path out = Files.createTempFile(kube.directory(), "watch", ".out");
    Process watch =
        new ProcessBuilder(
                kube.binaries().kubectl().toString(),
                "--kubeconfig=" + kube.kubeconfig(),
                "get",
                "widgets",
                "-n",
                NAMESPACE,
                "--watch-only",
                "-o",
                "name")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      await("the watch to open").atMost(WAIT).until(() -> backend.openWatches() > 0);
      backend.emit(NAMESPACE, "second");
      await("kubectl to print the new widget")
          .atMost(WAIT)
          .until(() -> Files.readString(out).contains("widget." + GROUP + "/second"));
    } finally {
      watch.destroy();
      watch.waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(Files.readString(out)).doesNotContain("first");
  }

  @Test
  void discoveryAndExplainIncludeTheAggregatedGroup() {
    awaitAvailable();
    assertThat(kube.kubectl("api-resources", "--api-group=" + GROUP).orFail().out())
        .contains("widgets")
        .contains("wdg");
    assertThat(kube.explain("widgets.colour").out()).contains("What colour the widget is.");
  }

  private static void awaitAvailable() {
    kube.kubectl(
            "wait",
            "--for=condition=Available",
            "apiservice/" + VERSION + "." + GROUP,
            "--timeout=60s")
        .orFail();
    // Available comes first; kube-apiserver's discovery takes the group in a moment later.
    await("discovery to list widgets")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> kube.kubectl("api-resources", "--api-group=" + GROUP).out().contains("widgets"));
  }

  private static List<String> jsonList(String json) throws Exception {
    return List.of(MAPPER.readValue(json, String[].class));
  }
}
