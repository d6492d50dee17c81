package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionPolicyStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * One account pass after listing, without I/O, split into the steps {@link AccountEngine} runs
 * through {@link AccountPass}: evaluate every policy at once, plan the joint drops, reduce each
 * policy's outcome and build its status. Drop calls are taken as made and answered 2xx. For
 * benchmarks and tests of the pass's cost and results; steady state: each status builds on the
 * previous one, as the operator does.
 */
public final class AccountPassPipeline {
  /** The operator's default --status-heartbeat. */
  public static final Duration HEARTBEAT = Duration.ofSeconds(10);

  private static final Credentials CREDENTIALS = new Credentials.Keys("bench", "bench-secret");

  private final List<PolicyRegistration> registrations = new ArrayList<>();
  private final AccountPolicies policies;
  private final StatusBuilder statusBuilder = new StatusBuilder(HEARTBEAT);
  private final List<PolicyLedger> ledgers = new ArrayList<>();
  private final ConnectionPolicyStatus[] previous;

  public AccountPassPipeline(List<ConnectionPolicySpec> specs) {
    List<CompiledPolicy> compiled = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      CompiledPolicy rules;
      try {
        rules = CompiledPolicy.compile(specs.get(i));
      } catch (InvalidSpecException e) {
        throw new IllegalArgumentException("a generated rule set is invalid: " + e.getMessage(), e);
      }
      compiled.add(rules);
      registrations.add(
          new PolicyRegistration(
              new PolicyRef("uid-" + i, "bench", String.format("policy-%03d", i)),
              1,
              rules,
              CREDENTIALS,
              AccountKey.of("http://bench", CREDENTIALS)));
      ledgers.add(PolicyLedger.seededFrom(null));
    }
    this.policies = new AccountPolicies(compiled);
    this.previous = new ConnectionPolicyStatus[specs.size()];
  }

  public int policyCount() {
    return registrations.size();
  }

  public CompiledPolicy policy(int index) {
    return policies.policy(index);
  }

  /** Step 1: every policy's verdict on every connection, in one walk. */
  public AccountEvaluation evaluate(List<Connection> listing) {
    return AccountPass.evaluate(policies, listing, allDue(), Instant.now());
  }

  private boolean[] allDue() {
    boolean[] due = new boolean[registrations.size()];
    Arrays.fill(due, true);
    return due;
  }

  /** Step 2: the joint drop calls of the enforcing policies, within their budgets. */
  public DropPlan plan(AccountEvaluation evaluation) {
    return plan(evaluation, Integer.MIN_VALUE);
  }

  /** Step 2 with every policy's budget replaced (MIN_VALUE: each policy's own). */
  public DropPlan plan(AccountEvaluation evaluation, int budget) {
    return AccountPass.plan(
        evaluation,
        p -> true,
        budget == Integer.MIN_VALUE ? AccountPass.ownBudget(policies) : p -> budget,
        Instant.now());
  }

  /** Steps 3 and 4: each policy's outcome and status, as if every planned call succeeded. */
  public List<ConnectionPolicyStatus> record(
      List<Connection> listing, AccountEvaluation evaluation, DropPlan plan) {
    Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    CallResult[] results = new CallResult[plan.calls().size()];
    Instant now = Instant.now();
    for (int k = 0; k < results.length; k++) {
      PlannedDrop call = plan.calls().get(k);
      results[k] = CallResult.DROPPED;
      closed.addAll(call.closes());
      ledgers.get(call.policy()).recordDrops(PassOutcomes.dropRecords(call, results[k], now));
    }
    int limit = registrations.stream().mapToInt(r -> r.rules().connectionsLimit()).max().orElse(0);
    PassOutcomes.Inputs inputs =
        new PassOutcomes.Inputs(
            evaluation, plan, closed, results, SessionReports.head(listing, limit), now, 0);
    List<ConnectionPolicyStatus> statuses = new ArrayList<>(registrations.size());
    for (int p = 0; p < registrations.size(); p++) {
      PassOutcome outcome = PassOutcomes.of(inputs, p, registrations.get(p), now);
      previous[p] =
          statusBuilder.synced(
              previous[p], 1, "https://api.beebotte.com", outcome, ledgers.get(p).snapshot(), now);
      statuses.add(previous[p]);
    }
    return statuses;
  }

  /** Everything after listing, for every policy of the account. */
  public List<ConnectionPolicyStatus> fullPass(List<Connection> listing) {
    AccountPass pass = AccountPass.run(policies, listing, allDue(), Instant.now());
    return record(listing, pass.evaluation(), pass.plan());
  }
}
