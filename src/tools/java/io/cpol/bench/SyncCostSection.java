package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.DropPlan;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.reconciler.AccountPassPipeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One account pass's cost, step by step, over listings fetched from the simulator on loopback:
 * list+decode (the operator's OkHttp client and decoder), evaluate (every policy of the account in
 * one walk), plan (the joint drop plan), status build (each policy's outcome, report and status)
 * and the full pass after listing (drops counted instead of sent). A layout of several policies is
 * one account's pass, as the operator runs it. Also: exact-userid rules at 10..10,000.
 */
final class SyncCostSection {
  private static final int[] EXACT_USERIDS = {10, 100, 1000, 10_000};

  private final BenchOptions options;
  private final ListingServer server;
  private final Results results;

  SyncCostSection(BenchOptions options, ListingServer server, Results results) {
    this.options = options;
    this.server = server;
    this.results = results;
  }

  /** A rule layout: a name for the table and the policies it takes. */
  private record Layout(String rules, String shape, List<ConnectionPolicySpec> policies) {}

  /** Full-sync medians per (connections, rules) for the per-connection and target checks. */
  private final Map<String, Samples> fullSync = new HashMap<>();

  void run() {
    results.heading(
        "Sync cost after listing, per step (median / p99 of "
            + options.runs()
            + " runs; "
            + options.warmup()
            + " warm-up runs first)");
    results.print(
        "%9s %-6s %-22s %7s %5s  %-17s %-17s %-17s %-17s %-17s %8s",
        "conns",
        "rules",
        "layout",
        "denied",
        "drops",
        "list+decode",
        "evaluate",
        "plan",
        "status build",
        "full sync",
        "ns/conn");
    ArrayNode cells = results.arraySection("syncCost");
    for (int size : options.sizes()) {
      List<Connection> listing = server.generated(size);
      for (Layout layout : layouts(listing)) {
        cells.add(cell(size, layout));
      }
    }
    perConnectionTargets();
    exactUseridScaling();
  }

  private List<Layout> layouts(List<Connection> listing) {
    List<Layout> layouts = new ArrayList<>();
    for (int rules : options.rules()) {
      ConnectionPolicySpec spec = RuleMix.onePolicy(listing, rules, ListingServer.SEED + rules);
      int ruleCount = spec.getDeny().size();
      String shape =
          rules <= RuleMix.MAX_RULES_PER_POLICY
              ? "1 policy, " + ruleCount + " rules"
              : "1 policy, " + ruleCount + "×" + rules / ruleCount + " entries";
      layouts.add(new Layout(Integer.toString(rules), shape, List.of(spec)));
    }
    for (int rules : options.rules()) {
      if (rules > RuleMix.MAX_RULES_PER_POLICY) {
        List<ConnectionPolicySpec> policies =
            RuleMix.acrossPolicies(listing, rules, ListingServer.SEED + rules);
        layouts.add(
            new Layout(
                rules + "p",
                policies.size() + " policies × " + RuleMix.MAX_RULES_PER_POLICY + " rules",
                policies));
        // The same entries in one policy (alike rules merged): what the pass over several
        // policies is compared with, since it denies exactly the same sessions.
        ConnectionPolicySpec merged = RuleMix.merged(policies);
        layouts.add(
            new Layout(
                rules + "m",
                "1 policy, the same merged (" + merged.getDeny().size() + " rules)",
                List.of(merged)));
      }
    }
    return layouts;
  }

  private ObjectNode cell(int size, Layout layout) {
    AccountPassPipeline pipeline = new AccountPassPipeline(layout.policies());
    Samples listDecode = new Samples();
    Samples evaluate = new Samples();
    Samples plan = new Samples();
    Samples status = new Samples();
    Samples full = new Samples();
    int denied = 0;
    int dropCalls = 0;
    for (int run = 0; run < options.warmup() + options.runs(); run++) {
      long t0 = System.nanoTime();
      List<Connection> listing = server.list(size);
      long listed = System.nanoTime() - t0;
      if (listing.size() != size) {
        throw new IllegalStateException("listed " + listing.size() + ", expected " + size);
      }
      long a = System.nanoTime();
      AccountEvaluation evaluation = pipeline.evaluate(listing);
      long b = System.nanoTime();
      DropPlan dropPlan = pipeline.plan(evaluation);
      long c = System.nanoTime();
      pipeline.record(listing, evaluation, dropPlan);
      long d = System.nanoTime();
      pipeline.fullPass(listing);
      long e = System.nanoTime();
      denied = 0;
      for (int p = 0; p < pipeline.policyCount(); p++) {
        denied += evaluation.deniedCount(p);
      }
      dropCalls = dropPlan.calls().size();
      if (run >= options.warmup()) {
        listDecode.add(listed);
        evaluate.add(b - a);
        plan.add(c - b);
        status.add(d - c);
        full.add(e - d);
      }
    }
    double nsPerConnection = full.medianMs() * 1e6 / size;
    fullSync.put(size + "/" + layout.rules(), full);
    results.print(
        "%9d %-6s %-22s %7d %5d  %-17s %-17s %-17s %-17s %-17s %8.0f",
        size,
        layout.rules(),
        layout.shape(),
        denied,
        dropCalls,
        pair(listDecode),
        pair(evaluate),
        pair(plan),
        pair(status),
        pair(full),
        nsPerConnection);
    ObjectNode node = Results.JSON.createObjectNode();
    node.put("connections", size);
    node.put("rules", layout.rules());
    node.put("layout", layout.shape());
    node.put("policies", layout.policies().size());
    node.put("denied", denied);
    node.put("dropCallsPerSync", dropCalls);
    ObjectNode steps = node.putObject("steps");
    steps.set("listDecode", listDecode.toJson());
    steps.set("evaluate", evaluate.toJson());
    steps.set("plan", plan.toJson());
    steps.set("statusBuild", status.toJson());
    steps.set("fullSyncAfterListing", full.toJson());
    node.put("fullSyncNsPerConnection", Math.round(nsPerConnection));
    node.put("evaluateNsPerConnection", Math.round(evaluate.medianMs() * 1e6 / size));

    if (size == options.largestSize()
        && layout.rules().equals(Integer.toString(options.largestRules()))) {
      results.target(
          "full pass after listing, " + size + " conns × " + layout.rules() + " rules (median)",
          "≤ 100 ms",
          Results.ms(full.medianMs()) + " (p99 " + Results.ms(full.p99Ms()) + ")",
          full.medianMs() <= 100);
    }
    if (size == options.largestSize() && layout.rules().equals(options.largestRules() + "m")) {
      // The same rule count read as whole rules: beyond 100 they must span several policies,
      // which one account pass evaluates together; this cell holds the same entries in one.
      Samples several = fullSync.get(size + "/" + options.largestRules() + "p");
      double ratio = several.medianMs() / full.medianMs();
      results.target(
          "one account pass, "
              + size
              + " conns × "
              + options.largestRules()
              + " rules in "
              + (options.largestRules() / RuleMix.MAX_RULES_PER_POLICY)
              + " policies (median)",
          "≤ 100 ms and ≤ 1.3× one policy holding the same entries",
          Results.ms(several.medianMs())
              + " (p99 "
              + Results.ms(several.p99Ms())
              + "); "
              + Results.fmt("%.2f", ratio)
              + "× one policy's "
              + Results.ms(full.medianMs()),
          several.medianMs() <= 100 && ratio <= 1.3);
    }
    return node;
  }

  private void perConnectionTargets() {
    if (options.sizes().size() < 2) {
      return;
    }
    int largest = options.largestSize();
    for (int rules : options.rules()) {
      double worst = 0;
      StringBuilder measured = new StringBuilder();
      for (int size : options.sizes()) {
        double ns = fullSync.get(size + "/" + rules).medianMs() * 1e6 / size;
        measured.append(measured.length() == 0 ? "" : ", ").append(Results.fmt("%.0f", ns));
        if (size != largest) {
          double atLargest = fullSync.get(largest + "/" + rules).medianMs() * 1e6 / largest;
          worst = Math.max(worst, atLargest / ns);
        }
      }
      results.target(
          "cost linear in connections, " + rules + " rules (full sync ns/conn at " + sizes() + ")",
          "ns/conn at the largest size ≤ 1.5× that at smaller sizes",
          measured + " ns/conn (largest/smaller ≤ " + Results.fmt("%.2f", worst) + "×)",
          worst <= 1.5);
    }
  }

  private String sizes() {
    return String.join("/", options.sizes().stream().map(SyncCostSection::shortCount).toList());
  }

  static String shortCount(int n) {
    return n >= 1000 && n % 1000 == 0 ? n / 1000 + "k" : Integer.toString(n);
  }

  private void exactUseridScaling() {
    int size = options.largestSize();
    List<Connection> listing = server.list(size);
    results.heading(
        "Exact-userid rules, evaluate only, "
            + size
            + " connections (median / p99 of "
            + options.runs()
            + " interleaved runs)");
    List<AccountPassPipeline> pipelines = new ArrayList<>();
    List<Samples> samples = new ArrayList<>();
    for (int count : EXACT_USERIDS) {
      pipelines.add(
          new AccountPassPipeline(
              List.of(RuleMix.exactUserids(listing, count, ListingServer.SEED))));
      samples.add(new Samples());
    }
    int[] denied = new int[EXACT_USERIDS.length];
    for (int run = 0; run < options.warmup() + options.runs(); run++) {
      for (int i = 0; i < pipelines.size(); i++) {
        long start = System.nanoTime();
        AccountEvaluation evaluation = pipelines.get(i).evaluate(listing);
        long elapsed = System.nanoTime() - start;
        denied[i] = evaluation.deniedCount(0);
        if (run >= options.warmup()) {
          samples.get(i).add(elapsed);
        }
      }
    }
    ArrayNode array = results.arraySection("exactUseridScaling");
    results.print("%8s %7s  %-17s %8s", "userids", "denied", "evaluate", "ns/conn");
    for (int i = 0; i < EXACT_USERIDS.length; i++) {
      Samples s = samples.get(i);
      double ns = s.medianMs() * 1e6 / size;
      results.print("%8d %7d  %-17s %8.0f", EXACT_USERIDS[i], denied[i], pair(s), ns);
      ObjectNode node = array.addObject();
      node.put("connections", size);
      node.put("exactUserids", EXACT_USERIDS[i]);
      node.put("rules", Math.min(EXACT_USERIDS[i], RuleMix.MAX_RULES_PER_POLICY));
      node.put("denied", denied[i]);
      node.set("evaluate", s.toJson());
      node.put("evaluateNsPerConnection", Math.round(ns));
    }
    double ratio = samples.get(2).medianMs() / samples.get(0).medianMs();
    results.target(
        "exact-userid rules O(1): evaluate with 1,000 vs 10 userids, " + size + " conns",
        "~flat (ratio ≤ 1.25)",
        Results.fmt(
            "%s vs %s (%.2f×); 10,000 userids: %s",
            Results.ms(samples.get(2).medianMs()),
            Results.ms(samples.get(0).medianMs()),
            ratio,
            Results.ms(samples.get(3).medianMs())),
        ratio <= 1.25);
  }

  static String pair(Samples s) {
    return Results.fmt("%s / %s", num(s.medianMs()), num(s.p99Ms()));
  }

  private static String num(double ms) {
    return ms >= 100
        ? Results.fmt("%.0f", ms)
        : ms >= 10 ? Results.fmt("%.1f", ms) : Results.fmt("%.2f", ms);
  }
}
