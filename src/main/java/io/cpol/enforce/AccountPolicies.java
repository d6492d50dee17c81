package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The policies of one Beebotte account with their deny rules in one index, so one walk per
 * connection evaluates them all: the cost of a pass grows with connections and matches, not with
 * policies × connections. Policies keep their own semantics (rules, allow exceptions, verdicts);
 * their position here is their number in an {@link AccountEvaluation}. Immutable and thread-safe.
 */
public final class AccountPolicies {
  private final List<CompiledPolicy> policies;
  private final RuleSet deny;
  private final int[] firstRule;

  public AccountPolicies(List<CompiledPolicy> policies) {
    this.policies = List.copyOf(policies);
    this.firstRule = new int[this.policies.size()];
    List<CompiledRule> rules = new ArrayList<>();
    List<Integer> groups = new ArrayList<>();
    for (int p = 0; p < this.policies.size(); p++) {
      firstRule[p] = rules.size();
      RuleSet own = this.policies.get(p).denyRules();
      for (int r = 0; r < own.size(); r++) {
        rules.add(own.rule(r));
        groups.add(p);
      }
    }
    this.deny = new RuleSet(rules, groups.stream().mapToInt(Integer::intValue).toArray());
  }

  public int size() {
    return policies.size();
  }

  public CompiledPolicy policy(int index) {
    return policies.get(index);
  }

  public List<CompiledPolicy> policies() {
    return policies;
  }

  /** Every policy's verdicts on every connection at {@code now}. */
  public AccountEvaluation evaluate(List<Connection> observed, Instant now) {
    return evaluate(observed, now, null);
  }

  /**
   * The verdicts of the policies {@code skipped} does not mark (null: all) on every connection at
   * {@code now}; skipped policies deny nothing in the result.
   */
  public AccountEvaluation evaluate(List<Connection> observed, Instant now, boolean[] skipped) {
    if (skipped != null && skipped.length != policies.size()) {
      throw new IllegalArgumentException(
          policies.size() + " policies but " + skipped.length + " skip flags");
    }
    return AccountEvaluation.of(this, observed, now, skipped);
  }

  /** Finds each included policy's decision on one connection; see {@link AccountEvaluation}. */
  void decide(
      Connection connection,
      Instant now,
      EvaluationScratch scratch,
      GroupMatches matches,
      MatchSink sink) {
    deny.collect(connection, now, scratch, matches);
    for (int k = 0; k < matches.count(); k++) {
      int p = matches.group(k);
      int rule = matches.best(p) - firstRule[p];
      sink.match(p, policies.get(p).decideAfterDeny(connection, now, scratch, rule));
    }
    matches.reset();
  }

  /** Receives one policy's decision on the connection being evaluated. */
  interface MatchSink {
    void match(int policy, int decision);
  }
}
