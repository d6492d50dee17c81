package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.DenyRule;
import io.cpol.reconciler.AccountPassPipeline;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drop calls the planner makes against the naive one call per denied session, on generated listings
 * and rule sets, with an unlimited budget (every denied session planned at once) and with the
 * default budget of 100 connections per sync. Only rules on the userid alone (and the protocol)
 * allow calls wider than one session.
 */
final class DropCallsSection {
  private final BenchOptions options;
  private final ListingServer server;
  private final Results results;

  DropCallsSection(BenchOptions options, ListingServer server, Results results) {
    this.options = options;
    this.server = server;
    this.results = results;
  }

  void run() {
    results.heading("Drop calls: DropPlanner vs one call per denied session");
    results.print(
        "%9s %-22s %8s %8s %7s %7s %7s %7s  %-16s",
        "conns",
        "rules",
        "denied",
        "calls",
        "user",
        "proto",
        "session",
        "saved",
        "budget 100: calls");
    ArrayNode array = results.arraySection("dropCalls");
    long totalDenied = 0;
    long totalCalls = 0;
    for (int size : options.sizes()) {
      List<Connection> listing = server.generated(size);
      Map<String, ConnectionPolicySpec> sets = new LinkedHashMap<>();
      for (int rules : options.rules()) {
        sets.put(rules + " (mix)", RuleMix.onePolicy(listing, rules, ListingServer.SEED + rules));
      }
      sets.put("contractor-*", glob("contractor-*"));
      sets.put("* (deny everything)", glob("*"));
      for (Map.Entry<String, ConnectionPolicySpec> set : sets.entrySet()) {
        AccountPassPipeline pipeline = new AccountPassPipeline(List.of(set.getValue()));
        AccountEvaluation evaluation = pipeline.evaluate(listing);
        DropPlan unlimited = pipeline.plan(evaluation, Integer.MAX_VALUE);
        DropPlan budgeted = pipeline.plan(evaluation);
        int[] kinds = kinds(unlimited);
        int denied = evaluation.deniedCount(0);
        int calls = unlimited.calls().size();
        totalDenied += denied;
        totalCalls += calls;
        double saved = denied == 0 ? 0 : 1 - (double) calls / denied;
        results.print(
            "%9d %-22s %8d %8d %7d %7d %7d %6.0f%%  %d for %d conns",
            size,
            set.getKey(),
            denied,
            calls,
            kinds[0],
            kinds[1],
            kinds[2],
            saved * 100,
            budgeted.calls().size(),
            budgeted.plannedConnections());
        ObjectNode node = array.addObject();
        node.put("connections", size);
        node.put("rules", set.getKey());
        node.put("deniedSessions", denied);
        node.put("naiveCalls", denied);
        node.put("plannedCalls", calls);
        node.put("userCalls", kinds[0]);
        node.put("userOnProtocolCalls", kinds[1]);
        node.put("sessionCalls", kinds[2]);
        node.put("undroppable", unlimited.undroppable()[0]);
        node.put("budget100Calls", budgeted.calls().size());
        node.put("budget100Connections", budgeted.plannedConnections());
      }
    }
    results.print(
        "all sets: %d denied sessions, %d calls (%.2f sessions per call)",
        totalDenied, totalCalls, totalCalls == 0 ? 0.0 : (double) totalDenied / totalCalls);
  }

  private static ConnectionPolicySpec glob(String pattern) {
    DenyRule rule = new DenyRule();
    rule.setUseridPatterns(List.of(pattern));
    return RuleMix.spec(List.of(rule));
  }

  /** Whole-user, user-on-protocol and single-session calls. */
  private static int[] kinds(DropPlan plan) {
    int[] kinds = new int[3];
    for (PlannedDrop call : plan.calls()) {
      DropTarget target = call.target();
      kinds[target.sid() != null ? 2 : target.protocol() != null ? 1 : 0]++;
    }
    return kinds;
  }
}
