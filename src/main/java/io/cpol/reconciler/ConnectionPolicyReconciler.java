package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Credentials;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.Enforcement;
import io.cpol.reconciler.CredentialsLoader.CredentialsProblem;
import io.cpol.reconciler.StatusBuilder.Failure;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one ConnectionPolicy enforced: validate → load credentials → observe (shared listing) →
 * enforce (plan and drop) → record status, events and metrics. Decisions live in {@link
 * CompiledPolicy}, {@link PolicySync} and {@link StatusBuilder}; this class only sequences them.
 */
@ControllerConfiguration(name = ConnectionPolicyReconciler.NAME)
public class ConnectionPolicyReconciler implements Reconciler<ConnectionPolicy>, AutoCloseable {
  public static final String NAME = "connectionpolicy";
  private static final Logger log = LoggerFactory.getLogger(ConnectionPolicyReconciler.class);
  private static final String SECRET_INDEX = "credentialsRef";

  /** How soon to look again after Beebotte failed, when the interval is longer. */
  private static final Duration FAILURE_RETRY = Duration.ofSeconds(30);

  /**
   * How old a shared listing may be for the first sync of a new spec. Short enough that a change
   * acts on what is connected now, long enough that policies applied together share one listing.
   */
  static final Duration FRESH_LISTING_AFTER_CHANGE = Duration.ofSeconds(2);

  private final AccountListings listings;
  private final StatusBuilder statusBuilder;
  private final PolicyEvents events;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final String defaultEndpoint;
  private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();

  /**
   * Wires a reconciler with its collaborators.
   *
   * @param statusHeartbeat how stale lastSyncTime may get before an unchanged status is rewritten
   * @param instance this replica's name, for events
   */
  public static ConnectionPolicyReconciler create(
      KubernetesClient kubernetes,
      BeebotteClientFactory clients,
      OperatorMetrics metrics,
      Clock clock,
      String defaultEndpoint,
      Duration statusHeartbeat,
      String instance) {
    return new ConnectionPolicyReconciler(
        new AccountListings(clients, clock, metrics),
        new StatusBuilder(statusHeartbeat),
        new PolicyEvents(kubernetes, clock, instance),
        metrics,
        clock,
        defaultEndpoint);
  }

  ConnectionPolicyReconciler(
      AccountListings listings,
      StatusBuilder statusBuilder,
      PolicyEvents events,
      OperatorMetrics metrics,
      Clock clock,
      String defaultEndpoint) {
    this.listings = listings;
    this.statusBuilder = statusBuilder;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.defaultEndpoint = defaultEndpoint;
  }

  /** Secrets trigger a sync of every policy in their namespace that names them. */
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
    return List.of(new InformerEventSource<>(config, context));
  }

  @Override
  public UpdateControl<ConnectionPolicy> reconcile(
      ConnectionPolicy policy, Context<ConnectionPolicy> context) {
    Instant started = clock.instant();
    String namespace = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    long generation = Objects.requireNonNullElse(policy.getMetadata().getGeneration(), 0L);
    ConnectionPolicyStatus old = policy.getStatus();
    forgetDeletedPolicies(context);

    // 1. Validate: an invalid spec never lists or drops.
    CompiledPolicy rules;
    try {
      rules = compile(policy, generation);
    } catch (InvalidSpecException e) {
      return finish(
          policy,
          old,
          statusBuilder.failed(old, generation, Failure.InvalidSpec, e.getMessage(), started),
          null,
          started,
          Failure.InvalidSpec.name());
    }
    Duration interval = rules.interval();
    if (rules.suspend()) {
      return finish(
          policy,
          old,
          statusBuilder.suspended(old, generation, started),
          null,
          started,
          "suspended");
    }

    // 2. Credentials, from the Secret in the policy's own namespace.
    Credentials credentials;
    try {
      credentials =
          CredentialsLoader.load(
              namespace,
              secretName(policy).orElse(""),
              context.getSecondaryResource(Secret.class).orElse(null));
    } catch (CredentialsProblem e) {
      return finish(
          policy,
          old,
          statusBuilder.failed(
              old, generation, Failure.CredentialsNotFound, e.getMessage(), started),
          interval,
          started,
          Failure.CredentialsNotFound.name());
    }
    String endpoint = rules.endpoint(defaultEndpoint);
    AccountKey account = AccountKey.of(endpoint, credentials);

    // 3. Observe, through the listing shared by every policy on this account. A new or changed
    // spec gets a listing at most a moment old rather than one up to an interval old.
    boolean specChanged = old == null || !Objects.equals(old.getObservedGeneration(), generation);
    Duration maxAge = specChanged ? min(interval, FRESH_LISTING_AFTER_CHANGE) : interval;
    ConnectionSnapshot snapshot;
    try {
      snapshot = listings.snapshot(account, credentials, maxAge);
    } catch (BeebotteException e) {
      Failure failure =
          e.kind() == BeebotteException.Kind.AUTHENTICATION
              ? Failure.AuthenticationFailed
              : Failure.BeebotteUnavailable;
      String message = "listing connections at " + endpoint + " failed: " + describe(e);
      return finish(
          policy,
          old,
          statusBuilder.failed(old, generation, failure, message, started),
          failure == Failure.BeebotteUnavailable ? min(interval, FAILURE_RETRY) : interval,
          started,
          failure.name());
    }

    // 4. Enforce: evaluate every connection, plan the fewest safe drop calls, make them.
    boolean dryRun = rules.enforcement() == Enforcement.DryRun;
    SyncReport report =
        PolicySync.run(
            rules,
            snapshot,
            dryRun,
            target -> listings.client(account, credentials).drop(target),
            clock);
    listings.dropped(account, report.executed());
    recordDrops(policy, report);

    // 5. Record.
    ConnectionPolicyStatus next = statusBuilder.synced(old, generation, report, clock.instant());
    metrics.policySynced(
        namespace,
        name,
        report.connected(),
        report.denied(),
        next.getDropped() == null ? 0 : next.getDropped(),
        snapshot.listedAt().getEpochSecond());
    return finish(policy, old, next, interval, started, "success");
  }

  /** Closes the Beebotte clients. */
  @Override
  public void close() {
    listings.close();
  }

  private UpdateControl<ConnectionPolicy> finish(
      ConnectionPolicy policy,
      ConnectionPolicyStatus old,
      ConnectionPolicyStatus next,
      Duration reschedule,
      Instant started,
      String outcome) {
    warnOnNewFailure(policy, old, next);
    metrics.policyConditions(
        policy.getMetadata().getNamespace(), policy.getMetadata().getName(), next.getConditions());
    metrics.sync(Duration.between(started, clock.instant()), outcome);
    UpdateControl<ConnectionPolicy> control;
    if (next.equals(old)) {
      control = UpdateControl.noUpdate();
    } else {
      policy.setStatus(next);
      control = UpdateControl.patchStatus(policy);
    }
    return reschedule == null ? control : control.rescheduleAfter(reschedule);
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

  private void recordDrops(ConnectionPolicy policy, SyncReport report) {
    report
        .failedByProtocol()
        .forEach((protocol, count) -> metrics.drops(protocol, "failure", count));
    if (report.drops().isEmpty()) {
      return;
    }
    String summary = PolicySync.describeDrops(report);
    log.info(
        "policy {}/{} dropped {}",
        policy.getMetadata().getNamespace(),
        policy.getMetadata().getName(),
        summary);
    events.normal(policy, "Dropped", "Dropped " + summary);
    report.drops().stream()
        .collect(Collectors.groupingBy(d -> String.valueOf(d.getProtocol()), Collectors.counting()))
        .forEach((protocol, count) -> metrics.drops(protocol, "success", count.intValue()));
  }

  /** One Warning per change of failure, not one per retry. */
  private void warnOnNewFailure(
      ConnectionPolicy policy, ConnectionPolicyStatus old, ConnectionPolicyStatus next) {
    for (String type : List.of(ConditionSet.READY, ConditionSet.ENFORCED)) {
      Condition now = condition(next, type);
      if (now == null
          || !"False".equals(now.getStatus())
          || "DryRun".equals(now.getReason())
          || "Suspended".equals(now.getReason())) {
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

  private void forgetDeletedPolicies(Context<ConnectionPolicy> context) {
    Set<String> live = new java.util.HashSet<>();
    Set<String> liveUids = new java.util.HashSet<>();
    context
        .getPrimaryCache()
        .list()
        .forEach(
            p -> {
              live.add(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
              liveUids.add(p.getMetadata().getUid());
            });
    metrics.retainPolicies(live);
    compiled.keySet().retainAll(liveUids);
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

  private static java.util.Optional<String> secretName(ConnectionPolicy p) {
    return java.util.Optional.ofNullable(p.getSpec())
        .map(s -> s.getCredentialsRef())
        .map(r -> r.getName())
        .filter(n -> !n.isBlank());
  }

  private static java.util.Optional<String> secretKey(ConnectionPolicy p) {
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

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private record Compiled(long generation, CompiledPolicy rules) {}
}
