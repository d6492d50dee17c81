package io.cpol.reconciler;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionReport;
import io.cpol.sim.DropEvent;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** End to end: policies in the embedded API server, connections in the simulator. */
class EnforcementTest {
  private OperatorHarness h;

  @BeforeEach
  void start() {
    h = OperatorHarness.start();
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
  }

  @AfterEach
  void stop() {
    h.close();
  }

  static Connection socketio(
      String userid, String sid, String ip, String username, String... channels) {
    return new Connection(
        userid,
        sid,
        "socketio",
        userid,
        ip,
        null,
        username,
        java.util.Arrays.stream(channels).map(c -> new Subscription(c, "*", true, false)).toList());
  }

  static Connection mqtt(String userid, String ip) {
    return new Connection(userid, userid, "mqtt", userid, ip, null, null, List.of());
  }

  @Test
  void dropsDeniedSessionsAndLeavesEveryOtherSessionAlone() {
    h.simulator()
        .addConnections(
            List.of(
                socketio("uid-1", "sid-bad", "::ffff:203.0.113.7", null),
                socketio("uid-1", "sid-good", "::ffff:198.51.100.1", null),
                mqtt("uid-2", "::ffff:203.0.113.9"),
                mqtt("uid-3", "::ffff:198.51.100.3")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: block-range}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - clientCIDRs: ["203.0.113.0/24"]
        """);

    ConnectionPolicy p = h.awaitCondition("block-range", "Enforced", "True", "AllDropped");

    assertThat(h.liveSids()).containsExactlyInAnyOrder("sid-good", "uid-3");
    assertThat(h.simulator().drops())
        .extracting(DropEvent::rawTarget)
        .containsExactlyInAnyOrder(
            "/v1/connections/drop/uid-1?sid=sid-bad", "/v1/connections/drop/uid-2?");
    assertThat(p.getStatus().getConnected()).isEqualTo(4);
    assertThat(p.getStatus().getDenied()).isEqualTo(2);
    assertThat(p.getStatus().getDropped()).isEqualTo(2);
    assertThat(p.getStatus().getConnections())
        .extracting(
            ConnectionReport::getSid, ConnectionReport::getVerdict, ConnectionReport::getRule)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("sid-bad", "Dropped", "deny[0]"),
            org.assertj.core.groups.Tuple.tuple("uid-2", "Dropped", "deny[0]"),
            org.assertj.core.groups.Tuple.tuple("sid-good", "Allowed", null),
            org.assertj.core.groups.Tuple.tuple("uid-3", "Allowed", null));
    assertThat(h.condition("block-range", "Ready").getReason()).isEqualTo("Synced");
    assertThat(p.getStatus().getObservedGeneration()).isEqualTo(p.getMetadata().getGeneration());
    assertThat(h.simulator().requests())
        .filteredOn(c -> c.endpoint() == RecordedCall.EndpointKind.DROP)
        .allMatch(c -> c.status() == 200);
  }
}
