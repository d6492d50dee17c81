package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas on one Lease, as deploy/ runs them. A graceful stop (SIGTERM runs {@link
 * ConnectionPolicyOperator#close()}) hands over within seconds, not after the Lease's 15 s; a lease
 * really lost still ends the process.
 */
class LeaderHandoverTest {
  private static final String LEASE = "beebotte-connection-operator";
  private static final Duration HANDOVER_BOUND = Duration.ofSeconds(5);

  private final OperatorHarness h = OperatorHarness.start();
  private final List<AutoCloseable> replicas = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable replica : replicas) {
      replica.close();
    }
    h.close();
  }

  @Test
  void aGracefulStopHandsTheLeaseToTheStandbyWhichEnforces() throws Exception {
    // The harness's own replica runs without leader election; these two share the Lease.
    h.stopOperator();
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    AtomicInteger lostLeases = new AtomicInteger();
    ConnectionPolicyOperator a = replica("replica-a", lostLeases::incrementAndGet);
    await().atMost(Duration.ofSeconds(10)).until(() -> "replica-a".equals(holder()));
    replica("replica-b", lostLeases::incrementAndGet);
    h.simulator().addConnection(mqtt("uid-revoked"));
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: revoke}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1s
          deny:
          - userids: [uid-revoked]
        """);
    await().atMost(Duration.ofSeconds(10)).until(() -> !h.liveSids().contains("uid-revoked"));

    long stopping = System.nanoTime();
    a.close();
    long closed = System.nanoTime();
    h.simulator().addConnection(mqtt("uid-revoked"));
    await()
        .atMost(HANDOVER_BOUND)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> "replica-b".equals(holder()));
    long leading = System.nanoTime();
    await()
        .atMost(HANDOVER_BOUND.minusNanos(leading - stopping))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !h.liveSids().contains("uid-revoked"));
    long enforcing = System.nanoTime();

    System.out.printf(
        "graceful handover: replica-a stopped in %d ms; replica-b led after %d ms and enforced"
            + " after %d ms (bound %d ms)%n",
        millis(closed - stopping),
        millis(leading - stopping),
        millis(enforcing - stopping),
        HANDOVER_BOUND.toMillis());
    assertThat(Duration.ofNanos(enforcing - stopping)).isLessThanOrEqualTo(HANDOVER_BOUND);
    assertThat(lostLeases).as("a graceful stop is not a lost lease").hasValue(0);
  }

  @Test
  void aLeaseTakenByAnotherReplicaStillEndsTheProcess() throws Exception {
    AtomicInteger lostLeases = new AtomicInteger();
    replica("replica-a", lostLeases::incrementAndGet);
    await().atMost(Duration.ofSeconds(10)).until(() -> "replica-a".equals(holder()));

    // Another replica believes the Lease expired and takes it: this one must not run on.
    // (The leader renews every second; an edit between its renewals may take a few tries.)
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptionsInstanceOf(KubernetesClientException.class)
        .until(
            () ->
                h.kube()
                        .resources(Lease.class)
                        .inNamespace(NAMESPACE)
                        .withName(LEASE)
                        .edit(
                            lease -> {
                              lease.getSpec().setHolderIdentity("replica-z");
                              lease.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
                              return lease;
                            })
                    != null);

    await().atMost(Duration.ofSeconds(10)).until(() -> lostLeases.get() > 0);
  }

  /** A replica as main wires it, with leader election on; {@code onLostLease} replaces exit. */
  private ConnectionPolicyOperator replica(String name, Runnable onLostLease) throws IOException {
    OperatorConfig config =
        OperatorConfig.from(
            new String[] {
              "--http-port=0",
              "--default-endpoint=" + h.simulator().baseUrl(),
              "--leader-election=true",
              "--leader-election-namespace=" + NAMESPACE,
              "--pod-name=" + name
            },
            Map.of());
    KubernetesClient client = h.kubernetes().newClient("beebotte-connection-operator/" + name);
    ConnectionPolicyOperator replica =
        ConnectionPolicyOperator.start(config, client, null, onLostLease);
    replicas.add(client);
    replicas.add(0, replica);
    return replica;
  }

  private Lease lease() {
    return h.kube().resources(Lease.class).inNamespace(NAMESPACE).withName(LEASE).get();
  }

  private String holder() {
    Lease lease = lease();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static long millis(long nanos) {
    return Duration.ofNanos(nanos).toMillis();
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid, "mqtt", userid, "::ffff:198.51.100.9", null, null, List.of());
  }
}
