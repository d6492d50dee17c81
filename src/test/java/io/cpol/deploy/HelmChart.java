package io.cpol.deploy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Helm chart under {@code deploy/helm/}, linted and rendered by the real Helm engine (helm-java
 * bundles Helm as a native library), as {@link DeployManifests} for the same checks as {@code
 * deploy/}.
 */
final class HelmChart {
  static final Path CHART = DeployManifests.DEPLOY_DIR.resolve("helm/beebotte-connection-operator");

  /** The release name docs/install.md uses: it gives the objects deploy/'s names. */
  static final String RELEASE = "beebotte-connection-operator";

  private static DeployManifests defaults;

  private HelmChart() {}

  /** {@code helm lint --strict}. */
  static LintResult lint() {
    return new Helm(CHART).lint().strict().call();
  }

  /** {@code helm template} of the documented release with the chart's default values. */
  static synchronized DeployManifests defaults() {
    if (defaults == null) {
      defaults = render(RELEASE, DeployManifests.OPERATOR_NAMESPACE, Map.of());
    }
    return defaults;
  }

  /** {@code helm template} of the documented release with these values over the defaults. */
  static DeployManifests render(Map<String, Object> values) {
    return render(RELEASE, DeployManifests.OPERATOR_NAMESPACE, values);
  }

  /**
   * {@code helm template RELEASE CHART -n NAMESPACE -f values.yaml}.
   *
   * @throws IllegalStateException with Helm's message when the chart refuses the values
   */
  static DeployManifests render(String release, String namespace, Map<String, Object> values) {
    try {
      Path file = Files.createTempFile("values", ".yaml");
      try {
        new YAMLMapper().writeValue(file.toFile(), values);
        String yaml =
            new Helm(CHART)
                .template()
                .withName(release)
                .withNamespace(namespace)
                .withValuesFile(file)
                .call();
        return DeployManifests.of(DeployManifests.parseYaml(yaml));
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
