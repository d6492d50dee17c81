package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whatever a pass, a drop worker or a reconnect check meets — a library's exception, an Error, a
 * Beebotte answer of any status, a shutdown — the engine backs off and keeps going: never an
 * immediate retry, never a dead timer, never a stale Ready=True. On the manual clock: a hot loop
 * fails the test instead of spinning.
 */
class EngineFailureTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Credentials KEYS = new Credentials.Keys("api-key", "secret-key");
  private static final Credentials TOKEN = new Credentials.Token("token_of_the_same_owner");
  private static final String DENY_BAD = "interval: 1m\ndeny: [{userids: [bad]}]";

  private final ManualTime time = new ManualTime(T0);
  private EngineRig rig;

  @AfterEach
  void close() {
    if (rig != null) {
      rig.close();
    }
  }

  private EngineRig rig() {
    rig = new EngineRig(time.runtime(), EngineSettings.defaults(4));
    return rig;
  }

  private static Connection mqtt(String userid) {
    return new Connection(userid, userid + "-sid", "mqtt", userid, "10.0.0.1", null, null, null);
  }

  private static List<Long> gapsInSeconds(List<Instant> instants) {
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < instants.size(); i++) {
      gaps.add(Duration.between(instants.get(i - 1), instants.get(i)).toSeconds());
    }
    return gaps;
  }

  private static BeebotteException status(int status, BeebotteException.Kind kind, Duration ra) {
    return new BeebotteException(kind, status, 0, "HTTP " + status, ra, null);
  }

  @Test
  void anUnexpectedExceptionInAPassBacksOffFromOneSecondDoublingToThirtyNeverAtOnce() {
    rig();
    // What OkHttp throws for a token that starts with a byte-order mark.
    rig.behaviour(KEYS).failListing =
        () -> new IllegalArgumentException("Unexpected char 0xfeff at 0 in X-Auth-Token value");
    PolicyRef ref = rig.register("bom", KEYS, DENY_BAD);

    time.advance(Duration.ofSeconds(100));

    assertThat(gapsInSeconds(rig.listings(KEYS))).containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L);
    assertThat(rig.outcome(ref).failure()).isEqualTo(Reason.ReconcileError);

    // Once the listing works again, the policy is back on its interval.
    rig.behaviour(KEYS).failListing = null;
    time.advance(Duration.ofSeconds(90));
    assertThat(rig.outcome(ref).succeeded()).isTrue();
    assertThat(gapsInSeconds(rig.listings(KEYS)))
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L, 60L);
  }

  /** Keys and a token of one owner: one engine, listing with the keys for both policies. */
  private PolicyRef[] twoLanesOfOneOwner() {
    rig();
    // The same account seen through both credentials (an empty listing shows no owner).
    rig.behaviour(KEYS).connections = List.of(mqtt("good"));
    rig.behaviour(TOKEN).connections = List.of(mqtt("good"));
    PolicyRef a = rig.register("a-keys", KEYS, DENY_BAD);
    PolicyRef b = rig.register("b-token", TOKEN, DENY_BAD);
    time.advance(Duration.ofSeconds(1));
    assertThat(rig.outcome(a).succeeded()).isTrue();
    assertThat(rig.outcome(b).succeeded()).isTrue();
    assertThat(rig.listings(KEYS)).hasSize(1);
    assertThat(rig.listings(TOKEN)).hasSize(1);
    return new PolicyRef[] {a, b};
  }

  @Test
  void aListingRefusedWithA404FailsEveryDuePolicyOfTheAccountAndBacksOffForAll() {
    PolicyRef[] ab = twoLanesOfOneOwner();
    int before = rig.listings(KEYS).size() + rig.listings(TOKEN).size();
    rig.behaviour(KEYS).failListing = () -> status(404, BeebotteException.Kind.NOT_FOUND, null);

    time.advance(Duration.ofSeconds(61));

    assertThat(rig.outcome(ab[0]).failure()).isEqualTo(Reason.BeebotteUnavailable);
    assertThat(rig.outcome(ab[1]).failure()).isEqualTo(Reason.BeebotteUnavailable);
    // One failed listing at the interval, then the retry after min(interval, 30 s): not a loop.
    int made = rig.listings(KEYS).size() + rig.listings(TOKEN).size() - before;
    assertThat(made).isEqualTo(1);
  }

  @Test
  void aListingFailingWith503LeavesNoStaleReadyOnAnyLaneOfTheAccount() {
    PolicyRef[] ab = twoLanesOfOneOwner();
    rig.behaviour(KEYS).failListing = () -> status(503, BeebotteException.Kind.TRANSIENT, null);

    time.advance(Duration.ofSeconds(60));

    assertThat(rig.outcome(ab[0]).failure()).isEqualTo(Reason.BeebotteUnavailable);
    assertThat(rig.outcome(ab[1]).failure()).isEqualTo(Reason.BeebotteUnavailable);
  }

  @Test
  void aRetryAfterOfTenMinutesPausesTheAccountForFiveAtMost() {
    rig();
    AtomicInteger failures = new AtomicInteger(1);
    rig.behaviour(KEYS).failListing =
        () ->
            failures.getAndDecrement() > 0
                ? status(503, BeebotteException.Kind.TRANSIENT, Duration.ofSeconds(600))
                : null;
    rig.register("p", KEYS, "interval: 24h\ndeny: [{userids: [bad]}]");
    time.advance(Duration.ofSeconds(1));
    rig.behaviour(KEYS).failListing = null;

    time.advance(Duration.ofMinutes(10));

    // The cap, AccountThrottle.MAX_RETRY_AFTER: 5 minutes.
    assertThat(gapsInSeconds(rig.listings(KEYS))).containsExactly(300L);
  }

  @Test
  void aDropWorkerThatThrowsCostsOnlyItsOwnCall() {
    rig();
    rig.behaviour(KEYS).connections = List.of(mqtt("bad"), mqtt("good"));
    rig.behaviour(KEYS).failDrop = () -> new IllegalStateException("a bug in a client");
    PolicyRef ref = rig.register("p", KEYS, DENY_BAD);

    time.advance(Duration.ofSeconds(1));

    PassOutcome outcome = rig.outcome(ref);
    assertThat(outcome.succeeded()).isTrue();
    assertThat(outcome.drops()).isEmpty();
    assertThat(rig.calls.stream().filter(c -> c.kind().equals("drop"))).hasSize(1);
  }

  @Test
  void anErrorInAReconnectCheckNeitherStopsTheWatchNorLeavesTheCheckInFlight() {
    rig();
    rig.behaviour(KEYS).connections = List.of(mqtt("bad"));
    rig.register("p", KEYS, "interval: 1h\ndeny: [{userids: [bad]}]");
    time.advance(Duration.ofSeconds(1));
    assertThat(rig.calls.stream().filter(c -> c.kind().equals("drop"))).hasSize(1);

    // The device is back; the watch's first look meets an Error.
    rig.behaviour(KEYS).connections = List.of(mqtt("bad"));
    AtomicInteger errors = new AtomicInteger(1);
    rig.behaviour(KEYS).failLook =
        () -> errors.getAndDecrement() > 0 ? new StackOverflowError("in a decoder") : null;
    time.advance(Duration.ofMinutes(5));

    assertThat(errors.get()).isNegative();
    assertThat(rig.calls.stream().filter(c -> c.kind().equals("drop"))).hasSize(2);
  }

  @Test
  void closingWhileAPassListsEndsThePassQuietly() throws Exception {
    EngineRuntime threads = EngineRuntime.threads(Clock.systemUTC());
    rig = new EngineRig(threads, EngineSettings.defaults(4));
    CountDownLatch listing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    rig.behaviour(KEYS).connections = List.of(mqtt("bad"));
    rig.behaviour(KEYS).onListing =
        () -> {
          listing.countDown();
          // An HTTP call in flight does not end when its thread is interrupted.
          boolean interrupted = false;
          while (true) {
            try {
              release.await();
              break;
            } catch (InterruptedException e) {
              interrupted = true;
            }
          }
          if (interrupted) {
            Thread.currentThread().interrupt();
          }
        };
    PolicyRef ref = rig.register("p", KEYS, DENY_BAD);
    assertThat(listing.await(10, TimeUnit.SECONDS)).isTrue();

    Thread closer = new Thread(rig::close, "closer");
    closer.start();
    // Closing either returned or waits for the pass in flight.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                closer.getState() == Thread.State.TERMINATED
                    || closer.getState() == Thread.State.TIMED_WAITING);
    release.countDown();
    closer.join(10_000);
    assertThat(threads.passes().awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    // Nothing to report: no "failed unexpectedly" from a call refused by a closed executor.
    assertThat(rig.outcome(ref)).isNull();
    rig = null;
  }
}
