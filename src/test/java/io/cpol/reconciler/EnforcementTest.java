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
    // An address rule does not cover every session a userid could open: one call per session,
    // naming its protocol. The MQTT session (whose sid is its userid) is re-listed first.
    assertThat(h.simulator().drops())
        .extracting(DropEvent::rawTarget)
        .containsExactlyInAnyOrder(
            "/v1/connections/drop/uid-1?sid=sid-bad&protocol=socketio",
            "/v1/connections/drop/uid-2?sid=uid-2&protocol=mqtt");
    assertThat(h.simulator().requests())
        .filteredOn(c -> c.endpoint() == RecordedCall.EndpointKind.LIST)
        .extracting(RecordedCall::rawTarget)
        .contains("/v1/connections/uid-2?sid=uid-2&protocol=mqtt");
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

  @Test
  void dryRunReportsWouldDropAndDropsNothing() {
    h.simulator()
        .addConnections(
            List.of(
                mqtt("contractor-1", "::ffff:198.51.100.1"),
                mqtt("staff-1", "::ffff:198.51.100.2")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: contractors}
        spec:
          credentialsRef: {name: beebotte-account}
          enforcement: DryRun
          deny:
          - useridPatterns: ["contractor-*"]
        """);

    ConnectionPolicy p = h.awaitCondition("contractors", "Enforced", "False", "DryRun");

    assertThat(h.condition("contractors", "Ready").getStatus()).isEqualTo("True");
    assertThat(p.getStatus().getDenied()).isEqualTo(1);
    assertThat(p.getStatus().getConnections())
        .extracting(ConnectionReport::getUserid, ConnectionReport::getVerdict)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("contractor-1", "WouldDrop"),
            org.assertj.core.groups.Tuple.tuple("staff-1", "Allowed"));
    assertThat(h.simulator().requests())
        .noneMatch(c -> c.endpoint() == RecordedCall.EndpointKind.DROP);
    assertThat(h.liveSids()).containsExactlyInAnyOrder("contractor-1", "staff-1");
  }

  @Test
  void suspendedPolicyNeitherListsNorDrops() {
    h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: paused}
        spec:
          credentialsRef: {name: beebotte-account}
          suspend: true
          deny:
          - useridPatterns: ["*"]
        """);

    h.awaitCondition("paused", "Enforced", "False", "Suspended");

    assertThat(h.simulator().requests()).isEmpty();
    assertThat(h.liveSids()).containsExactly("uid-1");
  }

  @Test
  void untilInThePastNoLongerDenies() {
    h.simulator()
        .addConnections(
            List.of(
                mqtt("uid-old", "::ffff:198.51.100.1"), mqtt("uid-new", "::ffff:198.51.100.2")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: expiring}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - userids: ["uid-old"]
            until: "2020-01-01T00:00:00Z"
          - userids: ["uid-new"]
            until: "2999-01-01T00:00:00Z"
        """);

    ConnectionPolicy p = h.awaitCondition("expiring", "Enforced", "True", "AllDropped");

    assertThat(p.getStatus().getDenied()).isEqualTo(1);
    assertThat(h.liveSids()).containsExactly("uid-old");
    assertThat(p.getStatus().getRecentDrops())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getUserid()).isEqualTo("uid-new");
              assertThat(d.getRule()).isEqualTo("deny[1]");
            });
  }

  @Test
  void allowWinsOverDeny() {
    h.simulator()
        .addConnections(
            List.of(
                socketio("ops-admin", "s-admin", "::ffff:198.51.100.1", "root", "billing"),
                socketio("app-7", "s-app", "::ffff:198.51.100.2", "mallory", "billing")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: billing}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - channels: ["billing"]
          allow:
          - userids: ["ops-admin"]
        """);

    ConnectionPolicy p = h.awaitCondition("billing", "Enforced", "True", "AllDropped");

    assertThat(h.liveSids()).containsExactly("s-admin");
    assertThat(p.getStatus().getConnections())
        .filteredOn(c -> c.getUserid().equals("ops-admin"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getVerdict()).isEqualTo("Allowed");
              assertThat(c.getRule()).isEqualTo("allow[0]");
              assertThat(c.getUsername()).isEqualTo("root");
              assertThat(c.getSubscriptions()).isNotEmpty();
            });
  }

  @Test
  void dropBudgetSpreadsDropsOverSyncs() {
    for (int i = 0; i < 5; i++) {
      h.simulator().addConnection(mqtt("bad-" + i, "::ffff:198.51.100." + i));
    }
    h.simulator().addConnection(mqtt("good", "::ffff:198.51.100.99"));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: budget}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1s
          maxDropsPerSync: 2
          deny:
          - useridPatterns: ["bad-*"]
        """);

    h.awaitCondition("budget", "Enforced", "False", "DropBudgetExceeded");
    ConnectionPolicy done = h.awaitCondition("budget", "Enforced", "True", "AllDropped");

    assertThat(h.liveSids()).containsExactly("good");
    assertThat(done.getStatus().getDropped()).isEqualTo(5);
    // Between two listings at most maxDropsPerSync connections were dropped.
    List<java.time.Instant> listings =
        h.simulator().requests().stream()
            .filter(c -> c.endpoint() == RecordedCall.EndpointKind.LIST)
            .map(RecordedCall::time)
            .toList();
    for (int i = 0; i < listings.size(); i++) {
      java.time.Instant from = listings.get(i);
      java.time.Instant to = i + 1 < listings.size() ? listings.get(i + 1) : java.time.Instant.MAX;
      long dropped =
          h.simulator().drops().stream()
              .filter(d -> !d.time().isBefore(from) && d.time().isBefore(to))
              .count();
      assertThat(dropped).as("drops after listing %d", i).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void specChangeResyncsRightAway() {
    h.simulator()
        .addConnections(
            List.of(mqtt("uid-1", "::ffff:198.51.100.1"), mqtt("uid-2", "::ffff:198.51.100.2")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: change-me}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1h
          deny:
          - userids: ["uid-1"]
        """);
    h.awaitCondition("change-me", "Enforced", "True", "AllDropped");
    assertThat(h.liveSids()).containsExactly("uid-2");

    h.kube()
        .resources(ConnectionPolicy.class)
        .inNamespace(OperatorHarness.NAMESPACE)
        .withName("change-me")
        .edit(
            p -> {
              p.getSpec().getDeny().get(0).setUserids(List.of("uid-2"));
              return p;
            });

    // The interval is an hour: only the spec change can explain a sync within the wait.
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> h.liveSids().isEmpty());
    ConnectionPolicy p = h.policy("change-me");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () ->
                h.policy("change-me").getStatus().getObservedGeneration()
                    == p.getMetadata().getGeneration());
  }

  @Test
  void invalidPolicyIsReportedAndTouchesNothing() {
    h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: broken}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - until: "2999-01-01T00:00:00Z"
          - clientCIDRs: ["10.0.0.0/33"]
          - protocols: [http]
        """);

    var ready = h.awaitCondition("broken", "Ready", "False", "InvalidSpec");

    String message = h.condition("broken", "Ready").getMessage();
    assertThat(message)
        .contains("spec.deny[0]", "spec.deny[1].clientCIDRs[0]", "spec.deny[2].protocols[0]");
    assertThat(ready.getStatus().getConnected()).isNull();
    assertThat(h.simulator().requests()).isEmpty();
    assertThat(h.liveSids()).containsExactly("uid-1");
  }

  @Test
  void dropsAreRecordedAsOneEventPerSync() {
    h.simulator()
        .addConnections(
            List.of(mqtt("uid-1", "::ffff:198.51.100.1"), mqtt("uid-2", "::ffff:198.51.100.2")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: evented}
        spec:
          credentialsRef: {name: beebotte-account}
          deny:
          - protocols: [mqtt]
        """);
    h.awaitCondition("evented", "Enforced", "True", "AllDropped");

    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> !h.events("evented").isEmpty());
    assertThat(h.events("evented"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getType()).isEqualTo("Normal");
              assertThat(e.getReason()).isEqualTo("Dropped");
              assertThat(e.getMessage())
                  .isEqualTo("Dropped 2 sessions of 2 userids (mqtt: 2) by deny[0]: uid-1, uid-2");
            });
  }

  @Test
  void droppedCountSurvivesAnOperatorRestart() {
    h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: counted}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1s
          deny:
          - useridPatterns: ["uid-*"]
        """);
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () ->
                h.policy("counted").getStatus() != null
                    && Long.valueOf(1).equals(h.policy("counted").getStatus().getDropped()));

    h.stopOperator();
    h.simulator().addConnection(mqtt("uid-2", "::ffff:198.51.100.2"));
    h.startOperator();

    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> Long.valueOf(2).equals(h.policy("counted").getStatus().getDropped()));
    assertThat(h.policy("counted").getStatus().getRecentDrops())
        .extracting(d -> d.getUserid())
        .containsExactly("uid-1", "uid-2");
  }
}
