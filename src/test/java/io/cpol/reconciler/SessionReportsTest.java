package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionReport;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sessions a policy's status lists: denied first, then (userid, sid), within the limit. */
class SessionReportsTest {
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  private static CompiledPolicy policy(String yaml) throws Exception {
    return CompiledPolicy.compile(Serialization.unmarshal(yaml, ConnectionPolicySpec.class));
  }

  @Test
  void reportsAreTheHeadOfTheFullOrderWhateverTheListingOrder() throws Exception {
    Random random = new Random(42);
    for (int round = 0; round < 60; round++) {
      int limit = new int[] {0, 1, 3, 100, 1000}[round % 5];
      List<Connection> cs = new ArrayList<>();
      Set<String> sessions = new HashSet<>();
      int size = random.nextInt(600);
      while (cs.size() < size) {
        String userid = random.nextInt(30) == 0 ? null : "u-" + random.nextInt(60);
        String sid = random.nextInt(30) == 0 ? null : "s-" + random.nextInt(100_000);
        if (sessions.add(userid + "/" + sid)) {
          cs.add(
              new Connection(
                  userid, sid, "socketio", userid, "::ffff:10.0.0.1", "acme", null, List.of()));
        }
      }
      Collections.shuffle(cs, random);
      CompiledPolicy p =
          policy(
              """
              credentialsRef: {name: s}
              report: {connectionsLimit: %d}
              deny:
              - useridPatterns: ["u-1*"]
              """
                  .formatted(limit));
      AccountEvaluation evaluation = new AccountPolicies(List.of(p)).evaluate(cs, NOW);
      Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
      cs.stream()
          .filter(c -> c.userid() != null && c.userid().startsWith("u-12"))
          .forEach(closed::add);

      List<ConnectionReport> reported =
          SessionReports.select(
              evaluation, 0, SessionReports.head(cs, limit), closed, false, limit);

      Comparator<String> nullsLast = Comparator.nullsLast(Comparator.naturalOrder());
      List<String> expected =
          cs.stream()
              .sorted(
                  Comparator.comparing(
                          (Connection c) -> !(c.userid() != null && c.userid().startsWith("u-1")))
                      .thenComparing(Connection::userid, nullsLast)
                      .thenComparing(Connection::sid, nullsLast))
              .limit(limit)
              .map(c -> c.userid() + "/" + c.sid())
              .toList();
      assertThat(reported)
          .as("round %d, limit %d", round, limit)
          .extracting(c -> c.getUserid() + "/" + c.getSid())
          .containsExactlyElementsOf(expected);
      for (ConnectionReport r : reported) {
        boolean denied = r.getUserid() != null && r.getUserid().startsWith("u-1");
        String verdict =
            !denied ? "Allowed" : r.getUserid().startsWith("u-12") ? "Dropped" : "Denied";
        assertThat(r.getVerdict()).as("%s", r.getUserid()).isEqualTo(verdict);
      }
    }
  }

  @Test
  void aDryRunReportsWouldDrop() throws Exception {
    List<Connection> cs =
        List.of(
            new Connection("a", "a", "mqtt", "a", null, "acme", null, List.of()),
            new Connection("b", "b", "mqtt", "b", null, "acme", null, List.of()));
    CompiledPolicy p = policy("credentialsRef: {name: s}\ndeny:\n- userids: [a]\n");
    AccountEvaluation evaluation = new AccountPolicies(List.of(p)).evaluate(cs, NOW);

    List<ConnectionReport> reported =
        SessionReports.select(evaluation, 0, SessionReports.head(cs, 100), Set.of(), true, 100);

    assertThat(reported)
        .extracting(
            ConnectionReport::getUserid, ConnectionReport::getVerdict, ConnectionReport::getRule)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", "WouldDrop", "deny[0]"),
            org.assertj.core.groups.Tuple.tuple("b", "Allowed", null));
  }
}
