package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.testing.OperatorHarness;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /healthz, /readyz and /metrics as a Kubernetes kubelet and Prometheus see them. */
class OperationsEndpointsTest {
  private OperatorHarness h;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    h = OperatorHarness.start();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.operator().httpPort() + path))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesAnswerWhileRunningAndReadinessDropsAtShutdown() throws Exception {
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    assertThat(h.operator().isReady()).isTrue();

    h.operator().close();

    assertThat(h.operator().isReady()).isFalse();
  }

  @Test
  void metricsExposeTheDocumentedSeriesAfterASync() throws Exception {
    // The Secret exists before the operator starts: its event, if it came after the policy's,
    // would rightly sync the policy a second time (after the drop), and the counts below are
    // those of the first sync.
    h.stopOperator();
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    h.startOperator();
    h.simulator()
        .addConnections(
            List.of(
                new Connection(
                    "uid-1",
                    "uid-1",
                    "mqtt",
                    "uid-1",
                    "::ffff:198.51.100.1",
                    null,
                    null,
                    List.of()),
                new Connection(
                    "uid-2",
                    "uid-2",
                    "mqtt",
                    "uid-2",
                    "::ffff:198.51.100.2",
                    null,
                    null,
                    List.of())));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: p}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - userids: ["uid-1"]
        """);
    h.awaitCondition("p", "Enforced", "True", "AllDropped");

    HttpResponse<String> metrics = get("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    assertThat(metrics.body())
        .contains("beebotte_policy_connections{namespace=\"iot\",policy=\"p\"} 2.0")
        .contains("beebotte_policy_denied{namespace=\"iot\",policy=\"p\"} 1.0")
        .contains("beebotte_policy_dropped_total{namespace=\"iot\",policy=\"p\"} 1.0")
        .contains("beebotte_policy_last_successful_sync_seconds{namespace=\"iot\",policy=\"p\"}")
        .contains(
            "beebotte_policy_condition{namespace=\"iot\",policy=\"p\",reason=\"Synced\","
                + "status=\"True\",type=\"Ready\"} 1.0")
        .contains(
            "beebotte_policy_condition{namespace=\"iot\",policy=\"p\",reason=\"AllDropped\","
                + "status=\"True\",type=\"Enforced\"} 1.0")
        .contains("beebotte_drops_total{outcome=\"success\",protocol=\"mqtt\"} 1.0")
        .contains("beebotte_listings_total{result=\"fetched\"}")
        .containsPattern("beebotte_api_calls_seconds_bucket\\{endpoint=\"list\",.*status=\"200\"")
        .containsPattern("beebotte_api_calls_seconds_count\\{endpoint=\"drop\",.*status=\"200\"")
        .containsPattern("beebotte_sync_duration_seconds_count\\{outcome=\"success\"\\}")
        .contains("jvm_memory_used_bytes");

    h.kube()
        .resources(io.cpol.policy.ConnectionPolicy.class)
        .inNamespace("iot")
        .withName("p")
        .delete();
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: q}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - userids: ["nobody"]
        """);
    h.awaitCondition("q", "Ready", "True", "Synced");
    // A condition that changes replaces its series rather than adding one.
    h.kube()
        .resources(io.cpol.policy.ConnectionPolicy.class)
        .inNamespace("iot")
        .withName("q")
        .edit(
            q -> {
              q.getSpec().setEnforcement(io.cpol.policy.Enforcement.DryRun);
              return q;
            });
    h.awaitCondition("q", "Enforced", "False", "DryRun");
    String afterChange = get("/metrics").body();
    assertThat(afterChange)
        .contains(
            "beebotte_policy_condition{namespace=\"iot\",policy=\"q\",reason=\"DryRun\","
                + "status=\"False\",type=\"Enforced\"} 1.0")
        .doesNotContain("policy=\"q\",reason=\"AllDropped\"");
    // The deleted policy's series go away with it.
    assertThat(get("/metrics").body()).doesNotContain("policy=\"p\"").contains("policy=\"q\"");
  }
}
