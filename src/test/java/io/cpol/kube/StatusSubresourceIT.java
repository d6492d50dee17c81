package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The status subresource as the operator relies on it, asked of a real kube-apiserver and of the
 * embedded server the end-to-end tests run on: the same answers from both, and the real one's are
 * what the contract says (create and spec writes drop status, /status writes ignore spec,
 * generation moves on spec changes only, a stale resourceVersion is a conflict).
 */
@ExtendWith(RealKubernetesTier.class)
class StatusSubresourceIT {
  private static final String NAMESPACE = "iot";

  @Test
  void theEmbeddedServerKeepsTheStatusSubresourceAsTheRealOneDoes() {
    Map<String, Object> real;
    try (RealKubernetes kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
        KubernetesClient client = kube.adminClient()) {
      kube.createCrdAndAwaitEstablished(
          KubeBinaries.projectRoot().resolve("crds/connectionpolicies.beebotte.io-v1.yml"));
      real = probe(client);
    }
    Map<String, Object> embedded;
    try (EmbeddedKubernetes kube = EmbeddedKubernetes.start(0)) {
      embedded = probe(kube.client());
    }

    assertThat(real)
        .as("the real server")
        .containsEntry("status kept on create", false)
        .containsEntry("generation after create", 1L)
        .containsEntry("status kept by a spec write", false)
        .containsEntry("generation after a spec write", 2L)
        .containsEntry("spec changed by a /status write", false)
        .containsEntry("status written by a /status write", true)
        .containsEntry("generation after a /status write", 2L)
        .containsEntry("generation after a label change", 2L)
        .containsEntry("stale /status write answered", 409);
    assertThat(embedded).as("the embedded server, beside the real one").isEqualTo(real);
  }

  private static Map<String, Object> probe(KubernetesClient client) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    var policies = client.resources(ConnectionPolicy.class).inNamespace(NAMESPACE);
    Map<String, Object> answers = new LinkedHashMap<>();
    ConnectionPolicy created =
        policies
            .resource(
                Serialization.unmarshal(
                    """
                    apiVersion: beebotte.io/v1alpha1
                    kind: ConnectionPolicy
                    metadata: {name: probe}
                    spec:
                      credentialsRef: {name: beebotte-account}
                      deny:
                      - userids: ["uid-1"]
                    status:
                      connected: 5
                    """,
                    ConnectionPolicy.class))
            .create();
    answers.put("status kept on create", created.getStatus() != null);
    answers.put("generation after create", created.getMetadata().getGeneration());

    ConnectionPolicy specWrite = Serialization.clone(created);
    specWrite.getSpec().getDeny().get(0).getUserids().add("uid-2");
    specWrite.setStatus(specWriteStatus());
    ConnectionPolicy afterSpec = policies.resource(specWrite).update();
    answers.put("status kept by a spec write", afterSpec.getStatus() != null);
    answers.put("generation after a spec write", afterSpec.getMetadata().getGeneration());

    ConnectionPolicy statusWrite = Serialization.clone(afterSpec);
    statusWrite.setStatus(specWriteStatus());
    statusWrite.getSpec().getDeny().get(0).getUserids().add("uid-3");
    ConnectionPolicy afterStatus = policies.resource(statusWrite).updateStatus();
    answers.put(
        "spec changed by a /status write",
        !Objects.equals(
            afterStatus.getSpec().getDeny().get(0).getUserids(),
            afterSpec.getSpec().getDeny().get(0).getUserids()));
    answers.put(
        "status written by a /status write",
        afterStatus.getStatus() != null
            && Integer.valueOf(7).equals(afterStatus.getStatus().getConnected()));
    answers.put("generation after a /status write", afterStatus.getMetadata().getGeneration());

    ConnectionPolicy labelled = Serialization.clone(afterStatus);
    labelled.getMetadata().setLabels(Map.of("team", "iot"));
    ConnectionPolicy afterLabel = policies.resource(labelled).update();
    answers.put("generation after a label change", afterLabel.getMetadata().getGeneration());

    // A status write based on a copy read before the label change: the operator's conditional PUT.
    ConnectionPolicy stale = Serialization.clone(afterStatus);
    stale.getStatus().setConnected(8);
    try {
      policies.resource(stale).updateStatus();
      answers.put("stale /status write answered", 200);
    } catch (KubernetesClientException e) {
      answers.put("stale /status write answered", e.getCode());
    }
    return answers;
  }

  private static io.cpol.policy.ConnectionPolicyStatus specWriteStatus() {
    io.cpol.policy.ConnectionPolicyStatus status = new io.cpol.policy.ConnectionPolicyStatus();
    status.setConnected(7);
    return status;
  }
}
