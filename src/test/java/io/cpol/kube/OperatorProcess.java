package io.cpol.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The operator as a process of its own, started the way its image starts it: {@code java
 * io.cpol.ConnectionPolicyOperator} with flags, its Kubernetes identity in {@code KUBECONFIG} (the
 * kubeconfig of a ServiceAccount token), its output in a log file. SIGTERM and SIGKILL are then
 * what a kubelet sends, and a lost Lease really ends the process.
 */
final class OperatorProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();

  private final String name;
  private final Process process;
  private final Path log;
  private final int httpPort;

  private OperatorProcess(String name, Process process, Path log, int httpPort) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  /**
   * Starts {@code java -cp <this JVM's class path> io.cpol.ConnectionPolicyOperator} with the pod
   * name {@code name}, /readyz on a free loopback port, and {@code flags}.
   */
  static OperatorProcess start(String name, Path kubeconfig, Path logDir, String... flags) {
    int port = RealKubernetes.freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The image's JVM options; C1 only, because these JVMs share two cores with the test.
    command.addAll(
        List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1", "-cp"));
    command.add(System.getProperty("java.class.path"));
    command.add("io.cpol.ConnectionPolicyOperator");
    command.add("--pod-name=" + name);
    command.add("--http-port=" + port);
    command.add("--http-bind-address=127.0.0.1");
    command.addAll(List.of(flags));
    Path log = logDir.resolve("operator-" + name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // Only what main reads: no setting of the test JVM's environment leaks in.
    pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    try {
      return new OperatorProcess(name, pb.start(), log, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@link #start} of one replica among several: leader election on, on the Lease in the operator's
   * namespace, as the Deployment runs it; the sessions API off, since replicas on one machine would
   * share its port (its own tests run it).
   */
  static OperatorProcess startReplica(String name, Path kubeconfig, Path logDir, String... flags) {
    List<String> all = new ArrayList<>();
    all.add("--leader-election=true");
    all.add("--leader-election-namespace=" + OperatorInstall.NAMESPACE);
    all.add("--sessions-api-port=0");
    all.addAll(List.of(flags));
    return start(name, kubeconfig, logDir, all.toArray(String[]::new));
  }

  String name() {
    return name;
  }

  /** True once /readyz answers 200: informers synced, or standing by for the Lease. */
  boolean ready() {
    try {
      HttpResponse<Void> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/readyz"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits for /readyz; fails, with the log, if the process exits or is not ready in time. */
  void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready()) {
      if (!process.isAlive()) {
        throw new AssertionError(
            name + " exited with " + process.exitValue() + " before it was ready:\n" + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " not ready within " + timeout + ":\n" + log());
      }
      RealKubernetes.sleep(100);
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM, as a kubelet stops a pod: the shutdown hook runs (and releases the Lease). */
  void terminate() {
    process.destroy();
  }

  /** SIGKILL: nothing runs, the Lease is left to expire. */
  void kill() {
    process.destroyForcibly();
  }

  /** Waits for the process to end; returns its exit code. */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(name + " still running after " + timeout + ":\n" + log());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** What the process printed so far. */
  String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
