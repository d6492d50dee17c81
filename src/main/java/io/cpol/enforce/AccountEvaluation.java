package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Every policy of an account's verdict on every connection of one listing, stored sparsely: only
 * the (connection, policy) pairs where a deny rule matched take room, so a pass over a large
 * listing costs connections plus matches however many policies the account has.
 */
public final class AccountEvaluation {
  /** Below this many connections, splitting the work costs more than it saves. */
  private static final int PARALLEL_THRESHOLD = 16_384;

  private static final int CHUNK = 4096;

  private final AccountPolicies policies;
  private final List<Connection> observed;
  private final int[] start;
  private final int[] policyOf;
  private final int[] decisionOf;
  private final int[][] denied;
  private final int[] allowedByException;

  private AccountEvaluation(
      AccountPolicies policies,
      List<Connection> observed,
      int[] start,
      int[] policyOf,
      int[] decisionOf) {
    this.policies = policies;
    this.observed = observed;
    this.start = start;
    this.policyOf = policyOf;
    this.decisionOf = decisionOf;
    int count = policies.size();
    IntList[] deniedBy = new IntList[count];
    this.allowedByException = new int[count];
    for (int i = 0; i < observed.size(); i++) {
      for (int m = start[i]; m < start[i + 1]; m++) {
        int p = policyOf[m];
        if (decisionOf[m] >= 0) {
          if (deniedBy[p] == null) {
            deniedBy[p] = new IntList();
          }
          deniedBy[p].add(i);
        } else {
          allowedByException[p]++;
        }
      }
    }
    this.denied = new int[count][];
    for (int p = 0; p < count; p++) {
      denied[p] = deniedBy[p] == null ? new int[0] : deniedBy[p].toArray();
    }
  }

  static AccountEvaluation of(
      AccountPolicies policies, List<Connection> observed, Instant now, boolean[] skipped) {
    List<Connection> listing = List.copyOf(observed);
    int n = listing.size();
    int chunks = n < PARALLEL_THRESHOLD ? 1 : (n + CHUNK - 1) / CHUNK;
    int chunkSize = chunks == 1 ? n : CHUNK;
    Chunk[] results = new Chunk[chunks];
    IntStream range = IntStream.range(0, chunks);
    (chunks == 1 ? range : range.parallel())
        .forEach(
            k -> {
              int from = k * chunkSize;
              results[k] =
                  Chunk.evaluate(
                      policies, listing, now, skipped, from, Math.min(n, from + chunkSize));
            });
    int[] start = new int[n + 1];
    int matches = 0;
    for (Chunk chunk : results) {
      matches += chunk.policies.size();
    }
    int[] policyOf = new int[matches];
    int[] decisionOf = new int[matches];
    int at = 0;
    for (Chunk chunk : results) {
      for (int i = chunk.from; i < chunk.to; i++) {
        start[i] = at + chunk.start[i - chunk.from];
      }
      for (int m = 0; m < chunk.policies.size(); m++) {
        policyOf[at + m] = chunk.policies.get(m);
        decisionOf[at + m] = chunk.decisions.get(m);
      }
      at += chunk.policies.size();
    }
    start[n] = matches;
    return new AccountEvaluation(policies, listing, start, policyOf, decisionOf);
  }

  /** The listing, in the order Beebotte returned it. */
  public List<Connection> observed() {
    return observed;
  }

  public AccountPolicies policies() {
    return policies;
  }

  /** How many connections were observed. */
  public int connected() {
    return observed.size();
  }

  /** Policy {@code policy}'s verdict on connection {@code connection} (an index into observed). */
  public Verdict verdict(int policy, int connection) {
    for (int m = start[connection]; m < start[connection + 1]; m++) {
      if (policyOf[m] == policy) {
        return policies.policy(policy).verdictOf(decisionOf[m]);
      }
    }
    return Verdict.NOT_DENIED;
  }

  /** Whether policy {@code policy} denies connection {@code connection}. */
  public boolean denies(int policy, int connection) {
    for (int m = start[connection]; m < start[connection + 1]; m++) {
      if (policyOf[m] == policy) {
        return decisionOf[m] >= 0;
      }
    }
    return false;
  }

  /** The index of the deny rule by which {@code policy} denies {@code connection}, or -1. */
  public int denyingRule(int policy, int connection) {
    for (int m = start[connection]; m < start[connection + 1]; m++) {
      if (policyOf[m] == policy) {
        return decisionOf[m];
      }
    }
    return -1;
  }

  /** The connections {@code policy} denies, as indexes into observed, in listing order. */
  public int[] denied(int policy) {
    return denied[policy].clone();
  }

  /** How many connections {@code policy} denies. */
  public int deniedCount(int policy) {
    return denied[policy].length;
  }

  /** How many connections a deny rule of {@code policy} matched but one of its allow rules kept. */
  public int allowedByException(int policy) {
    return allowedByException[policy];
  }

  /** Whether any policy's deny rule matched the connection (denied or kept by an allow rule). */
  boolean anyMatch(int connection) {
    return start[connection + 1] > start[connection];
  }

  int[] deniedUnsafe(int policy) {
    return denied[policy];
  }

  /** One policy's view, in the single-policy form {@link PolicyEvaluation} gives. */
  public Evaluation forPolicy(int policy) {
    List<Verdict> verdicts = new ArrayList<>(observed.size());
    for (int i = 0; i < observed.size(); i++) {
      verdicts.add(verdict(policy, i));
    }
    List<DeniedConnection> deniedConnections = new ArrayList<>(denied[policy].length);
    for (int i : denied[policy]) {
      deniedConnections.add(new DeniedConnection(observed.get(i), verdict(policy, i).rule()));
    }
    return new Evaluation(observed, verdicts, deniedConnections, allowedByException[policy]);
  }

  /** The matches of a contiguous range of the listing, found by one thread. */
  private static final class Chunk {
    final int from;
    final int to;
    final int[] start;
    final IntList policies = new IntList(64);
    final IntList decisions = new IntList(64);

    private Chunk(int from, int to) {
      this.from = from;
      this.to = to;
      this.start = new int[to - from];
    }

    static Chunk evaluate(
        AccountPolicies policies,
        List<Connection> observed,
        Instant now,
        boolean[] skipped,
        int from,
        int to) {
      Chunk chunk = new Chunk(from, to);
      EvaluationScratch scratch = new EvaluationScratch();
      GroupMatches matches =
          new GroupMatches(
              policies.size(), skipped == null ? null : Arrays.copyOf(skipped, skipped.length));
      AccountPolicies.MatchSink sink =
          (policy, decision) -> {
            chunk.policies.add(policy);
            chunk.decisions.add(decision);
          };
      for (int i = from; i < to; i++) {
        chunk.start[i - from] = chunk.policies.size();
        policies.decide(observed.get(i), now, scratch, matches, sink);
      }
      return chunk;
    }
  }
}
