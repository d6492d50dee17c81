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
  static final String SESSIONS_APISERVICE = "v1alpha1.live.beebotte.io";
  static final String AUTHENTICATION_CONFIGMAP = "extension-apiserver-authentication";

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
            // Never sent, but JOSDK refuses to start leader election without it (see the Role).
            namespaced("coordination.k8s.io", "leases", "update"),
            // The sessions API: the serving label on its own pod, the self-signed CA into its
            // APIService, and what every aggregated API server gets from Kubernetes' own roles.
            namespaced("", "pods", "get"),
            namespaced("", "pods", "patch"),
            cluster("apiregistration.k8s.io", "apiservices", "get").named(SESSIONS_APISERVICE),
            cluster("apiregistration.k8s.io", "apiservices", "patch").named(SESSIONS_APISERVICE),
            cluster("authorization.k8s.io", "subjectaccessreviews", "create"),
            cluster("authentication.k8s.io", "tokenreviews", "create"),
            namespaced("kube-system", "", "configmaps", "get").named(AUTHENTICATION_CONFIGMAP),
            namespaced("kube-system", "", "configmaps", "list").named(AUTHENTICATION_CONFIGMAP),
            namespaced("kube-system", "", "configmaps", "watch").named(AUTHENTICATION_CONFIGMAP));
  }

  @Test
  void sessionsApiIsRegisteredAndReadableOnlyThroughItsOwnRole() {
    Map<String, Object> apiService =
        manifests().find("APIService", SESSIONS_APISERVICE).orElseThrow();
    Map<String, Object> spec = DeployManifests.map(apiService.get("spec"));
    assertThat(spec)
        .containsEntry("group", "live.beebotte.io")
        .containsEntry("version", "v1alpha1")
        .containsEntry("insecureSkipTLSVerify", false)
        .containsEntry(
            "service",
            Map.of("name", "beebotte-sessions", "namespace", OPERATOR_NAMESPACE, "port", 443))
        // The operator or cert-manager fills it in: a fixed one would be stale or wrong.
        .doesNotContainKey("caBundle");
    assertThat(spec.get("groupPriorityMinimum")).isNotNull();
    assertThat(spec.get("versionPriority")).isNotNull();

    ClusterRole viewer =
        manifests().get("ClusterRole", "beebotte-session-viewer", ClusterRole.class);
    // Sessions carry client IPs and usernames: not for everyone who may "view" a namespace.
    assertThat(viewer.getMetadata().getLabels().keySet())
        .noneMatch(k -> k.startsWith("rbac.authorization.k8s.io/aggregate-to-"));
    assertThat(viewer.getAggregationRule()).isNull();
    assertThat(viewer.getRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getApiGroups()).containsExactly("live.beebotte.io");
              assertThat(rule.getResources()).containsExactly("sessions");
              assertThat(rule.getVerbs()).containsExactly("get", "list", "watch");
            });
    assertThat(manifests().operatorPermissions()).noneMatch(p -> p.resource().equals("sessions"));
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

  /**
   * JOSDK 5.2.3 (LeaderElectionManager) asks a SelfSubjectRulesReview for these verbs on leases in
   * the Lease's namespace before it starts leader election, and refuses to start without any of
   * them. The embedded API server answers every review with "*", so only a real server showed it
   * (OperatorOnRealServerIT); this keeps the fast tier from losing it again.
   */
  @Test
  void leaderElectionHasTheVerbsJosdkChecksBeforeStarting() {
    for (String verb : List.of("create", "update", "get")) {
      assertThat(manifests().operatorPermissions())
          .as("leases %s", verb)
          .contains(namespaced("coordination.k8s.io", "leases", verb));
    }
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
    // The serving label: its own namespace's pods only, and never created or deleted.
    "PATCH, /api/v1/namespaces/beebotte-system/pods/beebotte-connection-operator-abc, true",
    "GET, /api/v1/namespaces/beebotte-system/pods/beebotte-connection-operator-abc, true",
    "PATCH, /api/v1/namespaces/iot/pods/p, false",
    "GET, /api/v1/namespaces/beebotte-system/pods, false",
    "DELETE, /api/v1/namespaces/beebotte-system/pods/beebotte-connection-operator-abc, false",
    // Its own APIService's caBundle, and no other APIService.
    "PATCH, /apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.live.beebotte.io, true",
    "PATCH, /apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io, false",
    "GET, /apis/apiregistration.k8s.io/v1/apiservices, false",
    "DELETE, /apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.live.beebotte.io, false",
    // The front-proxy settings, by name, in kube-system, and no other ConfigMap.
    "GET, /api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication, true",
    "GET, /api/v1/namespaces/kube-system/configmaps?fieldSelector=metadata.name%3Dextension-apiserver-authentication&watch=true, true",
    "GET, /api/v1/namespaces/kube-system/configmaps, false",
    "GET, /api/v1/namespaces/kube-system/configmaps/kubeadm-config, false",
    "POST, /apis/authorization.k8s.io/v1/subjectaccessreviews, true",
    "POST, /apis/authentication.k8s.io/v1/tokenreviews, true",
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
