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
    "GET, /apis/beebotte.io/v1alpha1/connectionpolicies, beebotte.io, connectionpolicies, list,,",
    "GET, /apis/beebotte.io/v1alpha1/connectionpolicies?watch=false, beebotte.io,"
        + " connectionpolicies, list,,",
    "GET, /apis/beebotte.io/v1alpha1/namespaces/a/connectionpolicies?watch=true, beebotte.io,"
        + " connectionpolicies, watch, a,",
    "GET, /apis/beebotte.io/v1alpha1/namespaces/a/connectionpolicies/p, beebotte.io,"
        + " connectionpolicies, get, a, p",
    "PATCH, /apis/beebotte.io/v1alpha1/namespaces/a/connectionpolicies/p/status, beebotte.io,"
        + " connectionpolicies/status, patch, a, p",
    "POST, /api/v1/namespaces/a/events, '', events, create, a,",
    "PUT, /apis/coordination.k8s.io/v1/namespaces/a/leases/l, coordination.k8s.io, leases,"
        + " update, a, l",
    "DELETE, /api/v1/namespaces/a/secrets, '', secrets, deletecollection, a,",
    "DELETE, /api/v1/namespaces/a/secrets/s, '', secrets, delete, a, s",
    "GET, /api/v1/namespaces/a, '', namespaces, get,, a",
    "PUT, /api/v1/namespaces/a/finalize, '', namespaces/finalize, update,, a",
    // A list or watch of one name is authorized as that name (resourceNames).
    "GET, /api/v1/namespaces/a/configmaps?watch=1&fieldSelector=metadata.name%3Dc, '',"
        + " configmaps, watch, a, c",
  })
  void httpCallsMapToRbacLikeTheApiServerDoes(
      String method,
      String path,
      String group,
      String resource,
      String verb,
      String namespace,
      String name) {
    assertThat(ApiRequest.fromHttp(method, path))
        .contains(new ApiRequest(group, resource, verb, namespace, name));
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
    assertThat(cluster("*", "*", "*").allows(statusPatch)).isTrue();
    assertThat(cluster("beebotte.io", "*/status", "patch").allows(statusPatch)).isTrue();
    assertThat(cluster("beebotte.io", "connectionpolicies", "*").allows(statusPatch)).isFalse();
    assertThat(namespaced("a", "beebotte.io", "*", "*").allows(statusPatch)).isTrue();
    assertThat(namespaced("b", "beebotte.io", "*", "*").allows(statusPatch)).isFalse();
    assertThat(namespaced(OPERATOR_NAMESPACE, "beebotte.io", "*", "*").allows(statusPatch))
        .isFalse();
  }

  @Test
  void resourceNamesMatchOnlyRequestsNamingThem() {
    ApiPermission one = cluster("", "configmaps", "get").named("c");
    assertThat(one.allows(ApiRequest.fromHttp("GET", "/api/v1/namespaces/a/configmaps/c").get()))
        .isTrue();
    assertThat(one.allows(ApiRequest.fromHttp("GET", "/api/v1/namespaces/a/configmaps/d").get()))
        .isFalse();
    // A list names nothing, unless it selects one name as the API server reads it.
    ApiPermission list = cluster("", "configmaps", "list").named("c");
    assertThat(list.allows(ApiRequest.fromHttp("GET", "/api/v1/namespaces/a/configmaps").get()))
        .isFalse();
    assertThat(
            list.allows(
                ApiRequest.fromHttp(
                        "GET", "/api/v1/namespaces/a/configmaps?fieldSelector=metadata.name%3Dc")
                    .get()))
        .isTrue();
  }

  @Test
  void rulesThatApiPermissionCannotExpressAreRefused() {
    Map<String, Object> role =
        DeployManifests.parseYaml(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: r}
                rules:
                - nonResourceURLs: [/healthz]
                  verbs: [get]
                """)
            .get(0);
    Map<String, Object> binding =
        DeployManifests.parseYaml(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: b}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
                subjects:
                - {kind: ServiceAccount, name: beebotte-connection-operator, namespace: beebotte-system}
                """)
            .get(0);

    assertThatThrownBy(() -> DeployManifests.of(List.of(role, binding)).operatorPermissions())
        .hasMessageContaining("nonResourceURLs");
  }
}
