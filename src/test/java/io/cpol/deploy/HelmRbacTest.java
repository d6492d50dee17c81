package io.cpol.deploy;

/** deploy/'s RBAC checks on the Helm chart's default rendering. */
class HelmRbacTest extends RbacChecks {
  @Override
  DeployManifests manifests() {
    return HelmChart.defaults();
  }
}
