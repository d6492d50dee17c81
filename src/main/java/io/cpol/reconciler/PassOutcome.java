package io.cpol.reconciler;

import io.cpol.policy.ConnectionReport;
import io.cpol.policy.DropRecord;
import java.time.Instant;
import java.util.List;

/**
 * What one account pass found and did for one policy, reduced to what its status needs. Counts
 * carried across passes (dropped, recentDrops) are not here: they live in the {@link PolicyLedger}.
 *
 * @param generation the policy generation the pass enforced
 * @param at when the pass finished
 * @param listedAt when the listing it used was requested; null when listing failed
 * @param connected live connections in that listing
 * @param denied how many of them this policy denies
 * @param reported the sessions to list in status, selected and ordered
 * @param drops connections this pass dropped and counted for this policy
 * @param deferred denied connections left for a later pass by the drop budget
 * @param dropFailure why some denied connections were not dropped, or null
 * @param dryRun whether the policy only reports
 * @param skippedElements listing elements that could not be read and were skipped
 * @param failure why the pass could not list, or null when it could
 * @param failureMessage what to tell the user about {@code failure}
 */
record PassOutcome(
    long generation,
    Instant at,
    Instant listedAt,
    int connected,
    int denied,
    List<ConnectionReport> reported,
    List<DropRecord> drops,
    int deferred,
    String dropFailure,
    boolean dryRun,
    int skippedElements,
    Reason failure,
    String failureMessage) {
  PassOutcome {
    reported = List.copyOf(reported);
    drops = List.copyOf(drops);
  }

  static PassOutcome failed(long generation, Instant at, Reason failure, String message) {
    return new PassOutcome(
        generation, at, null, 0, 0, List.of(), List.of(), 0, null, false, 0, failure, message);
  }

  boolean succeeded() {
    return failure == null;
  }
}
