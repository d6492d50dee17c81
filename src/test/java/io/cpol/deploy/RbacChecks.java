package io.cpol.deploy;

import static io.cpol.deploy.ApiPermission.cluster;
import static io.cpol.deploy.ApiPermission.namespaced;
import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static io.cpol.deploy.DeployManifests.OPERATOR_SERVICE_ACCOUNT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The RBAC every way of installing the operator (deploy/, the Helm chart) must grant: exactly the
 * API calls the operator makes. Subclasses say which install.
 */
abstract class RbacChecks {
  /** The install under test, rendered for the beebotte-system namespace. */
  abstract DeployManifests manifests();

  @Test
  void operatorIsGrantedExactlyWhatItCalls() {
    assertThat(manifests().operatorPermissions())
        .containsExactlyInAnyOrder(
            cluster("beebotte.io", "connectionpolicies", "list"),
            cluster("beebotte.io", "connectionpolicies", "watch"),
            cluster("beebotte.io", "connectionpolicies/status", "update"),
            cluster("", "secrets", "list"),
            cluster("", "secrets", "watch"),
            cluster("", "events", "create"),
            namespaced("coordination.k8s.io", "leases", "get"),
            namespaced("coordination.k8s.io", "leases", "create"),
            namespaced("coordination.k8s.io", "leases", "patch"),
            namespaced("coordination.k8s.io", "leases", "update"));
  }

  @Test
  void noRoleUsesWildcards() {
    for (String kind : List.of("ClusterRole", "Role")) {
      for (Map<String, Object> role : manifests().ofKind(kind)) {
        for (Map<String, Object> rule : DeployManifests.listOfMaps(role.get("rules"))) {
          assertThat(rule.values().toString())
              .as("%s %s", kind, DeployManifests.metadata(role).get("name"))
              .doesNotContain("*");
        }
      }
    }
  }

  @Test
  void bindingsBindOnlyTheOperatorServiceAccount() {
    Map<String, Object> operator =
        Map.of(
            "kind", "ServiceAccount",
            "name", OPERATOR_SERVICE_ACCOUNT,
            "namespace", OPERATOR_NAMESPACE);
    for (String kind : List.of("ClusterRoleBinding", "RoleBinding")) {
      assertThat(manifests().ofKind(kind)).as(kind).isNotEmpty();
      for (Map<String, Object> binding : manifests().ofKind(kind)) {
        assertThat(binding.get("subjects"))
            .as("%s %s", kind, DeployManifests.metadata(binding).get("name"))
            .isEqualTo(List.of(operator));
      }
    }
  }

  @Test
  void leasesAreGrantedOnlyInTheOperatorNamespace() {
    assertThat(allows("PATCH", "/apis/coordination.k8s.io/v1/namespaces/beebotte-system/leases/x"))
        .isTrue();
    assertThat(allows("POST", "/apis/coordination.k8s.io/v1/namespaces/beebotte-system/leases"))
        .isTrue();
    assertThat(allows("PATCH", "/apis/coordination.k8s.io/v1/namespaces/default/leases/x"))
        .isFalse();
    assertThat(allows("GET", "/apis/coordination.k8s.io/v1/leases")).isFalse();
    assertThat(allows("DELETE", "/apis/coordination.k8s.io/v1/namespaces/beebotte-system/leases/x"))
        .isFalse();
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
    "GET, /apis/beebotte.io/v1alpha1/connectionpolicies?watch=true&resourceVersion=1, true",
    "GET, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies, true",
    "GET, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies/p, false",
    // Status is written with a conditional PUT (resourceVersion), never patched blind.
    "PUT, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies/p/status, true",
    "PATCH, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies/p/status, false",
    "GET, /api/v1/namespaces/iot/secrets/beebotte-account, false",
    "GET, /api/v1/secrets?labelSelector=a&watch=1, true",
    "POST, /api/v1/namespaces/iot/events, true",
    "PATCH, /api/v1/namespaces/iot/events/p.123, false",
    // The operator never writes spec or metadata, nor touches Secrets beyond reading them.
    "PATCH, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies/p, false",
    "PUT, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies/p, false",
    "DELETE, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies/p, false",
    "POST, /apis/beebotte.io/v1alpha1/namespaces/iot/connectionpolicies, false",
    "PUT, /api/v1/namespaces/iot/secrets/beebotte-account, false",
    "DELETE, /api/v1/namespaces/iot/events, false",
    "GET, /api/v1/namespaces/iot/configmaps, false",
    "POST, /apis/events.k8s.io/v1/namespaces/iot/events, false",
  })
  void operatorAllowsOnlyItsOwnCalls(String method, String path, boolean allowed) {
    assertThat(allows(method, path)).isEqualTo(allowed);
  }

  @Test
  void aggregatedRolesLetNamespaceUsersReadAndEditPolicies() {
    ClusterRole viewer =
        manifests().get("ClusterRole", "beebotte-connectionpolicy-viewer", ClusterRole.class);
    assertThat(viewer.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
        .doesNotContainKeys(
            "rbac.authorization.k8s.io/aggregate-to-edit",
            "rbac.authorization.k8s.io/aggregate-to-admin");
    assertThat(viewer.getRules()).containsExactly(policyRule(List.of("get", "list", "watch")));

    ClusterRole editor =
        manifests().get("ClusterRole", "beebotte-connectionpolicy-editor", ClusterRole.class);
    assertThat(editor.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true");
    assertThat(editor.getRules()).hasSize(1);
    assertThat(editor.getRules().get(0).getApiGroups()).containsExactly("beebotte.io");
    // Status belongs to the operator: editors change specs only.
    assertThat(editor.getRules().get(0).getResources()).containsExactly("connectionpolicies");
    assertThat(editor.getRules().get(0).getVerbs())
        .containsExactlyInAnyOrder(
            "create", "update", "patch", "delete", "deletecollection", "get", "list", "watch");

    // Neither is bound to the operator: they only widen the built-in view/edit/admin roles.
    assertThat(manifests().operatorPermissions())
        .noneMatch(p -> p.verb().equals("create") && p.resource().equals("connectionpolicies"));
  }

  private boolean allows(String method, String path) {
    return manifests().operatorAllows(ApiRequest.fromHttp(method, path).orElseThrow());
  }

  private static PolicyRule policyRule(List<String> verbs) {
    PolicyRule rule = new PolicyRule();
    rule.setApiGroups(List.of("beebotte.io"));
    rule.setResources(List.of("connectionpolicies"));
    rule.setVerbs(verbs);
    return rule;
  }
}
