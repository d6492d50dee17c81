package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.testing.ApiServerFrontend;
import io.cpol.testing.EmbeddedKubernetes;
import io.cpol.testing.ValidationCases;
import io.cpol.testing.ValidationCases.Case;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded API server held to a real kube-apiserver: the validation table (ValidationCases) is
 * sent to both, with the committed CRD, and for every case both accept, or both refuse with the
 * same code, reason and field paths in {@code details.causes}; {@code kubectl get cpol} and {@code
 * -o wide} print the same columns and cells. The same built kubectl talks to both. Writes both
 * columns to {@code target/validation-table-embedded-vs-real.md}. A difference is a bug of the
 * embedded server (src/fixtures/java/io/cpol/testing), never of the expectation.
 */
@ExtendWith(RealKubernetesTier.class)
class EmbeddedServerAgreementIT {
  static final Path TABLE = Path.of("target/validation-table-embedded-vs-real.md");
  static final Path GET_OUTPUT = Path.of("target/get-cpol-embedded-vs-real.txt");
  private static final String NAMESPACE = "sandbox";
  private static final String COLLECTION =
      "/apis/beebotte.io/v1alpha1/namespaces/" + NAMESPACE + "/connectionpolicies";

  @TempDir static Path dir;
  private static RealKubernetes real;
  private static EmbeddedKubernetes embedded;
  private static ApiServerFrontend frontend;
  private static Server realServer;
  private static Server embeddedServer;

  /** One of the two servers: a client, and a kubeconfig for the built kubectl. */
  private record Server(String name, KubernetesClient client, Path kubeconfig) {}

  /**
   * What a server answered to one create.
   *
   * @param causes each of {@code details.causes} as kubectl prints it ({@code field: message}),
   *     sorted: a real API server lists a schema's errors in Go's map order, which varies
   * @param headline the message without the causes it lists
   */
  private record Answer(int code, String reason, List<String> causes, String headline) {
    boolean accepted() {
      return code == 201;
    }

    List<String> fields() {
      return causes.stream().map(c -> c.substring(0, c.indexOf(": "))).toList();
    }

    /** What must be the same on both servers: the field paths, and the words kubectl prints. */
    String key() {
      return accepted() ? "created" : code + " " + reason + " " + headline + " " + causes;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    real = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    KubernetesClient admin = real.adminClient();
    real.createCrdAndAwaitEstablished(KubeBinaries.projectRoot().resolve(EmbeddedKubernetes.CRD));
    realServer = new Server("real kube-apiserver", admin, real.kubeconfig());

    embedded = EmbeddedKubernetes.startValidating(0);
    frontend = ApiServerFrontend.start(embedded.dispatcher(), InetAddress.getLoopbackAddress(), 0);
    Path kubeconfig = dir.resolve("embedded.kubeconfig");
    Files.writeString(kubeconfig, embeddedKubeconfig("http://127.0.0.1:" + frontend.port()));
    embeddedServer =
        new Server(
            "embedded server",
            new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
                .build(),
            kubeconfig);

    realServer
        .client()
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    embeddedServer
        .client()
        .namespaces()
        .resource(EmbeddedKubernetes.activeNamespace(NAMESPACE))
        .create();
    // The resource is served (and in discovery, for kubectl) a moment after Established.
    awaitServed(realServer);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c :
        new AutoCloseable[] {
          embeddedServer == null ? null : embeddedServer.client(),
          frontend,
          embedded,
          realServer == null ? null : realServer.client(),
          real
        }) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // closing what a failed start left
        }
      }
    }
  }

  @Test
  void everyCaseIsAcceptedOrRefusedAlikeOnBothServers() throws Exception {
    List<Case> all = ValidationCases.all();
    Path cases = Files.createDirectories(dir.resolve("cases"));
    for (Case c : all) {
      Files.writeString(cases.resolve(c.id() + ".yaml"), Serialization.asYaml(c.object()));
    }
    // As a user meets it: kubectl's server-side dry run of the whole table, on each server.
    RealKubernetes.KubectlRun realDryRun =
        real.kubectl(
            realServer.kubeconfig(), null, "apply", "--dry-run=server", "-f", cases.toString());
    RealKubernetes.KubectlRun embeddedDryRun =
        real.kubectl(
            embeddedServer.kubeconfig(), null, "apply", "--dry-run=server", "-f", cases.toString());

    StringBuilder table =
        new StringBuilder(
            "| # | input | embedded server | real kube-apiserver "
                + KubeBinaries.pinnedVersion()
                + " | same |\n|---|---|---|---|---|\n");
    List<String> differences = new ArrayList<>();
    for (Case c : all) {
      // What kubectl apply sends: a create with strict field validation.
      Answer onEmbedded = create(embeddedServer, c);
      Answer onReal = create(realServer, c);
      String userEmbedded = line(c, embeddedDryRun.out() + embeddedDryRun.err(), cases);
      String userReal = line(c, realDryRun.out() + realDryRun.err(), cases);
      boolean same = onEmbedded.key().equals(onReal.key());
      if (!same) {
        differences.add(c + ": embedded " + onEmbedded + "; real " + onReal);
      }
      if (c.valid() != onReal.accepted()) {
        differences.add(
            c + ": the table says " + (c.valid() ? "valid" : "invalid") + ", real " + onReal);
      }
      List<String> row =
          List.of(
              c.id(),
              cell(c.title()),
              cell(describe(onEmbedded, userEmbedded)),
              cell(describe(onReal, userReal)),
              same ? "yes" : "**no**");
      table.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    Files.createDirectories(TABLE.getParent());
    Files.writeString(TABLE, table.toString());
    assertThat(differences).as("cases the two servers answer differently; see " + TABLE).isEmpty();
  }

  @Test
  void getCpolAndWidePrintTheSameColumnsAndCells() throws Exception {
    Instant now = Instant.now();
    Map<String, JsonNode> statuses = new LinkedHashMap<>();
    statuses.put(
        "p-synced",
        status(
            "Enforce",
            250,
            12,
            3,
            now.minus(Duration.ofDays(30)).minus(Duration.ofHours(12)).toString(),
            "True",
            "Enforcing",
            5));
    statuses.put(
        "p-failing", status("DryRun", 0, 0, 0, null, "False", "BeebotteUnavailable", null));
    statuses.put(
        "p-future",
        status("Suspended", 7, 1, 0, now.plus(Duration.ofHours(3)).toString(), null, null, 0));
    statuses.put(
        "p-unparsable-time", status("Enforce", 1, 1, 1, "yesterday", "True", "Enforcing", 0));
    statuses.put("p-no-status", null);
    for (Server server : List.of(embeddedServer, realServer)) {
      for (Map.Entry<String, JsonNode> e : statuses.entrySet()) {
        ObjectNode policy = policy(e.getKey());
        HttpResponse<String> created = send(server, "POST", COLLECTION, policy, "application/json");
        assertThat(created.code()).as("%s: %s", server.name(), created.body()).isEqualTo(201);
        if (e.getValue() != null) {
          ObjectNode patch = JsonNodeFactory.instance.objectNode();
          patch.set("status", e.getValue());
          HttpResponse<String> patched =
              send(
                  server,
                  "PATCH",
                  COLLECTION + "/" + e.getKey() + "/status",
                  patch,
                  "application/merge-patch+json");
          assertThat(patched.code()).as("%s: %s", server.name(), patched.body()).isEqualTo(200);
        }
      }
    }
    String[] names = statuses.keySet().toArray(String[]::new);
    Files.createDirectories(GET_OUTPUT.getParent());
    Files.deleteIfExists(GET_OUTPUT);
    for (List<String> args : List.of(List.<String>of(), List.of("-o", "wide"))) {
      List<String> command = new ArrayList<>(List.of("get", "cpol", "-n", NAMESPACE));
      command.addAll(List.of(names));
      command.addAll(args);
      List<List<String>> onEmbedded = columns(embeddedServer, command);
      List<List<String>> onReal = columns(realServer, command);
      assertThat(onReal).as("one row per policy").hasSize(names.length + 1);
      assertThat(onReal.get(0)).as("the cells of a row").hasSizeGreaterThanOrEqualTo(8);
      assertThat(masked(onEmbedded))
          .as("kubectl %s on the embedded server, against the real one", String.join(" ", command))
          .isEqualTo(masked(onReal));
    }
  }

  /** The rows of a {@code kubectl get} table, cut at the header's column starts. */
  private static List<List<String>> columns(Server server, List<String> command) throws Exception {
    RealKubernetes.KubectlRun run =
        real.kubectl(server.kubeconfig(), null, command.toArray(String[]::new)).orFail();
    Files.writeString(
        GET_OUTPUT,
        "$ kubectl "
            + String.join(" ", command)
            + "   # "
            + server.name()
            + "\n"
            + run.out()
            + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    List<String> lines = run.out().lines().toList();
    // kubectl pads columns with at least 3 spaces; "LAST SYNC" holds one.
    int[] header = lines.get(0).codePoints().toArray();
    List<Integer> starts = new ArrayList<>();
    for (int i = 0; i < header.length; i++) {
      if (header[i] != ' '
          && (i == 0
              || (i >= 3
                  && header[i - 1] == ' '
                  && header[i - 2] == ' '
                  && header[i - 3] == ' '))) {
        starts.add(i);
      }
    }
    List<List<String>> rows = new ArrayList<>();
    for (String line : lines) {
      int[] chars = line.codePoints().toArray();
      List<String> cells = new ArrayList<>();
      for (int k = 0; k < starts.size(); k++) {
        int from = Math.min(starts.get(k), chars.length);
        int to = k + 1 < starts.size() ? Math.min(starts.get(k + 1), chars.length) : chars.length;
        cells.add(new String(chars, from, to - from).trim());
      }
      rows.add(cells);
    }
    return rows;
  }

  /** The Age column's cells as their shape: the objects are a few seconds apart on each server. */
  private static List<List<String>> masked(List<List<String>> rows) {
    return rows.stream()
        .map(
            r ->
                r.stream()
                    .map(cell -> cell.matches("[0-9]+s|[0-9]+m[0-9]*s?") ? "(seconds)" : cell)
                    .toList())
        .toList();
  }

  private static ObjectNode status(
      String mode,
      Integer connected,
      Integer denied,
      Integer dropped,
      String lastSync,
      String ready,
      String enforced,
      Integer omitted) {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("mode", mode);
    s.put("connected", connected);
    s.put("denied", denied);
    s.put("dropped", dropped);
    if (lastSync != null) {
      s.put("lastSyncTime", lastSync);
    }
    if (omitted != null) {
      s.put("connectionsOmitted", omitted);
    }
    var conditions = s.putArray("conditions");
    if (ready != null) {
      conditions
          .addObject()
          .put("type", "Ready")
          .put("status", ready)
          .put("reason", ready.equals("True") ? "Synced" : "BeebotteUnavailable");
    }
    if (enforced != null) {
      conditions.addObject().put("type", "Enforced").put("status", "True").put("reason", enforced);
    }
    return s;
  }

  private static ObjectNode policy(String name) {
    ObjectNode p = JsonNodeFactory.instance.objectNode();
    p.put("apiVersion", "beebotte.io/v1alpha1");
    p.put("kind", "ConnectionPolicy");
    p.putObject("metadata").put("name", name).put("namespace", NAMESPACE);
    ObjectNode spec = p.putObject("spec");
    spec.putObject("credentialsRef").put("name", "beebotte-credentials");
    spec.put("interval", "1000000\u00b5s");
    spec.putArray("deny").addObject().putArray("sids").add("s");
    return p;
  }

  /** A create as kubectl apply sends it (strict field validation), answered by {@code server}. */
  private static Answer create(Server server, Case c) throws Exception {
    HttpResponse<String> response =
        send(
            server,
            "POST",
            "/apis/beebotte.io/v1alpha1/namespaces/"
                + c.namespace()
                + "/connectionpolicies?fieldValidation=Strict",
            c.object(),
            "application/json");
    JsonNode body = Serialization.unmarshal(response.body(), JsonNode.class);
    List<String> causes = new ArrayList<>();
    for (JsonNode cause : body.path("details").path("causes")) {
      causes.add(cause.path("field").asText() + ": " + cause.path("message").asText());
    }
    causes.sort(null);
    String message = body.path("message").asText("");
    int listed = message.indexOf(" is invalid: ");
    String headline = listed < 0 ? message : message.substring(0, listed + " is invalid:".length());
    return new Answer(response.code(), body.path("reason").asText(""), causes, headline);
  }

  private static HttpResponse<String> send(
      Server server, String method, String path, JsonNode body, String contentType)
      throws Exception {
    String base = server.client().getMasterUrl().toString().replaceAll("/$", "");
    HttpRequest request =
        server
            .client()
            .getHttpClient()
            .newHttpRequestBuilder()
            .uri(base + path)
            .method(method, contentType, Serialization.asJson(body))
            .build();
    return server
        .client()
        .getHttpClient()
        .sendAsync(request, String.class)
        .get(60, TimeUnit.SECONDS);
  }

  private static void awaitServed(Server server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      RealKubernetes.KubectlRun run =
          real.kubectl(server.kubeconfig(), null, "get", "cpol", "-n", NAMESPACE);
      if (run.exitCode() == 0 || System.nanoTime() > deadline) {
        run.orFail();
        return;
      }
      Thread.sleep(200);
    }
  }

  /** What kubectl printed about case {@code c} in a run over the whole table. */
  private static String line(Case c, String output, Path cases) {
    String named = "connectionpolicy.beebotte.io/" + c.id() + " ";
    for (String l : output.lines().toList()) {
      if (l.startsWith(named) || l.contains("/" + c.id() + ".yaml\"")) {
        return l.replace(cases + "/", "")
            .replaceAll("should match '\\^.{40,}?\\$'", "should match '(the pattern)'");
      }
    }
    return "(kubectl printed nothing about it)";
  }

  private static String describe(Answer a, String kubectl) {
    String answer =
        a.accepted()
            ? "201 created"
            : a.code() + " " + a.reason() + (a.causes().isEmpty() ? "" : ", causes " + a.fields());
    String shown = kubectl.length() > 300 ? kubectl.substring(0, 300) + "..." : kubectl;
    return answer + "; kubectl: " + shown;
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }

  private static String embeddedKubeconfig(String server) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: embedded
          cluster:
            server: %s
        users:
        - name: embedded
          user:
            token: embedded
        contexts:
        - name: embedded
          context: {cluster: embedded, user: embedded, namespace: %s}
        current-context: embedded
        """
        .formatted(server, NAMESPACE);
  }
}
