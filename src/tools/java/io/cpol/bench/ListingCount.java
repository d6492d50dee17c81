package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.RecordedCall;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Listing calls one account received over a window of whole intervals, from the simulator's request
 * log, against the policy syncs the operator's account passes made in that window (its {@code
 * beebotte_policy_syncs_total} counter).
 */
record ListingCount(
    Duration interval,
    int intervals,
    int listCalls,
    int dropCalls,
    double syncs,
    double minGapSeconds) {

  static final String SYNCS_SERIES = "beebotte_policy_syncs_total";

  static ListingCount observe(
      BeebotteSimulator simulator,
      String account,
      String metricsUrl,
      Duration interval,
      int intervals)
      throws IOException, InterruptedException {
    double syncsBefore = OperatorSection.metric(metricsUrl, SYNCS_SERIES);
    Instant start = Instant.now();
    Thread.sleep(interval.multipliedBy(intervals).toMillis());
    Instant end = Instant.now();
    double syncsAfter = OperatorSection.metric(metricsUrl, SYNCS_SERIES);
    List<RecordedCall> calls =
        simulator.requests().stream()
            .filter(c -> account.equals(c.account()))
            .filter(c -> !c.time().isBefore(start) && c.time().isBefore(end))
            .toList();
    List<Instant> lists =
        calls.stream()
            // Account listings, not the reconnect watch's look at one userid.
            .filter(c -> c.endpoint() == RecordedCall.EndpointKind.LIST)
            .filter(c -> c.rawTarget().equals("/v1/connections"))
            .filter(c -> !c.byReconnectWatch())
            .map(RecordedCall::time)
            .sorted()
            .toList();
    double minGap = Double.NaN;
    for (int i = 1; i < lists.size(); i++) {
      double gap = Duration.between(lists.get(i - 1), lists.get(i)).toNanos() / 1e9;
      minGap = Double.isNaN(minGap) ? gap : Math.min(minGap, gap);
    }
    int drops =
        (int) calls.stream().filter(c -> c.endpoint() == RecordedCall.EndpointKind.DROP).count();
    return new ListingCount(
        interval, intervals, lists.size(), drops, syncsAfter - syncsBefore, minGap);
  }

  double syncsPerInterval() {
    return syncs / intervals;
  }

  double listsPerInterval() {
    return (double) listCalls / intervals;
  }

  /**
   * At least one listing, and never two within one interval: consecutive listings are at least an
   * interval apart (5% slack for the request arriving after the operator stamped its snapshot).
   */
  boolean atMostOnePerInterval() {
    return listCalls >= 1
        && listCalls <= intervals + 1
        && (Double.isNaN(minGapSeconds) || minGapSeconds >= 0.95 * interval.toNanos() / 1e9);
  }

  String describe() {
    return Results.fmt(
        "%.2f (%d listing calls in %d intervals, %.0f policy syncs; closest listings %s apart)",
        listsPerInterval(),
        listCalls,
        intervals,
        syncs,
        Double.isNaN(minGapSeconds) ? "n/a" : Results.fmt("%.2f s", minGapSeconds));
  }

  void print(Results results) {
    results.print(
        "listing calls: %d in %d intervals (%.2f per interval); policy syncs: %.0f (%.1f per"
            + " interval); drop calls: %d; closest listings %s apart",
        listCalls,
        intervals,
        listsPerInterval(),
        syncs,
        syncs / intervals,
        dropCalls,
        Double.isNaN(minGapSeconds) ? "n/a" : Results.fmt("%.2f s", minGapSeconds));
  }

  void toJson(ObjectNode node) {
    node.put("intervalSeconds", interval.toSeconds());
    node.put("intervalsObserved", intervals);
    node.put("listCalls", listCalls);
    node.put("listCallsPerInterval", Samples.round(listsPerInterval()));
    node.put("policySyncs", Math.round(syncs));
    node.put("dropCalls", dropCalls);
    if (!Double.isNaN(minGapSeconds)) {
      node.put("minSecondsBetweenListings", Samples.round(minGapSeconds));
    }
  }
}
