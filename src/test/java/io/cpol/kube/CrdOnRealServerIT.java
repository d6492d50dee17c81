package io.cpol.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The committed CRD on a real kube-apiserver: structural, within the CEL cost budget, served. */
@ExtendWith(RealKubernetesTier.class)
class CrdOnRealServerIT {
  private static RealKubernetes kube;

  @BeforeAll
  static void start() {
    kube = RealKubernetes.start(RealKubernetesTier.binaries().orElseThrow());
  }

  @AfterAll
  static void stop() {
    if (kube != null) {
      kube.close();
    }
  }

  @Test
  void theCommittedCrdIsAcceptedAndEstablished() throws Exception {
    Path crd = KubeBinaries.projectRoot().resolve("crds/connectionpolicies.beebotte.io-v1.yml");
    CustomResourceDefinition established = kube.createCrdAndAwaitEstablished(crd);
    assertThat(established.getStatus().getConditions())
        .noneMatch(x -> x.getType().equals("NonStructuralSchema"));
    assertThat(kube.explain("cpol.spec.deny").out()).contains("FIELDS");
  }
}
