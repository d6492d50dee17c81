package io.cpol.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.deploy.RbacMarkers.Rule;
import org.junit.jupiter.api.Test;

class RbacMarkersTest {
  @Test
  void aMarkedRuleIsKeptWithItsReasonAndOnlyIt() {
    String yaml =
        """
        rules:
        # Watch policies.
        - apiGroups: ["beebotte.io"]
          resources: ["connectionpolicies"]
          verbs: ["list", "watch"]
        # Leases.
        # kept-unused: only a second replica's takeover creates it again
        - apiGroups: ["coordination.k8s.io"]
          resources: ["leases"]
          verbs: ["create"]
        - apiGroups: [""]
          resources: ["events"]
          verbs: ["create"]
        """;

    assertThat(RbacMarkers.parse(yaml))
        .containsExactly(
            java.util.Map.entry(
                new Rule("coordination.k8s.io", "leases", "create"),
                "only a second replica's takeover creates it again"));
  }

  @Test
  void theCoreGroupIsTheEmptyString() {
    assertThat(
            RbacMarkers.parse(
                """
                # kept-unused: why
                - apiGroups: [""]
                  resources: ["secrets"]
                  verbs: ["get"]
                """))
        .containsOnlyKeys(new Rule("", "secrets", "get"));
  }

  @Test
  void aMarkerWithoutAReasonIsRefused() {
    assertThatThrownBy(
            () ->
                RbacMarkers.parse(
                    """
                    # kept-unused:
                    - apiGroups: [""]
                      resources: ["secrets"]
                      verbs: ["get"]
                    """))
        .hasMessageContaining("without a reason");
  }
}
