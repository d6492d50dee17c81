package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.testing.AggregatedApiBackend;
import io.cpol.testing.ApiServerFrontend;
import io.cpol.testing.CertificateAuthority;
import io.cpol.testing.Closeables;
import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded API server as an aggregator, driven by the real kubectl: an APIService naming an
 * ExternalName Service sends its group to a small HTTPS backend with the front-proxy certificate
 * and the caller's identity, discovery and OpenAPI include the group, watches stream, and a backend
 * whose certificate does not match the APIService is refused as kube-aggregator refuses it. Skipped
 * when kubectl is not on the PATH.
 */
class KubectlAggregationTest {
  private static final String GROUP = "probe.cpol.io";
  private static final String NAMESPACE = "aggregation";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private static EmbeddedKubernetes kubernetes;
  private static ApiServerFrontend api;
  private static AggregatedApiBackend backend;
  private static KubernetesClient client;
  private static Kubectl kubectl;
  private static String caBundle;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Kubectl.installed(), "kubectl is not on the PATH");
    kubernetes = EmbeddedKubernetes.startValidating(0);
    api = ApiServerFrontend.start(kubernetes.dispatcher(), InetAddress.getLoopbackAddress(), 0);
    backend = AggregatedApiBackend.start(GROUP, "v1", "probe", NAMESPACE);
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, Sandbox.kubeconfig("http://127.0.0.1:" + api.port(), NAMESPACE));
    client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(kubeconfig.toFile()))
            .build();
    kubectl = new Kubectl(kubeconfig, dir);
    caBundle = caBundle(backend.servingCa());
    Path manifests = dir.resolve("aggregation.yaml");
    Files.writeString(
        manifests,
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: %1$s}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: probe, namespace: %1$s}
        spec: {type: ExternalName, externalName: localhost}
        ---
        apiVersion: apiregistration.k8s.io/v1
        kind: APIService
        metadata: {name: v1.%2$s}
        spec:
          group: %2$s
          version: v1
          service: {namespace: %1$s, name: probe, port: %3$d}
          caBundle: %4$s
          groupPriorityMinimum: 1000
          versionPriority: 15
        """
            .formatted(NAMESPACE, GROUP, backend.port(), caBundle));
    Kubectl.Run applied = kubectl.run("apply", "-f", manifests.toString());
    assertThat(applied.exit()).as(applied.all()).isZero();
  }

  @Test
  void theApiServiceBecomesAvailableAfterADiscoveryCheckAsTheAggregator() throws Exception {
    Kubectl.Run available =
        kubectl.run("wait", "--for=condition=Available", "apiservice/v1." + GROUP, "--timeout=20s");
    assertThat(available.exit()).as(available.all()).isZero();
    assertThat(backend.received())
        .anySatisfy(
            r -> {
              assertThat(r.uri()).isEqualTo("/apis/" + GROUP + "/v1");
              assertThat(r.header("X-Remote-User")).isEqualTo("system:kube-aggregator");
              assertThat(r.headers("X-Remote-Group")).containsExactly("system:masters");
              assertThat(r.clientCertificateSubject()).isEqualTo("CN=front-proxy-client");
            });
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(client, backend, api, kubernetes);
  }

  @Test
  void theAuthenticationConfigMapNamesTheFrontProxyCaAndHeaders() throws Exception {
    Map<String, String> data =
        client
            .configMaps()
            .inNamespace("kube-system")
            .withName("extension-apiserver-authentication")
            .get()
            .getData();
    assertThat(data.get("requestheader-client-ca-file"))
        .isEqualTo(api.frontProxyCa().certificatePem());
    assertThat(list(data.get("requestheader-allowed-names"))).containsExactly("front-proxy-client");
    assertThat(list(data.get("requestheader-username-headers"))).containsExactly("X-Remote-User");
    assertThat(list(data.get("requestheader-group-headers"))).containsExactly("X-Remote-Group");
    assertThat(list(data.get("requestheader-extra-headers-prefix")))
        .containsExactly("X-Remote-Extra-");
  }

  @Test
  void aListReachesTheBackendWithTheFrontProxyCertificateAndTheCaller() throws Exception {
    backend.emit(NAMESPACE, "listed");
    Kubectl.Run run = kubectl.run("get", "widgets", "-n", NAMESPACE);
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.stdout()).contains("listed");
    assertThat(backend.received())
        .anySatisfy(
            r -> {
              assertThat(r.uri()).startsWith("/apis/" + GROUP + "/v1/namespaces/" + NAMESPACE);
              assertThat(r.header("X-Remote-User")).isEqualTo("sandbox");
              assertThat(r.headers("X-Remote-Group"))
                  .containsExactly("system:masters", "system:authenticated");
              assertThat(r.clientCertificateSubject()).isEqualTo("CN=front-proxy-client");
              assertThat(r.clientCertificateIssuer()).isEqualTo("CN=front-proxy-ca");
              assertThat(r.header("Authorization")).as("the caller's token").isNull();
            });

    Kubectl.Run impersonated =
        kubectl.run("--as=alice", "--as-group=team", "get", "widgets", "-n", NAMESPACE);
    assertThat(impersonated.exit()).as(impersonated.all()).isZero();
    assertThat(backend.received())
        .anySatisfy(
            r -> {
              assertThat(r.header("X-Remote-User")).isEqualTo("alice");
              assertThat(r.headers("X-Remote-Group"))
                  .containsExactly("team", "system:authenticated");
              assertThat(r.headers("Impersonate-User")).isEmpty();
            });
  }

  @Test
  void aWatchStreamsThroughTheAggregator() throws Exception {
    Kubectl.Started watch =
        kubectl.start("get", "widgets", "-n", NAMESPACE, "--watch-only", "-o", "name");
    try {
      await("the watch to reach the backend").atMost(WAIT).until(() -> backend.openWatches() > 0);
      backend.emit(NAMESPACE, "watched");
      await("kubectl to print the new widget")
          .atMost(WAIT)
          .until(() -> Files.readString(watch.out()).contains("widget." + GROUP + "/watched"));
    } finally {
      watch.process().destroy();
    }
  }

  @Test
  void discoveryAndOpenApiIncludeTheAggregatedGroup() throws Exception {
    Kubectl.Run resources = kubectl.run("api-resources", "--api-group=" + GROUP);
    assertThat(resources.exit()).as(resources.all()).isZero();
    assertThat(resources.stdout()).contains("widgets").contains("wdg").contains("Widget");
    Kubectl.Run explain = kubectl.run("explain", "widgets.colour");
    assertThat(explain.exit()).as(explain.all()).isZero();
    assertThat(explain.stdout()).contains("What colour the widget is.");
  }

  @Test
  void aBackendWhoseCertificateDoesNotMatchTheApiServiceIsRefused() throws Exception {
    // Removed again at the end: as on kube-apiserver, an unavailable group makes kubectl's
    // discovery (api-resources, explain) fail for the other tests.
    Path manifests = dir.resolve("refused.yaml");
    Files.writeString(
        manifests,
        """
        apiVersion: v1
        kind: Service
        metadata: {name: elsewhere, namespace: %1$s}
        spec: {type: ExternalName, externalName: localhost}
        ---
        # The same backend under a Service name its certificate does not carry.
        apiVersion: apiregistration.k8s.io/v1
        kind: APIService
        metadata: {name: v1.misnamed.cpol.io}
        spec:
          group: misnamed.cpol.io
          version: v1
          service: {namespace: %1$s, name: elsewhere, port: %3$d}
          caBundle: %4$s
          groupPriorityMinimum: 1000
          versionPriority: 15
        ---
        # The same backend with a caBundle of another CA.
        apiVersion: apiregistration.k8s.io/v1
        kind: APIService
        metadata: {name: v1.untrusted.cpol.io}
        spec:
          group: untrusted.cpol.io
          version: v1
          service: {namespace: %1$s, name: probe, port: %3$d}
          caBundle: %5$s
          groupPriorityMinimum: 1000
          versionPriority: 15
        """
            .formatted(
                NAMESPACE,
                GROUP,
                backend.port(),
                caBundle,
                caBundle(CertificateAuthority.create("another-ca"))));
    Kubectl.Run applied = kubectl.run("apply", "-f", manifests.toString());
    assertThat(applied.exit()).as(applied.all()).isZero();
    try {
      for (String group : List.of("misnamed.cpol.io", "untrusted.cpol.io")) {
        Kubectl.Run unavailable =
            kubectl.run(
                "wait",
                "--for=jsonpath={.status.conditions[0].reason}=FailedDiscoveryCheck",
                "apiservice/v1." + group,
                "--timeout=20s");
        assertThat(unavailable.exit()).as(unavailable.all()).isZero();
      }
      refused();
    } finally {
      kubectl.run("delete", "-f", manifests.toString());
    }
  }

  private static void refused() throws Exception {
    for (String group : List.of("misnamed.cpol.io", "untrusted.cpol.io")) {
      Kubectl.Run run = kubectl.run("get", "--raw", "/apis/" + group + "/v1");
      assertThat(run.exit()).as(group).isNotZero();
      assertThat(run.stderr()).as(group).contains("ServiceUnavailable").contains("v1." + group);
    }
    assertThat(backend.received())
        .noneMatch(r -> r.uri().contains("misnamed") || r.uri().contains("untrusted"));
  }

  @Test
  void subjectAccessReviewsAllowTheSandboxUserAndNobodyElse() {
    assertThat(review("sandbox", List.of("system:authenticated"))).isTrue();
    assertThat(review("system:kube-aggregator", List.of("system:masters"))).isTrue();
    assertThat(review("alice", List.of("team", "system:authenticated"))).isFalse();
  }

  private static boolean review(String user, List<String> groups) {
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user)
            .withGroups(groups)
            .withNewResourceAttributes()
            .withGroup(GROUP)
            .withResource("widgets")
            .withVerb("list")
            .withNamespace(NAMESPACE)
            .endResourceAttributes()
            .endSpec()
            .build();
    return client
        .authorization()
        .v1()
        .subjectAccessReview()
        .create(review)
        .getStatus()
        .getAllowed();
  }

  private static String caBundle(CertificateAuthority ca) {
    return Base64.getEncoder()
        .encodeToString(ca.certificatePem().getBytes(StandardCharsets.US_ASCII));
  }

  private static List<String> list(String json) throws Exception {
    return List.of(MAPPER.readValue(json, String[].class));
  }
}
