package io.cpol.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.build.CrdPrinterColumnOrder;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the embedded API does like a real API server, checked without kubectl. */
class ApiServerDispatcherTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String POLICIES =
      "/apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies";

  private EmbeddedKubernetes kubernetes;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    kubernetes = EmbeddedKubernetes.start(0);
    client = kubernetes.client();
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("iot").endMetadata().build())
        .create();
    client
        .resource(
            Serialization.unmarshal(
                """
                apiVersion: beebotte.io/v1alpha1
                kind: ConnectionPolicy
                metadata: {name: p, namespace: iot}
                spec:
                  credentialsRef: {name: creds}
                  maxDropsPerSync: 7
                  deny:
                  - userids: [a, b]
                  - useridPatterns: ["c-*"]
                """,
                ConnectionPolicy.class))
        .create();
  }

  @AfterEach
  void stop() {
    kubernetes.close();
  }

  /**
   * A status write based on a copy older than what is stored is refused, as kube-apiserver refuses
   * it (StatusConflictOnRealServerIT): otherwise the writer's stale counts would overwrite newer
   * ones, and the operator's conflict path would never run against this server.
   */
  @Test
  void aStatusWriteWithAStaleResourceVersionConflicts() {
    ConnectionPolicy read =
        client.resources(ConnectionPolicy.class).inNamespace("iot").withName("p").get();
    ConnectionPolicyStatus status = new ConnectionPolicyStatus();
    status.setDropped(5L);
    read.setStatus(status);
    client.resource(read).updateStatus();

    ConnectionPolicyStatus stale = new ConnectionPolicyStatus();
    stale.setDropped(1L);
    read.setStatus(stale);
    assertThatThrownBy(() -> client.resource(read).updateStatus())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409))
        .hasMessageContaining("the object has been modified");
    assertThat(
            client
                .resources(ConnectionPolicy.class)
                .inNamespace("iot")
                .withName("p")
                .get()
                .getStatus()
                .getDropped())
        .isEqualTo(5L);
  }

  @Test
  void mergePatchReplacesListsAndRemovesNulls() {
    ConnectionPolicy patched =
        client
            .resources(ConnectionPolicy.class)
            .inNamespace("iot")
            .withName("p")
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"deny\":[{\"userids\":[\"a\"]}],\"maxDropsPerSync\":null}}");

    assertThat(patched.getSpec().getDeny()).hasSize(1);
    assertThat(patched.getSpec().getDeny().get(0).getUserids()).containsExactly("a");
    assertThat(patched.getSpec().getMaxDropsPerSync()).isNull();
    assertThat(patched.getMetadata().getGeneration()).isEqualTo(2);
  }

  @Test
  void mergePatchOnStatusLeavesSpecAlone() {
    client
        .resources(ConnectionPolicy.class)
        .inNamespace("iot")
        .withName("p")
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"deny\":[]},\"status\":{\"connected\":5,\"recentDrops\":[{\"userid\":\"a\"}]}}");
    client
        .resources(ConnectionPolicy.class)
        .inNamespace("iot")
        .withName("p")
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"recentDrops\":[{\"userid\":\"b\"}]}}");

    ConnectionPolicy p =
        client.resources(ConnectionPolicy.class).inNamespace("iot").withName("p").get();
    assertThat(p.getSpec().getDeny()).hasSize(2);
    assertThat(p.getStatus().getConnected()).isEqualTo(5);
    assertThat(p.getStatus().getRecentDrops()).extracting(d -> d.getUserid()).containsExactly("b");
    assertThat(p.getMetadata().getGeneration()).isEqualTo(1);
  }

  @Test
  void tablesUseTheCrdPrinterColumns() throws Exception {
    client
        .resources(ConnectionPolicy.class)
        .inNamespace("iot")
        .withName("p")
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            """
            {"status": {"connected": 12, "denied": 3, "dropped": 2,
              "lastSyncTime": "2020-01-01T00:00:00Z",
              "conditions": [
                {"type": "Enforced", "status": "False", "reason": "DryRun"},
                {"type": "Ready", "status": "True", "reason": "Synced"}]}}
            """);

    JsonNode table = get(POLICIES, "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");

    assertThat(table.path("kind").asText()).isEqualTo("Table");
    List<String> columns = new ArrayList<>();
    table.path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText()));
    assertThat(columns).first().isEqualTo("Name");
    assertThat(columns.subList(1, columns.size()))
        .containsExactlyElementsOf(CrdPrinterColumnOrder.ORDER);
    JsonNode row = table.path("rows").get(0);
    assertThat(row.path("cells").get(0).asText()).isEqualTo("p");
    assertThat(row.path("cells").get(1).isNull()).as("no mode in status").isTrue();
    assertThat(row.path("cells").get(2).asLong()).isEqualTo(12);
    assertThat(row.path("cells").get(4).asLong()).isEqualTo(2);
    assertThat(row.path("cells").get(5).asText()).isEqualTo("True");
    assertThat(row.path("cells").get(6).asText()).matches("\\d+d|\\d+y\\d*d?");
    assertThat(row.path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
    assertThat(row.path("object").path("metadata").path("namespace").asText()).isEqualTo("iot");
  }

  @Test
  void listsAreTypedAndFilterableOnAnyField() throws Exception {
    for (String name : List.of("p", "q")) {
      client
          .v1()
          .events()
          .inNamespace("iot")
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName("e-" + name)
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withKind("ConnectionPolicy")
                  .withName(name)
                  .withNamespace("iot")
                  .endInvolvedObject()
                  .withReason("Dropped")
                  .build())
          .create();
    }

    JsonNode events =
        get(
            "/api/v1/namespaces/iot/events?fieldSelector="
                + "involvedObject.name%3Dp%2CinvolvedObject.namespace%3Diot",
            "application/json");

    assertThat(events.path("kind").asText()).isEqualTo("EventList");
    assertThat(events.path("items")).hasSize(1);
    assertThat(events.path("items").get(0).path("metadata").path("name").asText()).isEqualTo("e-p");
  }

  @Test
  void discoveryNamesTheShortNameAndCategory() throws Exception {
    JsonNode resources = get("/apis/beebotte.io/v1alpha1", "application/json");

    JsonNode policies = resources.path("resources").get(0);
    assertThat(policies.path("name").asText()).isEqualTo("connectionpolicies");
    assertThat(policies.path("shortNames").get(0).asText()).isEqualTo("cpol");
    assertThat(policies.path("categories").get(0).asText()).isEqualTo("beebotte");
    assertThat(policies.path("namespaced").asBoolean()).isTrue();
    assertThat(resources.path("resources").get(1).path("name").asText())
        .isEqualTo("connectionpolicies/status");
  }

  @Test
  void missingObjectsAnswerWithANotFoundStatus() throws Exception {
    HttpResponse<String> response = send(POLICIES + "/nope", "application/json");

    assertThat(response.statusCode()).isEqualTo(404);
    JsonNode status = JSON.readTree(response.body());
    assertThat(status.path("reason").asText()).isEqualTo("NotFound");
    assertThat(status.path("message").asText())
        .isEqualTo("connectionpolicies.beebotte.io \"nope\" not found");
  }

  @Test
  void aMergePatchIsAnswered200AsOnARealApiServer() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(kubernetes.url() + POLICIES + "/p"))
                    .method(
                        "PATCH",
                        HttpRequest.BodyPublishers.ofString("{\"spec\":{\"maxDropsPerSync\":8}}"))
                    .header("Content-Type", "application/merge-patch+json")
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  /** client-go's watch-list (kubectl wait's since 1.35) waits for the initial-events-end mark. */
  @Test
  void aWatchListStreamsTheObjectsThenTheBookmarkThatEndsThem() throws Exception {
    try (ApiServerFrontend frontend =
        ApiServerFrontend.start(
            kubernetes.dispatcher(), java.net.InetAddress.getLoopbackAddress(), 0)) {
      HttpResponse<java.util.stream.Stream<String>> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + frontend.port()
                                  + POLICIES
                                  + "?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
                                  + "&resourceVersionMatch=NotOlderThan&timeoutSeconds=5"))
                      .build(),
                  HttpResponse.BodyHandlers.ofLines());
      List<JsonNode> events = new ArrayList<>();
      try (var lines = response.body()) {
        var it = lines.iterator();
        for (int i = 0; i < 2 && it.hasNext(); i++) {
          events.add(JSON.readTree(it.next()));
        }
      }

      assertThat(events).hasSize(2);
      assertThat(events.get(0).path("type").asText()).isEqualTo("ADDED");
      assertThat(events.get(0).path("object").path("metadata").path("name").asText())
          .isEqualTo("p");
      assertThat(events.get(1).path("type").asText()).isEqualTo("BOOKMARK");
      JsonNode metadata = events.get(1).path("object").path("metadata");
      assertThat(metadata.path("annotations").path("k8s.io/initial-events-end").asText())
          .isEqualTo("true");
      assertThat(metadata.path("resourceVersion").asText())
          .isEqualTo(
              events.get(0).path("object").path("metadata").path("resourceVersion").asText());
    }
  }

  @Test
  void agesReadLikeKubectls() {
    assertThat(ServerTables.humanDuration(Duration.ofSeconds(0))).isEqualTo("0s");
    assertThat(ServerTables.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(ServerTables.humanDuration(Duration.ofSeconds(200))).isEqualTo("3m20s");
    assertThat(ServerTables.humanDuration(Duration.ofMinutes(45))).isEqualTo("45m");
    assertThat(ServerTables.humanDuration(Duration.ofMinutes(310))).isEqualTo("5h10m");
    assertThat(ServerTables.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(ServerTables.humanDuration(Duration.ofHours(76))).isEqualTo("3d4h");
    assertThat(ServerTables.humanDuration(Duration.ofDays(400))).isEqualTo("400d");
    assertThat(ServerTables.humanDuration(Duration.ofDays(365 * 2 + 30))).isEqualTo("2y30d");
  }

  private JsonNode get(String path, String accept) throws Exception {
    HttpResponse<String> response = send(path, accept);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private HttpResponse<String> send(String path, String accept) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(kubernetes.url() + path))
                .header("Accept", accept)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
