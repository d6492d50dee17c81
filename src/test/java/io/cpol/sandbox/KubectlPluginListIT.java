package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.kube.KubeBinaries;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged plugin's folder ({@code target/kubectl-beebotte}, after {@code mvn package}) on the
 * PATH is one plugin to the real kubectl: {@code kubectl plugin list} takes every {@code kubectl-*}
 * file on the PATH for a plugin, so a jar named {@code kubectl-beebotte.jar} beside the launcher
 * showed up as a second, non-executable plugin and made the command fail.
 */
class KubectlPluginListIT {
  @TempDir Path home;

  @Test
  void kubectlPluginListSeesExactlyTheLauncher() throws Exception {
    Path kubectl = kubectl().orElse(null);
    assumeTrue(kubectl != null, "no kubectl: " + KubeBinaries.missingMessage());
    Path pluginDir =
        Path.of(System.getProperty("kubectl.beebotte.dir", "target/kubectl-beebotte"))
            .toAbsolutePath();
    assertThat(pluginDir.resolve("kubectl-beebotte")).as("mvn package builds it").isExecutable();
    try (var files = Files.list(pluginDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("the launcher and its jar")
          .containsExactlyInAnyOrder("kubectl-beebotte", "beebotte-kubectl-plugin.jar");
    }

    // Only the plugin's folder on the PATH: no other plugin of this machine in the list.
    ProcessBuilder builder = new ProcessBuilder(kubectl.toString(), "plugin", "list");
    builder.environment().put("PATH", pluginDir.toString());
    builder.environment().put("HOME", home.toString());
    builder.environment().remove("KUBECONFIG");
    Path err = home.resolve("stderr");
    Process process = builder.redirectError(err.toFile()).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String stderr = Files.readString(err);

    assertThat(process.exitValue()).as(out + stderr).isZero();
    assertThat(stderr).as("no warning, no error").isEmpty();
    List<String> plugins = out.lines().filter(l -> l.startsWith("/")).toList();
    assertThat(plugins).containsExactly(pluginDir.resolve("kubectl-beebotte").toString());
  }

  /** The kubectl bin/kube-binaries built (the pinned version), else the one on the PATH. */
  private static Optional<Path> kubectl() {
    Optional<Path> built = KubeBinaries.find().map(KubeBinaries::kubectl);
    if (built.isPresent()) {
      return built;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "kubectl");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
