package io.cpol.deploy;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.live.ServingLabel;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every Kubernetes API call the operator really makes, recorded by the API server while it runs
 * through its behaviours, is granted by the RBAC in deploy/ and in the Helm chart — and every grant
 * is used.
 */
class OperatorApiCallsTest {
  private static final String POD = "beebotte-connection-operator-0";

  /**
   * Kubernetes' built-in system:basic-user role lets every authenticated user ask what it may do;
   * leader election does so before touching its Lease.
   */
  private static final Set<String> GRANTED_TO_EVERY_USER =
      Set.of("selfsubjectrulesreviews", "selfsubjectaccessreviews");

  /**
   * Granted and never called: JOSDK 5.2.3 checks at start, with a SelfSubjectRulesReview, that it
   * may create, update and get the Lease, and refuses to start without update, though Fabric8's
   * LeaseLock writes with patch (LeaderHandoverOnRealServerIT found it on a real API server).
   */
  private static final Set<ApiPermission> CHECKED_BY_JOSDK_AT_START =
      Set.of(ApiPermission.namespaced("coordination.k8s.io", "leases", "update"));

  @Test
  void rbacGrantsExactlyTheCallsTheOperatorMakes() {
    try (OperatorHarness h =
        OperatorHarness.start(
            "--leader-election=true",
            "--leader-election-namespace=beebotte-system",
            // In a pod, as the Deployment runs it: the leader labels its pod for the Service.
            "--pod-name=" + POD,
            "--pod-namespace=beebotte-system")) {
      h.kubernetes()
          .client()
          .pods()
          .inNamespace("beebotte-system")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(POD)
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("operator")
                  .withImage("operator")
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
      h.simulator()
          .addConnection(
              new Connection(
                  "uid-1", "uid-1", "mqtt", "uid-1", "::ffff:198.51.100.1", null, null, List.of()));
      // A failure (Warning event), then a fix through the Secret (secret watch), then drops.
      h.apply(
          """
          apiVersion: beebotte.io/v1alpha1
          kind: ConnectionPolicy
          metadata: {name: p}
          spec:
            credentialsRef: {name: beebotte-account}
            interval: 1s
            deny:
            - userids: ["uid-1"]
          """);
      h.awaitCondition("p", "Ready", "False", "CredentialsNotFound");
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      h.awaitCondition("p", "Enforced", "True", "AllDropped");
      await().atMost(Duration.ofSeconds(10)).until(() -> h.events("p").size() >= 2);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  "true"
                      .equals(
                          h.kubernetes()
                              .client()
                              .pods()
                              .inNamespace("beebotte-system")
                              .withName(POD)
                              .get()
                              .getMetadata()
                              .getLabels()
                              .get(ServingLabel.LABEL)));

      List<RecordedRequest> operatorCalls =
          h.kubernetes().drainRequests().stream()
              .filter(
                  r ->
                      Optional.ofNullable(r.getHeader("User-Agent"))
                          .orElse("")
                          .startsWith(OperatorHarness.OPERATOR_USER_AGENT))
              .toList();
      Map<ApiRequest, String> requests =
          operatorCalls.stream()
              .map(
                  r ->
                      Map.entry(
                          ApiRequest.fromHttp(r.getMethod(), r.getPath()),
                          r.getMethod() + " " + r.getPath()))
              .filter(e -> e.getKey().isPresent())
              .filter(e -> !GRANTED_TO_EVERY_USER.contains(e.getKey().get().resource()))
              .collect(Collectors.toMap(e -> e.getKey().get(), Map.Entry::getValue, (a, b) -> a));
      assertThat(requests).isNotEmpty();

      // The same calls against each way of installing: deploy/ and the Helm chart's defaults.
      Map<String, DeployManifests> installs =
          Map.of("deploy/", DeployManifests.read(), "the Helm chart", HelmChart.defaults());
      // Rules granted on purpose for a check no request shows (each says why beside it).
      Map<RbacMarkers.Rule, String> keptUnused =
          RbacMarkers.read(
              DeployManifests.DEPLOY_DIR.resolve("rbac/leader-election-role.yaml"),
              DeployManifests.DEPLOY_DIR.resolve("rbac/cluster-role.yaml"),
              DeployManifests.DEPLOY_DIR.resolve("rbac/sessions-api-role.yaml"),
              HelmChart.CHART.resolve("templates/rbac.yaml"));
      keptUnused.putAll(RbacMarkers.parse(DeployManifests.BUILT_IN_ROLES));
      installs.forEach(
          (install, manifests) -> {
            assertThat(requests.keySet())
                .allSatisfy(
                    r ->
                        assertThat(manifests.operatorAllows(r))
                            .as("%s grants %s (%s)", install, r, requests.get(r))
                            .isTrue());
            Set<ApiPermission> unused =
                manifests.operatorPermissions().stream()
                    .filter(p -> !CHECKED_BY_JOSDK_AT_START.contains(p))
                    .filter(p -> requests.keySet().stream().noneMatch(p::allows))
                    .filter(
                        p ->
                            !keptUnused.containsKey(
                                new RbacMarkers.Rule(p.apiGroup(), p.resource(), p.verb())))
                    .collect(Collectors.toSet());
            assertThat(unused).as("granted by %s but never used", install).isEmpty();
          });
    }
  }
}
