package io.cpol.cli;

import io.cpol.policy.ConnectionPolicy;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The user's cluster as kubectl would reach it (kubeconfig, context, namespace): the
 * ConnectionPolicies and the Secrets they name, with every failure turned into a message a user can
 * act on.
 */
final class Cluster implements AutoCloseable {
  private final KubernetesClient client;
  private final String namespace;
  private final String server;

  private Cluster(KubernetesClient client, String namespace, String server) {
    this.client = client;
    this.namespace = namespace;
    this.server = server;
  }

  /**
   * Connects as kubectl would: {@code --kubeconfig}, else {@code $KUBECONFIG}, else ~/.kube/config;
   * {@code --context}, else the current context; {@code -n}, else the context's namespace, else
   * {@code default}.
   */
  static Cluster connect(ClusterOptions options) throws CliException {
    if (options.kubeconfig != null) {
      if (!Files.isRegularFile(options.kubeconfig)) {
        throw new CliException("kubeconfig " + options.kubeconfig + " not found");
      }
      System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, options.kubeconfig.toString());
    } else if (!inCluster()) {
      String home = System.getenv("HOME");
      if (System.getenv("KUBECONFIG") == null && home != null && !home.isEmpty()) {
        // kubectl's default is $HOME/.kube/config; Java's user.home may be another directory.
        System.setProperty(
            Config.KUBERNETES_KUBECONFIG_FILE, Path.of(home, ".kube", "config").toString());
      }
      Collection<String> files = Config.getKubeconfigFilenames();
      if (files.stream().map(File::new).noneMatch(File::isFile)) {
        throw new CliException(
            "no kubeconfig found (looked for "
                + (files.isEmpty() ? "~/.kube/config" : String.join(", ", files))
                + "): set KUBECONFIG or pass --kubeconfig FILE");
      }
    }
    Config config;
    try {
      config = Config.autoConfigure(options.context);
    } catch (KubernetesClientException | IllegalArgumentException e) {
      throw new CliException("cannot read the kubeconfig: " + e.getMessage());
    }
    List<NamedContext> contexts = config.getContexts() == null ? List.of() : config.getContexts();
    if (options.context != null
        && contexts.stream().noneMatch(c -> options.context.equals(c.getName()))) {
      throw new CliException(
          "context \""
              + options.context
              + "\" not found in the kubeconfig (contexts: "
              + (contexts.isEmpty()
                  ? "none"
                  : contexts.stream().map(NamedContext::getName).collect(Collectors.joining(", ")))
              + ")");
    }
    if (options.context == null && config.getCurrentContext() == null && !inCluster()) {
      throw new CliException(
          "the kubeconfig has no current context: pass --context NAME or run kubectl config"
              + " use-context NAME");
    }
    // A CLI answers promptly: no retry with back-off on a refused connection.
    config.setRequestRetryBackoffLimit(0);
    config.setRequestTimeout((int) options.requestTimeout.toMillis());
    config.setConnectionTimeout((int) Math.min(options.requestTimeout.toMillis(), 10_000));
    String namespace =
        options.namespace != null
            ? options.namespace
            : config.getNamespace() == null ? "default" : config.getNamespace();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return new Cluster(client, namespace, config.getMasterUrl());
  }

  private static boolean inCluster() {
    return System.getenv("KUBERNETES_SERVICE_HOST") != null
        && Files.isRegularFile(Path.of(Config.KUBERNETES_NAMESPACE_PATH));
  }

  /** The namespace commands act in: {@code -n}, or the context's. */
  String namespace() {
    return namespace;
  }

  /** The policies of one namespace, or of all ({@code namespace} null). */
  List<ConnectionPolicy> policies(String namespace) throws CliException {
    try {
      var resources = client.resources(ConnectionPolicy.class);
      return namespace == null
          ? resources.inAnyNamespace().list().getItems()
          : resources.inNamespace(namespace).list().getItems();
    } catch (KubernetesClientException e) {
      throw explain(
          e,
          "list connectionpolicies"
              + (namespace == null ? " in any namespace" : " in " + namespace));
    }
  }

  /** One policy, or a clear error when it does not exist. */
  ConnectionPolicy policy(String namespace, String name) throws CliException {
    ConnectionPolicy policy;
    try {
      policy = client.resources(ConnectionPolicy.class).inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw explain(e, "get connectionpolicy " + name + " in " + namespace);
    }
    if (policy == null) {
      throw new CliException(
          "connectionpolicy \""
              + name
              + "\" not found in namespace "
              + namespace
              + " (kubectl get cpol -n "
              + namespace
              + " lists them)");
    }
    return policy;
  }

  /** The Secret, or null when it does not exist; refusals (RBAC) are errors. */
  Secret secret(String namespace, String name, String usedBy) throws CliException {
    try {
      return client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw explain(
          e,
          "read Secret "
              + namespace
              + "/"
              + name
              + " (credentials of "
              + usedBy
              + "); --from-status needs no Secret");
    }
  }

  private CliException explain(KubernetesClientException e, String what) {
    int code = e.getCode();
    Status status = e.getStatus();
    String serverSays =
        status != null && status.getMessage() != null ? status.getMessage() : e.getMessage();
    if (code == 401) {
      return new CliException(
          "cannot "
              + what
              + ": the Kubernetes API at "
              + server
              + " refused your credentials"
              + " (HTTP 401); check the kubeconfig's user");
    }
    if (code == 403) {
      return new CliException("cannot " + what + ": forbidden (RBAC): " + serverSays);
    }
    if (code == 404 && what.startsWith("list connectionpolicies")) {
      return new CliException(
          "cannot "
              + what
              + ": the ConnectionPolicy CRD (connectionpolicies.beebotte.io) is not installed at "
              + server);
    }
    if (code == 0) {
      Throwable cause = e.getCause() == null ? e : rootCause(e);
      return new CliException(
          "cannot reach the Kubernetes API at "
              + server
              + " to "
              + what
              + ": "
              + (cause.getMessage() == null
                  ? cause.getClass().getSimpleName()
                  : cause.getMessage()));
    }
    return new CliException("cannot " + what + ": HTTP " + code + ": " + serverSays);
  }

  private static Throwable rootCause(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  @Override
  public void close() {
    client.close();
  }
}
