package io.cpol.enforce;

import static io.cpol.enforce.TestConnections.mqtt;
import static io.cpol.enforce.TestConnections.socketio;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Protocol;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Fewest drop calls, never a non-denied connection, never more than the budget. */
class DropPlannerTest {
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  /** Evaluates {@code observed} against a policy and plans its drops. */
  static DropPlan plan(String policyYaml, List<Connection> observed, int budget) {
    Evaluation evaluation = PolicyEvaluation.evaluate(TestSpecs.compile(policyYaml), observed, NOW);
    DropPlan plan = DropPlanner.plan(evaluation, budget);
    assertNoCallCoversASparedConnection(evaluation, plan);
    return plan;
  }

  static void assertNoCallCoversASparedConnection(Evaluation evaluation, DropPlan plan) {
    for (int i = 0; i < evaluation.observed().size(); i++) {
      if (!evaluation.verdicts().get(i).denied()) {
        Connection spared = evaluation.observed().get(i);
        assertThat(plan.calls())
            .as("calls covering %s", spared)
            .noneMatch(call -> call.target().covers(spared));
      }
    }
  }

  static List<DropTarget> targets(DropPlan plan) {
    return plan.calls().stream().map(PlannedDrop::target).toList();
  }

  @Test
  void allSessionsOfAUserDeniedTakeOneCall() {
    Connection a = socketio("uid-1", "s1");
    Connection b = socketio("uid-1", "s2");
    Connection m = mqtt("uid-1");

    DropPlan plan = plan("deny: [{userids: [uid-1]}]", List.of(a, m, b), 100);

    assertThat(targets(plan)).containsExactly(DropTarget.user("uid-1"));
    assertThat(plan.calls().get(0).closes()).containsExactly(a, b, m);
    assertThat(plan.calls().get(0).rules()).containsExactly("deny[0]", "deny[0]", "deny[0]");
    assertThat(plan.plannedConnections()).isEqualTo(3);
    assertThat(plan.deferred()).isZero();
    assertThat(plan.undroppable()).isZero();
  }

  @Test
  void oneOfTwoSessionsDeniedTakesASessionCall() {
    Connection denied = socketio("uid-1", "s1");
    Connection kept = socketio("uid-1", "s2");

    DropPlan plan = plan("deny: [{sids: [s1]}]", List.of(denied, kept), 100);

    assertThat(targets(plan)).containsExactly(DropTarget.session("uid-1", "s1"));
    assertThat(plan.calls().get(0).closes()).containsExactly(denied);
  }

  @Test
  void allSocketioButNotMqttTakesAProtocolCall() {
    Connection s1 = socketio("uid-1", "s1");
    Connection s2 = socketio("uid-1", "s2");
    Connection m = mqtt("uid-1");

    DropPlan plan = plan("deny: [{protocols: [socketio]}]", List.of(s1, m, s2), 100);

    assertThat(targets(plan))
        .containsExactly(DropTarget.userOnProtocol("uid-1", Protocol.socketio));
    assertThat(plan.calls().get(0).closes()).containsExactly(s1, s2);
  }

  @Test
  void theMqttConnectionAloneDeniedTakesAnMqttCall() {
    Connection m = mqtt("uid-1");
    Connection s1 = socketio("uid-1", "s1");

    DropPlan plan = plan("deny: [{protocols: [mqtt]}]", List.of(s1, m), 100);

    assertThat(targets(plan)).containsExactly(DropTarget.userOnProtocol("uid-1", Protocol.mqtt));
    assertThat(plan.calls().get(0).closes()).containsExactly(m);
  }

  @Test
  void anMqttOnlyUserTakesAUserCall() {
    DropPlan plan = plan("deny: [{protocols: [mqtt]}]", List.of(mqtt("dev-1"), mqtt("dev-2")), 100);

    assertThat(targets(plan)).containsExactly(DropTarget.user("dev-1"), DropTarget.user("dev-2"));
  }

  @Test
  void mixedPerProtocolCallsAndSessionCalls() {
    // Every mqtt session of uid-1 is denied (there is one); one of two socketio sessions is.
    Connection m = mqtt("uid-1");
    Connection s1 = socketio("uid-1", "s1", null, "mallory");
    Connection s2 = socketio("uid-1", "s2", null, "alice");

    DropPlan plan =
        plan("deny: [{protocols: [mqtt]}, {usernames: [mallory]}]", List.of(m, s1, s2), 100);

    assertThat(targets(plan))
        .containsExactly(
            DropTarget.session("uid-1", "s1"), DropTarget.userOnProtocol("uid-1", Protocol.mqtt));
    assertThat(plan.calls().get(0).rules()).containsExactly("deny[1]");
    assertThat(plan.calls().get(1).rules()).containsExactly("deny[0]");
  }

  @Test
  void allowedSessionsAreSpared() {
    Connection admin = socketio("uid-1", "s-admin", null, "admin");
    Connection other = socketio("uid-1", "s-other", null, "bob");

    DropPlan plan =
        plan(
            "deny: [{userids: [uid-1]}]\nallow: [{usernames: [admin]}]",
            List.of(admin, other),
            100);

    assertThat(targets(plan)).containsExactly(DropTarget.session("uid-1", "s-other"));
  }

  @Test
  void theBudgetSplitsAUserIntoSessionCallsInSidOrder() {
    List<Connection> observed =
        List.of(socketio("u", "s3"), socketio("u", "s1"), socketio("u", "s2"));

    DropPlan plan = plan("deny: [{userids: [u]}]", observed, 2);

    assertThat(targets(plan))
        .containsExactly(DropTarget.session("u", "s1"), DropTarget.session("u", "s2"));
    assertThat(plan.plannedConnections()).isEqualTo(2);
    assertThat(plan.deferred()).isEqualTo(1);
  }

  @Test
  void theBudgetCutsBetweenUsersInUseridOrder() {
    List<Connection> observed =
        List.of(mqtt("c"), socketio("a", "s1"), socketio("a", "s2"), mqtt("b"));
    String policy = "deny: [{useridPatterns: ['*']}]";

    assertThat(targets(plan(policy, observed, 1))).containsExactly(DropTarget.session("a", "s1"));
    assertThat(targets(plan(policy, observed, 2))).containsExactly(DropTarget.user("a"));
    assertThat(targets(plan(policy, observed, 3)))
        .containsExactly(DropTarget.user("a"), DropTarget.user("b"));
    DropPlan all = plan(policy, observed, 4);
    assertThat(targets(all))
        .containsExactly(DropTarget.user("a"), DropTarget.user("b"), DropTarget.user("c"));
    assertThat(all.deferred()).isZero();
    assertThat(plan(policy, observed, 3).deferred()).isEqualTo(1);
  }

  @Test
  void aProtocolCallStillFitsWhenTheCutFallsBetweenProtocols() {
    // Plan order is by sid: a, b (socketio) then u (the mqtt sid is the userid).
    List<Connection> observed = List.of(mqtt("u"), socketio("u", "a"), socketio("u", "b"));

    DropPlan plan = plan("deny: [{userids: [u]}]", observed, 2);

    assertThat(targets(plan)).containsExactly(DropTarget.userOnProtocol("u", Protocol.socketio));
    assertThat(plan.plannedConnections()).isEqualTo(2);
    assertThat(plan.deferred()).isEqualTo(1);
  }

  @Test
  void aZeroBudgetDefersEverything() {
    DropPlan plan = plan("deny: [{useridPatterns: ['*']}]", List.of(mqtt("a"), mqtt("b")), 0);

    assertThat(plan.calls()).isEmpty();
    assertThat(plan.plannedConnections()).isZero();
    assertThat(plan.deferred()).isEqualTo(2);
  }

  @Test
  void aNegativeBudgetIsABug() {
    Evaluation nothing =
        PolicyEvaluation.evaluate(TestSpecs.compile("deny: [{sids: [s]}]"), List.of(), NOW);
    assertThatThrownBy(() -> DropPlanner.plan(nothing, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nothingDeniedPlansNothing() {
    DropPlan plan = plan("deny: [{userids: [x]}]", List.of(mqtt("a"), socketio("b", "s")), 10);

    assertThat(plan).isEqualTo(new DropPlan(List.of(), 0, 0, 0));
  }

  @Test
  void thePlanDoesNotDependOnListingOrder() {
    List<Connection> observed = new ArrayList<>();
    for (int u = 0; u < 20; u++) {
      observed.add(mqtt("uid-" + u));
      for (int s = 0; s < u % 4; s++) {
        observed.add(socketio("uid-" + u, "sid-" + u + "-" + s));
      }
    }
    String policy = "deny: [{useridPatterns: ['uid-1*']}, {protocols: [socketio]}]";
    DropPlan expected = plan(policy, observed, 15);

    Random random = new Random(7);
    for (int round = 0; round < 10; round++) {
      List<Connection> shuffled = new ArrayList<>(observed);
      Collections.shuffle(shuffled, random);
      assertThat(plan(policy, shuffled, 15)).isEqualTo(expected);
    }
  }

  @Test
  void aSessionListedTwiceWithDifferentVerdictsIsNotDropped() {
    // The same session seen with two addresses: a session call would close the spared one too.
    Connection deniedCopy = socketio("u", "s1", "203.0.113.7", null);
    Connection sparedCopy = socketio("u", "s1", "198.51.100.1", null);
    Connection other = socketio("u", "s2", "203.0.113.8", null);

    DropPlan plan =
        plan("deny: [{clientCIDRs: [203.0.113.0/24]}]", List.of(deniedCopy, sparedCopy, other), 10);

    assertThat(targets(plan)).containsExactly(DropTarget.session("u", "s2"));
    assertThat(plan.undroppable()).isEqualTo(1);
    assertThat(plan.deferred()).isZero();
  }

  @Test
  void aSidSharedAcrossProtocolsTakesOneSessionCall() {
    // Odd but possible: a Socket.IO session whose sid equals the userid, like the MQTT one.
    Connection m = mqtt("u");
    Connection sameSid = socketio("u", "u");
    Connection spared = socketio("u", "s2", null, "admin");

    DropPlan plan =
        plan(
            "deny: [{userids: [u]}]\nallow: [{usernames: [admin]}]",
            List.of(m, sameSid, spared),
            10);

    assertThat(targets(plan)).containsExactly(DropTarget.session("u", "u"));
    assertThat(plan.calls().get(0).closes()).containsExactly(m, sameSid);
    assertThat(plan.plannedConnections()).isEqualTo(2);
  }

  @Test
  void connectionsWithoutUseridAreUndroppable() {
    Connection anonymous = new Connection(null, "s", "socketio", null, null, "acct", null, null);

    DropPlan plan = plan("deny: [{sids: [s]}]", List.of(anonymous), 10);

    assertThat(plan.calls()).isEmpty();
    assertThat(plan.undroppable()).isEqualTo(1);
  }

  @Test
  void observedAndDeniedListsPlanLikeAnEvaluation() {
    List<Connection> observed =
        List.of(mqtt("a"), socketio("a", "s1"), socketio("b", "s2"), socketio("b", "s3"));
    Evaluation evaluation =
        PolicyEvaluation.evaluate(
            TestSpecs.compile("deny: [{sids: [a, s2]}, {userids: [a]}]"), observed, NOW);

    assertThat(DropPlanner.plan(observed, evaluation.denied(), 10))
        .isEqualTo(DropPlanner.plan(evaluation, 10));
  }

  @Test
  void deniedButUnobservedConnectionsAreStillPlanned() {
    Connection gone = socketio("a", "s9");

    DropPlan plan =
        DropPlanner.plan(
            List.of(socketio("a", "s1")), List.of(new DeniedConnection(gone, "deny[0]")), 10);

    assertThat(targets(plan)).containsExactly(DropTarget.session("a", "s9"));
  }

  @Test
  void callsComeInUseridThenSidOrder() {
    List<Connection> observed = new ArrayList<>();
    for (String user : List.of("b", "a", "c")) {
      observed.add(socketio(user, "keep"));
      observed.add(socketio(user, "z"));
      observed.add(socketio(user, "y"));
    }

    DropPlan plan = plan("deny: [{sids: [y, z]}]", observed, 100);

    assertThat(
            plan.calls().stream()
                .map(call -> call.target().userid() + "/" + call.target().sid())
                .collect(Collectors.toList()))
        .containsExactly("a/y", "a/z", "b/y", "b/z", "c/y", "c/z");
  }
}
