package io.cpol.reconciler;

import static io.cpol.reconciler.EnforcementTest.socketio;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.reconciler.LastListing.Listing;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a pass ends for its due policies: what each is told and when it is next due. */
class PassEndingsTest {
  static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  static final Duration CAP = Duration.ofSeconds(30);
  static final String ENDPOINT = "https://api.beebotte.com";
  static final Credentials KEYS = new Credentials.Keys("k", "s");
  static final Credentials TOKEN = new Credentials.Token("token_abc");

  private final PassEndings endings = new PassEndings(ENDPOINT, CAP);

  static PolicyRegistration registration(String name, String interval, Credentials c)
      throws Exception {
    ConnectionPolicySpec spec =
        new ObjectMapper(new YAMLFactory())
            .readValue(
                "credentialsRef: {name: s}\ninterval: "
                    + interval
                    + "\ndeny: [{useridPatterns: [\"uid-*\"]}]",
                ConnectionPolicySpec.class);
    return new PolicyRegistration(
        new PolicyRef("uid-" + name, "default", name),
        1,
        CompiledPolicy.compile(spec),
        c,
        AccountKey.of(ENDPOINT, c));
  }

  private static PassSchedule dueAtT0(PolicyRegistration... registrations) {
    PassSchedule schedule = new PassSchedule(CAP);
    for (PolicyRegistration r : registrations) {
      schedule.put(r, T0);
    }
    return schedule;
  }

  /** One pass of one 24h policy over two denied userids: two wide calls, both with this status. */
  private List<PassEndings.Synced> syncedWithCalls(
      CallResult.Status status, int postponed, Instant finished, Instant pausedUntil)
      throws Exception {
    PassSchedule.Due due = dueAtT0(registration("wide", "24h", KEYS)).due(T0);
    List<Connection> listing =
        List.of(
            socketio("uid-1", "s1", "::ffff:198.51.100.1", null),
            socketio("uid-2", "s2", "::ffff:198.51.100.2", null));
    AccountPass pass = AccountPass.run(due.policies(), listing, due.due(), T0);
    assertThat(pass.plan().calls()).extracting(PlannedDrop::wide).containsExactly(true, true);
    DropCalls.Results results = new DropCalls.Results(pass.plan().calls().size(), 1);
    for (int k = 0; k < results.byCall.length; k++) {
      results.byCall[k] = new CallResult(status, null, null);
    }
    results.postponed[0] = postponed;
    PassOutcomes.Inputs inputs =
        PassEndings.inputs(
            due.order(), due.due(), pass, results, new Listing(listing, T0.minusMillis(5), 0));
    return endings.synced(
        due.order(), due.due(), inputs, results.postponed, T0, finished, pausedUntil);
  }

  @Test
  void aSyncedPolicyIsDueAgainAnIntervalAfterThePassStarted() throws Exception {
    List<PassEndings.Synced> synced =
        syncedWithCalls(CallResult.Status.DROPPED, 0, T0.plusSeconds(2), Instant.MIN);

    assertThat(synced).hasSize(1);
    assertThat(synced.get(0).nextDueAt()).isEqualTo(T0.plus(Duration.ofHours(24)));
    assertThat(synced.get(0).resumeAt()).isNull();
    assertThat(synced.get(0).outcome().drops()).hasSize(2);
  }

  @Test
  void wideCallsReachedTooLateBringThePolicyBackWithinTheRetryCapNotAnInterval() throws Exception {
    // The pass reached its wide calls 61 s after planning them: not made, the sessions stay.
    List<PassEndings.Synced> synced =
        syncedWithCalls(CallResult.Status.CANCELLED, 0, T0.plusSeconds(61), Instant.MIN);

    assertThat(synced.get(0).nextDueAt()).isEqualTo(T0.plus(CAP));
    assertThat(synced.get(0).resumeAt()).isNull();
    assertThat(synced.get(0).outcome().dropFailure()).contains("were not dropped");

    // Cancelled within their minute (the policy changed, say): not late, the interval holds.
    assertThat(
            syncedWithCalls(CallResult.Status.CANCELLED, 0, T0.plusSeconds(20), Instant.MIN)
                .get(0)
                .nextDueAt())
        .isEqualTo(T0.plus(Duration.ofHours(24)));
  }

  @Test
  void postponedDropsWaitForTheAccountsPauseWhateverElseHappened() throws Exception {
    Instant pausedUntil = T0.plusSeconds(45);

    List<PassEndings.Synced> postponed =
        syncedWithCalls(CallResult.Status.POSTPONED, 2, T0.plusSeconds(2), pausedUntil);
    List<PassEndings.Synced> postponedAndLate =
        syncedWithCalls(CallResult.Status.CANCELLED, 2, T0.plusSeconds(61), pausedUntil);

    assertThat(postponed.get(0).nextDueAt()).isEqualTo(pausedUntil);
    assertThat(postponed.get(0).resumeAt()).isEqualTo(pausedUntil);
    assertThat(postponedAndLate.get(0).nextDueAt()).isEqualTo(pausedUntil);
    assertThat(postponedAndLate.get(0).resumeAt()).isEqualTo(pausedUntil);
  }

  @Test
  void theWaitOfASyncedPolicy() {
    Duration day = Duration.ofHours(24);
    Duration tenSeconds = Duration.ofSeconds(10);
    Instant paused = T0.plusSeconds(90);

    assertThat(endings.nextDue(day, T0, false, false, paused)).isEqualTo(T0.plus(day));
    assertThat(endings.nextDue(day, T0, true, false, paused)).isEqualTo(T0.plus(CAP));
    // An interval shorter than the cap is not lengthened by late drops.
    assertThat(endings.nextDue(tenSeconds, T0, true, false, paused)).isEqualTo(T0.plus(tenSeconds));
    assertThat(endings.nextDue(day, T0, true, true, paused)).isEqualTo(paused);
  }

  /** A listing made with the keys' lane failing at T0 with {@code kind}. */
  private PassEndings.Failure listingFailed(
      BeebotteException.Kind kind, int status, PassSchedule.Due due, int lanes, Instant paused) {
    BeebotteException e = new BeebotteException(kind, status, 0, "refused", null, null);
    return endings.listingFailed(
        e, due.order(), due.due(), AccountKey.of(ENDPOINT, KEYS), lanes, T0, paused);
  }

  @Test
  void anAuthenticationFailureOnASplitAccountFailsOnlyTheListersLane() throws Exception {
    PassSchedule.Due due =
        dueAtT0(registration("a-keys", "1m", KEYS), registration("b-token", "1m", TOKEN)).due(T0);

    PassEndings.Failure split =
        listingFailed(BeebotteException.Kind.AUTHENTICATION, 401, due, 2, T0);

    assertThat(split.split()).isTrue();
    assertThat(split.reason()).isEqualTo(Reason.AuthenticationFailed);
    assertThat(split.failing()).extracting(r -> r.entry().ref().name()).containsExactly("a-keys");

    // One lane: nothing to split off, its policies fail.
    PassEndings.Failure alone =
        listingFailed(BeebotteException.Kind.AUTHENTICATION, 401, due, 1, T0);
    assertThat(alone.split()).isFalse();
    assertThat(alone.failing()).hasSize(2);

    // Any other failure is the account's: every due policy fails with it, whatever its lane.
    PassEndings.Failure unavailable =
        listingFailed(BeebotteException.Kind.NOT_FOUND, 404, due, 2, T0);
    assertThat(unavailable.split()).isFalse();
    assertThat(unavailable.reason()).isEqualTo(Reason.BeebotteUnavailable);
    assertThat(unavailable.message())
        .isEqualTo("listing connections at " + ENDPOINT + " failed: HTTP 404: refused");
    assertThat(unavailable.failing())
        .extracting(r -> r.entry().ref().name())
        .containsExactly("a-keys", "b-token");
  }

  /** Policy a due at T0, b 50 s later: a pass at T0 is due for a alone. */
  private static PassSchedule aDueBNot() throws Exception {
    PassSchedule schedule = dueAtT0(registration("a", "1m", KEYS));
    schedule.put(registration("b", "1m", KEYS), T0.plusSeconds(50));
    assertThat(schedule.due(T0).due()).containsExactly(true, false);
    return schedule;
  }

  @Test
  void aPolicyNotDueDoesNotFailWithTheListing() throws Exception {
    PassSchedule.Due due = aDueBNot().due(T0);

    PassEndings.Failure failure = listingFailed(BeebotteException.Kind.TRANSIENT, 503, due, 1, T0);

    assertThat(failure.failing()).extracting(r -> r.entry().ref().name()).containsExactly("a");
  }

  @Test
  void aFailedPolicyRetriesNoEarlierThanMinOfIntervalAndCapOrTheAccountsPause() throws Exception {
    PassSchedule schedule =
        dueAtT0(registration("a-10s", "10s", KEYS), registration("b-1m", "1m", KEYS));
    PassSchedule.Due due = schedule.due(T0);

    List<PassEndings.Retry> shortPause =
        listingFailed(BeebotteException.Kind.TRANSIENT, 503, due, 1, T0.plusSeconds(2)).failing();
    assertThat(shortPause)
        .extracting(PassEndings.Retry::notBefore)
        .containsExactly(T0.plusSeconds(10), T0.plus(CAP));
    // The schedule's back-off (1 s after a first failure) does not bring them back earlier.
    for (PassEndings.Retry retry : shortPause) {
      assertThat(schedule.failed(retry.entry(), T0, retry.notBefore()))
          .isEqualTo(retry.notBefore());
    }

    // A longer pause (Retry-After) holds every one of them until it ends.
    Instant pausedUntil = T0.plus(Duration.ofMinutes(2));
    assertThat(listingFailed(BeebotteException.Kind.TRANSIENT, 503, due, 1, pausedUntil).failing())
        .extracting(PassEndings.Retry::notBefore)
        .containsExactly(pausedUntil, pausedUntil);
  }

  @Test
  void anUnexpectedFailureFailsThePassesDuePoliciesWhichBackOff() throws Exception {
    PassSchedule schedule = aDueBNot();
    PassSchedule.Due due = schedule.due(T0);

    PassEndings.Failure failure =
        PassEndings.failedUnexpectedly(
            new IllegalStateException("boom"), due.order(), due.due(), List.of(), T0);

    assertThat(failure.reason()).isEqualTo(Reason.ReconcileError);
    assertThat(failure.message())
        .isEqualTo("the operator failed unexpectedly: java.lang.IllegalStateException: boom");
    assertThat(failure.split()).isFalse();
    assertThat(failure.failing()).extracting(r -> r.entry().ref().name()).containsExactly("a");
    // No pause of Beebotte's: the schedule's back-off alone, never at once, doubling.
    PassEndings.Retry retry = failure.failing().get(0);
    assertThat(retry.notBefore()).isNull();
    assertThat(schedule.failed(retry.entry(), T0, retry.notBefore())).isEqualTo(T0.plusSeconds(1));
    assertThat(schedule.failed(retry.entry(), T0, retry.notBefore())).isEqualTo(T0.plusSeconds(2));
  }

  @Test
  void aPassFailingBeforeTakingItsWorkFailsEveryPolicyDueThen() throws Exception {
    PassSchedule schedule = dueAtT0(registration("a", "1m", KEYS), registration("b", "1m", TOKEN));
    schedule.put(registration("c", "1m", KEYS), T0.plusSeconds(50));

    PassEndings.Failure failure =
        PassEndings.failedUnexpectedly(
            new OutOfMemoryError("heap"), null, null, schedule.entries(), T0);

    assertThat(failure.failing())
        .extracting(r -> r.entry().ref().name())
        .containsExactlyInAnyOrder("a", "b");
    assertThat(failure.message()).endsWith("java.lang.OutOfMemoryError: heap");
  }

  @Test
  void theAccountsOwnLongestPauseIsItsShortestIntervalAtMostTheCap() throws Exception {
    PassSchedule schedule = dueAtT0(registration("a", "1m", KEYS));
    assertThat(endings.shortestInterval(schedule.due(T0).order())).isEqualTo(CAP);
    schedule.put(registration("b", "10s", KEYS), T0);
    assertThat(endings.shortestInterval(schedule.due(T0).order())).hasSeconds(10);
  }

  @Test
  void theEarlierOfTwoInstantsEitherUnset() {
    assertThat(PassEndings.earlier(null, null)).isNull();
    assertThat(PassEndings.earlier(null, T0)).isEqualTo(T0);
    assertThat(PassEndings.earlier(T0, null)).isEqualTo(T0);
    assertThat(PassEndings.earlier(T0.plusSeconds(1), T0)).isEqualTo(T0);
    assertThat(PassEndings.earlier(T0, T0.plusSeconds(1))).isEqualTo(T0);
  }
}
