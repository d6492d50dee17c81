package io.cpol.reconciler;

import io.cpol.beebotte.DropTarget;
import io.cpol.policy.ConnectionReport;
import io.cpol.policy.DropRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one successful sync saw and did, reduced to what status needs.
 *
 * @param listedAt when the listing the sync used was taken
 * @param connected live connections in that listing
 * @param denied how many of them this policy denies
 * @param reported the sessions to list in status, already selected and ordered
 * @param drops connections dropped by this sync
 * @param deferred denied connections left for a later sync by the drop budget
 * @param dropFailure why some drop calls failed, or null when none failed
 * @param dryRun whether the policy only reports
 * @param executed the drop calls that succeeded
 * @param failedByProtocol denied connections whose drop call failed, by protocol
 */
record SyncReport(
    Instant listedAt,
    int connected,
    int denied,
    List<ConnectionReport> reported,
    List<DropRecord> drops,
    int deferred,
    String dropFailure,
    boolean dryRun,
    List<DropTarget> executed,
    Map<String, Integer> failedByProtocol) {}
