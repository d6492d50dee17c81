package io.cpol.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.kube.KubeBinaries;
import io.cpol.kube.RealKubernetes;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.LiveSimulator;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.ApiServerFrontend;
import io.cpol.testing.EmbeddedKubernetes;
import io.cpol.testing.SessionsApiRegistration;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The "run it" command: an embedded Kubernetes API (with a kubeconfig for kubectl), the Beebotte
 * simulator seeded with a realistic mix of live connections, and the operator itself wired as in a
 * cluster, with the sample policies from {@code deploy/samples} applied. See docs/sandbox.md.
 */
public final class Sandbox implements AutoCloseable {
  static final String OWNER = "sandbox";
  static final String API_KEY = "sandbox-api-key";
  static final String SECRET_KEY = "sandbox-secret-key";
  static final String TOKEN = "iamtkn_sandbox";
  static final String SECRET = "beebotte-credentials";
  private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  private static final Duration RECONNECT_DELAY = Duration.ofSeconds(10);

  private final SandboxOptions options;
  private final List<AutoCloseable> started = new ArrayList<>();
  private BeebotteSimulator simulator;
  private LiveSimulator live;
  private EmbeddedKubernetes kubernetes;
  private ApiServerFrontend api;
  private RealKubernetes real;
  private KubernetesClient client;
  private OperatorSupervisor operator;
  private String sessionsCa;
  private final PrintStream console;
  private final List<String> policyNames = new ArrayList<>();
  private final List<String> applied = new ArrayList<>();

  private Sandbox(SandboxOptions options, PrintStream console) {
    this.options = options;
    this.console = console;
  }

  /** Starts everything and applies the samples; does not wait for the policies to converge. */
  public static Sandbox start(SandboxOptions options) throws IOException {
    return start(options, System.out);
  }

  /** As {@link #start(SandboxOptions)}, saying on {@code console} what it is doing. */
  static Sandbox start(SandboxOptions options, PrintStream console) throws IOException {
    Sandbox sandbox = new Sandbox(options, console);
    try {
      sandbox.step("starting the operator's JVM, as in its pod");
      sandbox.prepareOperator();
      sandbox.step("starting the Beebotte simulator");
      sandbox.startSimulator();
      sandbox.step(
          options.kube() == SandboxOptions.Kube.REAL
              ? "starting etcd and kube-apiserver "
                  + KubeBinaries.pinnedVersion()
                  + " (built by "
                  + KubeBinaries.BUILD_COMMAND
                  + "; 10-20 s)"
              : "starting the Kubernetes API (schema and CEL validation on)");
      sandbox.startKubernetes();
      // As deploy/ registers it: kubectl get sessions goes through the API server to the operator.
      SessionsApiRegistration.register(
          sandbox.client, options.namespace(), options.sessionsPort(), sandbox.sessionsCa);
      sandbox.step("starting the operator (a few seconds)");
      sandbox.operator.start(sandbox.simulator.baseUrl(), Duration.ofSeconds(90));
      sandbox.step("applying the samples");
      sandbox.applySamples();
      return sandbox;
    } catch (IOException | RuntimeException e) {
      sandbox.close();
      throw e;
    }
  }

  private void startSimulator() {
    simulator =
        BeebotteSimulator.builder()
            .host("127.0.0.1")
            .port(options.beebottePort())
            .account(OWNER, API_KEY, SECRET_KEY)
            .token(TOKEN, "admin:connection:read", "admin:connection:write")
            .build();
    simulator.addConnections(SandboxConnections.all(options.connections(), options.seed()));
    if (options.mqttPort() == LiveSimulator.OFF && options.socketioPort() == LiveSimulator.OFF) {
      simulator.start();
      started.add(simulator);
    } else {
      // Real MQTT and Socket.IO clients can connect; their sessions join the listing.
      live = LiveSimulator.start(simulator, options.mqttPort(), options.socketioPort());
      started.add(live);
    }
  }

  private void startKubernetes() throws IOException {
    Path file = options.kubeconfig().toAbsolutePath();
    Files.createDirectories(file.getParent());
    if (options.kube() == SandboxOptions.Kube.REAL) {
      KubeBinaries binaries =
          KubeBinaries.find()
              .orElseThrow(() -> new IllegalStateException(KubeBinaries.missingMessage()));
      real = RealKubernetes.start(binaries, options.k8sPort());
      started.add(real);
      real.writeAdminKubeconfig(file, options.namespace());
      real.createCrdAndAwaitEstablished(EmbeddedKubernetes.CRD);
    } else {
      kubernetes = EmbeddedKubernetes.startValidating(0);
      started.add(kubernetes);
      api =
          ApiServerFrontend.start(
              kubernetes.dispatcher(), InetAddress.getLoopbackAddress(), options.k8sPort());
      started.add(api);
      Files.writeString(file, kubeconfig(kubernetesUrl(), options.namespace()));
    }
    // The operator, like kubectl, reaches the API through the kubeconfig.
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(file.toFile())).build();
    started.add(client);
    client.namespaces().resource(EmbeddedKubernetes.activeNamespace(options.namespace())).create();
    client
        .secrets()
        .inNamespace(options.namespace())
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SECRET)
                .endMetadata()
                .withType("Opaque")
                .withStringData(Map.of("apiKey", API_KEY, "secretKey", SECRET_KEY))
                .build())
        .create();
  }

  private void step(String what) {
    console.println("sandbox: " + what + "...");
    console.flush();
  }

  private void prepareOperator() throws IOException {
    // The serving certificate cert-manager makes in a cluster, where the operator reads it.
    Path tls = kubeconfig().resolveSibling("sessions-tls");
    sessionsCa = SessionsApiRegistration.writeServingCertificate(tls, options.namespace());
    operator =
        new OperatorSupervisor(
            kubeconfig().toString(),
            options.metricsPort(),
            options.sessionsPort(),
            tls,
            options.verbose() ? null : operatorLog(options),
            console);
    started.add(operator);
    operator.prepare();
  }

  /** Where the operator's logs go (the sandbox's own go to sandbox.log beside it). */
  static Path operatorLog(SandboxOptions options) {
    return options.kubeconfig().toAbsolutePath().resolveSibling("operator.log");
  }

  /** The operator's process, which the sandbox restarts when it exits. */
  OperatorSupervisor operator() {
    return operator;
  }

  /** Applies every file {@code deploy/samples/kustomization.yaml} lists, as kubectl apply would. */
  private void applySamples() throws IOException {
    Path kustomization = options.samples().resolve("kustomization.yaml");
    JsonNode k = Serialization.unmarshal(Files.readString(kustomization), JsonNode.class);
    for (JsonNode resource : k.path("resources")) {
      Path file = options.samples().resolve(resource.asText());
      byte[] bytes = Files.readAllBytes(file);
      for (HasMetadata item : client.load(new ByteArrayInputStream(bytes)).items()) {
        GenericKubernetesResource object =
            Serialization.unmarshal(Serialization.asJson(item), GenericKubernetesResource.class);
        object.getMetadata().setNamespace(options.namespace());
        Map<String, String> annotations = new java.util.LinkedHashMap<>();
        if (object.getMetadata().getAnnotations() != null) {
          annotations.putAll(object.getMetadata().getAnnotations());
        }
        annotations.put(LAST_APPLIED, lastApplied(object));
        object.getMetadata().setAnnotations(annotations);
        client.resource(object).inNamespace(options.namespace()).create();
        if ("ConnectionPolicy".equals(object.getKind())) {
          policyNames.add(object.getMetadata().getName());
        }
      }
      applied.add(file.toString());
    }
    if (policyNames.isEmpty()) {
      throw new IllegalStateException(kustomization + " lists no ConnectionPolicy");
    }
  }

  /** What kubectl apply would record, so a later kubectl apply of the same file is a clean diff. */
  private static String lastApplied(GenericKubernetesResource object) {
    ObjectNode json =
        (ObjectNode) Serialization.unmarshal(Serialization.asJson(object), JsonNode.class);
    ((ObjectNode) json.path("metadata")).withObjectProperty("annotations");
    return json.toString() + "\n";
  }

  /**
   * Waits until every sample policy has a Ready condition for its current generation.
   *
   * @return the policies then, sorted by name
   * @throws TimeoutException naming the policies that had not converged
   */
  List<ConnectionPolicy> awaitConverged(Duration timeout) throws TimeoutException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      List<ConnectionPolicy> policies = policies();
      List<String> pending =
          policies.stream().filter(p -> !converged(p)).map(p -> p.getMetadata().getName()).toList();
      if (pending.isEmpty() && policies.size() == policyNames.size()) {
        return policies;
      }
      if (Instant.now().isAfter(deadline)) {
        String why = operator.lastExit() == null ? "" : "; the operator " + operator.lastExit();
        throw new TimeoutException(
            "not converged after "
                + timeout.toSeconds()
                + " s: "
                + String.join(", ", pending)
                + why);
      }
      sleep(Duration.ofMillis(100));
    }
  }

  static boolean converged(ConnectionPolicy p) {
    Condition ready = condition(p, "Ready");
    return ready != null
        && p.getStatus().getObservedGeneration() != null
        && Objects.equals(ready.getObservedGeneration(), p.getMetadata().getGeneration())
        && Objects.equals(p.getStatus().getObservedGeneration(), p.getMetadata().getGeneration());
  }

  static Condition condition(ConnectionPolicy p, String type) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return null;
    }
    return p.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  List<ConnectionPolicy> policies() {
    return client
        .resources(ConnectionPolicy.class)
        .inNamespace(options.namespace())
        .list()
        .getItems()
        .stream()
        .filter(p -> policyNames.contains(p.getMetadata().getName()))
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .toList();
  }

  SandboxReport report(List<ConnectionPolicy> policies) {
    long dropCalls =
        simulator.requests().stream()
            .filter(c -> c.endpoint() == RecordedCall.EndpointKind.DROP && c.status() == 200)
            .count();
    return new SandboxReport(
        endpoints(),
        policies,
        policyTable(),
        simulator.connections(),
        simulator.drops(),
        dropCalls,
        applied);
  }

  /** {@code kubectl get cpol}'s Table, as the API server answers kubectl. */
  private JsonNode policyTable() {
    HttpClient http = client.getHttpClient();
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(
                kubernetesUrl()
                    + "/apis/beebotte.io/v1alpha1/namespaces/"
                    + options.namespace()
                    + "/connectionpolicies")
            .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
            .build();
    try {
      HttpResponse<String> response =
          http.sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
      if (response.code() != 200) {
        throw new IllegalStateException(
            "kubectl get cpol's table: HTTP " + response.code() + " " + response.body());
      }
      return Serialization.unmarshal(response.body(), JsonNode.class);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("kubectl get cpol's table: " + e.getMessage(), e);
    }
  }

  SandboxReport.SandboxEndpoints endpoints() {
    return new SandboxReport.SandboxEndpoints(
        kubernetesUrl(),
        real == null
            ? null
            : "kube-apiserver and etcd "
                + real.binaries().version()
                + " (bin/kube-binaries); their kubectl: "
                + real.binaries().kubectl(),
        displayPath(options.kubeconfig()),
        options.namespace(),
        simulator.baseUrl(),
        OWNER,
        API_KEY,
        TOKEN,
        "http://127.0.0.1:" + operator.port() + "/metrics",
        live != null && live.hasMqtt() ? live.mqttPort() : null,
        live != null && live.hasSocketIo() ? live.socketIoUrl() : null,
        SECRET_KEY);
  }

  public String kubernetesUrl() {
    return real != null ? real.url() : "http://127.0.0.1:" + api.port();
  }

  public Path kubeconfig() {
    return options.kubeconfig().toAbsolutePath();
  }

  /** The embedded API server behind {@link #apiServer()}; null with {@code --kube=real}. */
  public EmbeddedKubernetes kubernetes() {
    return kubernetes;
  }

  public ApiServerFrontend apiServer() {
    return api;
  }

  public BeebotteSimulator simulator() {
    return simulator;
  }

  public KubernetesClient client() {
    return client;
  }

  /** Relative to the working directory when inside it, so printed commands stay short. */
  private static String displayPath(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = path.toAbsolutePath().normalize();
    return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
  }

  static String kubeconfig(String server, String namespace) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: cpol-sandbox
          cluster:
            server: %s
        users:
        - name: cpol-sandbox
          user:
            token: sandbox
        contexts:
        - name: cpol-sandbox
          context:
            cluster: cpol-sandbox
            user: cpol-sandbox
            namespace: %s
        current-context: cpol-sandbox
        """
        .formatted(server, namespace);
  }

  /**
   * Runs the sandbox: prints the summary once every policy has converged, then with {@code --once}
   * returns 0 (1 when a policy is not Ready or nothing converged in time); otherwise prints a line
   * per drop until {@code stop} counts down, and returns 0.
   */
  static int run(SandboxOptions options, PrintStream out, CountDownLatch stop) throws IOException {
    Instant begin = Instant.now();
    try (Sandbox sandbox = Sandbox.start(options, out)) {
      List<ConnectionPolicy> policies;
      try {
        policies = sandbox.awaitConverged(options.timeout());
      } catch (TimeoutException e) {
        out.print(sandbox.report(sandbox.policies()).render());
        out.println("sandbox: " + e.getMessage());
        if (options.once()) {
          return 1;
        }
        out.println(
            "sandbox: still serving the Kubernetes API and the simulator; the operator is"
                + " restarted when it exits. Ctrl-C to stop.");
        out.flush();
        stop.await();
        out.println("sandbox: stopping (state lives in memory: the next start begins afresh)");
        return 1;
      }
      if (options.once() && sandbox.operator().restarts() > 0) {
        out.print(sandbox.report(policies).render());
        out.println("sandbox: the operator " + sandbox.operator().lastExit());
        return 1;
      }
      out.print(sandbox.report(policies).render());
      List<String> notReady =
          policies.stream()
              .filter(p -> !"True".equals(condition(p, "Ready").getStatus()))
              .map(p -> p.getMetadata().getName())
              .toList();
      out.printf(
          "%nAll %d policies converged %.1f s after start%s.%n",
          policies.size(),
          Duration.between(begin, Instant.now()).toMillis() / 1000.0,
          notReady.isEmpty() ? "" : ", but not Ready: " + String.join(", ", notReady));
      if (options.once()) {
        return notReady.isEmpty() ? 0 : 1;
      }
      sandbox.followDrops(out);
      out.println(
          "Running until Ctrl-C. "
              + SandboxConnections.REVOKED_DEVICE
              + " reconnects "
              + RECONNECT_DELAY.toSeconds()
              + " s after each drop, as a revoked device keeps trying; new drops follow.");
      out.flush();
      stop.await();
      out.println("sandbox: stopping (state lives in memory: the next start begins afresh)");
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** Prints one line per drop call the simulator serves from now on. */
  private void followDrops(PrintStream out) {
    ScheduledExecutorService reconnects =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sandbox-reconnects");
              t.setDaemon(true);
              return t;
            });
    started.add(reconnects::shutdownNow);
    Runnable reconnectLater =
        () ->
            reconnects.schedule(
                () -> simulator.addConnection(SandboxConnections.revokedDevice()),
                RECONNECT_DELAY.toMillis(),
                TimeUnit.MILLISECONDS);
    DropLines.follow(
        simulator,
        out,
        closed -> {
          if (closed.stream().anyMatch(c -> c.userid().equals(SandboxConnections.REVOKED_DEVICE))) {
            reconnectLater.run();
          }
        });
    // The first sync has already dropped it once.
    if (simulator.drops().stream()
        .anyMatch(d -> d.connection().userid().equals(SandboxConnections.REVOKED_DEVICE))) {
      reconnectLater.run();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Stops everything it started, newest first; safe to call twice. */
  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        System.err.println("sandbox: stopping " + started.get(i) + ": " + e.getMessage());
      }
    }
    started.clear();
  }

  public static void main(String[] args) throws Exception {
    SandboxOptions options = SandboxOptions.parseOrExit(args);
    if (options.kube() == SandboxOptions.Kube.REAL && KubeBinaries.find().isEmpty()) {
      System.err.println("sandbox: --kube=real: " + KubeBinaries.missingMessage());
      System.exit(2);
    }
    Files.createDirectories(options.kubeconfig().toAbsolutePath().getParent());
    SandboxLogging.configure(options)
        .ifPresent(
            log ->
                System.out.println(
                    "sandbox: logs go to "
                        + displayPath(operatorLog(options))
                        + " (operator) and "
                        + displayPath(log)
                        + " (API server, simulator)"));
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    stopped.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "sandbox-shutdown"));
    int code;
    try {
      code = run(options, System.out, stop);
    } catch (UncheckedIOException | IOException | IllegalStateException e) {
      System.err.println("sandbox: " + e.getMessage());
      System.err.println(
          "sandbox: if a port is taken, pick others (e.g. --k8s-port 0 --beebotte-port 0"
              + " --metrics-port 0) or stop the other sandbox");
      code = 1;
    } finally {
      stopped.countDown();
    }
    System.out.flush();
    if (stop.getCount() > 0) {
      System.exit(code);
    }
  }
}
