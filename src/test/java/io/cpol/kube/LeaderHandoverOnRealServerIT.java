package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.DropEvent;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two replicas of the operator, each a process of its own running as the ServiceAccount of
 * deploy/rbac, elect a leader on the real Lease API, as deploy/operator runs them. When the leader
 * is stopped (SIGTERM: it releases the Lease) the standby enforces within 5 s; when it is killed
 * (SIGKILL: the Lease is left to expire) the standby enforces within 5 s of the Lease running out,
 * 15 s after the killed leader's last renewal: a standby cannot take it sooner (Fabric8's elector,
 * like client-go's, takes an unreleased Lease only once renewTime + leaseDuration has passed), so
 * the time from the signal is 15 s minus the age of that renewal plus the standby's next try and
 * first sync. Timed from the signal to the first drop the new leader makes in the simulator.
 *
 * <p>{@code -Dha.rounds=N} repeats the two handovers N times (a new standby joins after each) to
 * see the spread of the times; the build runs one round.
 */
@ExtendWith(RealKubernetesTier.class)
class LeaderHandoverOnRealServerIT {
  /** The graceful handover's bound (issue 19): SIGTERM to the standby's first drop. */
  private static final Duration GRACEFUL_BOUND = Duration.ofSeconds(5);

  /** How long a Lease outlives its holder's last renewal (client-go's and JOSDK's default). */
  private static final Duration LEASE_DURATION =
      LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE;

  private static final String POLICY_NAMESPACE = "iot";
  private static final String API_KEY = "ha-api-key";
  private static final String SECRET_KEY = "ha-secret-key";

  private static RealKubernetes kube;
  private static BeebotteSimulator simulator;
  private static KubernetesClient admin;
  private static Path kubeconfig;

  private final List<OperatorProcess> replicas = new ArrayList<>();
  private int devices;

  @BeforeAll
  static void install() {
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    OperatorInstall.apply(kube);
    admin = kube.adminClient();
    simulator = BeebotteSimulator.builder().account("ha", API_KEY, SECRET_KEY).build().start();
    OperatorInstall.namespaceWithKeys(
        admin, POLICY_NAMESPACE, "beebotte-account", API_KEY, SECRET_KEY);
    ConnectionPolicy policy =
        Serialization.unmarshal(
            """
            apiVersion: beebotte.io/v1alpha1
            kind: ConnectionPolicy
            metadata: {name: revoke-devices, namespace: iot}
            spec:
              credentialsRef: {name: beebotte-account}
              interval: 1s
              deny:
              - useridPatterns: ["dev-*"]
            """,
            ConnectionPolicy.class);
    admin.resource(policy).create();
    kubeconfig = OperatorInstall.serviceAccountKubeconfig(kube);
  }

  @AfterAll
  static void stop() {
    OperatorInstall.tearDown(admin, simulator, kube);
  }

  @AfterEach
  void stopReplicas() {
    replicas.forEach(OperatorProcess::close);
  }

  @Test
  void theStandbyEnforcesAfterTheLeaderIsStoppedOrKilled() {
    OperatorProcess first = replica("replica-0");
    await().atMost(Duration.ofSeconds(60)).until(() -> first.name().equals(holder()));
    first.awaitReady(Duration.ofSeconds(60));
    OperatorProcess standby = replica("replica-1");
    standby.awaitReady(Duration.ofSeconds(60));
    String device = newDevice();
    await().atMost(Duration.ofSeconds(30)).until(() -> dropOf(device).isPresent());

    OperatorProcess leader = first;
    int rounds = Integer.getInteger("ha.rounds", 1);
    List<String> times = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      Handover stopped = handover(leader, standby, false);
      times.add("SIGTERM " + stopped.fromSignal().toMillis() + " ms");
      assertThat(stopped.fromSignal())
          .as("SIGTERM to the standby's first drop")
          .isLessThan(GRACEFUL_BOUND);
      leader = standby;
      standby = replica("replica-" + replicas.size());
      standby.awaitReady(Duration.ofSeconds(60));

      Handover killed = handover(leader, standby, true);
      times.add(
          "SIGKILL "
              + killed.fromSignal().toMillis()
              + " ms ("
              + killed.fromExpiry().toMillis()
              + " ms after expiry)");
      // No standby may take a Lease before it runs out, a lease duration after the killed
      // leader's last renewal (up to a retry period before the signal). From then on the
      // standby is held to the graceful bound: its next try (every 1 to 2.2 s) takes the Lease.
      assertThat(killed.fromExpiry())
          .as("the Lease's expiry to the standby's first drop")
          .isLessThan(GRACEFUL_BOUND);
      assertThat(killed.fromSignal())
          .as("SIGKILL to the standby's first drop")
          .isLessThan(LEASE_DURATION.plus(GRACEFUL_BOUND));
      leader = standby;
      standby = replica("replica-" + replicas.size());
      standby.awaitReady(Duration.ofSeconds(60));
    }
    System.out.println("handover times (signal to the new leader's first drop): " + times);
    for (OperatorProcess replica : replicas) {
      assertThat(replica.log()).as(replica.name()).doesNotContain("lost the lease");
    }
  }

  /**
   * Stops the leader (SIGTERM, or SIGKILL when {@code kill}), then, once its process is gone, adds
   * a denied session: only the standby can drop it. Returns the times from the signal, and from the
   * Lease's expiry when killed, to that drop.
   */
  private Handover handover(OperatorProcess leader, OperatorProcess standby, boolean kill) {
    assertThat(holder()).isEqualTo(leader.name());
    Instant signalled = Instant.now();
    if (kill) {
      leader.kill();
    } else {
      leader.terminate();
    }
    leader.awaitExit(Duration.ofSeconds(30));
    Instant exited = Instant.now();
    // Killed, the leader renewed for the last time before the signal; the Lease runs out a lease
    // duration after that renewal, whatever the standby does.
    Instant expiry =
        kill ? lease().getSpec().getRenewTime().toInstant().plus(LEASE_DURATION) : null;
    String device = newDevice();
    await()
        .atMost(LEASE_DURATION.plus(Duration.ofSeconds(30)))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> dropOf(device).isPresent());
    Instant dropped = dropOf(device).orElseThrow().time();
    assertThat(holder()).isEqualTo(standby.name());
    if (!kill) {
      assertThat(leader.log()).as("the stopped leader's log").contains("released the lease");
    }
    Handover h =
        new Handover(
            Duration.between(signalled, dropped),
            expiry == null ? null : Duration.between(expiry, dropped));
    System.out.printf(
        "%s of %s: exited after %d ms; %s dropped %d ms after the signal%s%n",
        kill ? "SIGKILL" : "SIGTERM",
        leader.name(),
        Duration.between(signalled, exited).toMillis(),
        standby.name(),
        h.fromSignal().toMillis(),
        kill ? " and " + h.fromExpiry().toMillis() + " ms after the Lease ran out" : "");
    return h;
  }

  /** A handover's times to the new leader's first drop; {@code fromExpiry} only after SIGKILL. */
  private record Handover(Duration fromSignal, Duration fromExpiry) {}

  private OperatorProcess replica(String name) {
    OperatorProcess replica =
        OperatorProcess.startReplica(
            name, kubeconfig, kube.directory(), "--default-endpoint=" + simulator.baseUrl());
    replicas.add(replica);
    return replica;
  }

  /** Adds a session the policy denies; returns its userid. */
  private String newDevice() {
    String userid = "dev-" + devices++;
    simulator.addConnection(
        new Connection(
            userid, userid, "mqtt", userid, "::ffff:198.51.100.9", null, null, List.of()));
    return userid;
  }

  private static Optional<DropEvent> dropOf(String userid) {
    return simulator.drops().stream()
        .filter(d -> d.connection().userid().equals(userid))
        .findFirst();
  }

  private static Lease lease() {
    return admin
        .resources(Lease.class)
        .inNamespace(OperatorInstall.NAMESPACE)
        .withName(OperatorInstall.LEASE)
        .get();
  }

  private static String holder() {
    Lease lease = lease();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }
}
