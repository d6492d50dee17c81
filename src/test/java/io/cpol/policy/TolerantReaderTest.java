package io.cpol.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.policy.TolerantReader.ReadReport;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whatever a ConnectionPolicy holds, the Kubernetes client's own deserialization (the one its
 * informers use) reads it: unknown fields are named and ignored, unreadable values are named and
 * make the spec invalid. Before the tolerant reader, each of these threw and stopped the informer.
 */
class TolerantReaderTest {
  private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();

  static Stream<Arguments> specs() {
    return Stream.of(
        // A typo at the top of the spec and inside a rule: ignored, named.
        Arguments.of(
            "{\"denyy\": [{\"userids\": [\"a\"]}], \"deny\": [{\"userids\": [\"a\"],"
                + " \"untill\": \"2026-01-01T00:00:00Z\"}]}",
            List.of("spec.denyy", "spec.deny[0].untill"),
            List.of()),
        // CRD version skew: a newer operator's field, with structure, between known fields.
        Arguments.of(
            "{\"deny\": [{\"schedule\": {\"days\": [1, 2], \"tz\": {\"name\": \"UTC\"}},"
                + " \"userids\": [\"a\"]}], \"reconnectChecks\": {\"budget\": 5},"
                + " \"interval\": \"5s\"}",
            List.of("spec.deny[0].schedule", "spec.reconnectChecks"),
            List.of()),
        Arguments.of(
            "{\"maxDropsPerSync\": \"ten\"}",
            List.of(),
            List.of("spec.maxDropsPerSync: must be an integer, got \"ten\"")),
        Arguments.of(
            "{\"deny\": \"everything\"}",
            List.of(),
            List.of("spec.deny: must be a list, got \"everything\"")),
        Arguments.of(
            "{\"enforcement\": \"enforce\"}",
            List.of(),
            List.of("spec.enforcement: must be one of Enforce, DryRun, got \"enforce\"")),
        // CRD version skew: an enum value a newer CRD allows.
        Arguments.of(
            "{\"enforcement\": \"Audit\", \"deny\": [{\"protocols\": [\"mqtt\", \"coap\"]}]}",
            List.of(),
            List.of(
                "spec.enforcement: must be one of Enforce, DryRun, got \"Audit\"",
                "spec.deny[0].protocols[1]: must be one of mqtt, socketio, got \"coap\"")),
        // What an API server's type check refuses is refused here too, not coerced.
        Arguments.of(
            "{\"maxDropsPerSync\": 1.5, \"suspend\": 1, \"interval\": 30,"
                + " \"credentialsRef\": \"beebotte-account\","
                + " \"deny\": [{\"userids\": [12, \"ok\", {}]}, \"all\", {\"sids\": \"s\"}]}",
            List.of(),
            List.of(
                "spec.maxDropsPerSync: must be an integer, got 1.5",
                "spec.suspend: must be true or false, got 1",
                "spec.interval: must be a string, got 30",
                "spec.credentialsRef: must be an object, got \"beebotte-account\"",
                "spec.deny[0].userids[0]: must be a string, got 12",
                "spec.deny[0].userids[2]: must be a string, got an object",
                "spec.deny[1]: must be an object, got \"all\"",
                "spec.deny[2].sids: must be a list, got \"s\"")),
        Arguments.of("[\"x\"]", List.of(), List.of("spec: must be an object, got a list")));
  }

  @ParameterizedTest
  @MethodSource("specs")
  void anySpecIsReadAndWhatWasLeftOutIsNamed(
      String spec, List<String> unknown, List<String> unreadable) {
    String json =
        "{\"apiVersion\": \"beebotte.io/v1alpha1\", \"kind\": \"ConnectionPolicy\","
            + " \"metadata\": {\"name\": \"p\", \"namespace\": \"iot\"}, \"spec\": "
            + spec
            + "}";

    // Both ways the client reads: a list or get body, and a watch event's object.
    ConnectionPolicy read = KUBERNETES.unmarshal(json, ConnectionPolicy.class);
    ConnectionPolicy converted =
        KUBERNETES.convertValue(
            KUBERNETES.unmarshal(json, GenericKubernetesResource.class), ConnectionPolicy.class);

    for (ConnectionPolicy policy : List.of(read, converted)) {
      ReadReport report = policy.getSpec().readReport();
      assertThat(report.unknownFields()).containsExactlyElementsOf(unknown);
      assertThat(report.unreadable()).containsExactlyElementsOf(unreadable);
    }
  }

  @Test
  void unreadableValuesMakeTheSpecInvalidAndAreNotAlsoReportedAsMissing() {
    ConnectionPolicySpec spec =
        KUBERNETES.unmarshal(
            "{\"credentialsRef\": {\"name\": \"beebotte-account\"}, \"deny\": \"everything\","
                + " \"maxDropsPerSync\": \"ten\", \"interval\": \"forever\"}",
            ConnectionPolicySpec.class);

    assertThatThrownBy(() -> CompiledPolicy.compile(spec))
        .isInstanceOf(InvalidSpecException.class)
        .satisfies(
            e ->
                // The compiler's own problem with interval stays; "deny: required" does not.
                assertThat(((InvalidSpecException) e).problems())
                    .satisfiesExactly(
                        p ->
                            assertThat(p)
                                .isEqualTo("spec.deny: must be a list, got \"everything\""),
                        p ->
                            assertThat(p)
                                .isEqualTo("spec.maxDropsPerSync: must be an integer, got \"ten\""),
                        p -> assertThat(p).startsWith("spec.interval: ").contains("forever")));
  }

  @Test
  void unknownFieldsAloneLeaveTheSpecValid() throws InvalidSpecException {
    ConnectionPolicySpec spec =
        KUBERNETES.unmarshal(
            "{\"credentialsRef\": {\"name\": \"beebotte-account\"}, \"futureField\": true,"
                + " \"deny\": [{\"userids\": [\"uid-1\"], \"until2\": \"x\"}]}",
            ConnectionPolicySpec.class);

    assertThat(CompiledPolicy.compile(spec).maxDropsPerSync()).isEqualTo(100);
    assertThat(spec.readReport().unknownFields())
        .containsExactly("spec.futureField", "spec.deny[0].until2");
  }

  @Test
  void aSpecReadCleanlyHasACleanReport() {
    ConnectionPolicySpec spec =
        KUBERNETES.unmarshal(
            "{\"credentialsRef\": {\"name\": \"a\"}, \"deny\": [{\"userids\": [\"u\"]}]}",
            ConnectionPolicySpec.class);
    assertThat(spec.readReport()).isEqualTo(ReadReport.CLEAN);
    assertThat(new ConnectionPolicySpec().readReport()).isEqualTo(ReadReport.CLEAN);
  }

  @Test
  void statusAndTopLevelFieldsOfANewerVersionAndHandEditedValuesAreLeftOut() {
    ConnectionPolicy policy =
        KUBERNETES.unmarshal(
            "{\"apiVersion\": \"beebotte.io/v1alpha1\", \"kind\": \"ConnectionPolicy\","
                + " \"metadata\": {\"name\": \"p\"}, \"extension\": {\"a\": 1},"
                + " \"spec\": {\"deny\": [{\"userids\": [\"u\"]}]},"
                + " \"status\": {\"dropped\": 17, \"reconnects\": 4, \"denied\": \"many\","
                + " \"returning\": [{\"userid\": \"d\"}], \"recentDrops\": [{\"userid\": \"u\","
                + " \"how\": \"x\"}], \"conditions\": [{\"type\": \"Ready\","
                + " \"observedGeneration\": \"q\", \"status\": \"True\"}]}}",
            ConnectionPolicy.class);

    assertThat(policy.getStatus().getDropped()).isEqualTo(17L);
    assertThat(policy.getStatus().getDenied()).isNull();
    assertThat(policy.getStatus().getRecentDrops())
        .singleElement()
        .extracting("userid")
        .isEqualTo("u");
    assertThat(policy.getStatus().getConditions())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getObservedGeneration()).isNull();
            });
  }

  @Test
  void aCopyKeepsTheReportTheSerializedFormCannotCarry() {
    ConnectionPolicy policy =
        KUBERNETES.unmarshal(
            "{\"apiVersion\": \"beebotte.io/v1alpha1\", \"kind\": \"ConnectionPolicy\","
                + " \"metadata\": {\"name\": \"p\"}, \"spec\": {\"maxDropsPerSync\": \"ten\"}}",
            ConnectionPolicy.class);
    ConnectionPolicy copy = KUBERNETES.clone(policy);
    // What was left out is not in the serialized form, so a plain copy reads clean...
    assertThat(copy.getSpec().readReport()).isEqualTo(ReadReport.CLEAN);

    TolerantReader.keepReadReport(policy, copy);

    assertThat(copy.getSpec().readReport()).isEqualTo(policy.getSpec().readReport());
  }

  @Test
  void manyUnreadableValuesAreCappedNotReadForever() {
    StringBuilder userids = new StringBuilder("[");
    for (int i = 0; i < 5_000; i++) {
      userids.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append('}');
    }
    ConnectionPolicySpec spec =
        KUBERNETES.unmarshal(
            "{\"deny\": [{\"userids\": " + userids + "]}]}", ConnectionPolicySpec.class);

    assertThat(spec.readReport().unreadable())
        .hasSize(TolerantReader.MAX_UNREADABLE + 1)
        .last()
        .isEqualTo("spec: more than 100 unreadable values; not read");
  }
}
