package io.cpol.enforce;

import java.util.List;

/**
 * The drop calls for one sync.
 *
 * @param calls in plan order (userid, then sid)
 * @param plannedConnections how many observed connections the calls close; at most the budget
 * @param deferred denied connections left for a later sync because of the budget
 * @param undroppable denied connections no call can close without also closing an observed
 *     connection the policy does not deny: a session listed twice with different verdicts, or one
 *     without a userid, or without a sid while its userid has other sessions that are not denied
 */
public record DropPlan(
    List<PlannedDrop> calls, int plannedConnections, int deferred, int undroppable) {
  public DropPlan {
    calls = List.copyOf(calls);
  }
}
