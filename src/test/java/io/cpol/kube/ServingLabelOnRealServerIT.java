package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.deploy.DeployManifests;
import io.cpol.live.ServingLabel;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The sessions Service's selector follows the Lease on a real kube-apiserver: two operator
 * processes, each running as deploy/rbac's ServiceAccount with the pod name and namespace the
 * downward API gives it, each with a Pod object of its own (no kubelet here: the pods stay Pending,
 * which their labels do not care about). The leader's pod carries {@value ServingLabel#LABEL}, the
 * standby's does not (a stale label from an earlier container is removed at start), and after
 * SIGTERM the label leaves the old leader's pod before its process ends and comes to the new
 * leader's.
 */
@ExtendWith(RealKubernetesTier.class)
class ServingLabelOnRealServerIT {
  private static final String APP = "beebotte-connection-operator";

  private static RealKubernetes kube;
  private static KubernetesClient admin;
  private static Path kubeconfig;
  private static final List<OperatorProcess> replicas = new ArrayList<>();

  @BeforeAll
  static void install() {
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
    OperatorInstall.apply(kube);
    admin = kube.adminClient();
    kubeconfig = OperatorInstall.serviceAccountKubeconfig(kube);
  }

  @AfterAll
  static void stop() {
    replicas.forEach(OperatorProcess::close);
    OperatorInstall.tearDown(admin, kube);
  }

  @Test
  void theLeadersPodAloneCarriesTheServingLabelAndItMovesOnHandover() {
    createPod("replica-0", Map.of());
    // As a container restarted in its pod finds it: labelled by the replica it was before.
    createPod("replica-1", Map.of(ServingLabel.LABEL, "true"));

    OperatorProcess first = replica("replica-0");
    await().atMost(Duration.ofSeconds(60)).until(() -> "replica-0".equals(holder()));
    await().atMost(Duration.ofSeconds(30)).until(() -> serving("replica-0"));

    OperatorProcess second = replica("replica-1");
    second.awaitReady(Duration.ofSeconds(60));
    await().atMost(Duration.ofSeconds(30)).until(() -> !serving("replica-1"));
    assertThat(servingPods()).as("what the Service selects").containsExactly("replica-0");
    assertThat(holder()).isEqualTo("replica-0");

    first.terminate();
    // 143: the JVM's exit after SIGTERM, once the shutdown hook (the orderly stop) has run.
    assertThat(first.awaitExit(Duration.ofSeconds(30))).as(first.log()).isEqualTo(143);
    // Removed before the Lease was released, so before the process ended.
    assertThat(serving("replica-0")).as("the stopped leader's label").isFalse();
    await().atMost(Duration.ofSeconds(30)).until(() -> "replica-1".equals(holder()));
    await().atMost(Duration.ofSeconds(30)).until(() -> serving("replica-1"));
    assertThat(servingPods()).containsExactly("replica-1");
    // Other labels stay as they were.
    assertThat(pod("replica-1").getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/name", APP);
    assertThat(second.log()).doesNotContain("could not set " + ServingLabel.LABEL);
  }

  private static OperatorProcess replica(String name) {
    OperatorProcess replica =
        OperatorProcess.startReplica(
            name, kubeconfig, kube.directory(), "--pod-namespace=" + OperatorInstall.NAMESPACE);
    replicas.add(replica);
    return replica;
  }

  /** A Pod as the Deployment would make it (its template); nothing runs it. */
  private static void createPod(String name, Map<String, String> labels) {
    Pod pod = DeployManifests.read().operatorPod(name);
    pod.getMetadata().getLabels().putAll(labels);
    admin.pods().resource(pod).create();
  }

  private static Pod pod(String name) {
    return admin.pods().inNamespace(OperatorInstall.NAMESPACE).withName(name).get();
  }

  private static boolean serving(String name) {
    return "true".equals(pod(name).getMetadata().getLabels().get(ServingLabel.LABEL));
  }

  /** The pods the beebotte-sessions Service's selector picks. */
  private static List<String> servingPods() {
    return admin
        .pods()
        .inNamespace(OperatorInstall.NAMESPACE)
        .withLabel("app.kubernetes.io/name", APP)
        .withLabel(ServingLabel.LABEL, "true")
        .list()
        .getItems()
        .stream()
        .map(p -> p.getMetadata().getName())
        .toList();
  }

  private static String holder() {
    Lease lease =
        admin
            .resources(Lease.class)
            .inNamespace(OperatorInstall.NAMESPACE)
            .withName(OperatorInstall.LEASE)
            .get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }
}
