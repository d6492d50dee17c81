package io.cpol.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The installed kubectl, pointed at a sandbox's kubeconfig, with its output captured. */
final class Kubectl {
  private final Path kubeconfig;
  private final Path dir;

  /** What one kubectl run printed. */
  record Run(int exit, String stdout, String stderr) {
    String all() {
      return stdout + stderr;
    }
  }

  /** A kubectl process and the files its output goes to. */
  record Started(Process process, Path out, Path err) {
    boolean isAlive() {
      return process.isAlive();
    }
  }

  private final java.util.Map<String, String> env;

  Kubectl(Path kubeconfig, Path dir) {
    this(kubeconfig, dir, java.util.Map.of());
  }

  /**
   * @param env set for every run; a kubectl plugin gets no --kubeconfig (kubectl refuses flags
   *     before a plugin's name), so with {@code KUBECONFIG} in env none is passed
   */
  Kubectl(Path kubeconfig, Path dir, java.util.Map<String, String> env) {
    this.kubeconfig = kubeconfig;
    this.dir = dir;
    this.env = java.util.Map.copyOf(env);
  }

  static boolean installed() {
    try {
      Process p = new ProcessBuilder("kubectl", "version", "--client").start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  Run run(String... args) throws IOException, InterruptedException {
    return finish(start(args));
  }

  Started start(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    if (!env.containsKey("KUBECONFIG")) {
      command.add("--kubeconfig=" + kubeconfig);
      command.add("--cache-dir=" + dir.resolve("kube-cache"));
    }
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "kubectl", ".out");
    Path err = Files.createTempFile(dir, "kubectl", ".err");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    return new Started(process, out, err);
  }

  Run finish(Started started) throws IOException, InterruptedException {
    if (!started.process().waitFor(60, TimeUnit.SECONDS)) {
      started.process().destroyForcibly();
      throw new AssertionError("kubectl did not finish within 60 s: " + started.process().info());
    }
    return new Run(
        started.process().exitValue(),
        Files.readString(started.out(), StandardCharsets.UTF_8),
        Files.readString(started.err(), StandardCharsets.UTF_8));
  }
}
