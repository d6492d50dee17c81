package io.cpol.deploy;

import static io.cpol.deploy.ApiPermission.cluster;
import static io.cpol.deploy.ApiPermission.namespaced;
import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static io.cpol.deploy.DeployManifests.OPERATOR_SERVICE_ACCOUNT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The operator may make exactly the API calls it needs, read from the RBAC files (no kubectl). */
class RbacTest {
  final DeployManifests manifests = DeployManifests.read();

  @Test
  void operatorIsGrantedExactlyWhatItCalls() {
    assertThat(manifests.operatorPermissions())
        .containsExactlyInAnyOrder(
            cluster("beebotte.io", "connectionpolicies", "list"),
            cluster("beebotte.io", "connectionpolicies", "watch"),
            cluster("beebotte.io", "connectionpolicies/status", "update"),
            cluster("", "secrets", "list"),
            cluster("", "secrets", "watch"),
            cluster("", "events", "create"),
            namespaced("coordination.k8s.io", "leases", "get"),
            namespaced("coordination.k8s.io", "leases", "create"),
            namespaced("coordination.k8s.io", "leases", "patch"));
  }

  @Test
  void noRoleUsesWildcards() {
    for (String kind : List.of("ClusterRole", "Role")) {
      for (Map<String, Object> role : manifests.ofKind(kind)) {
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
      assertThat(manifests.ofKind(kind)).as(kind).isNotEmpty();
      for (Map<String, Object> binding : manifests.ofKind(kind)) {
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

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "GET, /apis/beebotte.io/v1alpha1/connectionpolicies, beebotte.io, connectionpolicies, list,",
    "GET, /apis/beebotte.io/v1alpha1/connectionpolicies?watch=false, beebotte.io,"
        + " connectionpolicies, list,",
    "GET, /apis/beebotte.io/v1alpha1/namespaces/a/connectionpolicies?watch=true, beebotte.io,"
        + " connectionpolicies, watch, a",
    "GET, /apis/beebotte.io/v1alpha1/namespaces/a/connectionpolicies/p, beebotte.io,"
        + " connectionpolicies, get, a",
    "PATCH, /apis/beebotte.io/v1alpha1/namespaces/a/connectionpolicies/p/status, beebotte.io,"
        + " connectionpolicies/status, patch, a",
    "POST, /api/v1/namespaces/a/events, '', events, create, a",
    "PUT, /apis/coordination.k8s.io/v1/namespaces/a/leases/l, coordination.k8s.io, leases,"
        + " update, a",
    "DELETE, /api/v1/namespaces/a/secrets, '', secrets, deletecollection, a",
    "DELETE, /api/v1/namespaces/a/secrets/s, '', secrets, delete, a",
    "GET, /api/v1/namespaces/a, '', namespaces, get,",
    "PUT, /api/v1/namespaces/a/finalize, '', namespaces/finalize, update,",
  })
  void httpCallsMapToRbacLikeTheApiServerDoes(
      String method, String path, String group, String resource, String verb, String namespace) {
    assertThat(ApiRequest.fromHttp(method, path))
        .contains(new ApiRequest(group, resource, verb, namespace));
  }

  @ParameterizedTest
  @CsvSource({"/version", "/api", "/api/v1", "/apis", "/apis/beebotte.io/v1alpha1", "/openapi/v3"})
  void discoveryIsNotAResourceCall(String path) {
    assertThat(ApiRequest.fromHttp("GET", path)).isEmpty();
  }

  @Test
  void wildcardGrantsMatchLikeKubernetesRbac() {
    ApiRequest statusPatch =
        new ApiRequest("beebotte.io", "connectionpolicies/status", "patch", "a");
    assertThat(cluster("*", "*", "*").allows(statusPatch, OPERATOR_NAMESPACE)).isTrue();
    assertThat(cluster("beebotte.io", "*/status", "patch").allows(statusPatch, "x")).isTrue();
    assertThat(cluster("beebotte.io", "connectionpolicies", "*").allows(statusPatch, "x"))
        .isFalse();
    assertThat(namespaced("beebotte.io", "*", "*").allows(statusPatch, "a")).isTrue();
    assertThat(namespaced("beebotte.io", "*", "*").allows(statusPatch, "b")).isFalse();
  }

  @Test
  void aggregatedRolesLetNamespaceUsersReadAndEditPolicies() {
    ClusterRole viewer =
        manifests.get("ClusterRole", "beebotte-connectionpolicy-viewer", ClusterRole.class);
    assertThat(viewer.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
        .doesNotContainKeys(
            "rbac.authorization.k8s.io/aggregate-to-edit",
            "rbac.authorization.k8s.io/aggregate-to-admin");
    assertThat(viewer.getRules()).containsExactly(policyRule(List.of("get", "list", "watch")));

    ClusterRole editor =
        manifests.get("ClusterRole", "beebotte-connectionpolicy-editor", ClusterRole.class);
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
    assertThat(manifests.operatorPermissions())
        .noneMatch(p -> p.verb().equals("create") && p.resource().equals("connectionpolicies"));
  }

  @Test
  void rulesThatApiPermissionCannotExpressAreRefused() {
    Map<String, Object> role =
        DeployManifests.parseYaml(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata: {name: r, namespace: beebotte-system}
                rules:
                - apiGroups: [coordination.k8s.io]
                  resources: [leases]
                  resourceNames: [beebotte-connection-operator]
                  verbs: [get]
                """)
            .get(0);
    Map<String, Object> binding =
        DeployManifests.parseYaml(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: b, namespace: beebotte-system}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
                subjects:
                - {kind: ServiceAccount, name: beebotte-connection-operator, namespace: beebotte-system}
                """)
            .get(0);

    assertThatThrownBy(() -> DeployManifests.of(List.of(role, binding)).operatorPermissions())
        .hasMessageContaining("resourceNames");
  }

  private boolean allows(String method, String path) {
    return manifests.operatorAllows(ApiRequest.fromHttp(method, path).orElseThrow());
  }

  private static PolicyRule policyRule(List<String> verbs) {
    PolicyRule rule = new PolicyRule();
    rule.setApiGroups(List.of("beebotte.io"));
    rule.setResources(List.of("connectionpolicies"));
    rule.setVerbs(verbs);
    return rule;
  }
}
