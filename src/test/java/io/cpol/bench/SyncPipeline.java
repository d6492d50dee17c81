package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.DropPlanner;
import io.cpol.enforce.Evaluation;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.enforce.PlannedDrop;
import io.cpol.enforce.PolicyEvaluation;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.ConnectionReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * One policy's sync over a listing, split into the steps the reconciler runs after listing:
 * evaluate, plan, drop (here: counted, not sent), select the reported sessions and build status.
 * Steady state: each status is built on the previous one, as the operator does.
 */
final class SyncPipeline {
  /** The operator's default --status-heartbeat. */
  static final Duration HEARTBEAT = Duration.ofMinutes(5);

  private final CompiledPolicy policy;
  private final Object statusBuilder = ReconcilerAccess.statusBuilder(HEARTBEAT);
  private final int[] dropCalls = new int[1];
  private final Object dropper = ReconcilerAccess.countingDropper(dropCalls);
  private final Clock clock = Clock.systemUTC();
  private ConnectionPolicyStatus previous;

  SyncPipeline(ConnectionPolicySpec spec) {
    try {
      this.policy = CompiledPolicy.compile(spec);
    } catch (InvalidSpecException e) {
      throw new IllegalArgumentException("a generated rule set is invalid: " + e.getMessage(), e);
    }
  }

  CompiledPolicy policy() {
    return policy;
  }

  /** Step 1: the verdict on every connection. */
  Evaluation evaluate(List<Connection> listing) {
    return PolicyEvaluation.evaluate(policy, listing, clock.instant());
  }

  /** Step 2: the drop calls, within the policy's budget (Enforce mode). */
  DropPlan plan(Evaluation evaluation) {
    return DropPlanner.plan(evaluation, policy.maxDropsPerSync());
  }

  /** What the drop calls of a plan close, as the sync collects it while dropping. */
  static Set<Connection> closedBy(DropPlan plan) {
    Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    for (PlannedDrop call : plan.calls()) {
      closed.addAll(call.closes());
    }
    return closed;
  }

  /** Step 4a: the sessions status lists (denied first, then by userid and sid). */
  List<ConnectionReport> selectReported(Evaluation evaluation, Set<Connection> closed) {
    return ReconcilerAccess.selectReported(evaluation, closed, false, policy.connectionsLimit());
  }

  /** Steps 1-4a as the reconciler calls them: {@code PolicySync.run}; returns its SyncReport. */
  Object policySync(List<Connection> listing) {
    Instant now = clock.instant();
    return ReconcilerAccess.runSync(
        policy, ReconcilerAccess.snapshot(listing, now), false, dropper, clock);
  }

  /** Step 4b: the next status from the previous one and a SyncReport. */
  ConnectionPolicyStatus buildStatus(Object syncReport) {
    previous = ReconcilerAccess.synced(statusBuilder, previous, 1L, syncReport, clock.instant());
    return previous;
  }

  /** Everything after listing: {@code PolicySync.run} then {@code StatusBuilder.synced}. */
  ConnectionPolicyStatus fullSync(List<Connection> listing) {
    return buildStatus(policySync(listing));
  }

  /** Drop calls the counting dropper has received. */
  int dropCalls() {
    return dropCalls[0];
  }
}
