package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import io.cpol.live.Session;
import io.cpol.live.SessionQuery;
import io.cpol.live.SessionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the engine hands the live sessions view, on the manual clock: after each pass the account's
 * sessions less those the pass dropped, with every policy's verdict; a policy removed takes its
 * verdicts away at once; an engine that stops takes its sessions away.
 */
class EngineListingsTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Credentials KEYS = new Credentials.Keys("api-key", "secret-key");

  private final ManualTime time = new ManualTime(T0);
  private final SessionStore sessions = new SessionStore(time.runtime().clock());
  private final EngineRig rig =
      new EngineRig(time.runtime(), EngineSettings.defaults(4, 0), sessions);

  @AfterEach
  void close() {
    rig.close();
    sessions.close();
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid + "-s", "mqtt", userid, "::ffff:198.51.100.1", "acme", null, null);
  }

  private List<String> shown() {
    List<String> out = new ArrayList<>();
    for (Session s : sessions.list(SessionQuery.all("default"), 0, null).items()) {
      out.add(
          s.connection().userid()
              + " "
              + s.decision().verdict()
              + (s.decision().policy() == null ? "" : " " + s.decision().policy()));
    }
    return out;
  }

  /** The store updates on its own thread: waits for it to show {@code expected}. */
  private void awaitShown(String... expected) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(shown()).containsExactlyInAnyOrder(expected));
  }

  @Test
  void aPassHandsOverWhatIsLeftWithEveryPolicysVerdict() {
    rig.behaviour(KEYS).connections =
        new ArrayList<>(List.of(mqtt("device-0042"), mqtt("device-0001"), mqtt("web-1")));
    rig.register("revoke", KEYS, "interval: 30s\ndeny: [{userids: [device-0042]}]");
    rig.register(
        "watch-web",
        KEYS,
        "enforcement: DryRun\ninterval: 30s\ndeny: [{useridPatterns: ['web-*']}]");
    time.advance(Duration.ofSeconds(1));

    // device-0042 was dropped by the pass: not shown; web-1 would be dropped by the DryRun one.
    awaitShown("device-0001 Allowed", "web-1 WouldDrop watch-web");

    // The DryRun policy goes: its verdict goes with it, before any new listing.
    rig.engines.unregister(new PolicyRef("uid-watch-web", "default", "watch-web"));
    awaitShown("device-0001 Allowed", "web-1 Allowed");

    // The last policy goes: the engine stops and its account's sessions go.
    rig.engines.unregister(new PolicyRef("uid-revoke", "default", "revoke"));
    awaitShown();
  }
}
