package io.cpol.enforce;

import java.util.List;

/**
 * The drop calls of one account pass, and per policy (by its index in the account) what they leave
 * undone.
 *
 * @param calls in plan order (userid, then protocol-wide before per-session calls, then sid)
 * @param planned per policy: observed connections its calls close; at most its budget
 * @param deferred per policy: connections it denies that wait for a later pass because of the
 *     budget (its own, and that of every other policy denying them)
 * @param undroppable per policy: connections it denies that no call can close without also closing
 *     an observed connection no dropping policy denies: a session listed twice with different
 *     verdicts, or one without a userid, or without a sid and no rule that covers its userid
 */
public record DropPlan(List<PlannedDrop> calls, int[] planned, int[] deferred, int[] undroppable) {
  public DropPlan {
    calls = List.copyOf(calls);
    planned = planned.clone();
    deferred = deferred.clone();
    undroppable = undroppable.clone();
  }

  /** Every observed connection the calls close. */
  public int plannedConnections() {
    int total = 0;
    for (PlannedDrop call : calls) {
      total += call.closes().size();
    }
    return total;
  }
}
