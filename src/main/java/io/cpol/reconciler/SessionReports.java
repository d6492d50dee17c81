package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.Verdict;
import io.cpol.policy.ConnectionReport;
import io.cpol.policy.SubscriptionReport;
import java.util.ArrayList;
import java.util.List;
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
   * observed) in (userid, sid) order, sorted. A bounded max-heap of indexes keeps this O(n log
   * limit); once it is full most entries are turned away by one comparison, with no allocation.
   */
  private static int[] smallest(List<Connection> observed, int[] candidates, int count, int limit) {
    int wanted = Math.min(limit, count);
    if (wanted == 0) {
      return new int[0];
    }
    int[] heap = new int[wanted];
    int size = 0;
    for (int k = 0; k < count; k++) {
      int i = candidates == null ? k : candidates[k];
      if (size < wanted) {
        heap[size] = i;
        siftUp(observed, heap, size++);
      } else if (compare(observed, i, heap[0]) < 0) {
        heap[0] = i;
        siftDown(observed, heap, size);
      }
    }
    Integer[] sorted = new Integer[size];
    for (int k = 0; k < size; k++) {
      sorted[k] = heap[k];
    }
    java.util.Arrays.sort(sorted, (x, y) -> compare(observed, x, y));
    int[] out = new int[size];
    for (int k = 0; k < size; k++) {
      out[k] = sorted[k];
    }
    return out;
  }

  /** (userid, sid) order, missing values last, then listing position. */
  private static int compare(List<Connection> observed, int a, int b) {
    Connection ca = observed.get(a);
    Connection cb = observed.get(b);
    int byUserid = compareNullsLast(ca.userid(), cb.userid());
    if (byUserid != 0) {
      return byUserid;
    }
    int bySid = compareNullsLast(ca.sid(), cb.sid());
    return bySid != 0 ? bySid : Integer.compare(a, b);
  }

  private static int compareNullsLast(String a, String b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    return a.compareTo(b);
  }

  /** Max-heap on {@link #compare}: the largest kept entry at the root. */
  private static void siftUp(List<Connection> observed, int[] heap, int at) {
    while (at > 0) {
      int parent = (at - 1) / 2;
      if (compare(observed, heap[at], heap[parent]) <= 0) {
        return;
      }
      int swap = heap[at];
      heap[at] = heap[parent];
      heap[parent] = swap;
      at = parent;
    }
  }

  private static void siftDown(List<Connection> observed, int[] heap, int size) {
    int at = 0;
    while (true) {
      int left = 2 * at + 1;
      if (left >= size) {
        return;
      }
      int child =
          left + 1 < size && compare(observed, heap[left + 1], heap[left]) > 0 ? left + 1 : left;
      if (compare(observed, heap[child], heap[at]) <= 0) {
        return;
      }
      int swap = heap[at];
      heap[at] = heap[child];
      heap[child] = swap;
      at = child;
    }
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
