package io.cpol.kube;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * What deploy/ installs for the operator, applied to a real API server by its administrator with
 * the real kubectl: the committed CRD, the operator's namespace, and deploy/rbac (the
 * ServiceAccount, its ClusterRole and leader-election Role with their bindings). The operator then
 * runs as that ServiceAccount, with a token from the TokenRequest API.
 */
final class OperatorInstall {
  static final String NAMESPACE = "beebotte-system";
  static final String SERVICE_ACCOUNT = "beebotte-connection-operator";
  static final String LEASE = "beebotte-connection-operator";

  /** The API server's name for the operator's identity (audit log's user). */
  static final String USER = "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT;

  private OperatorInstall() {}

  /** Applies the CRD and deploy/rbac and waits until the CRD is served. */
  static void apply(RealKubernetes kube) {
    Path root = KubeBinaries.projectRoot();
    kube.kubectl(
            "apply",
            "--server-side",
            "-f",
            root.resolve("crds/connectionpolicies.beebotte.io-v1.yml").toString())
        .orFail();
    kube.kubectl(
            "apply",
            "-f",
            root.resolve("deploy/namespace.yaml").toString(),
            "-f",
            root.resolve("deploy/rbac").toString())
        .orFail();
    kube.kubectl(
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "crd/connectionpolicies.beebotte.io")
        .orFail();
  }

  /** A kubeconfig holding a fresh token of the operator's ServiceAccount. */
  static Path serviceAccountKubeconfig(RealKubernetes kube) {
    return kube.kubeconfigForToken(SERVICE_ACCOUNT, token(kube));
  }

  /** A fresh token of the operator's ServiceAccount, valid for an hour. */
  static String token(RealKubernetes kube) {
    return kube.serviceAccountToken(NAMESPACE, SERVICE_ACCOUNT, Duration.ofHours(1));
  }

  /** Creates a namespace and, in it, a Secret of Beebotte keys for the policies there. */
  static void namespaceWithKeys(
      KubernetesClient admin, String namespace, String secret, String apiKey, String secretKey) {
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    admin
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(secret)
                .endMetadata()
                .withStringData(Map.of("apiKey", apiKey, "secretKey", secretKey))
                .build())
        .create();
  }

  /** Closes what a test class started, in the order given, skipping what never started. */
  static void tearDown(AutoCloseable... parts) {
    for (AutoCloseable part : parts) {
      if (part != null) {
        try {
          part.close();
        } catch (Exception e) {
          // the rest still close
        }
      }
    }
  }
}
