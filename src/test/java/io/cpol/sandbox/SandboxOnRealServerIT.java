package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.kube.KubeBinaries;
import io.cpol.kube.RealKubernetesTier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sandbox --kube=real --once}: the same sandbox on etcd and kube-apiserver built by
 * bin/kube-binaries prints the same summary as on the embedded server (SandboxSmokeTest).
 */
@ExtendWith(RealKubernetesTier.class)
class SandboxOnRealServerIT {

  @Test
  void onceOnARealApiServerPrintsTheSameSummary(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");

    String out = SandboxSmokeTest.runOnce(kubeconfig, "--kube=real");

    SandboxSmokeTest.assertTheSummary(out, kubeconfig);
    assertThat(out)
        .containsPattern("(?m)^  Kubernetes API   https://127.0.0.1:\\d+ ")
        .contains("kube-apiserver and etcd " + KubeBinaries.pinnedVersion());
    assertThat(Files.readString(kubeconfig))
        .contains("server: https://127.0.0.1:")
        .contains("client-certificate: ")
        .contains("namespace: sandbox");
  }

  /**
   * The sandbox on kube-apiserver, left running: kube-apiserver's own aggregation layer reaches the
   * operator's sessions API (the APIService Available) and kubectl lists live sessions through it,
   * with their verdicts, and filters them on the server.
   */
  @Test
  void kubectlGetSessionsGoesThroughKubeApiserverToTheOperator(@TempDir Path dir) throws Exception {
    try (Sandbox sandbox =
        Sandbox.start(
            SandboxOptions.parse(
                "--kube=real",
                "--k8s-port=0",
                "--beebotte-port=0",
                "--metrics-port=0",
                "--sessions-port=0",
                "--mqtt-port=off",
                "--socketio-port=off",
                "--connections=50",
                "--kubeconfig=" + dir.resolve("kubeconfig")))) {
      sandbox.awaitConverged(java.time.Duration.ofSeconds(60));
      Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), dir);
      Kubectl.Run available =
          kubectl.run(
              "wait",
              "--for=condition=Available",
              "apiservice/v1alpha1.live.beebotte.io",
              "--timeout=60s");
      assertThat(available.exit()).as(available.stderr()).isZero();
      Kubectl.Run all = kubectl.run("get", "sessions", "-n", "sandbox");
      assertThat(all.exit()).as(all.stderr()).isZero();
      assertThat(all.stdout())
          .startsWith("NAME")
          .contains("USERID", "VERDICT", "POLICY", "LISTED", "WouldDrop", "dryrun-contractors");
      Kubectl.Run wouldDrop = kubectl.run("get", "bbs", "-A", "-l", "verdict=WouldDrop");
      assertThat(wouldDrop.exit()).as(wouldDrop.stderr()).isZero();
      assertThat(wouldDrop.stdout().lines().skip(1))
          .isNotEmpty()
          .allMatch(line -> line.startsWith("sandbox ") && line.contains(" WouldDrop "));
    }
  }
}
