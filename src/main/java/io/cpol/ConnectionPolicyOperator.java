package io.cpol;

import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.beebotte.Redactor;
import io.cpol.beebotte.RetryPolicy;
import io.cpol.live.ApiServiceCaBundle;
import io.cpol.live.ListingSink;
import io.cpol.live.ServingLabel;
import io.cpol.live.SessionStore;
import io.cpol.live.SessionsApiServer;
import io.cpol.live.SessionsApiSettings;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.TolerantReader;
import io.cpol.reconciler.BeebotteClientFactory;
import io.cpol.reconciler.ConnectionPolicyReconciler;
import io.cpol.reconciler.OperatorMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.Cloner;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: reads its settings, builds the clients, registers the ConnectionPolicy
 * reconciler, starts it (with leader election when asked), serves /healthz, /readyz and /metrics,
 * and serves the live sessions API ({@code live.beebotte.io}, {@link SessionsApiServer}) on its own
 * HTTPS port. The sandbox runs exactly this against its embedded API server.
 */
public final class ConnectionPolicyOperator implements AutoCloseable {
  /**
   * How often a standby asks for the Lease (with up to 120% jitter) and the leader renews it. Half
   * client-go's 2 s, so that after a graceful stop releases the Lease a standby takes over within
   * about 2 s; the Lease itself still lasts client-go's 15 s when a leader dies without a word.
   */
  static final Duration LEASE_RETRY_PERIOD = Duration.ofSeconds(1);

  /** How often the leader checks the APIService's caBundle against a self-signed certificate. */
  static final Duration CA_BUNDLE_CHECK = Duration.ofMinutes(1);

  // Not static: main picks the log format before the first logger exists.
  private final Logger log = LoggerFactory.getLogger(ConnectionPolicyOperator.class);
  private final Operator operator;
  private final ConnectionPolicyReconciler reconciler;
  private final SessionStore sessions = new SessionStore(Clock.systemUTC());
  private final OperationsServer operations;
  private final SessionsApiServer sessionsApi;
  private final ScheduledExecutorService caBundleTimer;
  private final OperatorConfig config;
  private final KubernetesClient kubernetes;
  private final Redactor redactor;
  private final RedactingLogFilter logFilter;
  private final AtomicBoolean leader = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final ServingLabel servingLabel;

  private ConnectionPolicyOperator(
      OperatorConfig config,
      KubernetesClient kubernetes,
      BeebotteClientFactory clients,
      Runnable onLostLease)
      throws IOException {
    this.config = config;
    this.kubernetes = kubernetes;
    // The sessions Service routes to the replica holding the listings: the leader, or the only one.
    this.servingLabel = ServingLabel.start(kubernetes, config.podNamespace(), config.podName());
    servingLabel.serving(!config.leaderElection());
    // Learns the value of every Secret read; status, events and every log line pass it.
    this.redactor = new Redactor();
    this.logFilter = new RedactingLogFilter(redactor);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    OperatorMetrics metrics = new OperatorMetrics(registry);
    // For "no leader" alerts: per Lease, exactly one replica should report 1.
    Gauge.builder("beebotte.operator.leader", () -> isReconciling() ? 1 : 0)
        .description(
            "1 while this replica reconciles (the leader, or any replica without leader"
                + " election), 0 while it stands by")
        .tags(config.leaderElection() ? Tags.of("lease", config.leaseName()) : Tags.empty())
        .register(registry);
    BeebotteClientFactory factory =
        clients != null
            ? clients
            : (endpoint, credentials, purpose) ->
                new OkHttpBeebotteClient(
                    BeebotteClientConfig.builder(credentials)
                        .baseUrl(endpoint)
                        .retry(
                            purpose == BeebotteClientFactory.Purpose.LISTING
                                ? new RetryPolicy(
                                    config.beebotteMaxAttempts(),
                                    Duration.ofMillis(200),
                                    Duration.ofSeconds(5),
                                    config.beebotteRetryBudget())
                                : RetryPolicy.none())
                        .endpointLabelPrefix(
                            purpose == BeebotteClientFactory.Purpose.WATCH ? "watch_" : "")
                        .userAgent(
                            BeebotteClientConfig.DEFAULT_USER_AGENT
                                + (purpose == BeebotteClientFactory.Purpose.WATCH
                                    ? BeebotteClientFactory.WATCH_USER_AGENT_SUFFIX
                                    : ""))
                        .meterRegistry(registry)
                        .build());
    reconciler =
        ConnectionPolicyReconciler.create(
            kubernetes,
            factory,
            metrics,
            redactor,
            Clock.systemUTC(),
            config.defaultEndpoint(),
            config.statusHeartbeat(),
            config.identity(),
            config.dropConcurrency(),
            config.watchCallsPerSecond(),
            // With the sessions API off no one reads the live view: the engine hands it nothing,
            // so no listing is evaluated a second time for it.
            config.sessionsApiPort() == 0 ? ListingSink.NONE : sessions);
    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(kubernetes)
                  .withCloseClientOnStop(false)
                  .withResourceCloner(new ReadReportKeepingCloner(kubernetes))
                  // Status lists are replaced with JSON patches, not server-side apply.
                  .withUseSSAToPatchPrimaryResource(false)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(
                    new LeaderElectionConfiguration(
                        config.leaseName(),
                        config.leaseNamespace(),
                        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                        LEASE_RETRY_PERIOD,
                        config.identity(),
                        new LeaderCallbacks(
                            () -> {
                              leader.set(true);
                              log.info("{} is the leader; reconciling", config.identity());
                              servingLabel.serving(true);
                              checkCaBundleSoon();
                            },
                            () -> {
                              leader.set(false);
                              servingLabel.serving(false);
                              if (!stopped.get()) {
                                // A replica that lost its lease must not keep half-running:
                                // exit (off the elector's thread) and let Kubernetes restart it.
                                log.error("{} lost the lease; exiting", config.identity());
                                new Thread(onLostLease, "lost-lease-exit").start();
                              }
                            },
                            id -> log.info("leader is {}", id)),
                        // Not JOSDK's exit: it would also fire during a graceful shutdown, which
                        // instead releases the Lease (close()).
                        false));
              }
            });
    operator.register(
        reconciler,
        o -> {
          if (!config.watchNamespaces().isEmpty()) {
            o.settingNamespaces(config.watchNamespaces());
          }
          if (config.watchLabelSelector() != null) {
            o.withLabelSelector(config.watchLabelSelector().expression());
          }
        });
    // Before the operations server: the JDK reads its HTTP server settings once, at the first.
    sessionsApi = startSessionsApi(config, kubernetes, sessions, this::isReconciling);
    caBundleTimer =
        sessionsApi == null || sessionsApi.generatedCaPem() == null
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "sessions-api-ca-bundle");
                  t.setDaemon(true);
                  return t;
                });
    if (caBundleTimer != null) {
      caBundleTimer.scheduleWithFixedDelay(
          this::checkCaBundle, 0, CA_BUNDLE_CHECK.toSeconds(), TimeUnit.SECONDS);
    }
    operations =
        new OperationsServer(
            config.httpBindAddress(),
            config.httpPort(),
            () -> !stopped.get(),
            this::isReady,
            registry);
    // Build the policy deserializers now, not while the first policy event waits for them (~0.3 s).
    kubernetes
        .getKubernetesSerialization()
        .convertValue(Map.of("spec", Map.of(), "status", Map.of()), ConnectionPolicy.class);
    // Before the first reconcile, which is when the first Secret is read.
    logFilter.attach();
    ScrubbedConsole.attach(redactor);
    operator.start();
    log.info(
        "operator started: namespaces={}, label selector {}, http {}, sessions API {},"
            + " leader election {}",
        config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces(),
        config.watchLabelSelector() == null ? "none" : config.watchLabelSelector(),
        operations.address(),
        sessionsApi == null ? "off" : sessionsApi.address(),
        config.leaderElection() ? "on (lease " + config.leaseName() + ")" : "off");
  }

  /**
   * The sessions API, or null when turned off (port 0) or when its port is taken: the read-only
   * view must not stop enforcement, so that is logged as an error (the APIService then shows
   * FailedDiscoveryCheck) and the operator runs on.
   */
  private SessionsApiServer startSessionsApi(
      OperatorConfig config,
      KubernetesClient kubernetes,
      io.cpol.live.SessionSource sessions,
      java.util.function.BooleanSupplier serving) {
    if (config.sessionsApiPort() == 0) {
      return null;
    }
    String namespace =
        config.podNamespace() != null
            ? config.podNamespace()
            : kubernetes.getConfiguration().getNamespace() != null
                ? kubernetes.getConfiguration().getNamespace()
                : "default";
    try {
      return SessionsApiServer.start(
          new SessionsApiSettings(
              config.sessionsApiBindAddress(),
              config.sessionsApiPort(),
              config.sessionsApiTlsDirectory(),
              SessionsApiSettings.serviceHosts(namespace),
              Duration.ofSeconds(10),
              Duration.ofSeconds(30),
              SessionsApiSettings.DEFAULT_MIN_PAGE_SIZE),
          sessions,
          serving,
          kubernetes,
          Clock.systemUTC());
    } catch (IOException e) {
      log.error(
          "sessions API not served: cannot listen on port {}: {}",
          config.sessionsApiPort(),
          e.getMessage());
      return null;
    }
  }

  private void checkCaBundleSoon() {
    if (caBundleTimer != null) {
      caBundleTimer.execute(this::checkCaBundle);
    }
  }

  /** As the replica that serves sessions: the APIService must trust the generated certificate. */
  private void checkCaBundle() {
    if (!isReconciling()) {
      return;
    }
    try {
      if (new ApiServiceCaBundle(kubernetes).ensure(sessionsApi.generatedCaPem())) {
        log.info(
            "patched APIService {} with the CA of the self-signed sessions certificate",
            ApiServiceCaBundle.API_SERVICE);
      }
    } catch (KubernetesClientException e) {
      log.warn(
          "cannot check APIService {}'s caBundle: {}",
          ApiServiceCaBundle.API_SERVICE,
          e.getMessage());
    }
  }

  /**
   * Starts the operator.
   *
   * @param clients makes Beebotte clients; null for the real OkHttp one
   */
  public static ConnectionPolicyOperator start(
      OperatorConfig config, KubernetesClient kubernetes, BeebotteClientFactory clients)
      throws IOException {
    return start(config, kubernetes, clients, () -> System.exit(1));
  }

  /**
   * Starts the operator; {@code onLostLease} runs (on its own thread) when this replica loses the
   * Lease other than by {@link #close()}.
   */
  static ConnectionPolicyOperator start(
      OperatorConfig config,
      KubernetesClient kubernetes,
      BeebotteClientFactory clients,
      Runnable onLostLease)
      throws IOException {
    return new ConnectionPolicyOperator(config, kubernetes, clients, onLostLease);
  }

  /** Ready once informers are synced; a standby replica waiting for the lease is ready too. */
  public boolean isReady() {
    if (stopped.get() || !operator.getRuntimeInfo().isStarted()) {
      return false;
    }
    if (config.leaderElection() && !leader.get()) {
      return true;
    }
    return operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  private boolean isReconciling() {
    return !stopped.get() && (!config.leaderElection() || leader.get());
  }

  public int httpPort() {
    return operations.port();
  }

  /** The sessions API's port; -1 when it is not served. */
  public int sessionsApiPort() {
    return sessionsApi == null ? -1 : sessionsApi.port();
  }

  /**
   * Stops gracefully (what SIGTERM does): stops reconciling, then, when this replica leads,
   * releases the Lease so that a standby takes over at its next try instead of when the Lease
   * expires.
   */
  @Override
  public void close() {
    if (stopped.compareAndSet(false, true)) {
      operator.stop();
      // Before the Lease goes: the Service stops routing here before a standby leads.
      servingLabel.close();
      if (config.leaderElection()) {
        releaseLease();
      }
      reconciler.close();
      if (caBundleTimer != null) {
        caBundleTimer.shutdownNow();
      }
      if (sessionsApi != null) {
        sessionsApi.close();
      }
      sessions.close();
      operations.close();
      logFilter.detach();
      ScrubbedConsole.detach(redactor);
    }
  }

  /**
   * JOSDK 5.2.3 builds its elector with Fabric8's releaseOnCancel off and offers no setting, so
   * this asks Fabric8's own {@link LeaderElector#release()} on the same Lease: only while this
   * replica still holds it (an optimistic write on the Lease's version), it writes a Lease that
   * expires one second from now, so a standby takes over at its next try. (Its holder's name stays:
   * the write is a JSON merge patch, which leaves the null holder out; a real kube-apiserver shows
   * it, OperatorOnRealServerIT.) Called once no controller runs any more, so two replicas never
   * reconcile at once.
   */
  private void releaseLease() {
    String namespace =
        config.leaseNamespace() != null
            ? config.leaseNamespace()
            : kubernetes.getConfiguration().getNamespace();
    LeaderElector elector =
        new LeaderElectorBuilder(kubernetes, Runnable::run)
            .withConfig(
                new LeaderElectionConfig(
                    new LeaseLock(namespace, config.leaseName(), config.identity()),
                    LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                    LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                    LEASE_RETRY_PERIOD,
                    new LeaderCallbacks(() -> {}, () -> {}, id -> {}),
                    true,
                    config.leaseName()))
            .build();
    try {
      if (elector.release()) {
        log.info("{} released the lease {}/{}", config.identity(), namespace, config.leaseName());
      }
    } catch (KubernetesClientException e) {
      // Someone else holds it by now, or the API is unreachable: the Lease then expires as usual.
      log.warn("{} could not release the lease: {}", config.identity(), e.getMessage());
    }
  }

  /**
   * JOSDK's cloner (a serialization round trip) plus what reading the spec left out, which the
   * round trip cannot carry: the reconciler, which gets the clone, must still see it.
   */
  private static final class ReadReportKeepingCloner implements Cloner {
    private final KubernetesClient kubernetes;

    ReadReportKeepingCloner(KubernetesClient kubernetes) {
      this.kubernetes = kubernetes;
    }

    @Override
    public <R extends HasMetadata> R clone(R object) {
      R copy = kubernetes.getKubernetesSerialization().clone(object);
      TolerantReader.keepReadReport(object, copy);
      return copy;
    }
  }

  public static void main(String[] args) throws Exception {
    // Pick the log format before the first logger exists.
    String format = System.getenv().getOrDefault("LOG_FORMAT", "text");
    for (String arg : args) {
      if (arg.startsWith("--log-format=")) {
        format = arg.substring("--log-format=".length());
      }
    }
    if ("json".equals(format) && System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
    }
    Logger log = LoggerFactory.getLogger(ConnectionPolicyOperator.class);
    OperatorConfig config;
    try {
      config = OperatorConfig.from(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("beebotte-connection-operator: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient kubernetes =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(Config.autoConfigure(null))
                    .withUserAgent("beebotte-connection-operator")
                    .build())
            .build();
    ConnectionPolicyOperator running = start(config, kubernetes, null);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("shutting down");
                  running.close();
                  kubernetes.close();
                  done.countDown();
                },
                "shutdown"));
    done.await();
    Thread.sleep(Duration.ofMillis(100).toMillis());
  }
}
