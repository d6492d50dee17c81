package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.Redactor;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.live.ListingSink;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.Mode;
import io.cpol.reconciler.CredentialsLoader.CredentialsProblem;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one ConnectionPolicy registered with the engine of its Beebotte account and its status
 * written: validate → load credentials → register → record. The listing, evaluation and drops are
 * the account engine's ({@link AccountEngines}); this class only hands it each policy generation
 * and writes the status the engine produced, with the counts the engine owns.
 */
@ControllerConfiguration(name = ConnectionPolicyReconciler.NAME)
public class ConnectionPolicyReconciler implements Reconciler<ConnectionPolicy>, AutoCloseable {
  public static final String NAME = "connectionpolicy";
  private static final Logger log = LoggerFactory.getLogger(ConnectionPolicyReconciler.class);
  private static final String SECRET_INDEX = "credentialsRef";

  private final KubernetesClient kubernetes;
  private final AccountEngines engines;
  private final StatusBuilder statusBuilder;
  private final PolicyEvents events;
  private final OperatorMetrics metrics;
  private final Redactor redactor;
  private final Clock clock;
  private final String defaultEndpoint;
  private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();
  private final Map<String, Long> warnedUnknown = new ConcurrentHashMap<>();
  private final Map<String, Integer> failedAttempts = new ConcurrentHashMap<>();

  /**
   * Wires a reconciler with its collaborators.
   *
   * @param statusHeartbeat how stale lastSyncTime may get before an unchanged status is rewritten
   * @param instance this replica's name, for events
   * @param dropConcurrency drop calls in flight at once per Beebotte account
   * @param watchCallsPerSecond the reconnect watch's calls per second per account; 0: off
   * @param redactor learns every value of the Secrets read, and takes them out of status and events
   * @param listings receives every account's sessions after each pass (the live sessions API)
   */
  public static ConnectionPolicyReconciler create(
      KubernetesClient kubernetes,
      BeebotteClientFactory clients,
      OperatorMetrics metrics,
      Redactor redactor,
      Clock clock,
      String defaultEndpoint,
      Duration statusHeartbeat,
      String instance,
      int dropConcurrency,
      double watchCallsPerSecond,
      ListingSink listings) {
    return create(
        kubernetes,
        clients,
        metrics,
        redactor,
        EngineRuntime.threads(clock),
        defaultEndpoint,
        statusHeartbeat,
        instance,
        dropConcurrency,
        watchCallsPerSecond,
        listings);
  }

  /**
   * {@link #create} on the given time and threads (a manual clock and scheduler in tests); closing
   * the reconciler shuts {@code runtime} down.
   */
  public static ConnectionPolicyReconciler create(
      KubernetesClient kubernetes,
      BeebotteClientFactory clients,
      OperatorMetrics metrics,
      Redactor redactor,
      EngineRuntime runtime,
      String defaultEndpoint,
      Duration statusHeartbeat,
      String instance,
      int dropConcurrency,
      double watchCallsPerSecond,
      ListingSink listings) {
    Clock clock = runtime.clock();
    PolicyEvents events = new PolicyEvents(kubernetes, clock, instance, redactor);
    return new ConnectionPolicyReconciler(
        kubernetes,
        new AccountEngines(
            clients,
            runtime,
            metrics,
            events,
            EngineSettings.defaults(dropConcurrency, watchCallsPerSecond),
            listings),
        new StatusBuilder(statusHeartbeat, redactor),
        events,
        metrics,
        redactor,
        clock,
        defaultEndpoint);
  }

  ConnectionPolicyReconciler(
      KubernetesClient kubernetes,
      AccountEngines engines,
      StatusBuilder statusBuilder,
      PolicyEvents events,
      OperatorMetrics metrics,
      Redactor redactor,
      Clock clock,
      String defaultEndpoint) {
    this.kubernetes = kubernetes;
    this.engines = engines;
    this.statusBuilder = statusBuilder;
    this.events = events;
    this.metrics = metrics;
    this.redactor = redactor;
    this.clock = clock;
    this.defaultEndpoint = defaultEndpoint;
  }

  /**
   * Secrets trigger a sync of every policy in their namespace that names them; the account engines
   * trigger a reconcile when a pass produced a policy's outcome.
   */
  @Override
  public List<EventSource<?, ConnectionPolicy>> prepareEventSources(
      EventSourceContext<ConnectionPolicy> context) {
    context.getPrimaryCache().addIndexer(SECRET_INDEX, p -> secretKey(p).stream().toList());
    var config =
        InformerEventSourceConfiguration.from(Secret.class, ConnectionPolicy.class)
            .withNamespacesInheritedFromController()
            .withSecondaryToPrimaryMapper(
                (Secret s) ->
                    context
                        .getPrimaryCache()
                        .byIndex(
                            SECRET_INDEX,
                            s.getMetadata().getNamespace() + "/" + s.getMetadata().getName())
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(
                (ConnectionPolicy p) ->
                    secretName(p)
                        .map(n -> Set.of(new ResourceID(n, p.getMetadata().getNamespace())))
                        .orElse(Set.of()))
            .build();
    SimpleInboundEventSource<ConnectionPolicy> outcomes =
        new SimpleInboundEventSource<>("account-passes");
    engines.connect(
        new CachedPolicies(context.getPrimaryCache()),
        ref -> outcomes.propagateEvent(ref.resourceId()));
    return List.of(new InformerEventSource<>(config, context), outcomes);
  }

  /** A policy that cannot be enforced as it is: it leaves its engine and says why. */
  private UpdateControl<ConnectionPolicy> refuse(
      ConnectionPolicy policy,
      PolicyRef ref,
      long generation,
      Reason reason,
      String message,
      PolicyLedger ledger,
      Instant now) {
    engines.unregister(ref);
    return record(
        policy,
        statusBuilder.failed(
            policy.getStatus(),
            generation,
            Mode.of(policy.getSpec()),
            reason,
            message,
            ledger.snapshot(),
            now));
  }

  @Override
  public UpdateControl<ConnectionPolicy> reconcile(
      ConnectionPolicy policy, Context<ConnectionPolicy> context) {
    PolicyRef ref = PolicyRef.of(policy);
    long generation = Objects.requireNonNullElse(policy.getMetadata().getGeneration(), 0L);
    ConnectionPolicyStatus old = policy.getStatus();
    forgetDeletedPolicies(context);
    PolicyLedger ledger = engines.ledger(ref, old);
    if (old != null) {
      // What the API server returned is stored: drop calls waiting for these counts may go on.
      engines.stored(ref, old.getDropped());
    }
    Instant now = clock.instant();

    // 1. Validate: an invalid spec never lists or drops.
    warnOfUnknownFields(policy, ref, generation);
    CompiledPolicy rules;
    try {
      rules = compile(policy, generation);
    } catch (InvalidSpecException e) {
      return refuse(policy, ref, generation, Reason.InvalidSpec, e.getMessage(), ledger, now);
    }
    metrics.policyInterval(ref.namespace(), ref.name(), rules.interval());
    if (rules.suspend()) {
      engines.unregister(ref);
      return record(policy, statusBuilder.suspended(old, generation, ledger.snapshot(), now));
    }

    // 2. Credentials, from the Secret in the policy's own namespace. Its values are known to the
    // scrubber before anything can use them, also when they are refused.
    Secret secret = context.getSecondaryResource(Secret.class).orElse(null);
    redactor.remember(CredentialsLoader.values(secret));
    Credentials credentials;
    try {
      credentials = CredentialsLoader.load(ref.namespace(), secretName(policy).orElse(""), secret);
    } catch (CredentialsProblem e) {
      Reason reason = e.invalid() ? Reason.InvalidCredentials : Reason.CredentialsNotFound;
      return refuse(policy, ref, generation, reason, e.getMessage(), ledger, now);
    }

    // 3. Register with the account's engine: a new or changed generation is synced right away.
    String endpoint = rules.endpoint(defaultEndpoint);
    engines.register(
        new PolicyRegistration(
            ref, generation, rules, credentials, AccountKey.of(endpoint, credentials)));

    failedAttempts.remove(ref.uid());

    // 4. Record what the engine's last pass produced for this generation.
    Optional<PassOutcome> outcome = engines.outcome(ref, generation);
    if (outcome.isEmpty()) {
      long stored = old == null || old.getDropped() == null ? 0 : old.getDropped();
      return ledger.snapshot().dropped() > stored
          ? record(policy, statusBuilder.progress(old, ledger.snapshot()))
          : UpdateControl.noUpdate();
    }
    PassOutcome o = outcome.get();
    ConnectionPolicyStatus next =
        o.succeeded()
            ? statusBuilder.synced(old, generation, endpoint, o, ledger.snapshot(), now)
            : statusBuilder.failed(
                old,
                generation,
                Mode.of(policy.getSpec()),
                o.failure(),
                o.failureMessage(),
                ledger.snapshot(),
                now);
    if (o.succeeded()) {
      metrics.policySynced(
          ref.namespace(),
          ref.name(),
          o.connected(),
          o.denied(),
          ledger.snapshot().dropped(),
          o.listedAt().getEpochSecond());
    }
    return record(policy, next);
  }

  /**
   * Any unexpected failure of a reconcile becomes {@code Ready=False ReconcileError} (a message
   * without secrets), and the policy is tried again with a back-off that doubles from 1 s and never
   * exceeds its interval. A conflict (the status changed since the cached copy was read) is no
   * failure: it is retried at once on a fresh copy.
   */
  @Override
  public ErrorStatusUpdateControl<ConnectionPolicy> updateErrorStatus(
      ConnectionPolicy policy, Context<ConnectionPolicy> context, Exception e) {
    PolicyRef ref = PolicyRef.of(policy);
    Throwable cause = e;
    while (cause instanceof io.javaoperatorsdk.operator.OperatorException
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof KubernetesClientException k && k.getCode() == 409) {
      return ErrorStatusUpdateControl.<ConnectionPolicy>noStatusUpdate()
          .withNoRetry()
          .rescheduleAfter(Duration.ofMillis(200));
    }
    int attempt = failedAttempts.merge(ref.uid(), 1, Integer::sum);
    Duration cap =
        Optional.ofNullable(compiled.get(ref.uid()))
            .map(c -> c.rules().interval())
            .orElse(Duration.ofSeconds(30));
    Duration delay = Duration.ofSeconds(1L << Math.min(attempt - 1, 16));
    if (delay.compareTo(cap) > 0) {
      delay = cap;
    }
    String message =
        "reconcile failed (attempt "
            + attempt
            + ", next in "
            + delay.toSeconds()
            + " s): "
            + unexpected(cause);
    log.error("policy {}: {}", ref, message, e);
    long generation = Objects.requireNonNullElse(policy.getMetadata().getGeneration(), 0L);
    try {
      record(
          policy,
          statusBuilder.failed(
              policy.getStatus(),
              generation,
              Mode.of(policy.getSpec()),
              Reason.ReconcileError,
              message,
              engines.ledger(ref, policy.getStatus()).snapshot(),
              clock.instant()));
    } catch (RuntimeException writeFailed) {
      log.warn("policy {}: could not record the failure: {}", ref, unexpected(writeFailed));
    }
    return ErrorStatusUpdateControl.<ConnectionPolicy>noStatusUpdate()
        .withNoRetry()
        .rescheduleAfter(delay);
  }

  /**
   * An unexpected exception in a line a user can read: its kind and first message line, scrubbed
   * before it is cut (a value cut in half would no longer be found).
   */
  private String unexpected(Throwable e) {
    String text =
        e.getMessage() == null ? "" : redactor.scrub(e.getMessage()).lines().findFirst().orElse("");
    if (text.length() > 300) {
      text = text.substring(0, 300) + "...";
    }
    return e.getClass().getSimpleName() + (text.isEmpty() ? "" : ": " + text);
  }

  /** Stops every account engine and closes the Beebotte clients. */
  @Override
  public void close() {
    engines.close();
  }

  /**
   * Writes {@code next} unless it equals what is stored, with an optimistic-concurrency update: a
   * write based on a stale copy fails with a conflict and is retried on a fresh one, so it can
   * never overwrite a newer status.
   */
  private UpdateControl<ConnectionPolicy> record(
      ConnectionPolicy policy, ConnectionPolicyStatus next) {
    ConnectionPolicyStatus old = policy.getStatus();
    warnOnNewFailure(policy, old, next);
    metrics.policyCounts(
        policy.getMetadata().getNamespace(),
        policy.getMetadata().getName(),
        next.getDropped() == null ? 0 : next.getDropped(),
        next.getReconnects() == null ? 0 : next.getReconnects());
    metrics.policyConditions(
        policy.getMetadata().getNamespace(), policy.getMetadata().getName(), next.getConditions());
    if (next.equals(old)) {
      return UpdateControl.noUpdate();
    }
    ConnectionPolicy update = new ConnectionPolicy();
    update.setMetadata(
        new ObjectMetaBuilder()
            .withName(policy.getMetadata().getName())
            .withNamespace(policy.getMetadata().getNamespace())
            .withUid(policy.getMetadata().getUid())
            .withResourceVersion(policy.getMetadata().getResourceVersion())
            .withGeneration(policy.getMetadata().getGeneration())
            .build());
    update.setSpec(policy.getSpec());
    update.setStatus(next);
    try {
      kubernetes.resource(update).updateStatus();
      engines.stored(PolicyRef.of(policy), next.getDropped());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        // Deleted meanwhile: nothing to record.
        return UpdateControl.noUpdate();
      }
      throw e;
    }
    return UpdateControl.noUpdate();
  }

  private CompiledPolicy compile(ConnectionPolicy policy, long generation)
      throws InvalidSpecException {
    String uid =
        Objects.requireNonNullElse(policy.getMetadata().getUid(), policy.getFullResourceName());
    Compiled cached = compiled.get(uid);
    if (cached != null && cached.generation == generation) {
      return cached.rules;
    }
    if (policy.getSpec() == null) {
      throw new InvalidSpecException(List.of("spec: required"));
    }
    CompiledPolicy rules = CompiledPolicy.compile(policy.getSpec());
    compiled.put(uid, new Compiled(generation, rules));
    return rules;
  }

  /**
   * Fields this version does not know (a newer CRD, a typo a lenient API server kept) are ignored,
   * and said once per generation in a Warning, so an upgrade or rollback never stops enforcement
   * and the user still learns what is not applied.
   */
  private void warnOfUnknownFields(ConnectionPolicy policy, PolicyRef ref, long generation) {
    if (policy.getSpec() == null) {
      return;
    }
    List<String> unknown = policy.getSpec().readReport().unknownFields();
    if (unknown.isEmpty() || Long.valueOf(generation).equals(warnedUnknown.get(ref.uid()))) {
      return;
    }
    warnedUnknown.put(ref.uid(), generation);
    String message =
        "ignored fields this operator version does not know: "
            + String.join(", ", unknown.subList(0, Math.min(unknown.size(), 10)))
            + (unknown.size() > 10 ? " and " + (unknown.size() - 10) + " more" : "");
    log.warn("policy {}: {}", ref, message);
    events.warning(policy, "UnknownFields", message);
  }

  /** One Warning per change of failure, not one per retry. */
  private void warnOnNewFailure(
      ConnectionPolicy policy, ConnectionPolicyStatus old, ConnectionPolicyStatus next) {
    for (String type : List.of(ConditionSet.READY, ConditionSet.ENFORCED)) {
      Condition now = condition(next, type);
      if (now == null
          || !"False".equals(now.getStatus())
          || Reason.valueOf(now.getReason()).chosenByUser()) {
        continue;
      }
      Condition before = condition(old, type);
      if (before == null
          || !Objects.equals(before.getReason(), now.getReason())
          || !Objects.equals(before.getMessage(), now.getMessage())) {
        log.warn(
            "policy {}/{}: {} {}",
            policy.getMetadata().getNamespace(),
            policy.getMetadata().getName(),
            now.getReason(),
            now.getMessage());
        events.warning(policy, now.getReason(), now.getMessage());
      }
    }
  }

  /**
   * Forgets the policies that were deleted. What is known is read before the cache: a policy only
   * becomes known (registered, compiled, counted) in a reconcile, after the informer put it in the
   * cache, so one known before the cache is read and absent from it was deleted. Reading the cache
   * first would forget a policy that another reconcile registers in between, and nothing would sync
   * it again.
   */
  private void forgetDeletedPolicies(Context<ConnectionPolicy> context) {
    Set<String> goneUids = new HashSet<>(compiled.keySet());
    goneUids.addAll(warnedUnknown.keySet());
    goneUids.addAll(failedAttempts.keySet());
    goneUids.addAll(engines.knownPolicies());
    Set<String> goneNames = new HashSet<>(metrics.policiesWithSeries());
    context
        .getPrimaryCache()
        .list()
        .forEach(
            p -> {
              goneNames.remove(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
              goneUids.remove(PolicyRef.of(p).uid());
            });
    metrics.forgetPolicies(goneNames);
    compiled.keySet().removeAll(goneUids);
    warnedUnknown.keySet().removeAll(goneUids);
    failedAttempts.keySet().removeAll(goneUids);
    engines.forgetPolicies(goneUids);
  }

  private static Condition condition(ConnectionPolicyStatus status, String type) {
    if (status == null || status.getConditions() == null) {
      return null;
    }
    return status.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  private static Optional<String> secretName(ConnectionPolicy p) {
    return Optional.ofNullable(p.getSpec())
        .map(s -> s.getCredentialsRef())
        .map(r -> r.getName())
        .filter(n -> !n.isBlank());
  }

  private static Optional<String> secretKey(ConnectionPolicy p) {
    return secretName(p).map(n -> p.getMetadata().getNamespace() + "/" + n);
  }

  static String describe(BeebotteException e) {
    StringBuilder sb = new StringBuilder();
    if (e.httpStatus() > 0) {
      sb.append("HTTP ").append(e.httpStatus());
      if (e.code() > 0) {
        sb.append(" code ").append(e.code());
      }
      sb.append(": ");
    }
    return sb.append(e.getMessage()).toString();
  }

  private record Compiled(long generation, CompiledPolicy rules) {}

  /** The informer's cache as the engines' {@link PolicyDirectory}. */
  private record CachedPolicies(IndexedResourceCache<ConnectionPolicy> cache)
      implements PolicyDirectory {
    @Override
    public Optional<ConnectionPolicy> current(PolicyRef ref, long generation) {
      return cache
          .get(ref.resourceId())
          .filter(p -> ref.uid().equals(PolicyRef.of(p).uid()))
          .filter(
              p -> Objects.requireNonNullElse(p.getMetadata().getGeneration(), 0L) == generation);
    }

    @Override
    public boolean exists(PolicyRef ref) {
      return cache
          .get(ref.resourceId())
          .filter(p -> ref.uid().equals(PolicyRef.of(p).uid()))
          .isPresent();
    }
  }
}
