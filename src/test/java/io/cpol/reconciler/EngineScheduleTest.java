package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the account engine lists, on the manual clock: one listing per interval for policies that
 * share it, recovery after an outage, Retry-After. Exact counts, no sleeping.
 */
class EngineScheduleTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Credentials KEYS = new Credentials.Keys("api-key", "secret-key");
  private static final Credentials TOKEN = new Credentials.Token("token_of_the_same_owner");

  private final ManualTime time = new ManualTime(T0);
  private final EngineRig rig = new EngineRig(time.runtime(), EngineSettings.defaults(8));

  @AfterEach
  void close() {
    rig.close();
  }

  private static Connection mqtt(String userid) {
    return new Connection(userid, userid, "mqtt", userid, "::ffff:198.51.100.1", null, null, null);
  }

  private List<Instant> listingsBetween(Instant from, Instant to) {
    List<Instant> out = new ArrayList<>();
    for (Instant at : allListings()) {
      if (!at.isBefore(from) && at.isBefore(to)) {
        out.add(at);
      }
    }
    return out;
  }

  @Test
  void policiesOnOneAccountShareOneListingPerInterval() {
    for (int i = 0; i < 5; i++) {
      rig.register("p" + i, KEYS, "interval: 2s\ndeny: [{userids: [nobody-" + i + "]}]");
      // Applied one after the other, not at once: each one a little later.
      time.advance(Duration.ofMillis(300));
    }
    Instant from = time.now();
    time.advance(Duration.ofSeconds(8));

    // 8 s at a 2 s interval is 4 intervals; one listing per policy would be 20.
    assertThat(listingsBetween(from, time.now())).hasSize(4);
  }

  /** Listings of the whole account with either credentials. */
  private List<Instant> allListings() {
    List<Instant> out = new ArrayList<>(rig.listings(KEYS));
    out.addAll(rig.listings(TOKEN));
    return out;
  }

  @Test
  void keysAndATokenOfOneOwnerShareOneListingPerIntervalAndDropEachSessionOnce() {
    rig.sameAccount(KEYS, TOKEN);
    // An allowed device keeps every listing non-empty: a listing shows the account's owner only
    // through its connections.
    List<Connection> connected = new ArrayList<>(List.of(mqtt("keeper-1")));
    for (int i = 0; i < 5; i++) {
      connected.add(mqtt("dev-" + i));
    }
    rig.behaviour(KEYS).connections = connected;
    PolicyRef byKeys =
        rig.register("by-keys", KEYS, "interval: 2s\ndeny: [{useridPatterns: ['dev-*']}]");
    PolicyRef byToken =
        rig.register("by-token", TOKEN, "interval: 2s\ndeny: [{useridPatterns: ['dev-*']}]");
    // Both lanes list once, see one owner, and merge.
    time.advance(Duration.ofSeconds(3));
    assertThat(rig.outcome(byKeys).succeeded()).isTrue();
    assertThat(rig.outcome(byToken).succeeded()).isTrue();

    Instant from = time.now();
    List<Connection> more = new ArrayList<>(rig.behaviour(KEYS).connections);
    for (int i = 0; i < 5; i++) {
      more.add(mqtt("dev-" + (10 + i)));
    }
    rig.behaviour(KEYS).connections = more;
    time.advance(Duration.ofSeconds(8));

    // 8 s at a 2 s interval is 4 intervals; a listing per lane would be 8.
    assertThat(listingsBetween(from, time.now())).hasSize(4);
    assertThat(rig.behaviour(TOKEN).connections).containsExactly(mqtt("keeper-1"));
    assertThat(rig.drops()).isEqualTo(10);
    assertThat(dropped(byKeys) + dropped(byToken)).isEqualTo(10);
  }

  private long dropped(PolicyRef ref) {
    return rig.engines.ledger(ref, null).snapshot().dropped();
  }

  @Test
  void aPolicyWithAnHourIntervalRecoversWithin30sOfAnOutageEnding() {
    rig.behaviour(KEYS).connections = List.of(mqtt("uid-1"));
    rig.behaviour(KEYS).failListing =
        () ->
            new BeebotteException(BeebotteException.Kind.TRANSIENT, 500, 0, "HTTP 500", null, null);
    PolicyRef ref = rig.register("hourly", KEYS, "interval: 1h\ndeny:\n- userids: [uid-1]");
    time.advance(Duration.ofSeconds(1));
    assertThat(rig.outcome(ref).failure()).isEqualTo(Reason.BeebotteUnavailable);

    // Ten seconds of outage, then Beebotte is back.
    time.advance(Duration.ofSeconds(10));
    rig.behaviour(KEYS).failListing = null;
    Instant back = time.now();
    time.advance(Duration.ofSeconds(30));

    assertThat(rig.outcome(ref).succeeded()).isTrue();
    assertThat(rig.outcome(ref).at()).isBefore(back.plusSeconds(30));
    assertThat(rig.behaviour(KEYS).connections).isEmpty();
  }

  @Test
  void retryAfterIsHonoured() {
    PolicyRef ref = rig.register("busy", KEYS, "interval: 1s\ndeny:\n- userids: [nobody]");
    time.advance(Duration.ofSeconds(1));
    assertThat(rig.outcome(ref).succeeded()).isTrue();

    boolean[] once = {true};
    rig.behaviour(KEYS).failListing =
        () -> {
          if (!once[0]) {
            return null;
          }
          once[0] = false;
          return new BeebotteException(
              BeebotteException.Kind.RATE_LIMITED,
              429,
              0,
              "HTTP 429",
              Duration.ofSeconds(60),
              null);
        };
    time.advance(Duration.ofSeconds(1));
    Instant limited = rig.listings(KEYS).get(rig.listings(KEYS).size() - 1);
    assertThat(rig.outcome(ref).failure()).isEqualTo(Reason.BeebotteUnavailable);

    // A 1 s policy would list about 59 times; Beebotte asked for 60 s of quiet.
    time.advance(Duration.ofSeconds(59));
    assertThat(listingsBetween(limited.plusMillis(1), time.now())).isEmpty();
    time.advance(Duration.ofSeconds(1));
    assertThat(listingsBetween(limited.plusMillis(1), time.now())).hasSize(1);
    assertThat(rig.outcome(ref).succeeded()).isTrue();
  }
}
