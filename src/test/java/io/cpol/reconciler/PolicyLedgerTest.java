package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.DropRecord;
import io.cpol.reconciler.PolicyLedger.Identity;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The counts a restarted operator starts from: what the stored status says. */
class PolicyLedgerTest {
  private static DropRecord drop(String userid, String protocol) {
    return new DropRecord("2026-12-07T10:00:00Z", userid, protocol, userid + "-sid", "deny[0]");
  }

  @Test
  void anIdentityAmongTheLastDropsIsAReconnectAfterARestart() {
    // Dropped once each before the restart: none is in `returning` (twice or more), all are in
    // recentDrops.
    ConnectionPolicyStatus stored = new ConnectionPolicyStatus();
    stored.setDropped(3L);
    stored.setReconnects(0L);
    stored.setRecentDrops(
        List.of(drop("uid-1", "mqtt"), drop("uid-2", "socketio"), drop("uid-3", "mqtt")));
    PolicyLedger ledger = PolicyLedger.seededFrom(stored);

    // Back after the restart: a userid-wide call for uid-1, a Socket.IO one for uid-2, and a
    // first drop of uid-4.
    ledger.recordDrops(List.of(drop("uid-1", "mqtt")), new Identity("uid-1", null));
    ledger.recordDrops(List.of(drop("uid-2", "socketio")), new Identity("uid-2", "socketio"));
    ledger.recordDrops(List.of(drop("uid-4", "mqtt")), new Identity("uid-4", null));

    PolicyLedger.Snapshot after = ledger.snapshot();
    assertThat(after.dropped()).isEqualTo(6);
    assertThat(after.reconnects()).isEqualTo(2);
    assertThat(after.returning())
        .extracting(r -> r.getUserid())
        .containsExactlyInAnyOrder("uid-1", "uid-2");
  }
}
