package io.cpol.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@link OperatorProcess} as Kubernetes runs the operator's container: when it exits, the
 * sandbox prints why (its exit code and its last error lines) and starts it again after a back-off
 * (2 s, doubling up to 30 s), while everything else keeps serving. Closing stops it for good.
 */
final class OperatorSupervisor implements AutoCloseable {
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(2);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final List<String> command;
  private volatile String defaultEndpoint;
  private CompletableFuture<Integer> prepared;
  private final PrintStream console;
  private final Path log;
  private final List<String> lastErrors = new ArrayList<>();
  private volatile boolean closed;
  private volatile Process process;
  private volatile int port;
  private volatile int restarts;
  private volatile String lastExit;
  private Thread supervisor;

  /**
   * @param sessionsPort where the operator serves its sessions API
   * @param sessionsTls the directory holding its serving certificate (tls.crt, tls.key)
   */
  OperatorSupervisor(
      String kubeconfig,
      int metricsPort,
      int sessionsPort,
      Path sessionsTls,
      Path log,
      PrintStream console) {
    this.log = log;
    this.console = console;
    this.command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx384m",
            "-cp",
            System.getProperty("java.class.path"),
            OperatorProcess.class.getName(),
            kubeconfig,
            Integer.toString(metricsPort),
            log == null ? "-" : log.toString(),
            Integer.toString(sessionsPort),
            sessionsTls.toString());
  }

  /**
   * Starts the operator's JVM, which loads its classes and then waits for {@link #start}: what
   * takes it seconds happens while the sandbox starts the API server and the simulator.
   */
  void prepare() throws IOException {
    prepared = launch();
  }

  /**
   * Lets the operator run against {@code defaultEndpoint} and waits until it is ready; then keeps
   * it running.
   */
  void start(String defaultEndpoint, Duration timeout) throws IOException {
    this.defaultEndpoint = defaultEndpoint;
    CompletableFuture<Integer> ready = prepared != null ? prepared : launch();
    prepared = null;
    go(process);
    try {
      port = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException(
          "the operator did not become ready within " + timeout.toSeconds() + " s" + errors());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    supervisor = new Thread(this::supervise, "sandbox-operator-supervisor");
    supervisor.setDaemon(true);
    supervisor.start();
  }

  int port() {
    return port;
  }

  /** How many times the operator was restarted after it exited. */
  int restarts() {
    return restarts;
  }

  /** Why the operator last exited, or null while it never has. */
  String lastExit() {
    return lastExit;
  }

  boolean running() {
    Process p = process;
    return p != null && p.isAlive();
  }

  private CompletableFuture<Integer> launch() throws IOException {
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    ProcessBuilder builder = new ProcessBuilder(command);
    if (log == null) {
      builder
          .redirectOutput(ProcessBuilder.Redirect.PIPE)
          .redirectError(ProcessBuilder.Redirect.INHERIT);
    }
    Process started = builder.start();
    process = started;
    synchronized (lastErrors) {
      lastErrors.clear();
    }
    pump(
        started.getInputStream(),
        line -> {
          if (line.startsWith(OperatorProcess.READY)) {
            ready.complete(Integer.parseInt(line.substring(OperatorProcess.READY.length()).trim()));
          } else {
            console.println("operator: " + line);
          }
        });
    if (log != null) {
      pump(
          started.getErrorStream(),
          line -> {
            if (line.isBlank()
                || Character.isWhitespace(line.charAt(0))
                || line.startsWith("...")) {
              return;
            }
            synchronized (lastErrors) {
              lastErrors.add(line);
              if (lastErrors.size() > 3) {
                lastErrors.remove(0);
              }
            }
            console.println("operator error: " + line);
            console.flush();
          });
    }
    started
        .onExit()
        .thenRun(
            () ->
                ready.completeExceptionally(
                    new IllegalStateException(
                        "the operator exited with code "
                            + started.exitValue()
                            + " before it was ready"
                            + errors())));
    return ready;
  }

  private void supervise() {
    Duration backoff = FIRST_BACKOFF;
    while (!closed) {
      Process current = process;
      int code;
      try {
        code = current.waitFor();
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      lastExit = "exited with code " + code + errors();
      console.printf(
          "sandbox: the operator %s; restarting it in %d s (the API server and the simulator keep"
              + " running; logs: %s)%n",
          lastExit, backoff.toSeconds(), log == null ? "above" : log);
      console.flush();
      try {
        Thread.sleep(backoff.toMillis());
        if (closed) {
          return;
        }
        restarts++;
        CompletableFuture<Integer> ready = launch();
        go(process);
        port = ready.get(60, TimeUnit.SECONDS);
        console.println("sandbox: the operator is running again (restart " + restarts + ")");
        backoff = FIRST_BACKOFF;
      } catch (InterruptedException e) {
        return;
      } catch (IOException | ExecutionException | TimeoutException e) {
        console.println("sandbox: restarting the operator failed: " + e.getMessage());
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      }
    }
  }

  /** Sends the operator its endpoint: its cue to start (OperatorProcess). */
  private void go(Process p) throws IOException {
    p.getOutputStream().write((defaultEndpoint + "\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().flush();
  }

  private String errors() {
    synchronized (lastErrors) {
      return lastErrors.isEmpty() ? "" : ": " + String.join(" / ", lastErrors);
    }
  }

  private static void pump(java.io.InputStream stream, java.util.function.Consumer<String> lines) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  lines.accept(line);
                }
              } catch (IOException e) {
                // The process is gone.
              }
            },
            "sandbox-operator-output");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    Process p = process;
    if (p != null) {
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (supervisor != null) {
      supervisor.interrupt();
    }
  }
}
