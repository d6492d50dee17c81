package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import io.cpol.enforce.AccountPass;
import io.cpol.reconciler.LastListing.Listing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * How a pass ends for the policies it was due for: after the drops, what each is told and when it
 * is next due; after a failed listing or an unexpected failure, which fail with it, why, and when
 * each retries. Pure: the time, the schedule's entries and the pass's results are passed in, and
 * the engine applies the decisions under its lock.
 */
final class PassEndings {
  private final String endpoint;
  private final Duration retryCap;

  /**
   * A policy the pass synced.
   *
   * @param outcome what it is told
   * @param nextDueAt when it is due again
   * @param resumeAt when the account's pause ends if the pass postponed some of its drops, else
   *     null
   */
  record Synced(
      PassSchedule.Entry entry, PassOutcome outcome, Instant nextDueAt, Instant resumeAt) {
    PolicyRegistration registration() {
      return entry.registration;
    }
  }

  /**
   * A failed pass and what every policy failing with it is told.
   *
   * @param split the listing's credentials stopped working while the account has other lanes: those
   *     go their own way (their policies list with their own credentials at once, so they are not
   *     among {@code failing})
   */
  record Failure(Reason reason, String message, boolean split, List<Retry> failing) {}

  /**
   * A policy failing with its pass: it backs off ({@link PassSchedule#failed}), and is due again no
   * earlier than {@code notBefore} (null: the back-off alone).
   */
  record Retry(PassSchedule.Entry entry, Instant notBefore) {}

  /**
   * @param endpoint the account's endpoint, named in a failed listing's message
   * @param retryCap the longest wait after a failure ({@link EngineSettings#failureRetryCap()})
   */
  PassEndings(String endpoint, Duration retryCap) {
    this.endpoint = endpoint;
    this.retryCap = retryCap;
  }

  /** What the outcomes of a pass are reduced from: the listing's head as long as any report. */
  static PassOutcomes.Inputs inputs(
      List<PassSchedule.Entry> order,
      boolean[] due,
      AccountPass pass,
      DropCalls.Results results,
      Listing listing) {
    int reportLimit = 0;
    for (int p = 0; p < order.size(); p++) {
      if (due[p]) {
        reportLimit = Math.max(reportLimit, order.get(p).registration.rules().connectionsLimit());
      }
    }
    return new PassOutcomes.Inputs(
        pass.evaluation(),
        pass.plan(),
        results.closed,
        results.byCall,
        SessionReports.head(listing.connections(), reportLimit),
        listing.listedAt(),
        listing.skipped());
  }

  /**
   * Every due policy's ending of a pass that listed: its outcome at {@code finished}, and when it
   * is next due counted from the pass's {@code start}.
   *
   * @param postponed per policy, the denied connections whose drops wait for the account's pause
   * @param pausedUntil when the account's pause ends ({@link AccountThrottle#pausedUntil()})
   */
  List<Synced> synced(
      List<PassSchedule.Entry> order,
      boolean[] due,
      PassOutcomes.Inputs in,
      int[] postponed,
      Instant start,
      Instant finished,
      Instant pausedUntil) {
    List<Synced> synced = new ArrayList<>();
    for (int p = 0; p < order.size(); p++) {
      if (!due[p]) {
        continue;
      }
      PassSchedule.Entry entry = order.get(p);
      boolean late = PassOutcomes.lateWideDrops(in, p, finished) > 0;
      boolean waits = postponed[p] > 0;
      synced.add(
          new Synced(
              entry,
              PassOutcomes.of(in, p, entry.registration, finished),
              nextDue(entry.registration.interval(), start, late, waits, pausedUntil),
              waits ? pausedUntil : null));
    }
    return synced;
  }

  /**
   * When a synced policy is due again: an interval after the pass started; sooner, within the
   * failure retry cap, when wide calls were reached too late (their sessions wait for a pass soon,
   * as after a failure, not for a whole interval); when the account's pause ends when Beebotte
   * asked to slow down and some of its drops were postponed.
   */
  Instant nextDue(
      Duration interval,
      Instant start,
      boolean lateWideDrops,
      boolean postponed,
      Instant pausedUntil) {
    if (postponed) {
      return pausedUntil;
    }
    return start.plus(lateWideDrops ? min(interval, retryCap) : interval);
  }

  /**
   * Which due policies fail with a failed listing, and when each may retry: never before
   * min(interval, cap) — a failure is not remembered longer than the retry — nor before the
   * account's pause ({@code pausedUntil}: Retry-After or the throttle's back-off) ends.
   *
   * @param lister the lane the account was listed with
   * @param lanes how many lanes the account has
   */
  Failure listingFailed(
      BeebotteException e,
      List<PassSchedule.Entry> order,
      boolean[] due,
      AccountKey lister,
      int lanes,
      Instant now,
      Instant pausedUntil) {
    boolean authentication = e.kind() == BeebotteException.Kind.AUTHENTICATION;
    Reason reason = authentication ? Reason.AuthenticationFailed : Reason.BeebotteUnavailable;
    String message =
        "listing connections at " + endpoint + " failed: " + ConnectionPolicyReconciler.describe(e);
    boolean split = authentication && lanes > 1;
    List<Retry> failing = new ArrayList<>();
    for (int p = 0; p < order.size(); p++) {
      PassSchedule.Entry entry = order.get(p);
      PolicyRegistration r = entry.registration;
      // Every due policy of the account fails with its listing, whatever its lane, but those split
      // off: they list with their own credentials at once.
      if (!due[p] || (split && !r.lane().equals(lister))) {
        continue;
      }
      Instant notBefore = now.plus(min(r.interval(), retryCap));
      failing.add(new Retry(entry, pausedUntil.isAfter(notBefore) ? pausedUntil : notBefore));
    }
    return new Failure(reason, message, split, failing);
  }

  /**
   * Which policies fail with a pass that failed unexpectedly (a bug: whatever it threw): the pass's
   * due policies, or every policy due at {@code now} when it failed before taking them. A bug must
   * not stop the account, nor spin it: each backs off, whatever its interval.
   *
   * @param order the pass's policies, or null when it failed before taking them
   * @param due which of {@code order} the pass was due for
   * @param registered every policy of the account, for a pass that failed before taking its own
   */
  static Failure failedUnexpectedly(
      Throwable t,
      List<PassSchedule.Entry> order,
      boolean[] due,
      Collection<PassSchedule.Entry> registered,
      Instant now) {
    String message = "the operator failed unexpectedly: " + TaskGuard.describe(t);
    List<Retry> failing = new ArrayList<>();
    if (order != null) {
      for (int p = 0; p < order.size(); p++) {
        if (due[p]) {
          failing.add(new Retry(order.get(p), null));
        }
      }
    } else {
      for (PassSchedule.Entry e : registered) {
        if (!e.nextDueAt().isAfter(now)) {
          failing.add(new Retry(e, null));
        }
      }
    }
    return new Failure(Reason.ReconcileError, message, false, failing);
  }

  /**
   * The shortest interval of a pass's policies, at most the failure retry cap: the longest pause of
   * the account's own, so it recovers within min(interval, cap) once Beebotte answers again.
   */
  Duration shortestInterval(List<PassSchedule.Entry> order) {
    Duration shortest = retryCap;
    for (PassSchedule.Entry e : order) {
      shortest = min(shortest, e.registration.interval());
    }
    return shortest;
  }

  /** The earlier of two instants, either of which may be null (not set). */
  static Instant earlier(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || !b.isBefore(a) ? a : b;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
