package io.cpol.live;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Keeps the APIService's {@code spec.caBundle} on the CA of the self-signed certificate, so the
 * aggregator trusts this server: a JSON merge patch of that one field, only when it differs.
 */
public final class ApiServiceCaBundle {
  public static final String API_SERVICE = SessionsApi.VERSION + "." + SessionsApi.GROUP;

  private final KubernetesClient kubernetes;

  public ApiServiceCaBundle(KubernetesClient kubernetes) {
    this.kubernetes = kubernetes;
  }

  /**
   * Patches the caBundle to {@code caPem} when it holds something else.
   *
   * @return whether it patched; false too when there is no APIService (not installed yet)
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API refuses
   */
  public boolean ensure(String caPem) {
    String wanted = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
    var apiService =
        kubernetes
            .genericKubernetesResources("apiregistration.k8s.io/v1", "APIService")
            .withName(API_SERVICE);
    GenericKubernetesResource current = apiService.get();
    if (current == null) {
      return false;
    }
    Object spec = current.getAdditionalProperties().get("spec");
    Object bundle = spec instanceof Map<?, ?> m ? m.get("caBundle") : null;
    if (wanted.equals(bundle)) {
      return false;
    }
    apiService.patch(
        PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"caBundle\":\"" + wanted + "\"}}");
    return true;
  }
}
