package io.cpol.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Where one bad policy used to stop the operator: the Fabric8 informer JOSDK runs reads every
 * ConnectionPolicy with the client's Jackson mapper, on the initial list and on each watch event. A
 * read that threw ("Unrecognized field "denyy" (class io.cpol.policy.ConnectionPolicySpec)") made
 * the list fail or closed the watch with "Unexpected exception processing watch event", the
 * informer stopped, and JOSDK's informer-stopped handler logged "Fatal error in informer ...
 * Stopping the operator" and exited the process.
 */
class InformerReadsAnyPolicyTest {

  @Test
  void badPoliciesInTheListAndInWatchEventsDoNotStopTheInformer() {
    try (EmbeddedKubernetes api = EmbeddedKubernetes.start(0);
        KubernetesClient client = api.newClient("informer-test")) {
      create(client, "listed-typo", "{\"denyy\": [{\"userids\": [\"a\"]}]}");

      SharedIndexInformer<ConnectionPolicy> informer =
          client.resources(ConnectionPolicy.class).inNamespace("iot").inform();
      try {
        create(client, "watched-typo", "{\"deny\": [{\"userids\": [\"a\"], \"untill\": \"x\"}]}");
        create(client, "watched-type", "{\"maxDropsPerSync\": \"ten\", \"deny\": \"everything\"}");
        create(client, "watched-enum", "{\"enforcement\": \"enforce\"}");
        create(client, "good", "{\"deny\": [{\"userids\": [\"a\"]}]}");

        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> informer.getStore().getByKey("iot/good") != null);
        assertThat(informer.stopped()).isNotDone();
        assertThat(informer.isWatching()).isTrue();
        assertThat(informer.getStore().list()).hasSize(5);
        assertThat(report(informer, "listed-typo").unknownFields()).containsExactly("spec.denyy");
        assertThat(report(informer, "watched-typo").unknownFields())
            .containsExactly("spec.deny[0].untill");
        assertThat(report(informer, "watched-type").unreadable()).hasSize(2);
        assertThat(report(informer, "watched-enum").unreadable())
            .containsExactly("spec.enforcement: must be one of Enforce, DryRun, got \"enforce\"");
      } finally {
        informer.close();
      }
    }
  }

  private static TolerantReader.ReadReport report(
      SharedIndexInformer<ConnectionPolicy> informer, String name) {
    return informer.getStore().getByKey("iot/" + name).getSpec().readReport();
  }

  private static void create(KubernetesClient client, String name, String specJson) {
    PoliciesAsWritten.create(client, "iot", name, specJson);
  }
}
