package io.cpol.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cpol.kube.KubeBinaries;
import io.cpol.kube.RealKubernetes;
import io.cpol.kube.RealKubernetesTier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Both ways of installing the operator on a real kube-apiserver, each on a server of its own as a
 * user would install one or the other: the CRD copy the install carries is created and becomes
 * Established, then every object passes {@code kubectl apply --server-side --dry-run=server
 * --validate=strict} and is applied.
 *
 * <p>The Prometheus Operator's kinds (ServiceMonitor, PrometheusRule) and cert-manager's (Issuer,
 * Certificate) are not applied: a bare API server serves neither monitoring.coreos.com nor
 * cert-manager.io, and installing a CRD written here would only test that CRD. The test names them
 * and checks that the server refuses them for that reason and no other, while the rest (the
 * dashboard's ConfigMap, the APIService with cert-manager's annotation) is applied.
 */
@ExtendWith(RealKubernetesTier.class)
class InstallOnRealServerIT {
  private static final Path ROOT = KubeBinaries.projectRoot();
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Set<String> UNSERVED_KINDS =
      Set.of("ServiceMonitor", "PrometheusRule", "Issuer", "Certificate");

  @Test
  void kustomizeInstallOfDeployIsAcceptedStrictlyAndApplied() throws Exception {
    try (RealKubernetes kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow())) {
      String rendered = kube.kubectl("kustomize", ROOT.resolve("deploy").toString()).orFail().out();
      List<Map<String, Object>> objects = DeployManifests.parseYaml(rendered);
      // What DeployManifests.read() (the RBAC tests' reading) sees is what kubectl applies.
      assertThat(kinds(objects)).contains("CustomResourceDefinition", "Namespace", "Deployment");
      List<String> applied = applyEach(kube, objects);
      assertThat(applied).hasSize(objects.size());
      // deploy/ takes the committed CRD from crds/ as it is.
      assertThat(
              kube.awaitEstablished("connectionpolicies.beebotte.io").getStatus().getConditions())
          .noneMatch(c -> c.getType().equals("NonStructuralSchema"));
      assertThat(
              kube.kubectl("get", "deployment,serviceaccount", "-n", "beebotte-system")
                  .orFail()
                  .out())
          .contains("beebotte-connection-operator");

      // The sample policies (into the kubeconfig's namespace, as the samples' README runs them):
      // the CRD's schema and CEL rules on the real server accept each one strictly.
      List<Map<String, Object>> samples =
          DeployManifests.parseYaml(
              kube.kubectl("kustomize", ROOT.resolve("deploy/samples").toString()).orFail().out());
      assertThat(kinds(samples)).isNotEmpty().containsOnly("ConnectionPolicy");
      assertThat(applyEach(kube, samples)).hasSize(samples.size());

      // deploy/prometheus/: the ConfigMap applies; the Prometheus Operator's kinds cannot here.
      List<Map<String, Object>> monitoring =
          DeployManifests.parseYaml(
              kube.kubectl("kustomize", ROOT.resolve("deploy/prometheus").toString())
                  .orFail()
                  .out());
      assertThat(kinds(monitoring))
          .containsExactlyInAnyOrder("ServiceMonitor", "PrometheusRule", "ConfigMap");
      applyEachServed(kube, monitoring);

      // The sessions API's APIService is registered (the aggregator cannot reach an operator
      // here, so it is not Available), then cert-manager's Component over the same install.
      assertThat(kube.kubectl("get", "apiservice", "v1alpha1.live.beebotte.io").orFail().out())
          .contains("beebotte-system/beebotte-sessions");
      List<Map<String, Object>> certManager =
          DeployManifests.parseYaml(
              kube.kubectl(
                      "kustomize",
                      ROOT.resolve(DeployManifestsTest.certManagerInstall()).toString())
                  .orFail()
                  .out());
      assertThat(kinds(certManager)).contains("Issuer", "Certificate", "APIService");
      applyEachServed(kube, certManager);
      assertThat(
              kube.kubectl(
                      "get",
                      "apiservice",
                      "v1alpha1.live.beebotte.io",
                      "-o",
                      "jsonpath={.metadata.annotations}")
                  .orFail()
                  .out())
          .contains("cert-manager.io/inject-ca-from");
    }
  }

  @Test
  void helmInstallIsAcceptedStrictlyAndApplied() throws Exception {
    try (RealKubernetes kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow())) {
      // helm install puts the chart's crds/ first, as is, never templated.
      kube.createCrdAndAwaitEstablished(
          ROOT.resolve(HelmChart.CHART).resolve("crds/connectionpolicies.beebotte.io-v1.yml"));
      kube.kubectl("create", "namespace", DeployManifests.OPERATOR_NAMESPACE).orFail();

      // Every optional part on, so that every template is rendered and sent.
      DeployManifests chart =
          HelmChart.render(
              Map.of(
                  "metrics",
                  Map.of(
                      "serviceMonitor", Map.of("enabled", true),
                      "prometheusRule", Map.of("enabled", true),
                      "grafanaDashboard", Map.of("enabled", true)),
                  "sessionsApi",
                  Map.of("certManager", Map.of("enabled", true))));
      assertThat(kinds(chart.objects()))
          .contains(
              "ServiceAccount",
              "ClusterRole",
              "ClusterRoleBinding",
              "Role",
              "RoleBinding",
              "Deployment",
              "Service",
              "PodDisruptionBudget",
              "ConfigMap",
              "ServiceMonitor",
              "PrometheusRule",
              "APIService",
              "Issuer",
              "Certificate");
      applyEachServed(kube, chart.objects());
    }
  }

  /**
   * Applies every object but those of the Prometheus Operator and cert-manager, which must be
   * refused because their kind is not served (and for nothing else).
   */
  private static void applyEachServed(RealKubernetes kube, List<Map<String, Object>> objects)
      throws JsonProcessingException {
    List<Map<String, Object>> served = new ArrayList<>();
    for (Map<String, Object> object : objects) {
      if (!UNSERVED_KINDS.contains((String) object.get("kind"))) {
        served.add(object);
        continue;
      }
      RealKubernetes.KubectlRun refused = dryRun(kube, object);
      assertThat(refused.exitCode())
          .as("%s applied without its CRD", object.get("kind"))
          .isNotZero();
      assertThat(refused.err())
          .as("why %s is refused", object.get("kind"))
          .contains(
              "no matches for kind \""
                  + object.get("kind")
                  + "\" in version \""
                  + object.get("apiVersion")
                  + "\"");
    }
    assertThat(applyEach(kube, served)).hasSize(served.size());
  }

  /**
   * Server-side dry run with strict field validation, then the real apply, one object at a time.
   */
  private static List<String> applyEach(RealKubernetes kube, List<Map<String, Object>> objects)
      throws JsonProcessingException {
    List<String> applied = new ArrayList<>();
    for (Map<String, Object> object : objects) {
      String what = object.get("kind") + "/" + DeployManifests.metadata(object).get("name");
      RealKubernetes.KubectlRun dry = dryRun(kube, object);
      assertThat(dry.exitCode()).as("%s: %s", what, dry.err()).isZero();
      assertThat(dry.out()).as(what).contains("serverside-applied (server dry run)");
      assertThat(dry.err()).as("%s: warnings", what).isEmpty();
      RealKubernetes.KubectlRun apply =
          kube.kubectl(
              kube.kubeconfig(),
              YAML.writeValueAsString(object),
              "apply",
              "--server-side",
              "--validate=strict",
              "-f",
              "-");
      assertThat(apply.exitCode()).as("%s: %s", what, apply.err()).isZero();
      applied.add(apply.out().strip());
    }
    return applied;
  }

  private static RealKubernetes.KubectlRun dryRun(RealKubernetes kube, Map<String, Object> object)
      throws JsonProcessingException {
    return kube.kubectl(
        kube.kubeconfig(),
        YAML.writeValueAsString(object),
        "apply",
        "--server-side",
        "--dry-run=server",
        "--validate=strict",
        "-f",
        "-");
  }

  private static List<String> kinds(List<Map<String, Object>> objects) {
    return objects.stream().map(o -> (String) o.get("kind")).toList();
  }
}
