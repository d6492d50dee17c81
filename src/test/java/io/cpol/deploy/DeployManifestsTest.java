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
            "Service/" + OPERATOR_NAMESPACE + "/" + NAME + "-metrics",
            "Role/" + OPERATOR_NAMESPACE + "/" + NAME + "-serving-label",
            "RoleBinding/" + OPERATOR_NAMESPACE + "/" + NAME + "-serving-label",
            "ClusterRoleBinding//" + NAME + "-auth-delegator",
            "ClusterRole//" + NAME + "-sessions-api",
            "ClusterRoleBinding//" + NAME + "-sessions-api",
            AUTH_READER_BINDING,
            "APIService//v1alpha1.live.beebotte.io",
            "Service/" + OPERATOR_NAMESPACE + "/beebotte-sessions",
            "ClusterRole//beebotte-session-viewer");
  }

  /**
   * The cert-manager Component, in a kustomization of one's own beside deploy/ (as docs/kubectl.md
   * shows it): deploy/ plus cert-manager's CA and serving Certificate, the CA injected into the
   * APIService, and the Secret no longer optional.
   */
  @Test
  void certManagerComponentAddsTheCertificateAndInjectsItsCa() throws IOException {
    assumeKubectl();
    DeployManifests rendered = DeployManifests.render(certManagerInstall());

    assertThat(rendered.objects())
        .extracting(DeployManifestsTest::identity)
        .containsAll(manifests.objects().stream().map(DeployManifestsTest::identity).toList())
        .contains(
            "Issuer/" + OPERATOR_NAMESPACE + "/beebotte-sessions-selfsigned",
            "Issuer/" + OPERATOR_NAMESPACE + "/beebotte-sessions-ca",
            "Certificate/" + OPERATOR_NAMESPACE + "/beebotte-sessions-ca",
            "Certificate/" + OPERATOR_NAMESPACE + "/beebotte-sessions");
    Map<String, Object> certificate =
        DeployManifests.map(rendered.find("Certificate", "beebotte-sessions").get().get("spec"));
    assertThat(certificate)
        .containsEntry("secretName", "beebotte-sessions-tls")
        .containsEntry(
            "dnsNames",
            List.of(
                "beebotte-sessions.beebotte-system.svc",
                "beebotte-sessions.beebotte-system.svc.cluster.local"));
    assertCertManagerWired(rendered);
  }

  /**
   * cert-manager's CA injected into the APIService, and the serving certificate's Secret mounted
   * without {@code optional}: a pod waits for its certificate rather than generating one.
   */
  static void assertCertManagerWired(DeployManifests install) {
    assertThat(
            DeployManifests.metadata(
                install.find("APIService", "v1alpha1.live.beebotte.io").orElseThrow()))
        .extractingByKey("annotations")
        .isEqualTo(Map.of("cert-manager.io/inject-ca-from", "beebotte-system/beebotte-sessions"));
    assertThat(install.operatorPodTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("sessions-tls"))
        .singleElement()
        .satisfies(
            tls -> {
              assertThat(tls.getSecret().getSecretName()).isEqualTo("beebotte-sessions-tls");
              assertThat(tls.getSecret().getOptional()).isFalse();
            });
  }

  /** A kustomization under target/ that installs deploy/ with the cert-manager Component. */
  static Path certManagerInstall() throws IOException {
    Path dir = Path.of("target/cert-manager-install");
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("kustomization.yaml"),
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
        - ../../deploy
        components:
        - ../../deploy/sessions-api/cert-manager
        """);
    return dir;
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
