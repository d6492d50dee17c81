package io.cpol.reconciler;

import static io.cpol.reconciler.EnforcementTest.socketio;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.DropPlanner;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionPolicyStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A userid-wide call is planned for one minute: a pass that reaches it later (a long pass, a slow
 * Beebotte) does not make it, and the sessions it was for stay connected. Status must say so, not
 * {@code Enforced=True AllDropped}.
 */
class LateWideCallsTest {
  static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
  static final String ENDPOINT = "https://api.beebotte.com";

  @Test
  void wideCallsReachedAfterTheirMinuteAreReportedAsNotDropped() throws Exception {
    CompiledPolicy rules =
        CompiledPolicy.compile(
            Serialization.unmarshal(
                "credentialsRef: {name: beebotte-account}\n"
                    + "interval: 24h\n"
                    + "deny:\n- useridPatterns: [\"uid-*\"]",
                ConnectionPolicySpec.class));
    List<Connection> listing =
        List.of(
            socketio("uid-1", "s1", "::ffff:198.51.100.1", null),
            socketio("uid-2", "s2", "::ffff:198.51.100.2", null),
            socketio("uid-2", "s3", "::ffff:198.51.100.3", null));
    AccountEvaluation evaluation = new AccountPolicies(List.of(rules)).evaluate(listing, T0);
    DropPlan plan = DropPlanner.plan(evaluation, List.of(new DropPlanner.Participant(0, 100)), T0);
    assertThat(plan.calls()).extracting(PlannedDrop::wide).containsExactly(true, true);

    // The first call is made; the pass reaches the second 61 s after it planned it.
    Instant finished = T0.plus(Duration.ofSeconds(61));
    CallResult[] results = {
      new CallResult(CallResult.Status.DROPPED, null, null),
      new CallResult(CallResult.Status.CANCELLED, null, null)
    };
    Set<Connection> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    closed.addAll(plan.calls().get(0).closes());
    PassOutcomes.Inputs inputs =
        new PassOutcomes.Inputs(
            evaluation, plan, closed, results, SessionReports.head(listing, 100), T0, 0);
    Credentials credentials = new Credentials.Keys("api-key", "secret-key");
    PolicyRegistration registration =
        new PolicyRegistration(
            new PolicyRef("uid", "iot", "wide"),
            1,
            rules,
            credentials,
            AccountKey.of(ENDPOINT, credentials));
    PassOutcome outcome = PassOutcomes.of(inputs, 0, registration, finished);
    PolicyLedger ledger = PolicyLedger.seededFrom(null);
    ledger.recordDrops(outcome.drops());

    ConnectionPolicyStatus status =
        new StatusBuilder(Duration.ofSeconds(10))
            .synced(null, 1, ENDPOINT, outcome, ledger.snapshot(), finished);

    Condition enforced =
        status.getConditions().stream()
            .filter(c -> c.getType().equals("Enforced"))
            .findFirst()
            .orElseThrow();
    assertThat(status.getDropped()).isEqualTo(1);
    assertThat(status.getDenied()).isEqualTo(3);
    assertThat(enforced.getStatus()).isEqualTo("False");
    assertThat(enforced.getReason()).isEqualTo("DropFailed");
    assertThat(enforced.getMessage())
        .startsWith("2 denied connections were not dropped: the pass ran past the minute");
  }
}
