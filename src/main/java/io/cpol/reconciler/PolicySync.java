package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.DropPlanner;
import io.cpol.enforce.Evaluation;
import io.cpol.enforce.PlannedDrop;
import io.cpol.enforce.PolicyEvaluation;
import io.cpol.enforce.Verdict;
import io.cpol.policy.ConnectionReport;
import io.cpol.policy.DropRecord;
import io.cpol.policy.SubscriptionReport;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One sync of one policy over a listing: evaluate every connection, plan the drop calls, make them
 * (unless dry run), and reduce the result to a {@link SyncReport}.
 */
final class PolicySync {
  /** Makes one drop call. */
  @FunctionalInterface
  interface Dropper {
    void drop(DropTarget target);
  }

  static final String ALLOWED = "Allowed";
  static final String DENIED = "Denied";
  static final String DROPPED = "Dropped";
  static final String WOULD_DROP = "WouldDrop";

  private static final Comparator<Connection> BY_USERID_SID =
      Comparator.comparing(Connection::userid, Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(Connection::sid, Comparator.nullsLast(Comparator.naturalOrder()));

  private PolicySync() {}

  static SyncReport run(
      CompiledPolicy policy,
      ConnectionSnapshot snapshot,
      boolean dryRun,
      Dropper dropper,
      Clock clock) {
    Instant now = clock.instant();
    Evaluation evaluation = PolicyEvaluation.evaluate(policy, snapshot.connections(), now);
    // A dry run reports verdicts only: planning calls it would not make is wasted work.
    DropPlan plan = dryRun ? null : DropPlanner.plan(evaluation, policy.maxDropsPerSync());

    Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    List<DropRecord> drops = new ArrayList<>();
    List<DropTarget> executed = new ArrayList<>();
    String failure = null;
    int failedConnections = 0;
    Map<String, Integer> failedByProtocol = new LinkedHashMap<>();
    if (!dryRun) {
      for (PlannedDrop call : plan.calls()) {
        if (failure != null) {
          failedConnections += call.closes().size();
          call.closes()
              .forEach(c -> failedByProtocol.merge(String.valueOf(c.protocol()), 1, Integer::sum));
          continue;
        }
        try {
          dropper.drop(call.target());
          executed.add(call.target());
          String time = StatusTime.format(clock.instant());
          for (int i = 0; i < call.closes().size(); i++) {
            Connection c = call.closes().get(i);
            closed.add(c);
            drops.add(new DropRecord(time, c.userid(), c.protocol(), c.sid(), call.rules().get(i)));
          }
        } catch (BeebotteException e) {
          // Stop at the first failure: the rest would most likely fail the same way, and the next
          // sync retries them all.
          failure =
              "dropping "
                  + describe(call.target())
                  + " failed: "
                  + ConnectionPolicyReconciler.describe(e);
          failedConnections += call.closes().size();
          call.closes()
              .forEach(c -> failedByProtocol.merge(String.valueOf(c.protocol()), 1, Integer::sum));
        }
      }
      if (failure != null) {
        failure += " (" + failedConnections + " denied connections not dropped)";
      } else if (plan.undroppable() > 0) {
        failure =
            plan.undroppable()
                + " denied connections cannot be dropped without closing allowed ones";
      }
    }
    List<ConnectionReport> reported = report(evaluation, closed, dryRun, policy.connectionsLimit());
    return new SyncReport(
        snapshot.listedAt(),
        evaluation.connected(),
        evaluation.deniedCount(),
        reported,
        drops,
        dryRun ? 0 : plan.deferred(),
        failure,
        dryRun,
        List.copyOf(executed),
        Map.copyOf(failedByProtocol));
  }

  /** "3 connections (mqtt: 2, socketio: 1) by deny[0]: uid-1, uid-2 and 1 more". */
  static String describeDrops(SyncReport report) {
    Map<String, Long> byProtocol =
        report.drops().stream()
            .collect(
                Collectors.groupingBy(
                    d -> String.valueOf(d.getProtocol()),
                    LinkedHashMap::new,
                    Collectors.counting()));
    Set<String> rules =
        report.drops().stream()
            .map(DropRecord::getRule)
            .collect(Collectors.toCollection(java.util.TreeSet::new));
    List<String> users = report.drops().stream().map(DropRecord::getUserid).distinct().toList();
    int shown = Math.min(users.size(), 5);
    String names = String.join(", ", users.subList(0, shown));
    if (users.size() > shown) {
      names += " and " + (users.size() - shown) + " more";
    }
    return report.drops().size()
        + (report.drops().size() == 1 ? " connection (" : " connections (")
        + byProtocol.entrySet().stream()
            .map(e -> e.getKey() + ": " + e.getValue())
            .collect(Collectors.joining(", "))
        + ") by "
        + String.join(", ", rules)
        + ": "
        + names;
  }

  private static String describe(DropTarget target) {
    StringBuilder sb = new StringBuilder("userid ").append(target.userid());
    if (target.protocol() != null) {
      sb.append(" protocol ").append(target.protocol().wireName());
    }
    if (target.sid() != null) {
      sb.append(" sid ").append(target.sid());
    }
    return sb.toString();
  }

  /**
   * The {@code limit} sessions status lists: denied first, then by userid and sid. A bounded heap
   * keeps this O(n log limit) over a large listing, and near one comparison per session.
   */
  private static List<ConnectionReport> report(
      Evaluation evaluation, Set<Connection> closed, boolean dryRun, int limit) {
    if (limit == 0) {
      return List.of();
    }
    List<Connection> observed = evaluation.observed();
    List<Verdict> verdicts = evaluation.verdicts();
    Comparator<Integer> order =
        Comparator.<Integer, Boolean>comparing(i -> !verdicts.get(i).denied())
            .thenComparing(observed::get, BY_USERID_SID);
    PriorityQueue<Integer> best = new PriorityQueue<>(limit + 1, order.reversed());
    for (int i = 0; i < observed.size(); i++) {
      // Once the heap is full most sessions rank below its worst: one comparison turns them away
      // instead of a push and a pop (this loop was the costliest step of a large sync).
      if (best.size() == limit && order.compare(i, best.peek()) >= 0) {
        continue;
      }
      best.add(i);
      if (best.size() > limit) {
        best.poll();
      }
    }
    List<Integer> chosen = new ArrayList<>(best);
    chosen.sort(order);
    List<ConnectionReport> out = new ArrayList<>(chosen.size());
    for (int i : chosen) {
      Connection c = observed.get(i);
      Verdict v = verdicts.get(i);
      ConnectionReport r = new ConnectionReport();
      r.setUserid(c.userid());
      r.setSid(c.sid());
      r.setProtocol(c.protocol());
      r.setClientid(c.clientid());
      r.setClientip(c.clientip());
      r.setUsername(c.username());
      if (!c.subscriptions().isEmpty()) {
        r.setSubscriptions(
            c.subscriptions().stream()
                .map(s -> new SubscriptionReport(s.channel(), s.resource(), s.read(), s.write()))
                .toList());
      }
      if (!v.denied()) {
        r.setVerdict(ALLOWED);
        r.setRule(v.rule());
      } else {
        r.setVerdict(dryRun ? WOULD_DROP : closed.contains(c) ? DROPPED : DENIED);
        r.setRule(v.rule());
      }
      out.add(r);
    }
    return out;
  }
}
