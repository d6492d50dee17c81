package io.cpol.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The APIService's caBundle patched to the generated CA, once, and only that field. */
class ApiServiceCaBundleTest {
  private static final String PATH =
      "/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.live.beebotte.io";
  private final AtomicReference<Map<String, Object>> spec = new AtomicReference<>();
  private final List<String> patches = new CopyOnWriteArrayList<>();
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    server.expect().get().withPath(PATH).andReply(200, r -> apiService(spec.get())).always();
    client = server.createClient();
  }

  private static Map<String, Object> apiService(Map<String, Object> spec) {
    return Map.of(
        "apiVersion",
        "apiregistration.k8s.io/v1",
        "kind",
        "APIService",
        "metadata",
        Map.of("name", "v1alpha1.live.beebotte.io"),
        "spec",
        spec);
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @Test
  void patchesTheCaBundleOnlyWhenItDiffers() throws Exception {
    String ca =
        SelfSignedCertificates.generate(List.of("localhost"), java.time.Clock.systemUTC()).caPem();
    String encoded = Base64.getEncoder().encodeToString(ca.getBytes(StandardCharsets.US_ASCII));
    Map<String, Object> installed =
        new HashMap<>(Map.of("group", "live.beebotte.io", "version", "v1alpha1"));
    spec.set(installed);
    server
        .expect()
        .patch()
        .withPath(PATH)
        .andReply(
            200,
            r -> {
              patches.add(r.getHeader("Content-Type") + " " + r.getBody().readUtf8());
              installed.put("caBundle", encoded);
              return apiService(installed);
            })
        .always();
    ApiServiceCaBundle bundle = new ApiServiceCaBundle(client);

    assertThat(bundle.ensure(ca)).isTrue();
    assertThat(bundle.ensure(ca)).as("already there: no second patch").isFalse();

    assertThat(patches).hasSize(1);
    assertThat(patches.get(0)).startsWith("application/merge-patch+json");
    Map<?, ?> body =
        new ObjectMapper()
            .readValue(patches.get(0).substring(patches.get(0).indexOf(' ') + 1), Map.class);
    assertThat(body).isEqualTo(Map.of("spec", Map.of("caBundle", encoded)));
  }
}
