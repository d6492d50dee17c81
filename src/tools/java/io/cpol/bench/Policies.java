package io.cpol.bench;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.DenyRule;
import io.cpol.policy.Enforcement;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** ConnectionPolicy objects in an API server, for the end-to-end sections. */
final class Policies {
  static final String NAMESPACE = "iot";

  private Policies() {}

  static ConnectionPolicySpec withInterval(
      ConnectionPolicySpec spec, Duration interval, Enforcement enforcement) {
    spec.setInterval(interval.toSeconds() + "s");
    spec.setEnforcement(enforcement);
    return spec;
  }

  static ConnectionPolicySpec denyPatterns(String... patterns) {
    DenyRule rule = new DenyRule();
    rule.setUseridPatterns(List.of(patterns));
    return RuleMix.spec(List.of(rule));
  }

  static ConnectionPolicy create(KubernetesClient kube, String name, ConnectionPolicySpec spec) {
    ConnectionPolicy policy = new ConnectionPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).build());
    policy.setSpec(spec);
    return kube.resource(policy).create();
  }

  static void delete(KubernetesClient kube, String name) {
    kube.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName(name).delete();
  }

  static List<ConnectionPolicy> list(KubernetesClient kube) {
    return kube.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).list().getItems();
  }

  static ConnectionPolicy get(KubernetesClient kube, String name) {
    return kube.resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName(name).get();
  }

  /** Whether the policy's current generation has synced: Ready=True, reason Synced. */
  static boolean synced(ConnectionPolicy policy) {
    if (policy == null
        || policy.getStatus() == null
        || policy.getStatus().getConditions() == null) {
      return false;
    }
    for (Condition c : policy.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus())
            && "Synced".equals(c.getReason())
            && Objects.equals(
                policy.getStatus().getObservedGeneration(), policy.getMetadata().getGeneration());
      }
    }
    return false;
  }

  /** Waits until every policy in the namespace whose name starts with the prefix has synced. */
  static List<ConnectionPolicy> awaitSynced(
      KubernetesClient kube, String prefix, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<ConnectionPolicy> policies =
          list(kube).stream().filter(p -> p.getMetadata().getName().startsWith(prefix)).toList();
      if (policies.size() == count && policies.stream().allMatch(Policies::synced)) {
        return policies;
      }
      if (System.nanoTime() > deadline) {
        long done = policies.stream().filter(Policies::synced).count();
        throw new IllegalStateException(
            done + " of " + count + " policies " + prefix + "* synced within " + timeout);
      }
      Thread.sleep(100);
    }
  }

  /** Waits until the named policy has synced its current generation; returns it then. */
  static ConnectionPolicy awaitSynced(KubernetesClient kube, String name, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      ConnectionPolicy policy = get(kube, name);
      if (synced(policy)) {
        return policy;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("policy " + name + " did not sync within " + timeout);
      }
      Thread.sleep(20);
    }
  }

  /** Bytes of the status as JSON, as the API server stores it. */
  static int statusBytes(ConnectionPolicy policy) {
    return Serialization.asJson(policy.getStatus()).getBytes(StandardCharsets.UTF_8).length;
  }
}
