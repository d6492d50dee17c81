package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.Verdict;
import io.cpol.policy.ConnectionReport;
import io.cpol.policy.SubscriptionReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Chooses the sessions a policy's status lists: at most {@code limit}, denied first, then by userid
 * and sid. The non-denied part is the head of the whole listing in (userid, sid) order, which is
 * the same for every policy of the account: computed once per pass, it keeps the cost of a report
 * at O(denied log limit + limit) per policy.
 */
final class SessionReports {
  static final String ALLOWED = "Allowed";
  static final String DENIED = "Denied";
  static final String DROPPED = "Dropped";
  static final String WOULD_DROP = "WouldDrop";

  static final Comparator<Connection> BY_USERID_SID =
      Comparator.comparing(Connection::userid, Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(Connection::sid, Comparator.nullsLast(Comparator.naturalOrder()));

  private SessionReports() {}

  /** The indexes of the first {@code limit} observed connections in (userid, sid) order. */
  static int[] head(List<Connection> observed, int limit) {
    return smallest(observed, null, observed.size(), limit);
  }

  /**
   * The sessions {@code policy}'s status lists.
   *
   * @param head {@link #head} of the listing, at least {@code limit} long (or the whole listing)
   * @param closed the connections this pass closed (identity), whichever policy closed them
   */
  static List<ConnectionReport> select(
      AccountEvaluation evaluation,
      int policy,
      int[] head,
      Set<Connection> closed,
      boolean dryRun,
      int limit) {
    if (limit == 0) {
      return List.of();
    }
    List<Connection> observed = evaluation.observed();
    int[] denied = evaluation.denied(policy);
    int[] chosen = smallest(observed, denied, denied.length, limit);
    List<ConnectionReport> out = new ArrayList<>(Math.min(limit, observed.size()));
    for (int i : chosen) {
      Connection c = observed.get(i);
      String verdict = dryRun ? WOULD_DROP : closed.contains(c) ? DROPPED : DENIED;
      out.add(report(c, verdict, evaluation.verdict(policy, i).rule()));
    }
    for (int k = 0; k < head.length && out.size() < limit; k++) {
      int i = head[k];
      Verdict verdict = evaluation.verdict(policy, i);
      if (!verdict.denied()) {
        out.add(report(observed.get(i), ALLOWED, verdict.rule()));
      }
    }
    return out;
  }

  /**
   * The {@code limit} smallest of {@code candidates[0..count)} (indexes into observed; null: all of
   * observed) in (userid, sid) order, sorted. A bounded heap keeps this O(n log limit), and once it
   * is full most entries are turned away by one comparison.
   */
  private static int[] smallest(List<Connection> observed, int[] candidates, int count, int limit) {
    Comparator<Integer> order =
        Comparator.<Integer, Connection>comparing(observed::get, BY_USERID_SID)
            .thenComparing(Comparator.naturalOrder());
    int wanted = Math.min(limit, count);
    if (wanted == 0) {
      return new int[0];
    }
    PriorityQueue<Integer> best = new PriorityQueue<>(wanted + 1, order.reversed());
    for (int k = 0; k < count; k++) {
      int i = candidates == null ? k : candidates[k];
      if (best.size() == wanted && order.compare(i, best.peek()) >= 0) {
        continue;
      }
      best.add(i);
      if (best.size() > wanted) {
        best.poll();
      }
    }
    List<Integer> sorted = new ArrayList<>(best);
    sorted.sort(order);
    return sorted.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ConnectionReport report(Connection c, String verdict, String rule) {
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
    r.setVerdict(verdict);
    r.setRule(rule);
    return r;
  }
}
