package io.cpol.deploy;

import java.util.Map;

/** deploy/'s hardening checks on the Helm chart's default rendering. */
class HelmInstallTest extends InstallChecks {
  static final Map<String, String> POD_SELECTOR =
      Map.of("app.kubernetes.io/name", NAME, "app.kubernetes.io/instance", HelmChart.RELEASE);

  @Override
  DeployManifests manifests() {
    return HelmChart.defaults();
  }

  @Override
  Map<String, String> podSelector() {
    return POD_SELECTOR;
  }
}
