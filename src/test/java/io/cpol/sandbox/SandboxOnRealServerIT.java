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
}
