package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.DropRecord;
import io.cpol.reconciler.CallResult.Status;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reduces one pass (evaluation, plan, call results) to each policy's {@link PassOutcome}. Pure. */
final class PassOutcomes {
  private PassOutcomes() {}

  /**
   * What one pass produced for all its policies.
   *
   * @param closed the connections the pass's successful calls closed (identity)
   * @param results one per planned call, same order
   * @param head {@link SessionReports#head} of the listing, as long as the largest report
   */
  record Inputs(
      AccountEvaluation evaluation,
      DropPlan plan,
      Set<Connection> closed,
      CallResult[] results,
      int[] head,
      Instant listedAt,
      int skipped) {}

  static PassOutcome of(Inputs in, int policy, PolicyRegistration registration, Instant at) {
    boolean dryRun = registration.dryRun();
    List<DropRecord> drops = new ArrayList<>();
    int notDropped = 0;
    int postponed = 0;
    String firstFailure = null;
    List<PlannedDrop> calls = in.plan().calls();
    for (int k = 0; k < calls.size(); k++) {
      PlannedDrop call = calls.get(k);
      if (call.policy() != policy) {
        continue;
      }
      CallResult result = in.results()[k];
      switch (result.status()) {
        case DROPPED -> drops.addAll(dropRecords(call, result, at));
        case REFUSED, UNKNOWN -> {
          notDropped += call.closes().size();
          if (firstFailure == null) {
            firstFailure =
                "dropping "
                    + describe(call.target())
                    + " failed: "
                    + ConnectionPolicyReconciler.describe(result.failure());
          }
        }
        case POSTPONED -> postponed += call.closes().size();
        default -> {}
      }
    }
    List<String> problems = new ArrayList<>();
    int late = lateWideDrops(in, policy, at);
    if (late > 0) {
      problems.add(
          late
              + " denied connections were not dropped: the pass ran past the minute its"
              + " userid-wide calls were planned for; the next sync drops them");
    }
    if (firstFailure != null) {
      problems.add(firstFailure + " (" + notDropped + " denied connections not dropped)");
    }
    if (postponed > 0) {
      problems.add(
          "Beebotte asked to slow down: "
              + postponed
              + " denied connections wait for the account's retry");
    }
    int undroppable = in.plan().undroppable()[policy];
    if (undroppable > 0) {
      problems.add(
          undroppable + " denied connections cannot be dropped without closing allowed ones");
    }
    return new PassOutcome(
        registration.generation(),
        at,
        in.listedAt(),
        in.evaluation().connected(),
        in.evaluation().deniedCount(policy),
        SessionReports.select(
            in.evaluation(),
            policy,
            in.head(),
            in.closed(),
            dryRun,
            registration.rules().connectionsLimit()),
        drops,
        dryRun ? 0 : in.plan().deferred()[policy],
        problems.isEmpty() ? null : String.join("; ", problems),
        dryRun,
        in.skipped(),
        null,
        null);
  }

  /**
   * Sessions of {@code policy} whose wide call was not made because the pass reached it only after
   * the minute the plan covered it for ({@link io.cpol.enforce.DropPlanner}'s coverage margin):
   * still connected and denied, so not enforced. A per-session call cancelled for its rule's {@code
   * until} is not among them (that rule no longer applies), nor one cancelled because its policy
   * changed (that outcome is never published).
   */
  static int lateWideDrops(Inputs in, int policy, Instant at) {
    int late = 0;
    List<PlannedDrop> calls = in.plan().calls();
    for (int k = 0; k < calls.size(); k++) {
      PlannedDrop call = calls.get(k);
      if (call.policy() == policy
          && in.results()[k].status() == Status.CANCELLED
          && call.wide()
          && call.validUntil() != null
          && !at.isBefore(call.validUntil())) {
        late += call.closes().size();
      }
    }
    return late;
  }

  /** The drop records of a successful call: what it closed, and by which rule. */
  static List<DropRecord> dropRecords(PlannedDrop call, CallResult result, Instant at) {
    String time = StatusTime.format(at);
    List<DropRecord> records = new ArrayList<>(call.closes().size());
    for (int i = 0; i < call.closes().size(); i++) {
      // A verified MQTT call closed what the re-listing showed, which may be a newer session.
      Connection c = result.closedInstead() != null ? result.closedInstead() : call.closes().get(i);
      records.add(new DropRecord(time, c.userid(), c.protocol(), c.sid(), call.rules().get(i)));
    }
    return records;
  }

  static String describe(DropTarget target) {
    StringBuilder sb = new StringBuilder("userid ").append(target.userid());
    if (target.protocol() != null) {
      sb.append(" protocol ").append(target.protocol().wireName());
    }
    if (target.sid() != null) {
      sb.append(" sid ").append(target.sid());
    }
    return sb.toString();
  }

  /** Whether a call's status means it reached Beebotte. */
  static boolean made(Status status) {
    return status == Status.DROPPED || status == Status.REFUSED || status == Status.UNKNOWN;
  }
}
