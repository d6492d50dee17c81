package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.live.AccountListing;
import io.cpol.live.ListedPolicy;
import io.cpol.live.SessionQuery;
import io.cpol.live.SessionStore;
import io.cpol.live.SessionsApiServer;
import io.cpol.live.SessionsApiSettings;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.testing.ApiServerFrontend;
import io.cpol.testing.EmbeddedKubernetes;
import io.cpol.testing.SessionsApiRegistration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code kubectl get sessions -A} over a large live view, through the sandbox's API server: the
 * session store holding one account's listing of N sessions (100k; 5k quick) evaluated against a
 * policy, the operator's sessions API server on its own HTTPS port, registered by an APIService
 * with the embedded API server, whose aggregator proxies kubectl's request. Measures the time to
 * kubectl's first row and to its last, the heap the store and the API server hold (after a GC,
 * against the same JVM before they existed), the peak while the listing is served, and how long a
 * new session takes to reach {@code kubectl get sessions -A -w} once a listing shows it.
 */
final class SessionsApiSection {
  private static final String NAMESPACE = "iot";
  private static final String OPERATOR_NAMESPACE = "beebotte-system";
  private static final Duration LISTING_INTERVAL =
      Duration.parse("PT" + ConnectionPolicySpec.DEFAULT_INTERVAL.toUpperCase());

  private final BenchOptions options;
  private final Results results;
  private final Object engine = new Object();

  SessionsApiSection(BenchOptions options, Results results) {
    this.options = options;
    this.results = results;
  }

  void run() throws Exception {
    int n = options.quick() ? 5_000 : 100_000;
    Path dir = Files.createTempDirectory("sessions-bench-");
    try (EmbeddedKubernetes kubernetes = EmbeddedKubernetes.startValidating(0);
        ApiServerFrontend api =
            ApiServerFrontend.start(kubernetes.dispatcher(), InetAddress.getLoopbackAddress(), 0)) {
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(kubeconfig, kubeconfig("http://127.0.0.1:" + api.port()));
      try (KubernetesClient client =
          new KubernetesClientBuilder()
              .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(kubeconfig.toFile()))
              .build()) {
        for (String ns : List.of(NAMESPACE, OPERATOR_NAMESPACE)) {
          client.namespaces().resource(EmbeddedKubernetes.activeNamespace(ns)).create();
        }
        List<Connection> connections = new ArrayList<>(n + 1);
        for (int i = 0; i < n; i++) {
          connections.add(
              new Connection(
                  "device-%06d".formatted(i),
                  "device-%06d".formatted(i),
                  "mqtt",
                  "device-%06d".formatted(i),
                  "10.%d.%d.%d".formatted(i >> 16 & 255, i >> 8 & 255, i & 255),
                  "acme",
                  null,
                  List.of()));
        }
        ListedPolicy policy =
            new ListedPolicy(
                NAMESPACE,
                "revoke-devices",
                CompiledPolicy.compile(
                    Serialization.unmarshal(
                        "{\"credentialsRef\":{\"name\":\"beebotte\"},"
                            + "\"deny\":[{\"userids\":[\"device-000042\",\"device-000043\"]}]}",
                        ConnectionPolicySpec.class)));
        long baseline = usedHeapAfterGc();
        Path tls = dir.resolve("tls");
        String ca = SessionsApiRegistration.writeServingCertificate(tls, OPERATOR_NAMESPACE);
        try (SessionStore store = new SessionStore(Clock.systemUTC());
            SessionsApiServer server =
                SessionsApiServer.start(
                    new SessionsApiSettings(
                        "127.0.0.1",
                        0,
                        tls,
                        SessionsApiSettings.serviceHosts(OPERATOR_NAMESPACE),
                        Duration.ofMinutes(1),
                        Duration.ofMinutes(1),
                        // As the operator serves it: pages of at least 10,000.
                        SessionsApiSettings.DEFAULT_MIN_PAGE_SIZE),
                    store,
                    () -> true,
                    client,
                    Clock.systemUTC())) {
          store.listed(engine, listing(connections, policy));
          awaitSessions(store, n);
          long held = usedHeapAfterGc() - baseline;
          SessionsApiRegistration.register(client, OPERATOR_NAMESPACE, server.port(), ca);
          run(
              kubeconfig,
              dir,
              "wait",
              "--for=condition=Available",
              "apiservice/v1alpha1.live.beebotte.io",
              "--timeout=60s");
          // One warm-up listing: kubectl's discovery cache and the JIT, as for a user's second try.
          Listing warm = list(kubeconfig, dir, "-v=6");
          PeakHeap peak = new PeakHeap();
          Listing listing;
          try (peak) {
            listing = list(kubeconfig, dir);
          }
          results.print(
              "kubectl get sessions -A over %,d sessions: first row %s, all %,d rows %s"
                  + " (warm-up run: %s, %s); heap held by the store and the API server %.1f MiB,"
                  + " peak while serving %.1f MiB above that",
              n,
              Results.ms(listing.firstRowMillis()),
              listing.rows(),
              Results.ms(listing.allMillis()),
              Results.ms(warm.firstRowMillis()),
              Results.ms(warm.allMillis()),
              held / 1048576.0,
              Math.max(0, peak.max() - baseline - held) / 1048576.0);
          if (!warm.pageMillis().isEmpty()) {
            List<Integer> sorted = warm.pageMillis().stream().sorted().toList();
            results.print(
                "  kubectl's requests (warm-up run, -v=6): %d pages, median %d ms, max %d ms, sum %,d"
                    + " ms",
                sorted.size(),
                sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1),
                sorted.stream().mapToInt(Integer::intValue).sum());
          }
          // One request instead of kubectl's pages of 500: what the paging costs kubectl.
          Listing whole = list(kubeconfig, dir, "--chunk-size=0");
          results.print(
              "  with --chunk-size=0 (one request): first row %s, all %,d rows %s",
              Results.ms(whole.firstRowMillis()), whole.rows(), Results.ms(whole.allMillis()));
          boolean complete = listing.rows() == n;
          results.target(
              "kubectl get sessions -A, time to first row (" + n + " sessions)",
              "<= 300 ms",
              Results.ms(listing.firstRowMillis()),
              complete && listing.firstRowMillis() <= 300);
          results.target(
              "kubectl get sessions -A, all rows (" + n + " sessions)",
              "<= 5 s, every session",
              Results.ms(listing.allMillis()) + ", " + listing.rows() + " rows",
              complete && listing.allMillis() <= 5000);
          results.target(
              "heap added: session store + API server with " + n + " sessions (after GC)",
              "<= 32 MiB",
              "%.1f MiB".formatted(held / 1048576.0),
              held <= 32L * 1048576);
          double watchMillis = watchLatency(kubeconfig, dir, store, connections, policy);
          results.target(
              "kubectl get sessions -A -w sees a new session after the listing that shows it",
              "within one listing interval (" + LISTING_INTERVAL.toSeconds() + " s)",
              Results.ms(watchMillis),
              watchMillis <= LISTING_INTERVAL.toMillis());
        }
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static AccountListing listing(List<Connection> connections, ListedPolicy policy) {
    return new AccountListing(
        "https://api.beebotte.com",
        "acme",
        List.copyOf(connections),
        Instant.now(),
        List.of(policy));
  }

  private static void awaitSessions(SessionStore store, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (store.list(SessionQuery.all(null), 1, null).remaining() < n - 1) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the store never showed " + n + " sessions");
      }
      Thread.sleep(50);
    }
  }

  /** How long kubectl took to print its first row and its last, and how many rows. */
  record Listing(double firstRowMillis, double allMillis, int rows, List<Integer> pageMillis) {}

  private static Listing list(Path kubeconfig, Path dir, String... more)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("get", "sessions", "-A", "--no-headers"));
    args.addAll(List.of(more));
    Path err = Files.createTempFile(dir, "kubectl", ".err");
    Process p =
        kubectl(kubeconfig, dir, args.toArray(String[]::new)).redirectError(err.toFile()).start();
    long start = System.nanoTime();
    long first = -1;
    int rows = 0;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      while (out.readLine() != null) {
        if (first < 0) {
          first = System.nanoTime();
        }
        rows++;
      }
    }
    long end = System.nanoTime();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("kubectl get sessions -A failed: " + Files.readString(err));
    }
    // With -v=6 kubectl logs each request: "Response" verb="GET"
    // url="http://.../sessions?limit=500"
    // status="200 OK" milliseconds=12.
    List<Integer> pages = new ArrayList<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "url=\"[^\"]*/sessions\\?[^\"]*\" status=\"200 OK\" milliseconds=(\\d+)")
            .matcher(Files.readString(err));
    while (m.find()) {
      pages.add(Integer.parseInt(m.group(1)));
    }
    return new Listing((first - start) / 1e6, (end - start) / 1e6, rows, pages);
  }

  /**
   * From the listing that shows a new session to a watch of every namespace through the aggregator
   * printing it. The watch starts at the store's current version ({@code kubectl get --raw}), as
   * {@code kubectl get -A -w} does after its first list, which at this size takes the listing's
   * time above.
   */
  private double watchLatency(
      Path kubeconfig,
      Path dir,
      SessionStore store,
      List<Connection> connections,
      ListedPolicy policy)
      throws IOException, InterruptedException {
    Path err = Files.createTempFile(dir, "watch", ".err");
    Process watch =
        kubectl(
                kubeconfig,
                dir,
                "get",
                "--raw",
                "/apis/live.beebotte.io/v1alpha1/sessions?watch=true&resourceVersion="
                    + store.version())
            .redirectError(err.toFile())
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
      Thread.sleep(3000);
      List<Connection> more = new ArrayList<>(connections);
      more.add(
          new Connection(
              "newcomer", "newcomer", "mqtt", "newcomer", "10.255.0.1", "acme", null, List.of()));
      long published = System.nanoTime();
      store.listed(engine, listing(more, policy));
      String line;
      while ((line = out.readLine()) != null) {
        if (line.contains("newcomer")) {
          return (System.nanoTime() - published) / 1e6;
        }
      }
      throw new IllegalStateException(
          "kubectl -w ended without showing the new session: " + Files.readString(err).strip());
    } finally {
      watch.destroy();
      watch.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void run(Path kubeconfig, Path dir, String... args)
      throws IOException, InterruptedException {
    Process p = kubectl(kubeconfig, dir, args).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("kubectl " + String.join(" ", args) + ": " + out);
    }
  }

  private static ProcessBuilder kubectl(Path kubeconfig, Path dir, String... args) {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--cache-dir=" + dir.resolve("kube-cache"));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private static String kubeconfig(String server) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: bench
          cluster: {server: %s}
        users:
        - name: bench
          user: {token: bench}
        contexts:
        - name: bench
          context: {cluster: bench, user: bench, namespace: %s}
        current-context: bench
        """
        .formatted(server, NAMESPACE);
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The highest heap use seen while open, sampled every 5 ms. */
  private static final class PeakHeap implements AutoCloseable {
    private final AtomicLong max = new AtomicLong();
    private final Thread sampler;
    private volatile boolean running = true;

    PeakHeap() {
      sampler =
          new Thread(
              () -> {
                while (running) {
                  max.accumulateAndGet(
                      ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
                      Math::max);
                  try {
                    Thread.sleep(5);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "peak-heap");
      sampler.setDaemon(true);
      sampler.start();
    }

    long max() {
      return max.get();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      sampler.join();
    }
  }
}
