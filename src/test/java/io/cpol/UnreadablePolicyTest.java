package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.PoliciesAsWritten;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Policies the API server stored but this operator cannot fully read (typos the embedded API does
 * not prune, a newer CRD's fields and enum values during an upgrade or rollback) put that policy
 * alone in InvalidSpec, or are enforced without their unknown fields; every other policy keeps
 * dropping. Before the tolerant reader, the first such policy stopped the operator.
 */
class UnreadablePolicyTest {
  private static final String CREDENTIALS = "\"credentialsRef\": {\"name\": \"beebotte-account\"}";

  private final OperatorHarness h = OperatorHarness.start();

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void eachBadPolicyIsInvalidAloneWhileAGoodOneKeepsDropping() {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    h.simulator().addConnections(List.of(mqtt("uid-revoked"), mqtt("uid-spared")));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: good}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1s
          deny:
          - userids: [uid-revoked]
        """);
    awaitDropped("uid-revoked");

    // Each denies uid-spared: an invalid spec must never drop it.
    String deny = "\"deny\": [{\"userids\": [\"uid-spared\"]}]";
    Map<String, String> invalid =
        Map.of(
            "typo",
            "{" + CREDENTIALS + ", \"denyy\": [{\"userids\": [\"uid-spared\"]}]}",
            "wrong-type-number",
            "{" + CREDENTIALS + ", \"maxDropsPerSync\": \"ten\", " + deny + "}",
            "wrong-type-list",
            "{" + CREDENTIALS + ", \"deny\": \"everything\"}",
            "unknown-enum",
            "{" + CREDENTIALS + ", \"enforcement\": \"enforce\", " + deny + "}",
            "unknown-protocol",
            "{"
                + CREDENTIALS
                + ", \"deny\": [{\"userids\": [\"uid-spared\"], \"protocols\": [\"ftp\"]}]}",
            "newer-crd-enum",
            "{" + CREDENTIALS + ", \"enforcement\": \"Audit\", " + deny + "}");
    Map<String, String> expectedInMessage =
        Map.of(
            "typo", "spec.deny: required",
            "wrong-type-number", "spec.maxDropsPerSync: must be an integer, got \"ten\"",
            "wrong-type-list", "spec.deny: must be a list, got \"everything\"",
            "unknown-enum", "spec.enforcement: must be one of Enforce, DryRun, got \"enforce\"",
            "unknown-protocol",
                "spec.deny[0].protocols[0]: must be one of mqtt, socketio, got \"ftp\"",
            "newer-crd-enum", "spec.enforcement: must be one of Enforce, DryRun, got \"Audit\"");
    invalid.forEach(this::createAsWritten);

    for (String name : invalid.keySet()) {
      h.awaitCondition(name, "Ready", "False", "InvalidSpec");
      assertThat(h.condition(name, "Ready").getMessage())
          .as(name)
          .contains(expectedInMessage.get(name));
    }

    // The good policy still drops what reconnects, after every bad one was read.
    h.simulator().addConnection(mqtt("uid-revoked"));
    awaitDropped("uid-revoked");
    assertThat(h.simulator().drops())
        .extracting(d -> d.connection().userid())
        .doesNotContain("uid-spared");
    assertThat(h.liveSids()).contains("uid-spared");
    assertThat(h.operator().isReady()).isTrue();
  }

  @Test
  void aNewerCrdsFieldsAreIgnoredAndThePolicyIsEnforced() {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    h.simulator().addConnection(mqtt("uid-skew"));

    createAsWritten(
        "newer-crd-fields",
        "{"
            + CREDENTIALS
            + ", \"interval\": \"1s\", \"reconnectChecks\": {\"budget\": 10},"
            + " \"deny\": [{\"userids\": [\"uid-skew\"], \"schedule\": {\"days\": [\"Mon\"]}}]}");

    h.awaitCondition("newer-crd-fields", "Ready", "True", "Synced");
    awaitDropped("uid-skew");
    assertThat(h.policy("newer-crd-fields").getSpec().readReport().unknownFields())
        .containsExactly("spec.reconnectChecks", "spec.deny[0].schedule");
    // One Warning names what is not applied, not one per sync (the interval is 1 s).
    await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofSeconds(3)).until(() -> true);
    assertThat(h.events("newer-crd-fields"))
        .filteredOn(e -> "UnknownFields".equals(e.getReason()))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "ignored fields this operator version does not know:"
                          + " spec.reconnectChecks, spec.deny[0].schedule");
            });
  }

  private void awaitDropped(String userid) {
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> !h.liveSids().contains(userid));
  }

  private void createAsWritten(String name, String specJson) {
    PoliciesAsWritten.create(h.kube(), NAMESPACE, name, specJson);
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid, "mqtt", userid, "::ffff:198.51.100.7", null, null, List.of());
  }
}
