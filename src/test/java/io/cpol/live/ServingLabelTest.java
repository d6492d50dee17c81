package io.cpol.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The serving label follows leadership on the embedded API server, and never throws. */
class ServingLabelTest {
  private static final String NAMESPACE = "beebotte-system";
  private static final String POD = "beebotte-connection-operator-abc";

  private EmbeddedKubernetes kube;

  @BeforeEach
  void start() {
    kube = EmbeddedKubernetes.startValidating(0);
    kube.client().namespaces().resource(EmbeddedKubernetes.activeNamespace(NAMESPACE)).create();
  }

  @AfterEach
  void stop() {
    kube.close();
  }

  @Test
  void removedAtStartSetWhileLeadingRemovedWhenStopped() {
    // A restarted container finds its pod still labelled by the replica it was before.
    createPod(
        Map.of(
            "app.kubernetes.io/name", "beebotte-connection-operator", ServingLabel.LABEL, "true"));

    try (ServingLabel label = ServingLabel.start(kube.client(), NAMESPACE, POD)) {
      awaitLabel(null);
      assertThat(labels()).containsEntry("app.kubernetes.io/name", "beebotte-connection-operator");

      label.serving(true);
      awaitLabel("true");
      label.serving(false);
      awaitLabel(null);
      label.serving(true);
      awaitLabel("true");
    }
    // close() waits for the removal: no await needed.
    assertThat(labels())
        .doesNotContainKey(ServingLabel.LABEL)
        .containsKey("app.kubernetes.io/name");
  }

  @Test
  void aMissingPodIsRetriedWithoutThrowing() {
    try (ServingLabel label = ServingLabel.start(kube.client(), NAMESPACE, POD)) {
      label.serving(true);
      // The first tries meet 404s; once the pod exists a retry labels it.
      await().pollDelay(Duration.ofMillis(300)).until(() -> podRequests() >= 1);
      createPod(Map.of());
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "true".equals(labels().get(ServingLabel.LABEL)));
    }
  }

  @Test
  void doesNothingOutsideAPod() {
    kube.drainRequests();
    try (ServingLabel label = ServingLabel.start(kube.client(), null, POD)) {
      label.serving(true);
    }
    try (ServingLabel label = ServingLabel.start(kube.client(), NAMESPACE, null)) {
      label.serving(true);
    }
    assertThat(kube.drainRequests()).isEmpty();
  }

  private void createPod(Map<String, String> labels) {
    kube.client()
        .pods()
        .inNamespace(NAMESPACE)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(POD)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("operator")
                .withImage("ghcr.io/cpol/beebotte-connection-operator:0.1.0")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private Map<String, String> labels() {
    Pod pod = kube.client().pods().inNamespace(NAMESPACE).withName(POD).get();
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }

  private void awaitLabel(String value) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              if (value == null) {
                assertThat(labels()).doesNotContainKey(ServingLabel.LABEL);
              } else {
                assertThat(labels()).containsEntry(ServingLabel.LABEL, value);
              }
            });
  }

  private long podRequests() {
    List<RecordedRequest> requests = kube.drainRequests();
    // Fabric8 reads the pod before it patches it: a missing pod ends at that GET.
    return requests.stream().filter(r -> r.getPath().endsWith("/pods/" + POD)).count();
  }
}
