package io.cpol.enforce;

import static io.cpol.enforce.TestConnections.mqtt;
import static io.cpol.enforce.TestConnections.socketio;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyEvaluationTest {
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void evaluatesEveryConnectionAndCounts() {
    CompiledPolicy policy =
        TestSpecs.compile(
            "deny: [{useridPatterns: ['contractor-*']}, {protocols: [mqtt]}]\n"
                + "allow: [{userids: [contractor-admin]}]");
    Connection c1 = socketio("contractor-1", "s1");
    Connection admin = socketio("contractor-admin", "s2");
    Connection device = mqtt("dev-1");
    Connection staff = socketio("staff-1", "s3");

    Evaluation evaluation =
        PolicyEvaluation.evaluate(policy, List.of(c1, admin, device, staff), NOW);

    assertThat(evaluation.connected()).isEqualTo(4);
    assertThat(evaluation.deniedCount()).isEqualTo(2);
    assertThat(evaluation.allowedByException()).isEqualTo(1);
    assertThat(evaluation.verdicts())
        .containsExactly(
            new Verdict(true, "deny[0]"),
            new Verdict(false, "allow[0]"),
            new Verdict(true, "deny[1]"),
            Verdict.NOT_DENIED);
    assertThat(evaluation.denied())
        .containsExactly(
            new DeniedConnection(c1, "deny[0]"), new DeniedConnection(device, "deny[1]"));
  }

  @Test
  void anEmptyListingDeniesNothing() {
    Evaluation evaluation =
        PolicyEvaluation.evaluate(
            TestSpecs.compile("deny: [{useridPatterns: ['*']}]"), List.of(), NOW);

    assertThat(evaluation.connected()).isZero();
    assertThat(evaluation.denied()).isEmpty();
  }

  @Test
  void largeListingsGiveTheSameVerdictsAsOneByOne() {
    CompiledPolicy policy =
        TestSpecs.compile(
            """
            deny:
            - useridPatterns: ['uid-1*']
            - clientCIDRs: [10.0.0.0/24]
            - sids: [sid-77, sid-20001]
            - protocols: [mqtt]
              usernames: [nobody]
            allow:
            - userids: [uid-1000]
            """);
    List<Connection> observed = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      observed.add(
          i % 5 == 0
              ? mqtt("uid-" + i, "10.0." + (i % 3) + "." + (i % 250))
              : socketio("uid-" + (i % 9000), "sid-" + i, "::ffff:10.0." + (i % 2) + ".9", null));
    }

    Evaluation evaluation = PolicyEvaluation.evaluate(policy, observed, NOW);

    List<Verdict> oneByOne = observed.stream().map(c -> policy.evaluate(c, NOW)).toList();
    assertThat(evaluation.verdicts()).isEqualTo(oneByOne);
    assertThat(evaluation.deniedCount())
        .isEqualTo((int) oneByOne.stream().filter(Verdict::denied).count())
        .isPositive()
        .isLessThan(observed.size());
  }
}
