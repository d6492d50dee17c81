package io.cpol.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.beebotte.Connection;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.ConnectionGenerator;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's) on loopback scrapes a running operator enforcing the sandbox's
 * sample policies plus one policy per failure the alerts are about, with alerts.yaml loaded: every
 * dashboard query and every series selector of every alert returns series, every rule evaluates
 * without error, and the alerts for the failures set up here go pending — with the labels the rules
 * expect, honor_labels and the target labels as the ServiceMonitor sets them.
 */
@Timeout(240)
class PrometheusScrapeTest {
  /**
   * Metrics the rules and the dashboard already use but the operator does not export yet; their
   * selectors are printed, not asserted. Remove an entry once its metric lands.
   */
  static final Map<String, String> NOT_EXPORTED_YET = Map.of();

  private static final String OPERATOR_NAMESPACE = DeployManifests.OPERATOR_NAMESPACE;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("msg=\"Listening on\" address=(\\S+)");

  private final HttpClient http = HttpClient.newHttpClient();
  private String prometheus;

  @Test
  void dashboardAndAlertsFindTheOperatorsSeries(@TempDir Path dir) throws Exception {
    Path binary = PrometheusFiles.tool("prometheus").orElse(null);
    assumeTrue(binary != null, PrometheusFiles.missing("prometheus"));

    BeebotteSimulator readOnly =
        BeebotteSimulator.builder()
            .account("acme-ro", "ro-api-key", "ro-secret-key")
            .token("iamtkn_read_only", "admin:connection:read")
            .build()
            .start();
    try (readOnly;
        OperatorHarness h =
            OperatorHarness.start(
                "--leader-election=true", "--leader-election-namespace=" + OPERATOR_NAMESPACE)) {
      setUpPolicies(h, readOnly);
      Process server = startPrometheus(binary, dir, h.operator().httpPort());
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> !query("up == 1").isEmpty());

        // Beebotte rate-limits one call at a time (a retry gets through, so no policy fails)
        // until Prometheus has seen the 429 counter grow.
        Map<String, String> queries = queries();
        try {
          await()
              .atMost(Duration.ofSeconds(90))
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> {
                    Set<String> alerts = pendingAlerts();
                    boolean rateLimited =
                        alerts.stream().anyMatch(a -> a.startsWith("BeebotteApiRateLimited{"));
                    if (!rateLimited && h.simulator().faults().pending() == 0) {
                      h.simulator().faults().rateLimitNext(1, Duration.ZERO);
                    }
                    return rateLimited
                        && alerts.containsAll(expected())
                        && emptyQueries(queries).isEmpty();
                  });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          // Say what was missing, not only that something was.
          printReport(queries);
          System.out.println("Pending and firing alerts at the timeout: " + pendingAlerts());
          System.out.println("Expected among them: " + expected());
          throw e;
        }

        printReport(queries);
        assertThat(emptyQueries(queries)).as("queries without series").isEmpty();
        assertThat(rulesWithErrors()).as("rules that failed to evaluate").isEmpty();
        Set<String> alerts = pendingAlerts();
        assertThat(alerts).containsAll(expected());
        assertThat(alerts).anyMatch(a -> a.startsWith("BeebotteApiRateLimited{endpoint="));
        assertThat(alerts)
            .as("nothing alerts about the healthy samples, the operator or its leader")
            .noneMatch(a -> a.contains("revoke-device") || a.contains("dryrun-contractors"))
            .noneMatch(a -> a.startsWith("BeebotteOperator"));

        // Without the operator, its scrape target is down.
        h.operator().close();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    pendingAlerts()
                        .contains(
                            "BeebotteOperatorDown{namespace="
                                + OPERATOR_NAMESPACE
                                + ",service=beebotte-connection-operator-metrics}"));
      } finally {
        server.destroy();
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
          server.destroyForcibly();
        }
      }
    }
  }

  /** The sandbox's samples, plus a policy in each state an alert is about. */
  private static void setUpPolicies(OperatorHarness h, BeebotteSimulator readOnly)
      throws IOException {
    List<Connection> connections = new ArrayList<>(ConnectionGenerator.generate(300, 7, null));
    for (String userid : List.of("device-0042", "budget-1", "budget-2")) {
      connections.add(mqtt(userid));
    }
    h.simulator().addConnections(connections);
    readOnly.addConnection(mqtt("ro-device"));
    h.createKeysSecret("beebotte-credentials", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
    h.kube()
        .secrets()
        .inNamespace(OperatorHarness.NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("read-only-token")
                .endMetadata()
                .withStringData(Map.of("token", "iamtkn_read_only"))
                .build())
        .create();
    for (String sample : List.of("revoke-device", "dryrun-contractors", "block-socketio")) {
      h.apply(Files.readString(SamplesTest.SAMPLES.resolve(sample + ".yaml")));
    }
    h.apply(
        policy(
            "frequent",
            "credentialsRef: {name: beebotte-credentials}",
            "interval: 1s",
            "enforcement: DryRun"));
    h.apply(policy("no-credentials", "credentialsRef: {name: missing}"));
    h.apply(
        policy(
            "unreachable",
            "credentialsRef: {name: beebotte-credentials}",
            "endpoint: http://127.0.0.1:1",
            "interval: 1s"));
    h.apply(policy("paused", "credentialsRef: {name: beebotte-credentials}", "suspend: true"));
    // One drop per sync and an hour between syncs: held back until the next one.
    h.apply(
        policy(
            "budget",
            "credentialsRef: {name: beebotte-credentials}",
            "interval: 1h",
            "maxDropsPerSync: 1",
            "deny: [{userids: [budget-1, budget-2]}]"));
    h.apply(
        policy(
            "read-only",
            "credentialsRef: {name: read-only-token}",
            "endpoint: " + readOnly.baseUrl(),
            "interval: 1s",
            "deny: [{userids: [ro-device]}]"));
  }

  /**
   * The alerts the policies above must set off, as {@link #pendingAlerts()} spells them
   * (BeebotteApiRateLimited too, on whichever endpoint the 429s hit).
   */
  private static Set<String> expected() {
    return Set.of(
        "BeebottePolicyNotReady{namespace=iot,policy=no-credentials,reason=CredentialsNotFound}",
        "BeebottePolicyNotReady{namespace=iot,policy=unreachable,reason=BeebotteUnavailable}",
        "BeebottePolicyDropsFailing{namespace=iot,policy=read-only}",
        "BeebottePolicyDropBudgetExceeded{namespace=iot,policy=budget}",
        "BeebotteApiErrors{endpoint=list,namespace=" + OPERATOR_NAMESPACE + "}");
  }

  private static String policy(String name, String... specLines) {
    StringBuilder yaml =
        new StringBuilder(
            "apiVersion: beebotte.io/v1alpha1\nkind: ConnectionPolicy\nmetadata: {name: "
                + name
                + "}\nspec:\n");
    boolean hasDeny = false;
    for (String line : specLines) {
      yaml.append("  ").append(line).append('\n');
      hasDeny |= line.startsWith("deny:");
    }
    if (!hasDeny) {
      yaml.append("  deny: [{useridPatterns: [\"contractor-*\"]}]\n");
    }
    return yaml.toString();
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid, "mqtt", userid, "::ffff:198.51.100.9", null, null, List.of());
  }

  /**
   * Prometheus as the ServiceMonitor configures it: job beebotte-connection-operator, honor_labels,
   * and the namespace/service/pod target labels the Prometheus Operator adds.
   */
  private Process startPrometheus(Path binary, Path dir, int operatorPort) throws Exception {
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
        - %s
        scrape_configs:
        - job_name: %s
          honor_labels: true
          static_configs:
          - targets: ["127.0.0.1:%d"]
            labels:
              namespace: %s
              service: beebotte-connection-operator-metrics
              pod: beebotte-connection-operator-0
        """
            .formatted(
                PrometheusFiles.ALERTS.toAbsolutePath(),
                PrometheusFiles.JOB,
                operatorPort,
                OPERATOR_NAMESPACE));
    Process process =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:0",
                "--log.level=info")
            .redirectErrorStream(true)
            .start();
    process.getOutputStream().close();
    CompletableFuture<String> address = new CompletableFuture<>();
    StringBuilder log = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  synchronized (log) {
                    log.append(line).append('\n');
                  }
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    address.complete(m.group(1));
                  }
                }
              } catch (IOException e) {
                // The process went away; the wait below reports it.
              }
              address.completeExceptionally(
                  new IllegalStateException("prometheus exited:\n" + log));
            },
            "prometheus-log");
    reader.setDaemon(true);
    reader.start();
    prometheus = "http://" + address.get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/-/ready").statusCode() == 200);
    return process;
  }

  /** Every dashboard query and every selector of every alert, by a name for the report. */
  private static Map<String, String> queries() {
    Map<String, String> queries = new LinkedHashMap<>();
    for (JsonNode panel : PrometheusFiles.dashboardPanels()) {
      for (JsonNode target : panel.path("targets")) {
        queries.put(
            "panel \"" + panel.path("title").asText() + "\" " + target.path("refId").asText(),
            target
                .path("expr")
                .asText()
                .replace("$__rate_interval", "15s")
                .replace("$namespace", ".*")
                .replace("$policy", ".*"));
      }
    }
    for (Map<String, Object> alert : PrometheusFiles.alerts(PrometheusFiles.alertRules())) {
      for (String selector : PrometheusFiles.selectors((String) alert.get("expr"))) {
        queries.put("alert " + alert.get("alert") + " " + selector, selector);
      }
    }
    return queries;
  }

  private static boolean notExportedYet(String query) {
    return NOT_EXPORTED_YET.keySet().stream().anyMatch(query::contains);
  }

  private List<String> emptyQueries(Map<String, String> queries) throws Exception {
    List<String> empty = new ArrayList<>();
    for (Map.Entry<String, String> q : queries.entrySet()) {
      if (!notExportedYet(q.getValue()) && query(q.getValue()).isEmpty()) {
        empty.add(q.getKey() + ": " + q.getValue());
      }
    }
    return empty;
  }

  private void printReport(Map<String, String> queries) throws Exception {
    System.out.println("Real Prometheus at " + prometheus + ", series per query:");
    for (Map.Entry<String, String> q : queries.entrySet()) {
      int series = query(q.getValue()).size();
      String note =
          notExportedYet(q.getValue())
              ? (series == 0
                  ? "  (expected missing: not exported yet)"
                  : "  (exported now: remove it from NOT_EXPORTED_YET)")
              : "";
      System.out.printf("  %3d  %s%s%n", series, q.getKey(), note);
    }
    NOT_EXPORTED_YET.forEach(
        (metric, why) -> System.out.println("  expected missing: " + metric + " — " + why));
    System.out.println("Pending and firing alerts: " + pendingAlerts());
  }

  /** The series an instant query returns. */
  private List<JsonNode> query(String promql) throws Exception {
    HttpResponse<String> response =
        get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("status").asText())
        .as(promql + ": " + response.body())
        .isEqualTo("success");
    List<JsonNode> series = new ArrayList<>();
    body.path("data").path("result").forEach(series::add);
    return series;
  }

  /** Pending and firing alerts as {@code Name{label=value,...}} without alertname and severity. */
  private Set<String> pendingAlerts() throws Exception {
    JsonNode alerts = JSON.readTree(get("/api/v1/alerts").body()).path("data").path("alerts");
    Set<String> result = new TreeSet<>();
    for (JsonNode alert : alerts) {
      Map<String, String> labels = new TreeMap<>();
      alert
          .path("labels")
          .fields()
          .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      String name = labels.remove("alertname");
      labels.remove("severity");
      result.add(
          name
              + labels.entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .collect(Collectors.joining(",", "{", "}")));
    }
    return result;
  }

  private List<String> rulesWithErrors() throws Exception {
    List<String> errors = new ArrayList<>();
    JsonNode groups = JSON.readTree(get("/api/v1/rules").body()).path("data").path("groups");
    for (JsonNode group : groups) {
      for (JsonNode rule : group.path("rules")) {
        if (!"ok".equals(rule.path("health").asText())) {
          errors.add(rule.path("name").asText() + ": " + rule.path("lastError").asText());
        }
      }
    }
    return errors;
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(prometheus + pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
