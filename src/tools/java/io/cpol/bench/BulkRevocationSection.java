package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.beebotte.RetryPolicy;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Bulk revocation: a policy denying 500 contractor sessions of a 20,000-connection account, with
 * {@code maxDropsPerSync: 1000}, against what a script would do — list, then drop each denied
 * session in turn, with the same OkHttp client. Run twice: with 100 ms added to every Beebotte call
 * (where parallel drops matter), and with none, one drop call at a time on both sides (the per-call
 * overhead of the operator against the plain loop).
 */
final class BulkRevocationSection {
  static final int ALLOWED = 19_500;
  static final int DENIED_USERS = 380;
  static final int DENIED_SESSIONS = 500;
  static final int STORED_DROPS = 100;

  /** The operator's policy in both runs: every contractor session, in one pass. */
  private static final String POLICY =
      """
      apiVersion: beebotte.io/v1alpha1
      kind: ConnectionPolicy
      metadata: {name: revoke-contractors}
      spec:
        credentialsRef: {name: beebotte-account}
        interval: 1h
        maxDropsPerSync: 1000
        deny:
        - useridPatterns: ["contractor-*"]
      """;

  private final BenchOptions options;
  private final Results results;

  BulkRevocationSection(BenchOptions options, Results results) {
    this.options = options;
    this.results = results;
  }

  /** One side's run: wall time and calls made. */
  /**
   * @param dropSpan seconds from the first drop call to the last (as the simulator saw them
   *     arrive): the drop calls' own cost, without what comes before the first
   */
  record Run(double seconds, long calls, int dropped, double dropSpan, long dropCalls) {
    double msPerDropCall(int listings) {
      return seconds * 1000 / Math.max(1, calls - listings);
    }

    /** Milliseconds from one drop call to the next, one at a time. */
    double msBetweenDropCalls() {
      return dropSpan * 1000 / Math.max(1, dropCalls - 1);
    }

    static Run of(double seconds, BeebotteSimulator simulator) {
      List<Instant> drops =
          simulator.requests().stream()
              .filter(c -> c.endpoint() == RecordedCall.EndpointKind.DROP)
              .map(RecordedCall::time)
              .sorted()
              .toList();
      double span =
          drops.size() < 2
              ? 0
              : Duration.between(drops.get(0), drops.get(drops.size() - 1)).toNanos() / 1e9;
      return new Run(seconds, apiCalls(simulator), simulator.drops().size(), span, drops.size());
    }
  }

  void run() throws Exception {
    int allowed = options.quick() ? 500 : ALLOWED;
    int users = options.quick() ? 40 : DENIED_USERS;
    int sessions = options.quick() ? 60 : DENIED_SESSIONS;
    results.heading(
        "Bulk revocation: "
            + sessions
            + " denied sessions of "
            + users
            + " userids among "
            + (allowed + sessions)
            + " connections, maxDropsPerSync 1000; operator vs a list-then-drop-each loop");
    ObjectNode node = results.section("bulkRevocation");
    node.put("connections", allowed + sessions);
    node.put("deniedSessions", sessions);
    node.put("deniedUserids", users);
    results.print(
        "%-28s %10s %8s %10s %14s %16s",
        "", "wall time", "calls", "dropped", "ms/drop call", "ms between drops");

    Duration latency = Duration.ofMillis(100);
    Run naiveSlow = naive(allowed, users, sessions, latency);
    Run operatorSlow = operator(allowed, users, sessions, latency, 8);
    print("naive loop, 100 ms latency", naiveSlow);
    print("operator, 100 ms latency", operatorSlow);
    Run naiveFast = naive(allowed, users, sessions, Duration.ZERO);
    Run operatorFast = operator(allowed, users, sessions, Duration.ZERO, 1);
    print("naive loop, no latency", naiveFast);
    print("operator, 1 at a time", operatorFast);
    put(node.putObject("naive100ms"), naiveSlow);
    put(node.putObject("operator100ms"), operatorSlow);
    put(node.putObject("naiveNoLatency"), naiveFast);
    put(node.putObject("operatorOneAtATimeNoLatency"), operatorFast);

    double speedup = naiveSlow.seconds() / operatorSlow.seconds();
    results.target(
        "bulk revocation, " + sessions + " sessions, 100 ms per call: operator vs naive loop",
        "≥ 5× faster, no more calls",
        Results.fmt(
            "%.1f s vs %.1f s (%.1f×); %d vs %d calls",
            operatorSlow.seconds(),
            naiveSlow.seconds(),
            speedup,
            operatorSlow.calls(),
            naiveSlow.calls()),
        speedup >= 5 && operatorSlow.calls() <= naiveSlow.calls());
    storedDrops();
    double overhead = operatorFast.msBetweenDropCalls() / naiveFast.msBetweenDropCalls();
    results.target(
        "per drop call, no latency, one at a time: operator vs naive loop",
        "≤ 1.5× the naive loop's",
        Results.fmt(
            "%.2f ms vs %.2f ms between drop calls (%.2f×); whole runs %.2f vs %.2f ms per call"
                + " (the operator's includes its reconcile, listing, planning and status)",
            operatorFast.msBetweenDropCalls(),
            naiveFast.msBetweenDropCalls(),
            overhead,
            operatorFast.msPerDropCall(1),
            naiveFast.msPerDropCall(1)),
        overhead <= 1.5);
  }

  /**
   * One pass of {@link #STORED_DROPS} drops, 100 ms per call, 8 in parallel, where each worker
   * waits until its count is in the stored status before its next call (what makes a crash lose
   * only the calls in flight): how much the status writes add to the calls' own time, and how many
   * of those writes the API server refused as stale (409).
   */
  private void storedDrops() {
    Duration latency = Duration.ofMillis(100);
    int concurrency = 8;
    double callsAlone = STORED_DROPS / (double) concurrency * latency.toMillis() / 1000;
    try (OperatorHarness h = OperatorHarness.start("--drop-concurrency=" + concurrency)) {
      h.createKeysSecret("beebotte-account", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
      h.simulator().addConnections(account(200, STORED_DROPS, STORED_DROPS));
      h.simulator().faults().latency(latency);
      int conflictsBefore = h.kubernetes().dispatcher().conflicts();
      h.kubernetes().drainRequests();
      h.apply(POLICY);
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (h.simulator().drops().size() < STORED_DROPS && System.nanoTime() < deadline) {
        sleep();
      }
      Run run = Run.of(0, h.simulator());
      double span = run.dropSpan() + latency.toMillis() / 1000.0;
      int conflicts = h.kubernetes().dispatcher().conflicts() - conflictsBefore;
      long writes =
          h.kubernetes().drainRequests().stream()
              .filter(r -> "PUT".equals(r.getMethod()) && r.getPath().contains("/status"))
              .count();
      results.print(
          "%-28s %9.2fs %8d %10d   (calls alone %.2f s; %d status writes, %d refused as stale)",
          "operator, counts stored",
          span,
          run.dropCalls(),
          run.dropped(),
          callsAlone,
          writes,
          conflicts);
      ObjectNode node = results.section("storedDrops");
      node.put("seconds", Samples.round(span));
      node.put("callsAloneSeconds", Samples.round(callsAlone));
      node.put("dropped", run.dropped());
      node.put("statusWrites", writes);
      node.put("conflicts", conflicts);
      results.target(
          "a pass of "
              + STORED_DROPS
              + " drops, 100 ms per call, 8 in parallel, each count stored before the next call",
          "≤ 1.5× the calls alone",
          Results.fmt(
              "%.2f s vs %.2f s (%.2f×), %d stale status writes",
              span, callsAlone, span / callsAlone, conflicts),
          run.dropped() == STORED_DROPS && span <= 1.5 * callsAlone);
    }
  }

  private void print(String label, Run run) {
    results.print(
        "%-28s %9.2fs %8d %10d %14.2f %16.2f",
        label,
        run.seconds(),
        run.calls(),
        run.dropped(),
        run.msPerDropCall(1),
        run.msBetweenDropCalls());
  }

  private static void put(ObjectNode node, Run run) {
    node.put("seconds", Samples.round(run.seconds()));
    node.put("calls", run.calls());
    node.put("dropped", run.dropped());
    node.put("msBetweenDropCalls", Samples.round(run.msBetweenDropCalls()));
  }

  private static List<Connection> account(int allowed, int users, int sessions) {
    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < allowed; i++) {
      String userid = "device-" + i;
      connections.add(
          new Connection(userid, userid, "mqtt", userid, "::ffff:10.0.0.1", null, null, List.of()));
    }
    // Each contractor has one MQTT device; some also have browser (Socket.IO) sessions.
    int socketio = sessions - users;
    for (int u = 0; u < users; u++) {
      String userid = "contractor-" + u;
      connections.add(
          new Connection(userid, userid, "mqtt", userid, "::ffff:10.0.1.1", null, null, List.of()));
    }
    for (int s = 0; s < socketio; s++) {
      String userid = "contractor-" + (s % users);
      connections.add(
          new Connection(
              userid, "sio-" + s, "socketio", userid, "::ffff:10.0.1.2", null, null, List.of()));
    }
    return connections;
  }

  /** A script: list, then one drop call per denied session, in turn. */
  private static Run naive(int allowed, int users, int sessions, Duration latency) {
    try (BeebotteSimulator simulator =
        BeebotteSimulator.builder()
            .account(OperatorHarness.OWNER, OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY)
            .build()
            .start()) {
      simulator.addConnections(account(allowed, users, sessions));
      simulator.faults().latency(latency);
      try (BeebotteClient client =
          new OkHttpBeebotteClient(
              BeebotteClientConfig.builder(
                      new Credentials.Keys(OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY))
                  .baseUrl(simulator.baseUrl())
                  .retry(RetryPolicy.none())
                  .build())) {
        long start = System.nanoTime();
        for (Connection c : client.listConnections(ConnectionFilter.all())) {
          if (c.userid().startsWith("contractor-")) {
            client.drop(DropTarget.session(c.userid(), c.sid()));
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return Run.of(seconds, simulator);
      }
    }
  }

  /** The operator: from the policy's creation to the last drop. */
  private static Run operator(
      int allowed, int users, int sessions, Duration latency, int concurrency) {
    try (OperatorHarness h = OperatorHarness.start("--drop-concurrency=" + concurrency)) {
      h.createKeysSecret("beebotte-account", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
      h.simulator().addConnections(account(allowed, users, sessions));
      h.simulator().faults().latency(latency);
      Instant created = Instant.now();
      h.apply(POLICY);
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (h.simulator().drops().size() < sessions && System.nanoTime() < deadline) {
        sleep();
      }
      Instant lastDrop =
          h.simulator().drops().stream().map(d -> d.time()).max(Instant::compareTo).orElse(created);
      // The simulator stamps a call when it arrives; it lands after the added latency.
      double seconds = Duration.between(created, lastDrop.plus(latency)).toNanos() / 1e9;
      return Run.of(seconds, h.simulator());
    }
  }

  private static long apiCalls(BeebotteSimulator simulator) {
    return simulator.requests().stream()
        .filter(
            c ->
                c.endpoint() == RecordedCall.EndpointKind.LIST
                    || c.endpoint() == RecordedCall.EndpointKind.DROP)
        .count();
  }

  private static void sleep() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
