package io.cpol.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.ConnectionPolicyOperator;
import io.cpol.OperatorConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The operator alone in its own JVM, wired as {@code main} wires it (production Beebotte client),
 * for {@link FootprintSection} to measure. Talks to its parent over stdin/stdout: prints {@code
 * READY}, then answers {@code measure} with one {@code FOOTPRINT {json}} line (heap after GC from
 * the MemoryMXBean, RSS from /proc/self/status) and stops on {@code exit}.
 *
 * <p>Arguments: the API server URL, then operator flags (e.g. {@code --default-endpoint=...}).
 */
public final class OperatorProcess {
  static final String READY = "READY";
  static final String FOOTPRINT = "FOOTPRINT ";

  private OperatorProcess() {}

  public static void main(String[] args) throws Exception {
    String apiServer = args[0];
    KubernetesClient kubernetes =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(Config.empty())
                    .withMasterUrl(apiServer)
                    .withTrustCerts(true)
                    .withUserAgent("beebotte-connection-operator/benchmark")
                    .build())
            .build();
    OperatorConfig config =
        OperatorConfig.from(List.of(args).subList(1, args.length).toArray(String[]::new), Map.of());
    ConnectionPolicyOperator operator = ConnectionPolicyOperator.start(config, kubernetes, null);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!operator.isReady()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the operator did not become ready in 60 s");
      }
      Thread.sleep(20);
    }
    System.out.println(READY + " " + operator.httpPort());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String command;
    while ((command = in.readLine()) != null) {
      if (command.equals("measure")) {
        System.out.println(
            FOOTPRINT
                + Results.JSON
                    .writer()
                    .without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(measure()));
        System.out.flush();
      } else if (command.equals("exit")) {
        break;
      }
    }
    operator.close();
    kubernetes.close();
    System.exit(0);
  }

  /** Heap after full GCs and the process's resident set, now and at its peak. */
  static ObjectNode measure() throws InterruptedException, IOException {
    // Several collections: finalizable and softly reachable leftovers go in later rounds.
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    ObjectNode node = Results.JSON.createObjectNode();
    node.put("heapUsedAfterGcBytes", heap.getUsed());
    node.put("heapCommittedBytes", heap.getCommitted());
    node.put("heapMaxBytes", heap.getMax());
    MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
    node.put("nonHeapUsedBytes", nonHeap.getUsed());
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        node.put("rssBytes", kib(line) * 1024);
      } else if (line.startsWith("VmHWM:")) {
        node.put("peakRssBytes", kib(line) * 1024);
      }
    }
    node.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
    return node;
  }

  private static long kib(String statusLine) {
    return Long.parseLong(statusLine.replaceAll("[^0-9]", ""));
  }
}
