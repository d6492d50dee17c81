package io.cpol.live;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.utils.BodyProvider;
import java.net.InetAddress;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the sessions API asks the Kubernetes API, served by Fabric8's mock server: the front proxy's
 * ConfigMap (its data read at each request) and SubjectAccessReviews (answered by {@code reviews}).
 */
final class MockAuthorizationApi {
  private MockAuthorizationApi() {}

  static KubernetesMockServer start(
      Supplier<Map<String, String>> frontProxyData, BodyProvider<Object> reviews) {
    KubernetesMockServer mock = new KubernetesMockServer(false);
    mock.init(InetAddress.getLoopbackAddress(), 0);
    mock.expect()
        .get()
        .withPath("/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
        .andReply(
            200,
            r ->
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("extension-apiserver-authentication")
                    .withNamespace("kube-system")
                    .endMetadata()
                    .withData(frontProxyData.get())
                    .build())
        .always();
    mock.expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews")
        .andReply(201, reviews)
        .always();
    return mock;
  }
}
