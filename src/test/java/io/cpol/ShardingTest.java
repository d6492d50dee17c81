package io.cpol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two operator Deployments, {@code shard=a} and {@code shard=b}, against one API server: each
 * elects its leader on its own Lease and enforces only the policies its selector picks.
 */
@Timeout(120)
class ShardingTest {
  private static final String LEASE_BASE = "beebotte-connection-operator";

  @Test
  void eachShardEnforcesOnlyItsOwnPolicies() throws Exception {
    try (OperatorHarness h = OperatorHarness.start(shardFlags("a"))) {
      KubernetesClient clientB = h.kubernetes().newClient("beebotte-connection-operator/shard-b");
      try (ConnectionPolicyOperator shardB = startShard(h, clientB, "b")) {
        for (String uid : List.of("uid-a", "uid-b", "uid-none", "uid-keep")) {
          h.simulator().addConnection(mqtt(uid));
        }
        h.createKeysSecret("beebotte-account", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
        h.apply(policy("pa", "shard: a", "uid-a"));
        h.apply(policy("pb", "shard: b", "uid-b"));
        h.apply(policy("pnone", "tier: iot", "uid-none"));

        h.awaitCondition("pa", "Enforced", "True", "AllDropped");
        h.awaitCondition("pb", "Enforced", "True", "AllDropped");
        await().atMost(Duration.ofSeconds(10)).until(() -> h.events("pb").size() >= 1);

        assertThat(h.liveSids()).containsExactlyInAnyOrder("uid-none", "uid-keep");
        // No shard picks an unlabelled policy: nobody writes its status, nobody drops for it.
        assertThat(h.policy("pnone").getStatus()).isNull();
        assertThat(reporters(h.events("pa"))).containsExactly("shard-a");
        assertThat(reporters(h.events("pb"))).containsExactly("shard-b");
        assertThat(policiesInMetrics(h.operator().httpPort())).containsExactly("pa");
        assertThat(policiesInMetrics(shardB.httpPort())).containsExactly("pb");

        // Both shards lead at once, each on its own Lease.
        Map<String, String> holders =
            h.kube().leases().inNamespace(OperatorHarness.NAMESPACE).list().getItems().stream()
                .collect(
                    Collectors.toMap(
                        l -> l.getMetadata().getName(),
                        (Lease l) -> l.getSpec().getHolderIdentity()));
        assertThat(holders)
            .containsOnly(Map.entry(leaseOf("a"), "shard-a"), Map.entry(leaseOf("b"), "shard-b"));
        assertThat(metrics(shardB.httpPort()))
            .contains("beebotte_operator_leader{lease=\"" + leaseOf("b") + "\"} 1.0");

        // Labelling a policy into a shard hands it to that shard.
        h.kube()
            .resources(ConnectionPolicy.class)
            .inNamespace(OperatorHarness.NAMESPACE)
            .withName("pnone")
            .edit(
                p -> {
                  p.getMetadata().getLabels().put("shard", "b");
                  return p;
                });
        h.awaitCondition("pnone", "Enforced", "True", "AllDropped");
        assertThat(h.liveSids()).containsExactly("uid-keep");
        assertThat(reporters(h.events("pnone"))).containsExactly("shard-b");
      } finally {
        clientB.close();
      }
    }
  }

  private static String[] shardFlags(String shard) {
    return new String[] {
      "--watch-label-selector=shard=" + shard,
      "--leader-election=true",
      "--leader-election-namespace=" + OperatorHarness.NAMESPACE,
      "--leader-election-lease-name=" + LEASE_BASE,
      "--pod-name=shard-" + shard
    };
  }

  /** The second Deployment: the harness's settings, another shard. */
  private static ConnectionPolicyOperator startShard(
      OperatorHarness h, KubernetesClient client, String shard) throws IOException {
    String[] flags =
        Stream.concat(
                Stream.of("--http-port=0", "--default-endpoint=" + h.simulator().baseUrl()),
                Arrays.stream(shardFlags(shard)))
            .toArray(String[]::new);
    ConnectionPolicyOperator operator =
        ConnectionPolicyOperator.start(OperatorConfig.from(flags, Map.of()), client, null);
    await().atMost(Duration.ofSeconds(20)).until(operator::isReady);
    return operator;
  }

  private static String leaseOf(String shard) {
    return WatchLabelSelector.parse("shard=" + shard).leaseName(LEASE_BASE);
  }

  private static String policy(String name, String label, String deniedUserid) {
    return """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata:
          name: %s
          labels: {%s}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1s
          deny:
          - userids: ["%s"]
        """
        .formatted(name, label, deniedUserid);
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid, "mqtt", userid, "::ffff:198.51.100.7", null, null, List.of());
  }

  private static List<String> reporters(List<Event> events) {
    return events.stream().map(Event::getReportingInstance).distinct().toList();
  }

  /** The policies a replica reports series for. */
  private static List<String> policiesInMetrics(int port) throws Exception {
    return metrics(port)
        .lines()
        .filter(l -> l.startsWith("beebotte_policy_connections{"))
        .map(l -> l.replaceAll(".*policy=\"([^\"]*)\".*", "$1"))
        .sorted()
        .toList();
  }

  private static String metrics(int port) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
