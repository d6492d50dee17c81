package io.cpol.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * A Kubernetes API for tests and the sandbox: Fabric8's mock server in CRUD mode (with the fixes
 * and kubectl support of {@link ApiServerDispatcher}), with our CRD registered first so
 * status-subresource semantics match a real API server.
 */
public final class EmbeddedKubernetes implements AutoCloseable {
  public static final Path CRD = Path.of("crds/connectionpolicies.beebotte.io-v1.yml");

  private final KubernetesMockServer server;
  private final ApiServerDispatcher dispatcher;
  private final NamespacedKubernetesClient client;

  private EmbeddedKubernetes(KubernetesMockServer server, ApiServerDispatcher dispatcher) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.client = server.createClient();
  }

  /**
   * Starts on 127.0.0.1 and the given port (0 = any free one), storing what it is sent: tests of
   * the operator's own validation need objects a real API server would refuse.
   */
  public static EmbeddedKubernetes start(int port) {
    return start(port, false);
  }

  /**
   * Starts an API server that validates writes as a real one does ({@link Admission}: the CRD's
   * schema and CEL rules, strict field validation, existing namespaces, metadata limits), with the
   * namespaces every cluster has ({@code default}, {@code kube-system}, {@code kube-public}).
   */
  public static EmbeddedKubernetes startValidating(int port) {
    return start(port, true);
  }

  private static EmbeddedKubernetes start(int port, boolean admission) {
    ApiServerDispatcher dispatcher =
        new ApiServerDispatcher(java.time.Clock.systemUTC(), admission);
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), port);
    EmbeddedKubernetes kubernetes = new EmbeddedKubernetes(server, dispatcher);
    kubernetes.registerCrd();
    if (admission) {
      for (String namespace : java.util.List.of("default", "kube-system", "kube-public")) {
        kubernetes
            .client()
            .namespaces()
            .resource(
                new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                    .withNewMetadata()
                    .withName(namespace)
                    .endMetadata()
                    .withNewStatus()
                    .withPhase("Active")
                    .endStatus()
                    .build())
            .create();
      }
    }
    return kubernetes;
  }

  public NamespacedKubernetesClient client() {
    return client;
  }

  /** A new client of this API server that identifies itself with the given User-Agent. */
  public NamespacedKubernetesClient newClient(String userAgent) {
    return server.createClient(b -> b.editOrNewConfig().withUserAgent(userAgent).endConfig());
  }

  public KubernetesMockServer server() {
    return server;
  }

  /** The store behind the API, for serving it on another port ({@link ApiServerFrontend}). */
  public ApiServerDispatcher dispatcher() {
    return dispatcher;
  }

  /** Base URL, e.g. http://127.0.0.1:34567. */
  public String url() {
    return "http://" + server.getHostName() + ":" + server.getPort();
  }

  /** Takes every request the API server has received since the last call, oldest first. */
  public java.util.List<io.fabric8.mockwebserver.http.RecordedRequest> drainRequests() {
    java.util.List<io.fabric8.mockwebserver.http.RecordedRequest> out = new java.util.ArrayList<>();
    try {
      io.fabric8.mockwebserver.http.RecordedRequest r;
      while ((r = server.takeRequest(0, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
        out.add(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  private void registerCrd() {
    try {
      CustomResourceDefinition crd =
          Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
      client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + CRD, e);
    }
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
