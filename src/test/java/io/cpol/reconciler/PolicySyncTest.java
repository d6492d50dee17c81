package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionReport;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One sync without a cluster: the drop calls made and the report it yields. */
class PolicySyncTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC);

  private static CompiledPolicy policy(String yaml) throws Exception {
    return CompiledPolicy.compile(Serialization.unmarshal(yaml, ConnectionPolicySpec.class));
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid, "mqtt", userid, "::ffff:198.51.100.1", "acme", null, List.of());
  }

  private static ConnectionSnapshot snapshot(List<Connection> cs) {
    return new ConnectionSnapshot(cs, Instant.parse("2026-11-26T09:59:59Z"), false);
  }

  @Test
  void reportListsDeniedFirstThenByUseridWithinTheLimit() throws Exception {
    List<Connection> cs = new ArrayList<>();
    for (int i = 999; i >= 0; i--) {
      cs.add(mqtt(String.format("u-%04d", i)));
    }
    CompiledPolicy p =
        policy(
            """
            credentialsRef: {name: s}
            maxDropsPerSync: 1
            report: {connectionsLimit: 5}
            deny:
            - userids: ["u-0500", "u-0900"]
            """);
    List<DropTarget> calls = new ArrayList<>();

    SyncReport r = PolicySync.run(p, snapshot(cs), false, calls::add, clock);

    assertThat(r.connected()).isEqualTo(1000);
    assertThat(r.denied()).isEqualTo(2);
    assertThat(r.deferred()).isEqualTo(1);
    assertThat(calls).containsExactly(DropTarget.user("u-0500"));
    assertThat(r.reported())
        .extracting(ConnectionReport::getUserid, ConnectionReport::getVerdict)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("u-0500", "Dropped"),
            org.assertj.core.groups.Tuple.tuple("u-0900", "Denied"),
            org.assertj.core.groups.Tuple.tuple("u-0000", "Allowed"),
            org.assertj.core.groups.Tuple.tuple("u-0001", "Allowed"),
            org.assertj.core.groups.Tuple.tuple("u-0002", "Allowed"));
    assertThat(r.drops())
        .singleElement()
        .satisfies(d -> assertThat(d.getRule()).isEqualTo("deny[0]"));
  }

  @Test
  void dryRunMakesNoCalls() throws Exception {
    CompiledPolicy p =
        policy(
            """
            credentialsRef: {name: s}
            enforcement: DryRun
            deny:
            - useridPatterns: ["*"]
            """);
    List<DropTarget> calls = new ArrayList<>();

    SyncReport r =
        PolicySync.run(p, snapshot(List.of(mqtt("a"), mqtt("b"))), true, calls::add, clock);

    assertThat(calls).isEmpty();
    assertThat(r.drops()).isEmpty();
    assertThat(r.reported()).extracting(ConnectionReport::getVerdict).containsOnly("WouldDrop");
  }

  @Test
  void aFailedDropStopsTheSyncAndIsReported() throws Exception {
    CompiledPolicy p =
        policy(
            """
            credentialsRef: {name: s}
            deny:
            - useridPatterns: ["*"]
            """);
    List<DropTarget> calls = new ArrayList<>();

    SyncReport r =
        PolicySync.run(
            p,
            snapshot(List.of(mqtt("a"), mqtt("b"), mqtt("c"))),
            false,
            t -> {
              calls.add(t);
              if (t.userid().equals("b")) {
                throw new BeebotteException(
                    BeebotteException.Kind.TRANSIENT, 503, 0, "unavailable", null, null);
              }
            },
            clock);

    assertThat(calls).extracting(DropTarget::userid).containsExactly("a", "b");
    assertThat(r.drops()).extracting(d -> d.getUserid()).containsExactly("a");
    assertThat(r.dropFailure())
        .contains("userid b", "HTTP 503", "2 denied connections not dropped");
    assertThat(r.failedByProtocol()).containsEntry("mqtt", 2);
    assertThat(r.executed()).containsExactly(DropTarget.user("a"));
  }

  @Test
  void reportIsTheHeadOfTheFullOrderWhateverTheListingOrder() throws Exception {
    java.util.Random random = new java.util.Random(42);
    for (int round = 0; round < 40; round++) {
      int limit = new int[] {1, 3, 100, 1000}[round % 4];
      List<Connection> cs = new ArrayList<>();
      java.util.Set<String> sessions = new java.util.HashSet<>();
      int size = random.nextInt(600);
      while (cs.size() < size) {
        String userid = "u-" + random.nextInt(60);
        String sid = "s-" + random.nextInt(100_000);
        if (sessions.add(userid + "/" + sid)) {
          cs.add(
              new Connection(
                  userid, sid, "socketio", userid, "::ffff:10.0.0.1", "acme", null, List.of()));
        }
      }
      CompiledPolicy p =
          policy(
              """
              credentialsRef: {name: s}
              enforcement: DryRun
              report: {connectionsLimit: %d}
              deny:
              - useridPatterns: ["u-1*"]
              """
                  .formatted(limit));

      SyncReport r = PolicySync.run(p, snapshot(cs), true, t -> {}, clock);

      List<String> expected =
          cs.stream()
              .sorted(
                  java.util.Comparator.comparing((Connection c) -> !c.userid().startsWith("u-1"))
                      .thenComparing(Connection::userid)
                      .thenComparing(Connection::sid))
              .limit(limit)
              .map(c -> c.userid() + "/" + c.sid())
              .toList();
      assertThat(r.reported())
          .extracting(c -> c.getUserid() + "/" + c.getSid())
          .containsExactlyElementsOf(expected);
    }
  }
}
