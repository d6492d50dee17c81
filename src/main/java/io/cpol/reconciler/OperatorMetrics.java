package io.cpol.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's own Prometheus series (Beebotte API call timings live in the client). Per-policy
 * series are removed when their policy goes away, so deleted policies do not linger in scrapes.
 */
public final class OperatorMetrics {
  private final MeterRegistry registry;
  private final Map<String, PolicyGauges> policies = new ConcurrentHashMap<>();

  private final Timer deniedSessionConnected;

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    // Registered from the start, so dashboards and alerts find the series before any drop.
    this.deniedSessionConnected =
        Timer.builder("beebotte.denied.session.connected")
            .description(
                "How long denied sessions stayed connected before their drop landed: for a device"
                    + " the reconnect watch dropped again, since it was last seen away (an upper"
                    + " bound); for a session first seen in a listing, since that listing (a"
                    + " lower bound)")
            .publishPercentileHistogram()
            .register(registry);
  }

  /** One dropped session's time connected (see the series' description). */
  void deniedSessionConnected(Duration connected) {
    deniedSessionConnected.record(connected.isNegative() ? Duration.ZERO : connected);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** One sync's duration; outcome is "success" or the failure reason. */
  void sync(Duration duration, String outcome) {
    Timer.builder("beebotte.sync.duration")
        .description("Time one ConnectionPolicy sync took: list, evaluate, drop, build status")
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        .register(registry)
        .record(duration);
  }

  /** A policy synced by an account pass: {@code success} or the reason it could not list. */
  void policySync(String outcome) {
    Counter.builder("beebotte.policy.syncs")
        .description("Policy syncs made by account passes, by outcome (success or failure reason)")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** An account listing: fetched, reused (a pass for just-applied policies) or failed. */
  void listing(String result) {
    Counter.builder("beebotte.listings")
        .description("Connection listings asked for, by whether they hit Beebotte or were shared")
        .tag("result", result)
        .register(registry)
        .increment();
  }

  /** Connections closed (or not) by drop calls. */
  void drops(String protocol, String outcome, int count) {
    if (count > 0) {
      Counter.builder("beebotte.drops")
          .description("Connections dropped, by protocol and outcome (success, failure)")
          .tag("protocol", protocol == null ? "unknown" : protocol)
          .tag("outcome", outcome)
          .register(registry)
          .increment(count);
    }
  }

  /** Records what a policy's last successful sync saw. */
  void policySynced(
      String namespace,
      String name,
      int connected,
      int denied,
      long droppedTotal,
      double epochSecond) {
    PolicyGauges gauges =
        policies.computeIfAbsent(namespace + "/" + name, k -> new PolicyGauges(namespace, name));
    gauges.connected = connected;
    gauges.denied = denied;
    gauges.dropped = droppedTotal;
    gauges.lastSync = epochSecond;
  }

  /** The counts the operator owns for a policy, whenever its status is written. */
  void policyCounts(String namespace, String name, long droppedTotal, long reconnectsTotal) {
    PolicyGauges gauges =
        policies.computeIfAbsent(namespace + "/" + name, k -> new PolicyGauges(namespace, name));
    gauges.dropped = droppedTotal;
    gauges.reconnects = reconnectsTotal;
  }

  /** The policy's interval, so alerts can tell a stale sync from a long interval. */
  void policyInterval(String namespace, String name, Duration interval) {
    policies.computeIfAbsent(namespace + "/" + name, k -> new PolicyGauges(namespace, name))
            .interval =
        interval.toMillis() / 1000.0;
  }

  /**
   * The policy's current conditions as {@code beebotte_policy_condition{type, status, reason}} = 1,
   * one series per condition type (the series of a previous status or reason is removed), so alerts
   * can select "not Ready for 10 minutes, by reason".
   */
  void policyConditions(String namespace, String name, List<Condition> conditions) {
    PolicyGauges gauges =
        policies.computeIfAbsent(namespace + "/" + name, k -> new PolicyGauges(namespace, name));
    for (Condition condition : conditions) {
      Tags tags =
          Tags.of(
              "namespace",
              namespace,
              "policy",
              name,
              "type",
              condition.getType(),
              "status",
              String.valueOf(condition.getStatus()),
              "reason",
              String.valueOf(condition.getReason()));
      Meter previous = gauges.conditions.get(condition.getType());
      if (previous != null && previous.getId().getTags().equals(tags.stream().toList())) {
        continue;
      }
      Meter next =
          Gauge.builder("beebotte.policy.condition", () -> 1)
              .description(
                  "1 for each condition a policy has now, labelled with its type, status and"
                      + " reason")
              .tags(tags)
              .register(registry);
      Meter replaced = gauges.conditions.put(condition.getType(), next);
      if (replaced != null && !replaced.getId().equals(next.getId())) {
        registry.remove(replaced);
      }
    }
  }

  /** The policies ({@code namespace/name}) that have series now. */
  Set<String> policiesWithSeries() {
    return Set.copyOf(policies.keySet());
  }

  /** Removes the series of these policies ({@code namespace/name}): they no longer exist. */
  void forgetPolicies(Set<String> namespacedNames) {
    for (String k : namespacedNames) {
      PolicyGauges gone = policies.remove(k);
      if (gone != null) {
        gone.meters.forEach(registry::remove);
        gone.conditions.values().forEach(registry::remove);
      }
    }
  }

  private final class PolicyGauges {
    volatile double connected;
    volatile double denied;
    volatile double dropped;
    volatile double lastSync;
    volatile double interval;
    volatile double reconnects;
    final List<Meter> meters;
    final Map<String, Meter> conditions = new ConcurrentHashMap<>();

    PolicyGauges(String namespace, String name) {
      Tags tags = Tags.of("namespace", namespace, "policy", name);
      meters =
          List.of(
              Gauge.builder("beebotte.policy.connections", this, g -> g.connected)
                  .description("Live connections on the policy's account at its last sync")
                  .tags(tags)
                  .register(registry),
              Gauge.builder("beebotte.policy.denied", this, g -> g.denied)
                  .description("Connections the policy denied at its last sync")
                  .tags(tags)
                  .register(registry),
              FunctionCounter.builder("beebotte.policy.dropped", this, g -> g.dropped)
                  .description("Connections the policy has dropped since it was created")
                  .tags(tags)
                  .register(registry),
              FunctionCounter.builder("beebotte.policy.reconnects", this, g -> g.reconnects)
                  .description(
                      "Sessions the policy dropped again after a drop of the same identity")
                  .tags(tags)
                  .register(registry),
              Gauge.builder("beebotte.policy.interval", this, g -> g.interval)
                  .description("The policy's spec.interval")
                  .baseUnit("seconds")
                  .tags(tags)
                  .register(registry),
              Gauge.builder("beebotte.policy.last.successful.sync", this, g -> g.lastSync)
                  .description("Unix time of the policy's last successful sync")
                  .baseUnit("seconds")
                  .tags(tags)
                  .register(registry));
    }
  }
}
