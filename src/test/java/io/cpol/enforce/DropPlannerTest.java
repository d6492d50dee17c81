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

/**
 * The joint drop plan: calls safe against sessions that connect after the listing, as few as that
 * allows, within every policy's budget, counted for one policy each.
 */
class DropPlannerTest {
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  /** Plans the drops of one enforcing policy with the given budget. */
  static DropPlan plan(String policyYaml, List<Connection> observed, int budget) {
    return plan(List.of(policyYaml), observed, budget);
  }

  /** Plans the drops of several enforcing policies (budgets in the same order). */
  static DropPlan plan(List<String> policyYamls, List<Connection> observed, int... budgets) {
    AccountPolicies policies =
        new AccountPolicies(policyYamls.stream().map(TestSpecs::compile).toList());
    AccountEvaluation evaluation = policies.evaluate(observed, NOW);
    List<DropPlanner.Participant> participants = new ArrayList<>();
    for (int p = 0; p < policyYamls.size(); p++) {
      participants.add(new DropPlanner.Participant(p, budgets[p]));
    }
    DropPlan plan = DropPlanner.plan(evaluation, participants, NOW);
    for (int i = 0; i < observed.size(); i++) {
      int connection = i;
      boolean deniedByAny =
          java.util.stream.IntStream.range(0, policies.size())
              .anyMatch(p -> evaluation.denies(p, connection));
      if (!deniedByAny) {
        Connection spared = observed.get(i);
        assertThat(plan.calls())
            .as("calls covering %s", spared)
            .noneMatch(call -> call.target().covers(spared));
      }
    }
    return plan;
  }

  static List<DropTarget> targets(DropPlan plan) {
    return plan.calls().stream().map(PlannedDrop::target).toList();
  }

  static DropTarget session(String userid, Protocol protocol, String sid) {
    return new DropTarget(userid, protocol, sid);
  }

  @Test
  void aRuleOnTheUseridAloneDropsTheWholeUserInOneCall() {
    Connection a = socketio("uid-1", "s1");
    Connection b = socketio("uid-1", "s2");
    Connection m = mqtt("uid-1");

    DropPlan plan = plan("deny: [{userids: [uid-1]}]", List.of(a, m, b), 100);

    assertThat(targets(plan)).containsExactly(DropTarget.user("uid-1"));
    assertThat(plan.calls().get(0).closes()).containsExactly(a, b, m);
    assertThat(plan.calls().get(0).rules()).containsExactly("deny[0]", "deny[0]", "deny[0]");
    assertThat(plan.calls().get(0).verifyFirst()).isFalse();
    assertThat(plan.plannedConnections()).isEqualTo(3);
    assertThat(plan.deferred()[0]).isZero();
    assertThat(plan.undroppable()[0]).isZero();
  }

  @Test
  void aRuleOnMoreThanTheUseridNeverMakesAUseridWideCall() {
    // The soak's case: every observed session of uid-1 is denied (it has only Socket.IO ones), but
    // an MQTT session of uid-1 connecting before the call lands would be allowed.
    Connection s1 = socketio("uid-1", "s1");
    Connection s2 = socketio("uid-1", "s2");

    DropPlan plan =
        plan("deny: [{useridPatterns: ['uid-*'], protocols: [socketio]}]", List.of(s1, s2), 100);

    assertThat(targets(plan))
        .containsExactly(DropTarget.userOnProtocol("uid-1", Protocol.socketio));
    assertThat(plan.calls().get(0).target().covers(mqtt("uid-1"))).isFalse();
  }

  @Test
  void anAddressRuleDropsSocketioSessionsOneByOne() {
    Connection s1 = socketio("uid-1", "s1", "::ffff:203.0.113.7", null);
    Connection s2 = socketio("uid-1", "s2", "::ffff:203.0.113.8", null);

    DropPlan plan = plan("deny: [{clientCIDRs: [203.0.113.0/24]}]", List.of(s1, s2), 100);

    assertThat(targets(plan))
        .containsExactly(
            session("uid-1", Protocol.socketio, "s1"), session("uid-1", Protocol.socketio, "s2"));
    assertThat(plan.calls()).noneMatch(PlannedDrop::verifyFirst);
  }

  @Test
  void anMqttSessionDeniedForItsAddressIsVerifiedBeforeItsCall() {
    // An MQTT sid is the userid: a per-session call would close whatever MQTT session the device
    // has when it lands, even a new one from an allowed address.
    Connection m = mqtt("dev-1", "::ffff:203.0.113.9");

    DropPlan plan = plan("deny: [{clientCIDRs: [203.0.113.0/24]}]", List.of(m), 100);

    assertThat(targets(plan)).containsExactly(session("dev-1", Protocol.mqtt, "dev-1"));
    assertThat(plan.calls().get(0).verifyFirst()).isTrue();
  }

  @Test
  void aProtocolRuleDropsThatProtocolOfEachUser() {
    Connection s1 = socketio("uid-1", "s1");
    Connection s2 = socketio("uid-1", "s2");
    Connection m = mqtt("uid-1");

    DropPlan plan = plan("deny: [{protocols: [socketio]}]", List.of(s1, m, s2), 100);

    assertThat(targets(plan))
        .containsExactly(DropTarget.userOnProtocol("uid-1", Protocol.socketio));
    assertThat(plan.calls().get(0).closes()).containsExactly(s1, s2);
  }

  @Test
  void anMqttOnlyUserDeniedByProtocolTakesAnMqttCallNotAUserCall() {
    DropPlan plan = plan("deny: [{protocols: [mqtt]}]", List.of(mqtt("dev-1"), mqtt("dev-2")), 100);

    assertThat(targets(plan))
        .containsExactly(
            DropTarget.userOnProtocol("dev-1", Protocol.mqtt),
            DropTarget.userOnProtocol("dev-2", Protocol.mqtt));
  }

  @Test
  void anMqttSidRuleCoversTheDevice() {
    // sids: [dev-1] matches every MQTT session of dev-1, whose sid is always dev-1.
    DropPlan plan = plan("deny: [{sids: [dev-1]}]", List.of(mqtt("dev-1")), 100);

    assertThat(targets(plan)).containsExactly(DropTarget.userOnProtocol("dev-1", Protocol.mqtt));
    assertThat(plan.calls().get(0).verifyFirst()).isFalse();
  }

  @Test
  void mixedProtocolAndSessionCalls() {
    Connection m = mqtt("uid-1");
    Connection s1 = socketio("uid-1", "s1", null, "mallory");
    Connection s2 = socketio("uid-1", "s2", null, "alice");

    DropPlan plan =
        plan("deny: [{protocols: [mqtt]}, {usernames: [mallory]}]", List.of(m, s1, s2), 100);

    assertThat(targets(plan))
        .containsExactly(
            DropTarget.userOnProtocol("uid-1", Protocol.mqtt),
            session("uid-1", Protocol.socketio, "s1"));
    assertThat(plan.calls().get(0).rules()).containsExactly("deny[0]");
    assertThat(plan.calls().get(1).rules()).containsExactly("deny[1]");
  }

  @Test
  void anAllowRuleThatCouldSpareAFutureSessionForbidsTheWideCall() {
    // Both observed sessions are denied, but a session with username admin would be allowed.
    Connection a = socketio("uid-1", "s1", null, "bob");
    Connection b = socketio("uid-1", "s2", null, "carol");

    DropPlan plan =
        plan("deny: [{userids: [uid-1]}]\nallow: [{usernames: [admin]}]", List.of(a, b), 100);

    assertThat(targets(plan))
        .containsExactly(
            session("uid-1", Protocol.socketio, "s1"), session("uid-1", Protocol.socketio, "s2"));
  }

  @Test
  void anAllowRuleForOtherUseridsDoesNotForbidTheWideCall() {
    DropPlan plan =
        plan(
            "deny: [{useridPatterns: ['uid-*']}]\nallow: [{userids: [uid-admin], usernames: [x]}]",
            List.of(socketio("uid-1", "s1"), mqtt("uid-1")),
            100);

    assertThat(targets(plan)).containsExactly(DropTarget.user("uid-1"));
  }

  @Test
  void anMqttOnlyAllowRuleWithAUsernameCannotSpareAnything() {
    // MQTT sessions have no username: this allow rule can never match, so it forbids nothing.
    DropPlan plan =
        plan(
            "deny: [{userids: [u]}]\nallow: [{protocols: [mqtt], usernames: [admin]}]",
            List.of(mqtt("u"), socketio("u", "s1")),
            100);

    assertThat(targets(plan)).containsExactly(DropTarget.user("u"));
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

    assertThat(targets(plan)).containsExactly(session("uid-1", Protocol.socketio, "s-other"));
  }

  @Test
  void aRuleThatExpiresSoonIsNotTrustedForWideCalls() {
    String soon = NOW.plusSeconds(30).toString();
    DropPlan plan =
        plan(
            "deny: [{userids: [u], until: '" + soon + "'}]",
            List.of(socketio("u", "s1"), socketio("u", "s2")),
            100);

    assertThat(targets(plan))
        .containsExactly(
            session("u", Protocol.socketio, "s1"), session("u", Protocol.socketio, "s2"));
    assertThat(plan.calls()).allMatch(c -> c.validUntil().equals(Instant.parse(soon)));
  }

  @Test
  void theBudgetSplitsAUserIntoSessionCallsInSidOrder() {
    List<Connection> observed =
        List.of(socketio("u", "s3"), socketio("u", "s1"), socketio("u", "s2"));

    DropPlan plan = plan("deny: [{userids: [u]}]", observed, 2);

    assertThat(targets(plan))
        .containsExactly(
            session("u", Protocol.socketio, "s1"), session("u", Protocol.socketio, "s2"));
    assertThat(plan.planned()[0]).isEqualTo(2);
    assertThat(plan.deferred()[0]).isEqualTo(1);
  }

  @Test
  void theBudgetCutsBetweenUsersInUseridOrder() {
    List<Connection> observed =
        List.of(mqtt("c"), socketio("a", "s1"), socketio("a", "s2"), mqtt("b"));
    String policy = "deny: [{useridPatterns: ['*']}]";

    assertThat(targets(plan(policy, observed, 1)))
        .containsExactly(session("a", Protocol.socketio, "s1"));
    assertThat(targets(plan(policy, observed, 2))).containsExactly(DropTarget.user("a"));
    assertThat(targets(plan(policy, observed, 3)))
        .containsExactly(DropTarget.user("a"), DropTarget.user("b"));
    DropPlan all = plan(policy, observed, 4);
    assertThat(targets(all))
        .containsExactly(DropTarget.user("a"), DropTarget.user("b"), DropTarget.user("c"));
    assertThat(all.deferred()[0]).isZero();
    assertThat(plan(policy, observed, 3).deferred()[0]).isEqualTo(1);
  }

  @Test
  void aZeroBudgetDefersEverything() {
    DropPlan plan = plan("deny: [{useridPatterns: ['*']}]", List.of(mqtt("a"), mqtt("b")), 0);

    assertThat(plan.calls()).isEmpty();
    assertThat(plan.plannedConnections()).isZero();
    assertThat(plan.deferred()[0]).isEqualTo(2);
  }

  @Test
  void aNegativeBudgetIsABug() {
    assertThatThrownBy(() -> new DropPlanner.Participant(0, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nothingDeniedPlansNothing() {
    DropPlan plan = plan("deny: [{userids: [x]}]", List.of(mqtt("a"), socketio("b", "s")), 10);

    assertThat(plan.calls()).isEmpty();
    assertThat(plan.deferred()).containsExactly(0);
    assertThat(plan.undroppable()).containsExactly(0);
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
    List<DropTarget> expected = targets(plan(policy, observed, 15));

    Random random = new Random(7);
    for (int round = 0; round < 10; round++) {
      List<Connection> shuffled = new ArrayList<>(observed);
      Collections.shuffle(shuffled, random);
      assertThat(targets(plan(policy, shuffled, 15))).isEqualTo(expected);
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

    assertThat(targets(plan)).containsExactly(session("u", Protocol.socketio, "s2"));
    assertThat(plan.undroppable()[0]).isEqualTo(1);
    assertThat(plan.deferred()[0]).isZero();
  }

  @Test
  void aSidSharedAcrossProtocolsIsDroppedPerProtocol() {
    // Odd but possible: a Socket.IO session whose sid equals the userid, like the MQTT one. The
    // per-session calls name the protocol, so each closes only its own.
    Connection m = mqtt("u", "::ffff:203.0.113.1");
    Connection sameSid = socketio("u", "u", "::ffff:203.0.113.2", null);
    Connection spared = socketio("u", "s2", "::ffff:198.51.100.1", null);

    DropPlan plan =
        plan("deny: [{clientCIDRs: [203.0.113.0/24]}]", List.of(m, sameSid, spared), 10);

    assertThat(targets(plan))
        .containsExactly(session("u", Protocol.mqtt, "u"), session("u", Protocol.socketio, "u"));
  }

  @Test
  void connectionsWithoutUseridAreUndroppable() {
    Connection anonymous = new Connection(null, "s", "socketio", null, null, "acct", null, null);

    DropPlan plan = plan("deny: [{sids: [s]}]", List.of(anonymous), 10);

    assertThat(plan.calls()).isEmpty();
    assertThat(plan.undroppable()[0]).isEqualTo(1);
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

  // ---- Several policies on one account ----

  @Test
  void aSessionTwoPoliciesDenyIsDroppedOnceAndCountedForTheFirst() {
    Connection s = socketio("u", "s1", "::ffff:203.0.113.7", null);

    DropPlan plan =
        plan(
            List.of("deny: [{clientCIDRs: [203.0.113.0/24]}]", "deny: [{sids: [s1]}]"),
            List.of(s),
            10,
            10);

    assertThat(plan.calls()).singleElement().satisfies(c -> assertThat(c.policy()).isZero());
    assertThat(plan.planned()).containsExactly(1, 0);
  }

  @Test
  void anExhaustedPolicyLeavesTheNextOneToPay() {
    List<Connection> observed = List.of(socketio("a", "s1"), socketio("b", "s2"));

    DropPlan plan =
        plan(List.of("deny: [{sids: [s1, s2]}]", "deny: [{sids: [s2]}]"), observed, 1, 5);

    assertThat(plan.calls())
        .extracting(c -> c.target().sid() + "@" + c.policy())
        .containsExactly("s1@0", "s2@1");
    assertThat(plan.deferred()).containsExactly(0, 0);
  }

  @Test
  void aWideCallIsMadeForThePolicyWhoseRulesJustifyIt() {
    // The first policy denies the user's sessions by address; only the second covers the userid.
    List<Connection> observed =
        List.of(
            socketio("u", "s1", "::ffff:203.0.113.7", null),
            socketio("u", "s2", "::ffff:203.0.113.8", null));

    DropPlan plan =
        plan(
            List.of("deny: [{clientCIDRs: [203.0.113.0/24]}]", "deny: [{userids: [u]}]"),
            observed,
            10,
            10);

    assertThat(targets(plan)).containsExactly(DropTarget.user("u"));
    assertThat(plan.calls().get(0).policy()).isEqualTo(1);
    assertThat(plan.planned()).containsExactly(0, 2);
  }

  @Test
  void onlyParticipantsDrop() {
    // Policy 1 (a dry run, or not due) denies uid-2: nothing is planned for it.
    AccountPolicies policies =
        new AccountPolicies(
            List.of(
                TestSpecs.compile("deny: [{userids: [uid-1]}]"),
                TestSpecs.compile("deny: [{userids: [uid-2]}]")));
    AccountEvaluation evaluation = policies.evaluate(List.of(mqtt("uid-1"), mqtt("uid-2")), NOW);

    DropPlan plan = DropPlanner.plan(evaluation, List.of(new DropPlanner.Participant(0, 10)), NOW);

    assertThat(targets(plan)).containsExactly(DropTarget.user("uid-1"));
    assertThat(plan.deferred()).containsExactly(0, 0);
  }
}
