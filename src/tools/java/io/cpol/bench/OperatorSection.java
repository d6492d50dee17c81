package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.DenyRule;
import io.cpol.policy.Enforcement;
import io.cpol.policy.ReportSpec;
import io.cpol.sim.ConnectionGenerator;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * End to end, in one JVM as {@link OperatorHarness} runs it: the embedded API server, the simulator
 * and the operator wired as {@code main} wires it. Measures enforcement latency (policy created →
 * its denied connections dropped; denied connection appears → dropped), status size, and listing
 * calls with many policies on one account.
 */
final class OperatorSection {
  private static final long SEED = ListingServer.SEED;

  private final BenchOptions options;
  private final Results results;
  private final Map<String, Long> dropTimes = new ConcurrentHashMap<>();

  OperatorSection(BenchOptions options, Results results) {
    this.options = options;
    this.results = results;
  }

  void run() throws Exception {
    try (OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
      h.simulator().onDrop(c -> dropTimes.put(key(c), System.nanoTime()));
      int size = options.largestSize();
      h.simulator().addConnections(ConnectionGenerator.generate(size, SEED, null));
      createToDrop(h, size);
      appearToDrop(h, size);
      statusSize(h, size);
      listingCalls(h);
    }
  }

  private void createToDrop(OperatorHarness h, int size) throws InterruptedException {
    int warmup = options.quick() ? 1 : 3;
    int runs = warmup + options.latencyRuns();
    results.heading(
        "Policy created → its denied connections dropped ("
            + size
            + " live connections, "
            + options.latencyRuns()
            + " runs after "
            + warmup
            + " warm-up runs)");
    List<Connection> targets = new ArrayList<>();
    for (int run = 0; run < runs; run++) {
      targets.addAll(latencyTargets(run));
    }
    h.simulator().addConnections(targets);
    Samples latency = new Samples();
    int freshListings = 0;
    for (int run = 0; run < runs; run++) {
      // Older than the 1 s interval: every run lists afresh instead of reusing a snapshot.
      Thread.sleep(1100);
      DenyRule devices = new DenyRule();
      devices.setUseridPatterns(List.of(prefix(run) + "-dev-*"));
      DenyRule app = new DenyRule();
      app.setUserids(List.of(prefix(run) + "-app"));
      ConnectionPolicySpec spec =
          Policies.withInterval(
              RuleMix.spec(List.of(devices, app)), Duration.ofSeconds(1), Enforcement.Enforce);
      List<Connection> expected = latencyTargets(run);
      Instant before = Instant.now();
      long start = System.nanoTime();
      Policies.create(h.kube(), "latency-" + run, spec);
      long done = awaitDropped(expected, Duration.ofSeconds(30));
      if (run >= warmup) {
        latency.add(done - start);
        boolean listed =
            h.simulator().requests().stream()
                .anyMatch(
                    c ->
                        c.endpoint() == RecordedCall.EndpointKind.LIST
                            && !c.time().isBefore(before));
        freshListings += listed ? 1 : 0;
      }
      // Deleting while the sync still writes status would only log a conflict; wait for it.
      Policies.awaitSynced(h.kube(), "latency-" + run, Duration.ofSeconds(30));
      Policies.delete(h.kube(), "latency-" + run);
    }
    results.print(
        "p50 %s, p99 %s, max %s; %d of %d runs listed afresh",
        Results.ms(latency.medianMs()),
        Results.ms(latency.p99Ms()),
        Results.ms(latency.maxMs()),
        freshListings,
        latency.size());
    ObjectNode node = results.section("createToDrop");
    node.put("connections", size);
    node.put("deniedPerPolicy", 5);
    node.put("freshListings", freshListings);
    node.set("latency", latency.toJson());
    results.target(
        "policy created → denied dropped, " + size + " conns (p99 of " + latency.size() + ")",
        "< 1 s",
        Results.ms(latency.p99Ms()) + " (p50 " + Results.ms(latency.medianMs()) + ")",
        latency.p99Ms() < 1000);
  }

  /** 3 MQTT devices and 2 Socket.IO sessions of one app user, all denied by run's policy. */
  private static List<Connection> latencyTargets(int run) {
    String p = prefix(run);
    List<Connection> out = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      String userid = p + "-dev-" + d;
      out.add(new Connection(userid, userid, "mqtt", userid, "::ffff:10.9.9.9", null, null, null));
    }
    for (int s = 0; s < 2; s++) {
      out.add(
          new Connection(
              p + "-app",
              p + "-sid-" + s,
              "socketio",
              p + "-app",
              "::ffff:10.9.9.8",
              null,
              null,
              null));
    }
    return out;
  }

  private static String prefix(int run) {
    return "lat-" + (1000 + run);
  }

  private void appearToDrop(OperatorHarness h, int size) throws InterruptedException {
    results.heading(
        "Denied connection appears → dropped ("
            + size
            + " live connections, "
            + options.appearSamples()
            + " samples per interval, arrival at a random point of the interval)");
    ArrayNode array = results.arraySection("appearToDrop");
    Random random = new Random(SEED);
    for (Duration interval : options.appearIntervals()) {
      String name = "intruders-" + interval.toSeconds() + "s";
      Policies.create(
          h.kube(),
          name,
          Policies.withInterval(
              Policies.denyPatterns("intruder-*"), interval, Enforcement.Enforce));
      Policies.awaitSynced(h.kube(), name, Duration.ofSeconds(60));
      Samples latency = new Samples();
      for (int sample = 0; sample < options.appearSamples(); sample++) {
        Thread.sleep((long) (random.nextDouble() * interval.toMillis()));
        String userid = "intruder-" + interval.toSeconds() + "s-" + sample;
        Connection intruder =
            new Connection(userid, userid, "mqtt", userid, "::ffff:10.8.8.8", null, null, null);
        long start = System.nanoTime();
        h.simulator().addConnection(intruder);
        latency.add(
            awaitDropped(List.of(intruder), interval.multipliedBy(4).plusSeconds(30)) - start);
      }
      Policies.delete(h.kube(), name);
      results.print(
          "interval %-3s  p50 %s, p99 %s, max %s (max − interval: %s)",
          interval.toSeconds() + "s",
          Results.ms(latency.medianMs()),
          Results.ms(latency.p99Ms()),
          Results.ms(latency.maxMs()),
          Results.ms(latency.maxMs() - interval.toMillis()));
      ObjectNode node = array.addObject();
      node.put("connections", size);
      node.put("intervalSeconds", interval.toSeconds());
      node.set("latency", latency.toJson());
    }
  }

  private void statusSize(OperatorHarness h, int size) throws InterruptedException {
    results.heading("Status size with every connection denied (" + size + " connections, dry run)");
    ObjectNode node = results.section("statusSizeWorstCase");
    node.put("connections", size);
    for (int limit : new int[] {ReportSpec.DEFAULT_CONNECTIONS_LIMIT, 1000}) {
      String name = "status-limit-" + limit;
      ConnectionPolicySpec spec =
          Policies.withInterval(
              Policies.denyPatterns("*"), Duration.ofHours(1), Enforcement.DryRun);
      ReportSpec report = new ReportSpec();
      report.setConnectionsLimit(limit);
      spec.setReport(report);
      Policies.create(h.kube(), name, spec);
      ConnectionPolicy synced = Policies.awaitSynced(h.kube(), name, Duration.ofSeconds(120));
      int bytes = Policies.statusBytes(synced);
      Policies.delete(h.kube(), name);
      results.print(
          "connectionsLimit %4d: status %s (%d sessions listed)",
          limit, JmhSection.bytes(bytes), synced.getStatus().getConnections().size());
      node.put("statusBytesConnectionsLimit" + limit, bytes);
      if (limit == ReportSpec.DEFAULT_CONNECTIONS_LIMIT) {
        results.target(
            "status size, every session denied, default connectionsLimit 100",
            "< 64 KiB",
            JmhSection.bytes(bytes),
            bytes < 64 * 1024);
      }
    }
  }

  private void listingCalls(OperatorHarness h) throws Exception {
    int size = options.callsConnections();
    int policies = options.policies();
    Duration interval = options.callsInterval();
    results.heading(
        "Listing calls with "
            + policies
            + " policies on one account ("
            + size
            + " connections, interval "
            + interval.toSeconds()
            + "s, dry run, "
            + options.callsIntervals()
            + " intervals observed)");
    h.simulator().clearConnections();
    List<Connection> listing = ConnectionGenerator.generate(size, SEED + 1, null);
    h.simulator().addConnections(listing);
    for (int i = 0; i < policies; i++) {
      Policies.create(
          h.kube(),
          Results.fmt("calls-%03d", i),
          Policies.withInterval(
              RuleMix.onePolicy(listing, 10, SEED + i), interval, Enforcement.DryRun));
    }
    List<ConnectionPolicy> synced =
        Policies.awaitSynced(h.kube(), "calls-", policies, Duration.ofMinutes(3));
    Thread.sleep(interval.toMillis());
    ListingCount count =
        ListingCount.observe(
            h.simulator(),
            OperatorHarness.OWNER,
            "http://127.0.0.1:" + h.operator().httpPort() + "/metrics",
            interval,
            options.callsIntervals());
    int largestStatus = 0;
    for (ConnectionPolicy p : Policies.list(h.kube())) {
      largestStatus = Math.max(largestStatus, Policies.statusBytes(p));
    }
    for (ConnectionPolicy p : synced) {
      Policies.delete(h.kube(), p.getMetadata().getName());
    }
    count.print(results);
    ObjectNode node = results.section("listingCalls");
    node.put("connections", size);
    node.put("policies", policies);
    count.toJson(node);
    node.put("largestStatusBytes", largestStatus);
    results.target(
        "listing calls per interval per account, " + policies + " policies (in-process)",
        "1",
        count.describe(),
        count.atMostOnePerInterval());
  }

  private long awaitDropped(List<Connection> connections, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long last = 0;
      boolean all = true;
      for (Connection c : connections) {
        Long at = dropTimes.get(key(c));
        if (at == null) {
          all = false;
          break;
        }
        last = Math.max(last, at);
      }
      if (all) {
        return last;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "not dropped within " + timeout + ": " + connections.get(0).userid());
      }
      Thread.sleep(1);
    }
  }

  private static String key(Connection c) {
    return c.userid() + "\u0000" + c.sid();
  }

  /** Reads one counter series from a Prometheus text exposition. */
  static double metric(String metricsUrl, String series) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    String body =
        http.send(
                HttpRequest.newBuilder(URI.create(metricsUrl)).GET().build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    double total = 0;
    for (String line : body.split("\n")) {
      if (line.startsWith(series)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }
}
