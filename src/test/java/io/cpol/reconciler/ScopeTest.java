package io.cpol.reconciler;

import static io.cpol.reconciler.EnforcementTest.mqtt;
import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the operator looks at: its namespaces, the policy's own Secret, spec changes only. */
class ScopeTest {

  private static final String POLICY =
      """
      apiVersion: beebotte.io/v1alpha1
      kind: ConnectionPolicy
      metadata: {name: p, namespace: %s}
      spec:
        credentialsRef: {name: beebotte-account}
        interval: 1h
        deny:
        - userids: ["uid-1"]
      """;

  private static long listings(OperatorHarness h) {
    return h.simulator().requests().stream()
        .filter(c -> c.endpoint() == RecordedCall.EndpointKind.LIST)
        .count();
  }

  @Test
  void credentialsComeOnlyFromThePolicysOwnNamespace() {
    try (OperatorHarness h = OperatorHarness.start()) {
      h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
      h.kube()
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("other").endMetadata().build())
          .create();
      h.kube()
          .secrets()
          .inNamespace("other")
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("beebotte-account")
                  .endMetadata()
                  .withStringData(Map.of("apiKey", API_KEY, "secretKey", SECRET_KEY))
                  .build())
          .create();

      h.apply(POLICY.formatted(OperatorHarness.NAMESPACE));

      h.awaitCondition("p", "Ready", "False", "CredentialsNotFound");
      assertThat(h.simulator().requests()).isEmpty();
      assertThat(h.liveSids()).containsExactly("uid-1");
    }
  }

  @Test
  void policiesOutsideTheWatchedNamespacesAreLeftAlone() {
    try (OperatorHarness h = OperatorHarness.start("--watch-namespaces=fleet")) {
      h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
      for (String ns : new String[] {"fleet"}) {
        h.kube()
            .namespaces()
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      h.apply(POLICY.formatted(OperatorHarness.NAMESPACE));
      h.kube()
          .secrets()
          .inNamespace("fleet")
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("beebotte-account")
                  .endMetadata()
                  .withStringData(Map.of("apiKey", API_KEY, "secretKey", SECRET_KEY))
                  .build())
          .create();
      h.apply(POLICY.formatted("fleet").replace("uid-1", "uid-none"));

      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                ConnectionPolicy fleet =
                    h.kube()
                        .resources(ConnectionPolicy.class)
                        .inNamespace("fleet")
                        .withName("p")
                        .get();
                return fleet.getStatus() != null && fleet.getStatus().getConnected() != null;
              });
      assertThat(h.policy("p").getStatus()).as("the unwatched policy").isNull();
      assertThat(h.liveSids()).containsExactly("uid-1");
    }
  }

  @Test
  void statusAndMetadataChangesDoNotTriggerASync() throws InterruptedException {
    try (OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      h.apply(POLICY.formatted(OperatorHarness.NAMESPACE));
      h.awaitCondition("p", "Ready", "True", "Synced");
      long before = listings(h);

      // A label (metadata) and a status edit by someone else: neither bumps the generation.
      h.kube()
          .resources(ConnectionPolicy.class)
          .inNamespace(OperatorHarness.NAMESPACE)
          .withName("p")
          .edit(
              p -> {
                p.getMetadata().setLabels(Map.of("team", "iot"));
                return p;
              });
      ConnectionPolicy p = h.policy("p");
      p.getStatus().setConnectionsOmitted(12345);
      h.kube().resource(p).updateStatus();

      // A wait in wall time, kept on purpose: that nothing reconciles after a status or label
      // edit is JOSDK's event filtering on the real informer, which the manual clock does not run,
      // and a negative fact has no event to await. A reconcile in this window would have
      // rewritten the edited status. The window outlasts the fresh listing's, so the spec change
      // below lists afresh.
      Thread.sleep(EngineSettings.defaults(1).freshListing().toMillis() + 500);
      assertThat(h.policy("p").getStatus().getConnectionsOmitted())
          .as("no sync after the status and label edits")
          .isEqualTo(12345);
      assertThat(listings(h)).isEqualTo(before);

      // A spec change must sync, with a listing of its own, and puts status right again.
      h.kube()
          .resources(ConnectionPolicy.class)
          .inNamespace(OperatorHarness.NAMESPACE)
          .withName("p")
          .edit(
              q -> {
                q.getSpec().setMaxDropsPerSync(5);
                return q;
              });
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  h.policy("p").getStatus().getObservedGeneration()
                      == h.policy("p").getMetadata().getGeneration());

      assertThat(listings(h) - before)
          .as("only the spec change listed (the interval is an hour)")
          .isEqualTo(1);
      assertThat(h.policy("p").getStatus().getConnectionsOmitted()).isEqualTo(0);
    }
  }

  @Test
  void policiesAppliedAllAtOnceAreEverySynced() throws Exception {
    // Reconciles of policies created together run side by side; one of them deciding what was
    // deleted from an older view of the cache once forgot policies registered meanwhile, which
    // then never synced (seen with 100 policies: a quarter never got a status).
    try (OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
      int count = 120;
      ExecutorService creators = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          String name = String.format("p-%03d", i);
          created.add(
              creators.submit(
                  () ->
                      h.apply(
                          """
                          apiVersion: beebotte.io/v1alpha1
                          kind: ConnectionPolicy
                          metadata: {name: %s}
                          spec:
                            credentialsRef: {name: beebotte-account}
                            interval: 1h
                            enforcement: DryRun
                            deny:
                            - userids: ["uid-1"]
                          """
                              .formatted(name))));
        }
        for (Future<?> f : created) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        creators.shutdownNow();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () ->
                  assertThat(
                          h.kube()
                              .resources(ConnectionPolicy.class)
                              .inNamespace("iot")
                              .list()
                              .getItems())
                      .hasSize(count)
                      .allSatisfy(
                          p ->
                              assertThat(p.getStatus())
                                  .as(p.getMetadata().getName())
                                  .isNotNull()
                                  .extracting(s -> s.getDenied())
                                  .isEqualTo(1)));
    }
  }
}
