package io.cpol.reconciler;

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

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
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

  /** A listing request: fetched, shared (reused another policy's), failed or failed_shared. */
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

  /** Drops the series of policies that no longer exist. */
  void retainPolicies(Set<String> namespacedNames) {
    policies.keySet().stream()
        .filter(k -> !namespacedNames.contains(k))
        .toList()
        .forEach(
            k -> {
              PolicyGauges gone = policies.remove(k);
              if (gone != null) {
                gone.meters.forEach(registry::remove);
              }
            });
  }

  private final class PolicyGauges {
    volatile double connected;
    volatile double denied;
    volatile double dropped;
    volatile double lastSync;
    final List<Meter> meters;

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
              Gauge.builder("beebotte.policy.last.successful.sync", this, g -> g.lastSync)
                  .description("Unix time of the policy's last successful sync")
                  .baseUnit("seconds")
                  .tags(tags)
                  .register(registry));
    }
  }
}
