package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.policy.Enforcement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;

/**
 * One account pass after listing, without I/O: every connection evaluated against every policy of
 * the account at once, then the joint drop calls of the policies that drop. The operator's engine,
 * the benchmark, {@code kubectl beebotte preview} and {@code why} all plan through here, so what
 * they show is what the operator does.
 *
 * @param evaluation every policy's verdict on every connection
 * @param plan the drop calls, within each dropping policy's budget
 */
public record AccountPass(AccountEvaluation evaluation, DropPlan plan) {

  /**
   * Evaluates {@code listing} and plans the drops of the due policies that enforce, each within its
   * own {@code maxDropsPerSync}.
   *
   * @param due which policies this pass syncs (the others are not evaluated)
   */
  public static AccountPass run(
      AccountPolicies policies, List<Connection> listing, boolean[] due, Instant now) {
    AccountEvaluation evaluation = evaluate(policies, listing, due, now);
    return new AccountPass(evaluation, plan(evaluation, p -> due[p], ownBudget(policies), now));
  }

  /** The first step alone: the due policies' verdicts on every connection, in one walk. */
  public static AccountEvaluation evaluate(
      AccountPolicies policies, List<Connection> listing, boolean[] due, Instant now) {
    boolean[] skipped = new boolean[due.length];
    for (int p = 0; p < due.length; p++) {
      skipped[p] = !due[p];
    }
    return policies.evaluate(listing, now, skipped);
  }

  /**
   * The joint drop calls of the policies {@code drops} selects, unless they are in DryRun, each
   * within {@code budget}.
   */
  public static DropPlan plan(
      AccountEvaluation evaluation, IntPredicate drops, IntUnaryOperator budget, Instant now) {
    AccountPolicies policies = evaluation.policies();
    List<DropPlanner.Participant> participants = new ArrayList<>();
    for (int p = 0; p < policies.size(); p++) {
      if (drops.test(p) && policies.policy(p).enforcement() != Enforcement.DryRun) {
        participants.add(new DropPlanner.Participant(p, budget.applyAsInt(p)));
      }
    }
    return DropPlanner.plan(evaluation, participants, now);
  }

  /** Each policy's own {@code maxDropsPerSync}. */
  public static IntUnaryOperator ownBudget(AccountPolicies policies) {
    return p -> policies.policy(p).maxDropsPerSync();
  }
}
