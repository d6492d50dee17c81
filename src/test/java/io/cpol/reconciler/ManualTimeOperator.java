package io.cpol.reconciler;

import io.cpol.RedactingLogFilter;
import io.cpol.beebotte.Redactor;
import io.cpol.beebotte.TestingBeebotte;
import io.cpol.live.ListingSink;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.testing.InlineExecutor;
import io.cpol.testing.ManualClock;
import io.cpol.testing.ManualScheduler;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.BaseConfigurationService;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.BaseControl;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.dependent.managed.ManagedWorkflowAndDependentResourceContext;
import io.javaoperatorsdk.operator.processing.event.EventSourceRetriever;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The operator's reconciler and account engines on manual time, as JOSDK would run them but on the
 * test's thread: policies and Secrets live in a Kubernetes API (the embedded one), the informer is
 * a cache refreshed after every write, a reconcile runs when the engines or a change ask for one,
 * and Beebotte is a {@link TestingBeebotte}. Nothing happens between {@link #run} calls, so a
 * minute of operation takes milliseconds and the same inputs give the same run.
 */
final class ManualTimeOperator implements AutoCloseable {
  static final String ENDPOINT = "https://beebotte.test";

  private final KubernetesClient kube;
  private final String namespace;
  final ManualClock clock;
  final ManualScheduler scheduler;
  final InlineExecutor calls;
  final TestingBeebotte beebotte;
  final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Redactor redactor = new Redactor();
  private final RedactingLogFilter logFilter = new RedactingLogFilter(redactor);
  private final ConnectionPolicyReconciler reconciler;
  private final PolicyCache cache = new PolicyCache();
  private final FakeContext context = new FakeContext();

  /** Reconciles asked for: policy → not before. */
  private final Map<ResourceID, Instant> wanted = new LinkedHashMap<>();

  /** Every status read back after a reconcile, per policy name, in order. */
  private final Map<String, List<ConnectionPolicyStatus>> statuses = new TreeMap<>();

  private Secret secret;
  private boolean reconciling;

  ManualTimeOperator(KubernetesClient kube, String namespace, Instant start, double watchCalls) {
    this.kube = kube;
    this.namespace = namespace;
    this.clock = new ManualClock(start);
    this.scheduler = new ManualScheduler(clock);
    this.calls = new InlineExecutor();
    this.beebotte = new TestingBeebotte(clock, clock::advance);
    this.reconciler =
        ConnectionPolicyReconciler.create(
            kube,
            (endpoint, credentials, purpose) ->
                beebotte.client(endpoint, credentials, purpose.name()),
            new OperatorMetrics(meters),
            redactor,
            new EngineRuntime(clock, scheduler, scheduler, calls),
            ENDPOINT,
            Duration.ofMinutes(5),
            "fuzz",
            4,
            watchCalls,
            ListingSink.NONE);
    connectEventSources();
    logFilter.attach();
  }

  /** What JOSDK does at start: the reconciler's event sources, with the engines' trigger ours. */
  private void connectEventSources() {
    ControllerConfiguration<ConnectionPolicy> config =
        new BaseConfigurationService().getConfigurationFor(reconciler);
    List<EventSource<?, ConnectionPolicy>> sources =
        reconciler.prepareEventSources(
            new EventSourceContext<>(cache, config, kube, ConnectionPolicy.class));
    for (EventSource<?, ConnectionPolicy> source : sources) {
      if (source instanceof SimpleInboundEventSource<?> inbound) {
        inbound.setEventHandler(event -> requested(event.getRelatedCustomResourceID()));
        inbound.start();
      }
    }
  }

  /**
   * The engines asked for a reconcile: JOSDK would run it on its own thread while the engine goes
   * on (a drop worker may wait for the status it writes), so it runs now, nested, unless a
   * reconcile is already running on this thread; then it waits for the next step.
   */
  private void requested(ResourceID id) {
    if (reconciling) {
      want(id);
      return;
    }
    synchronized (this) {
      wanted.remove(id);
    }
    reconcile(id);
  }

  private synchronized void want(ResourceID id) {
    wanted.merge(id, clock.instant(), (a, b) -> a.isBefore(b) ? a : b);
  }

  /** Creates or replaces the Secret; the policies naming it are reconciled. */
  void secret(Secret s) {
    s.getMetadata().setNamespace(namespace);
    secret = kube.resource(s).createOr(existing -> existing.update());
    cache.all().forEach(p -> want(ResourceID.fromResource(p)));
  }

  /** Creates or changes a policy's spec (a change bumps its generation). */
  void apply(ConnectionPolicy policy) {
    policy.getMetadata().setNamespace(namespace);
    ConnectionPolicy stored = cache.byName(policy.getMetadata().getName());
    ConnectionPolicy written;
    if (stored == null) {
      written = kube.resource(policy).create();
    } else {
      stored.setSpec(policy.getSpec());
      written = kube.resource(stored).update();
    }
    cache.put(written);
    want(ResourceID.fromResource(written));
  }

  void delete(String name) {
    ConnectionPolicy stored = cache.byName(name);
    if (stored != null) {
      kube.resource(stored).delete();
      cache.remove(ResourceID.fromResource(stored));
      // JOSDK reconciles another policy or none; a deleted one is forgotten in the next reconcile.
      cache.all().findFirst().ifPresent(p -> want(ResourceID.fromResource(p)));
    }
  }

  /** Lets {@code d} pass in steps, reconciling what is asked for after each. */
  void run(Duration d, Duration step) {
    Instant end = clock.instant().plus(d);
    while (clock.instant().isBefore(end)) {
      Duration left = Duration.between(clock.instant(), end);
      scheduler.advance(left.compareTo(step) < 0 ? left : step);
      reconcileWanted();
    }
  }

  private void reconcileWanted() {
    for (int round = 0; round < 1_000; round++) {
      ResourceID next = null;
      synchronized (this) {
        for (Map.Entry<ResourceID, Instant> e : wanted.entrySet()) {
          if (!e.getValue().isAfter(clock.instant())) {
            next = e.getKey();
            break;
          }
        }
        if (next == null) {
          return;
        }
        wanted.remove(next);
      }
      reconcile(next);
    }
    throw new IllegalStateException("1000 reconciles at " + clock.instant() + ": a hot loop");
  }

  private void reconcile(ResourceID id) {
    reconciling = true;
    try {
      reconcileOnce(id);
    } finally {
      reconciling = false;
    }
  }

  private void reconcileOnce(ResourceID id) {
    Optional<ConnectionPolicy> cached = cache.get(id);
    if (cached.isEmpty()) {
      return;
    }
    ConnectionPolicy policy = cached.get();
    BaseControl<?> control;
    try {
      control = reconciler.reconcile(copy(policy), context);
    } catch (RuntimeException e) {
      control = reconciler.updateErrorStatus(copy(policy), context, e);
    }
    control
        .getScheduleDelay()
        .ifPresent(
            ms -> {
              synchronized (this) {
                wanted.merge(id, clock.instant().plusMillis(ms), (a, b) -> a.isBefore(b) ? a : b);
              }
            });
    ConnectionPolicy fresh =
        kube.resources(ConnectionPolicy.class).inNamespace(namespace).withName(id.getName()).get();
    if (fresh != null) {
      cache.put(fresh);
      if (fresh.getStatus() != null) {
        statuses.computeIfAbsent(id.getName(), n -> new ArrayList<>()).add(fresh.getStatus());
      }
    }
  }

  private static ConnectionPolicy copy(ConnectionPolicy p) {
    return io.fabric8.kubernetes.client.utils.Serialization.clone(p);
  }

  /** Every status read back, per policy name. */
  Map<String, List<ConnectionPolicyStatus>> statuses() {
    return statuses;
  }

  /** The events recorded in the namespace. */
  List<io.fabric8.kubernetes.api.model.Event> events() {
    return kube.v1().events().inNamespace(namespace).list().getItems();
  }

  /** The policies as stored now. */
  List<ConnectionPolicy> policies() {
    return cache.all().toList();
  }

  @Override
  public void close() {
    try {
      reconciler.close();
    } finally {
      logFilter.detach();
    }
  }

  /** The primary cache the informer would keep: what the API server last returned. */
  private static final class PolicyCache implements IndexerResourceCache<ConnectionPolicy> {
    private final Map<ResourceID, ConnectionPolicy> byId = new ConcurrentHashMap<>();
    private final Map<String, Function<ConnectionPolicy, List<String>>> indexers = new HashMap<>();

    void put(ConnectionPolicy p) {
      byId.put(ResourceID.fromResource(p), p);
    }

    void remove(ResourceID id) {
      byId.remove(id);
    }

    ConnectionPolicy byName(String name) {
      return byId.values().stream()
          .filter(p -> p.getMetadata().getName().equals(name))
          .findFirst()
          .orElse(null);
    }

    Stream<ConnectionPolicy> all() {
      return byId.values().stream();
    }

    @Override
    public void addIndexers(Map<String, Function<ConnectionPolicy, List<String>>> more) {
      indexers.putAll(more);
    }

    @Override
    public List<ConnectionPolicy> byIndex(String indexName, String key) {
      Function<ConnectionPolicy, List<String>> indexer = indexers.get(indexName);
      return all().filter(p -> indexer.apply(p).contains(key)).toList();
    }

    @Override
    public Optional<ConnectionPolicy> get(ResourceID id) {
      return Optional.ofNullable(byId.get(id));
    }

    @Override
    public Stream<ResourceID> keys() {
      return byId.keySet().stream();
    }

    @Override
    public Stream<ConnectionPolicy> list(Predicate<ConnectionPolicy> predicate) {
      return all().filter(predicate);
    }

    @Override
    public Stream<ConnectionPolicy> list(String ns, Predicate<ConnectionPolicy> predicate) {
      return all().filter(p -> ns.equals(p.getMetadata().getNamespace())).filter(predicate);
    }
  }

  /** What a reconcile reads from JOSDK: the Secret and the primary cache. */
  private final class FakeContext implements Context<ConnectionPolicy> {
    @Override
    public Optional<RetryInfo> getRetryInfo() {
      return Optional.empty();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> Set<R> getSecondaryResources(Class<R> type) {
      return type == Secret.class && secret != null ? Set.of((R) secret) : Set.of();
    }

    @Override
    public <R> Optional<R> getSecondaryResource(Class<R> type, String name) {
      return getSecondaryResources(type).stream().findFirst();
    }

    @Override
    public IndexerResourceCache<ConnectionPolicy> getPrimaryCache() {
      return cache;
    }

    @Override
    public ControllerConfiguration<ConnectionPolicy> getControllerConfiguration() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ManagedWorkflowAndDependentResourceContext managedWorkflowAndDependentResourceContext() {
      throw new UnsupportedOperationException();
    }

    @Override
    public EventSourceRetriever<ConnectionPolicy> eventSourceRetriever() {
      throw new UnsupportedOperationException();
    }

    @Override
    public KubernetesClient getClient() {
      return kube;
    }

    @Override
    public ExecutorService getWorkflowExecutorService() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ConnectionPolicy getPrimaryResource() {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isNextReconciliationImminent() {
      return false;
    }

    @Override
    public boolean isPrimaryResourceDeleted() {
      return false;
    }

    @Override
    public boolean isPrimaryResourceFinalStateUnknown() {
      return false;
    }
  }

  static <T extends HasMetadata> T named(T resource, String name) {
    resource.getMetadata().setName(name);
    return resource;
  }
}
