package io.cpol.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.Enforcement;
import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The operator's memory with many policies over a large listing, measured in a JVM of its own
 * ({@link OperatorProcess}) sized like the Deployment (its memory limit and JAVA_TOOL_OPTIONS, and
 * the serial collector the JVM picks under that limit), against the API server and simulator in
 * this JVM, so the numbers hold nothing but the operator. Also counts listing calls at this scale
 * and takes the largest status.
 */
final class FootprintSection {
  static final List<String> OPERATOR_JVM_FLAGS = deploymentJvmFlags();

  /**
   * The JVM as deploy/operator/deployment.yaml runs it: its memory limit as MaxRAM, its
   * JAVA_TOOL_OPTIONS, and the serial collector the JVM picks under that limit.
   */
  private static List<String> deploymentJvmFlags() {
    io.fabric8.kubernetes.api.model.Container container =
        io.cpol.deploy.DeployManifests.read()
            .get(
                "Deployment",
                "beebotte-connection-operator",
                io.fabric8.kubernetes.api.model.apps.Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    long limitMib =
        io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
                    container.getResources().getLimits().get("memory"))
                .longValue()
            / (1024 * 1024);
    List<String> flags = new java.util.ArrayList<>();
    flags.add("-XX:MaxRAM=" + limitMib + "m");
    container.getEnv().stream()
        .filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
        .findFirst()
        .ifPresent(e -> flags.addAll(List.of(e.getValue().trim().split("\\s+"))));
    flags.add("-XX:+UseSerialGC");
    flags.add("-DLOG_LEVEL=WARN");
    return List.copyOf(flags);
  }

  private final BenchOptions options;
  private final ListingServer server;
  private final Results results;

  FootprintSection(BenchOptions options, ListingServer server, Results results) {
    this.options = options;
    this.server = server;
    this.results = results;
  }

  void run() throws Exception {
    int size = options.largestSize();
    int policies = options.policies();
    Duration interval = options.footprintInterval();
    results.heading(
        "Operator footprint: "
            + policies
            + " policies (10 rules each, dry run, interval "
            + interval.toSeconds()
            + "s) over "
            + size
            + " connections, operator in its own JVM "
            + String.join(" ", OPERATOR_JVM_FLAGS.subList(0, 3)));
    Path log = options.out().toAbsolutePath().getParent().resolve("operator-process.log");
    Files.createDirectories(log.getParent());
    try (EmbeddedKubernetes kubernetes = EmbeddedKubernetes.start(0)) {
      KubernetesClient kube = kubernetes.client();
      kube.namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(Policies.NAMESPACE)
                  .endMetadata()
                  .build())
          .create();
      kube.secrets()
          .inNamespace(Policies.NAMESPACE)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("beebotte-account")
                  .endMetadata()
                  .withStringData(Map.of("token", ListingServer.token(size)))
                  .build())
          .create();
      int httpPort = freePort();
      try (OperatorChild operator =
          OperatorChild.start(kubernetes.url(), server.simulator().baseUrl(), httpPort, log)) {
        operator.await(OperatorProcess.READY, Duration.ofSeconds(90));
        List<Connection> listing = server.generated(size);
        long start = System.nanoTime();
        for (int i = 0; i < policies; i++) {
          Policies.create(
              kube,
              Results.fmt("fp-%03d", i),
              Policies.withInterval(
                  RuleMix.onePolicy(listing, 10, ListingServer.SEED + i),
                  interval,
                  Enforcement.DryRun));
        }
        Policies.awaitSynced(kube, "fp-", policies, Duration.ofMinutes(5));
        double allSyncedSeconds = (System.nanoTime() - start) / 1e9;
        ListingCount count =
            ListingCount.observe(
                server.simulator(),
                ListingServer.owner(size),
                "http://127.0.0.1:" + httpPort + "/metrics",
                interval,
                options.footprintIntervals());
        operator.send("measure");
        JsonNode footprint =
            Results.JSON.readTree(
                operator.await(OperatorProcess.FOOTPRINT, Duration.ofSeconds(60)));
        int largestStatus = 0;
        for (ConnectionPolicy p : Policies.list(kube)) {
          largestStatus = Math.max(largestStatus, Policies.statusBytes(p));
        }
        report(size, policies, allSyncedSeconds, count, footprint, largestStatus);
      }
    }
  }

  private void report(
      int size,
      int policies,
      double allSyncedSeconds,
      ListingCount count,
      JsonNode footprint,
      int largestStatus) {
    long heap = footprint.path("heapUsedAfterGcBytes").asLong();
    long rss = footprint.path("rssBytes").asLong();
    results.print(
        "all %d policies synced %.1f s after the first was created", policies, allSyncedSeconds);
    results.print(
        "heap used after GC %s (committed %s, max %s); RSS %s (peak %s); non-heap %s; %d threads",
        JmhSection.bytes(heap),
        JmhSection.bytes(footprint.path("heapCommittedBytes").asLong()),
        JmhSection.bytes(footprint.path("heapMaxBytes").asLong()),
        JmhSection.bytes(rss),
        JmhSection.bytes(footprint.path("peakRssBytes").asLong()),
        JmhSection.bytes(footprint.path("nonHeapUsedBytes").asLong()),
        footprint.path("threads").asInt());
    results.print("largest status: %s", JmhSection.bytes(largestStatus));
    count.print(results);
    ObjectNode node = results.section("footprint");
    node.put("connections", size);
    node.put("policies", policies);
    node.put("rulesPerPolicy", 10);
    node.put("allSyncedSeconds", Samples.round(allSyncedSeconds));
    OPERATOR_JVM_FLAGS.forEach(node.putArray("operatorJvmFlags")::add);
    node.set("operator", footprint);
    node.put("largestStatusBytes", largestStatus);
    count.toJson(node.putObject("listingCalls"));
    results.target(
        "operator heap after GC, " + policies + " policies over " + size + " conns",
        "≤ 256 MiB",
        JmhSection.bytes(heap) + " (RSS " + JmhSection.bytes(rss) + ")",
        heap <= 256L * 1024 * 1024);
    results.target(
        "all " + policies + " statuses written, over " + size + " conns",
        "within " + options.footprintInterval().toSeconds() + " s of creation",
        Results.fmt("%.1f s after the first policy was created", allSyncedSeconds),
        allSyncedSeconds <= options.footprintInterval().toSeconds());
    results.target(
        "policy syncs per interval, " + policies + " policies over " + size + " conns",
        policies + ".0 (every policy, every interval)",
        Results.fmt(
            "%.1f (%.0f syncs in %d intervals)",
            count.syncsPerInterval(), count.syncs(), count.intervals()),
        count.syncsPerInterval() >= policies);
    results.target(
        "largest status, " + policies + " policies over " + size + " conns",
        "< 64 KiB",
        JmhSection.bytes(largestStatus),
        largestStatus < 64 * 1024);
    results.target(
        "listing calls per interval per account, " + policies + " policies over " + size + " conns",
        "1",
        count.describe(),
        count.atMostOnePerInterval());
  }

  /** The operator JVM: commands go to its stdin, its output is read by a pump thread. */
  private static final class OperatorChild implements AutoCloseable {
    private final Process process;
    private final PrintWriter commands;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path log;

    private OperatorChild(Process process, Path log) {
      this.process = process;
      this.log = log;
      this.commands =
          new PrintWriter(
              new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
      Thread pump = new Thread(this::pump, "operator-process-output");
      pump.setDaemon(true);
      pump.start();
    }

    static OperatorChild start(String apiServer, String endpoint, int httpPort, Path log)
        throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(OPERATOR_JVM_FLAGS);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(OperatorProcess.class.getName());
      command.add(apiServer);
      command.add("--default-endpoint=" + endpoint);
      command.add("--http-port=" + httpPort);
      Files.deleteIfExists(log);
      return new OperatorChild(new ProcessBuilder(command).redirectErrorStream(true).start(), log);
    }

    void send(String command) {
      commands.println(command);
    }

    /** The rest of the first line starting with the prefix. */
    String await(String prefix, Duration timeout) throws InterruptedException, IOException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line != null && line.startsWith(prefix)) {
          return line.substring(prefix.length()).trim();
        }
        if (System.nanoTime() > deadline || (line == null && !process.isAlive())) {
          throw new IOException(
              "the operator process did not print " + prefix.trim() + " in time; see " + log);
        }
      }
    }

    private void pump() {
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          lines.add(line);
          Files.writeString(
              log,
              line + System.lineSeparator(),
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
        }
      } catch (IOException e) {
        lines.add("pump failed: " + e);
      }
    }

    @Override
    public void close() throws InterruptedException {
      send("exit");
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
