package io.cpol.sandbox;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.testing.OperatorHarness;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator killed with SIGKILL in the middle of a pass of 300 drops (100 ms per call, 8 in
 * parallel), twice, and started again on the same API server and simulator, as Kubernetes restarts
 * a crashed container. The contract: counts never go backwards and a crash may miss only the calls
 * then in flight, so at each kill the stored {@code dropped} is at most 8 below the sessions the
 * simulator closed, and in the end {@code dropped} is exactly the closed sessions less what the
 * kills lost.
 */
class OperatorCrashIT {
  private static final int SESSIONS = 300;
  private static final int DROP_CONCURRENCY = 8;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  void aCrashMidPassLosesAtMostTheCallsInFlight() throws Exception {
    try (OperatorHarness h = OperatorHarness.start()) {
      // The harness's own operator gives way to one in a process of its own, which can be killed.
      h.stopOperator();
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      List<Connection> devices = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        String userid = "uid-%03d".formatted(i);
        devices.add(
            new Connection(
                userid, userid, "mqtt", userid, "::ffff:203.0.113.7", null, null, List.of()));
      }
      h.simulator().addConnections(devices);
      h.simulator().faults().latency(Duration.ofMillis(100));
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(kubeconfig, Sandbox.kubeconfig(h.kubernetes().url(), NAMESPACE));

      System.out.println("operator crash: processes log to " + dir);
      Process first = launch(h, kubeconfig, "first");
      h.apply(
          """
          apiVersion: beebotte.io/v1alpha1
          kind: ConnectionPolicy
          metadata: {name: crashed}
          spec:
            credentialsRef: {name: beebotte-account}
            interval: 1h
            maxDropsPerSync: 300
            deny:
            - useridPatterns: ["uid-*"]
          """);
      long lost = killDuringPass(h, first, 80, 0);
      // Started again, it syncs at once (a new process) and drops the rest; killed again.
      Process second = launch(h, kubeconfig, "second");
      lost = killDuringPass(h, second, 190, lost);

      h.startOperator();
      await().atMost(Duration.ofSeconds(60)).until(() -> h.simulator().connections().isEmpty());
      long closed = h.simulator().drops().size();
      long expected = closed - lost;
      await().atMost(Duration.ofSeconds(10)).until(() -> dropped(h) >= expected);
      Thread.sleep(1500);
      System.out.printf(
          "operator crash: %d sessions closed, %d drop calls closed nothing, the kills lost %d,"
              + " dropped %d%n",
          closed, h.simulator().missedDrops().size(), lost, dropped(h));
      assertThat(closed).isEqualTo(SESSIONS);
      assertThat(dropped(h)).as("dropped after the restarts").isEqualTo(expected);
    }
  }

  /**
   * Kills {@code operator} with SIGKILL once the simulator has closed {@code after} sessions;
   * returns how many closed sessions the stored status does not count (what this kill and the ones
   * before it, which lost {@code lostBefore}, lost).
   */
  private static long killDuringPass(
      OperatorHarness h, Process operator, int after, long lostBefore) throws Exception {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> h.simulator().drops().size() >= after);
    operator.destroyForcibly();
    assertThat(operator.waitFor(10, TimeUnit.SECONDS)).isTrue();
    // Calls the killed process had sent still land (the simulator answers after its latency).
    Thread.sleep(500);
    long closed = h.simulator().drops().size();
    long stored = dropped(h);
    System.out.printf(
        "killed after %d sessions closed: status says %d (lost by earlier kills: %d)%n",
        closed, stored, lostBefore);
    assertThat(closed).as("still mid-pass when killed").isLessThan(SESSIONS);
    assertThat(closed - stored - lostBefore)
        .as("drops the crash lost (at most the %d calls in flight)", DROP_CONCURRENCY)
        .isBetween(0L, (long) DROP_CONCURRENCY);
    return closed - stored;
  }

  /** The operator in a process of its own (what the sandbox runs), ready to enforce. */
  private Process launch(OperatorHarness h, Path kubeconfig, String name) throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                OperatorProcess.class.getName(),
                kubeconfig.toString(),
                "0",
                dir.resolve(name + ".log").toString(),
                // No sessions API (port 0): this test is about counts across a crash.
                "0",
                dir.resolve(name + "-tls").toString())
            .redirectError(dir.resolve(name + ".err").toFile())
            .start();
    OutputStream in = p.getOutputStream();
    in.write((h.simulator().baseUrl() + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
    CompletableFuture<Void> ready =
        CompletableFuture.runAsync(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.startsWith(OperatorProcess.READY)) {
                    return;
                  }
                }
                throw new IllegalStateException("the operator exited before it was ready");
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    ready.get(90, TimeUnit.SECONDS);
    return p;
  }

  private static long dropped(OperatorHarness h) {
    ConnectionPolicy p = h.policy("crashed");
    return p == null || p.getStatus() == null || p.getStatus().getDropped() == null
        ? 0
        : p.getStatus().getDropped();
  }
}
