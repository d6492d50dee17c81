package io.cpol.deploy;

import static io.cpol.deploy.DeployManifests.CRD_FILE;
import static io.cpol.deploy.DeployManifests.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

/** deploy/ installs what the operator needs, the way a production cluster wants it. */
class DeployManifestsTest extends InstallChecks {
  static final Map<String, String> POD_SELECTOR = Map.of("app.kubernetes.io/name", NAME);

  final DeployManifests manifests = DeployManifests.read();

  @Override
  DeployManifests manifests() {
    return manifests;
  }

  @Override
  Map<String, String> podSelector() {
    return POD_SELECTOR;
  }

  static void assumeKubectl() {
    assumeTrue(
        DeployManifests.kubectlAvailable(),
        "kubectl is not on the PATH: skipping the `kubectl kustomize` check");
  }

  @Test
  void kubectlRendersExactlyTheExpectedObjects() {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(DeployManifests.DEPLOY_DIR);

    assertThat(rendered.objects())
        .extracting(DeployManifestsTest::identity)
        .containsExactlyInAnyOrder(
            "CustomResourceDefinition//connectionpolicies.beebotte.io",
            "Namespace//" + OPERATOR_NAMESPACE,
            "ServiceAccount/" + OPERATOR_NAMESPACE + "/" + NAME,
            "ClusterRole//" + NAME,
            "ClusterRoleBinding//" + NAME,
            "Role/" + OPERATOR_NAMESPACE + "/" + NAME + "-leader-election",
            "RoleBinding/" + OPERATOR_NAMESPACE + "/" + NAME + "-leader-election",
            "ClusterRole//beebotte-connectionpolicy-viewer",
            "ClusterRole//beebotte-connectionpolicy-editor",
            "Deployment/" + OPERATOR_NAMESPACE + "/" + NAME,
            "PodDisruptionBudget/" + OPERATOR_NAMESPACE + "/" + NAME,
            "Service/" + OPERATOR_NAMESPACE + "/" + NAME + "-metrics");
  }

  @Test
  void kubectlRendersTheCommittedCrdUnchanged() {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(DeployManifests.DEPLOY_DIR);

    List<Map<String, Object>> crds = rendered.ofKind("CustomResourceDefinition");
    assertThat(crds).hasSize(1);
    assertThat(DeployManifests.canonical(crds.get(0)))
        .isEqualTo(DeployManifests.canonical(DeployManifests.parseYaml(CRD_FILE).get(0)));
  }

  @Test
  void kubectlRendersWhatTheFilesSay() {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(DeployManifests.DEPLOY_DIR);

    // The tests that read the files without kubectl (RBAC above all) see what gets applied.
    assertThat(DeployManifests.canonical(byIdentity(manifests.objects())))
        .isEqualTo(DeployManifests.canonical(byIdentity(rendered.objects())));
  }

  @Test
  void namespaceEnforcesTheRestrictedPodSecurityStandard() {
    assertThat(manifests.find("Namespace", OPERATOR_NAMESPACE)).isPresent();
    assertThat(DeployManifests.metadata(manifests.find("Namespace", OPERATOR_NAMESPACE).get()))
        .extractingByKey("labels")
        .asInstanceOf(InstanceOfAssertFactories.MAP)
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
  }

  @Test
  void dockerImageRunsAsTheUserAndPortTheDeploymentExpects() throws IOException {
    List<String> dockerfile = Files.readAllLines(Path.of("Dockerfile"));
    List<String> runtimeStage =
        dockerfile.subList(lastIndexStartingWith(dockerfile, "FROM "), dockerfile.size());

    assertThat(runtimeStage).contains("USER 65532:65532", "EXPOSE 8080");
    assertThat(pod().getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(pod().getSecurityContext().getRunAsGroup()).isEqualTo(65532L);
    assertThat(runtimeStage).anyMatch(l -> l.startsWith("ENTRYPOINT [\"/usr/bin/java\", \"-jar\""));
    assertThat(Files.readAllLines(Path.of(".dockerignore"))).contains("target/", ".git/");
  }

  private static int lastIndexStartingWith(List<String> lines, String prefix) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("No line starting with " + prefix);
  }

  static String identity(Map<String, Object> object) {
    Map<String, Object> metadata = DeployManifests.metadata(object);
    Object namespace = metadata.get("namespace");
    return object.get("kind")
        + "/"
        + (namespace == null ? "" : namespace)
        + "/"
        + metadata.get("name");
  }

  private static Map<String, Map<String, Object>> byIdentity(List<Map<String, Object>> objects) {
    return objects.stream()
        .collect(Collectors.toMap(DeployManifestsTest::identity, Function.identity()));
  }
}
