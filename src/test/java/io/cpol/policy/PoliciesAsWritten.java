package io.cpol.policy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Creates ConnectionPolicies from raw JSON, past the Java model: the embedded API server, like any
 * that lacks the CRD's schema (or has a newer one), stores what it is sent.
 */
public final class PoliciesAsWritten {
  private PoliciesAsWritten() {}

  /** Creates policy {@code namespace/name} whose spec is {@code specJson}, byte for byte. */
  public static void create(
      KubernetesClient client, String namespace, String name, String specJson) {
    GenericKubernetesResource raw =
        Serialization.unmarshal(
            "{\"apiVersion\": \"beebotte.io/v1alpha1\", \"kind\": \"ConnectionPolicy\","
                + " \"metadata\": {\"name\": \""
                + name
                + "\", \"namespace\": \""
                + namespace
                + "\"}, \"spec\": "
                + specJson
                + "}",
            GenericKubernetesResource.class);
    client
        .genericKubernetesResources("beebotte.io/v1alpha1", "ConnectionPolicy")
        .inNamespace(namespace)
        .resource(raw)
        .create();
  }
}
