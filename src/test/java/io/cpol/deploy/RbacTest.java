package io.cpol.deploy;

import static io.cpol.deploy.ApiPermission.cluster;
import static io.cpol.deploy.ApiPermission.namespaced;
import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The operator may make exactly the API calls it needs, read from the RBAC files (no kubectl). */
class RbacTest extends RbacChecks {
  final DeployManifests manifests = DeployManifests.read();

  @Override
  DeployManifests manifests() {
    return manifests;
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
}
