package io.cpol.reconciler;

import static io.cpol.reconciler.EnforcementTest.mqtt;
import static io.cpol.reconciler.EnforcementTest.socketio;
import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static io.cpol.testing.OperatorHarness.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.Enforcement;
import io.cpol.sim.DropEvent;
import io.cpol.sim.RecordedCall.EndpointKind;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The account engine against a moving world, end to end: sessions that connect between listing and
 * drop, users who change their minds mid-pass, events during a slow pass, outages, Retry-After and
 * rotated credentials.
 */
class AccountEngineTest {
  private OperatorHarness h;

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  private void start(String... flags) {
    h = OperatorHarness.start(flags);
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
  }

  private void apply(String name, String specBody) {
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: %s}
        spec:
          credentialsRef: {name: beebotte-account}
        %s"""
            .formatted(name, specBody.indent(2)));
  }

  private void edit(String name, UnaryOperator<ConnectionPolicy> change) {
    // During a pass status is written after every drop (so a crash loses only the calls in
    // flight): an edit read before one of those writes conflicts, and is made again on a fresh
    // read.
    for (int attempt = 1; ; attempt++) {
      try {
        h.kube()
            .resources(ConnectionPolicy.class)
            .inNamespace(NAMESPACE)
            .withName(name)
            .edit(change);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  private long calls(EndpointKind kind) {
    return h.simulator().requests().stream().filter(c -> c.endpoint() == kind).count();
  }

  @Test
  void anAllowedMqttSessionConnectingBetweenListingAndDropIsNeverClosed() {
    // The soak's case: uid-1 has only Socket.IO sessions when listed, all denied; its MQTT session
    // (allowed: the rule is Socket.IO only) connects while the drop call is on its way.
    start();
    h.simulator()
        .addConnections(
            List.of(
                socketio("uid-1", "s1", "::ffff:198.51.100.1", null),
                socketio("uid-1", "s2", "::ffff:198.51.100.2", null)));
    h.simulator().faults().latency(Duration.ofMillis(600));

    apply("sockets", "interval: 1h\ndeny:\n- {useridPatterns: [\"uid-*\"], protocols: [socketio]}");
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> calls(EndpointKind.LIST) > 0);
    Connection later = mqtt("uid-1", "::ffff:198.51.100.3");
    h.simulator().addConnection(later);
    assertThat(calls(EndpointKind.DROP)).as("the drop has not landed yet").isZero();

    h.awaitCondition("sockets", "Enforced", "True", "AllDropped");
    h.simulator().faults().latency(Duration.ZERO);

    assertThat(h.liveSids()).containsExactly("uid-1");
    assertThat(h.simulator().drops())
        .extracting(DropEvent::rawTarget)
        .containsOnly("/v1/connections/drop/uid-1?protocol=socketio");
    assertThat(h.simulator().drops()).extracting(DropEvent::connection).doesNotContain(later);
  }

  @Test
  void countsStayExactWhileTheSecretChangesDuringASlowPass() {
    start();
    List<Connection> denied = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      denied.add(socketio("u-" + i, "s-" + i, "::ffff:203.0.113." + i, null));
    }
    h.simulator().addConnections(denied);
    h.simulator().faults().latency(Duration.ofMillis(150));
    List<Long> seen = new CopyOnWriteArrayList<>();
    AtomicBoolean watching = new AtomicBoolean(true);
    Thread watcher =
        new Thread(
            () -> {
              while (watching.get()) {
                ConnectionPolicy p = h.policy("slow");
                if (p != null && p.getStatus() != null && p.getStatus().getDropped() != null) {
                  seen.add(p.getStatus().getDropped());
                }
                annotateSecret();
              }
            });

    apply("slow", "interval: 1h\ndeny:\n- clientCIDRs: [\"203.0.113.0/24\"]");
    watcher.start();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Long.valueOf(40).equals(droppedOf("slow")));
    } finally {
      watching.set(false);
    }
    h.simulator().faults().latency(Duration.ZERO);

    assertThat(h.simulator().drops()).hasSize(40);
    assertThat(seen).as("dropped as seen while the pass ran").isSorted();
    await().during(Duration.ofSeconds(2)).until(() -> Long.valueOf(40).equals(droppedOf("slow")));
  }

  private void annotateSecret() {
    try {
      h.kube()
          .secrets()
          .inNamespace(NAMESPACE)
          .withName("beebotte-account")
          .edit(
              s -> {
                s.getMetadata().setAnnotations(Map.of("touched", Long.toString(System.nanoTime())));
                return s;
              });
    } catch (RuntimeException e) {
      // A conflicting edit: the next one will do.
    }
  }

  private Long droppedOf(String name) {
    ConnectionPolicy p = h.policy(name);
    return p == null || p.getStatus() == null ? null : p.getStatus().getDropped();
  }

  /** Starts a slow pass of 30 per-session drops, one call at a time, and waits for the first. */
  private void slowPassUnderWay(String name) {
    start("--drop-concurrency=1");
    List<Connection> denied = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      denied.add(socketio("u-" + i, "s-" + i, "::ffff:203.0.113." + i, null));
    }
    h.simulator().addConnections(denied);
    h.simulator().faults().latency(Duration.ofMillis(300));
    apply(name, "interval: 1h\nmaxDropsPerSync: 1000\ndeny:\n- clientCIDRs: [\"203.0.113.0/24\"]");
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> !h.simulator().drops().isEmpty());
  }

  /**
   * Waits for the slow pass to end, and checks it stopped early: a policy applied now on the same
   * account is synced in the account's next pass, and an account runs one pass at a time. (That the
   * call in flight at the change is the last one, exactly, is MidPassChangesTest's, on the manual
   * clock; here the change reaches the engine through the informer, at no set moment.)
   */
  private void assertThePassStopped() {
    apply("after", "interval: 1h\ndeny:\n- userids: [nobody]");
    h.awaitCondition("after", "Ready", "True", "Synced");
    assertThat(h.simulator().drops()).as("drops of the 30").hasSizeLessThan(30);
  }

  @Test
  void deletingAPolicyMidPassStopsItsDropsAndWritesNothingForIt() {
    slowPassUnderWay("doomed");
    h.kube().resources(ConnectionPolicy.class).inNamespace(NAMESPACE).withName("doomed").delete();

    assertThePassStopped();
    List<Event> droppedEvents =
        h.kube().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
            .filter(e -> "doomed".equals(e.getInvolvedObject().getName()))
            .filter(e -> "Dropped".equals(e.getReason()))
            .toList();
    assertThat(droppedEvents).as("Dropped events for the deleted policy").isEmpty();
  }

  @Test
  void suspendingAPolicyMidPassStopsItsDrops() {
    slowPassUnderWay("paused");
    edit(
        "paused",
        p -> {
          p.getSpec().setSuspend(true);
          return p;
        });

    assertThePassStopped();
    h.awaitCondition("paused", "Ready", "True", "Suspended");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> Long.valueOf(h.simulator().drops().size()).equals(droppedOf("paused")));
  }

  @Test
  void switchingToDryRunMidPassStopsItsDrops() {
    slowPassUnderWay("switched");
    edit(
        "switched",
        p -> {
          p.getSpec().setEnforcement(Enforcement.DryRun);
          return p;
        });

    assertThePassStopped();
    h.simulator().faults().latency(Duration.ZERO);
    h.awaitCondition("switched", "Enforced", "False", "DryRun");
    assertThat(droppedOf("switched")).isEqualTo(h.simulator().drops().size());
  }

  @Test
  void rotatingCredentialsBackListsAfresh() {
    start();
    h.createTokenSecret("beebotte-token", TOKEN);
    h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
    apply("rotated", "interval: 1h\nenforcement: DryRun\ndeny:\n- userids: [nobody]");
    await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(1).equals(connectedOf()));

    setSecret(Map.of("token", TOKEN));
    await().atMost(Duration.ofSeconds(10)).until(() -> calls(EndpointKind.LIST) == 2);

    h.simulator().addConnection(mqtt("uid-2", "::ffff:198.51.100.2"));
    setSecret(Map.of("apiKey", API_KEY, "secretKey", SECRET_KEY));

    // Back on the first credentials: a listing of its own, showing what is connected now.
    await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(2).equals(connectedOf()));
    assertThat(calls(EndpointKind.LIST)).isEqualTo(3);
  }

  private Integer connectedOf() {
    ConnectionPolicy p = h.policy("rotated");
    return p == null || p.getStatus() == null ? null : p.getStatus().getConnected();
  }

  private void setSecret(Map<String, String> data) {
    h.kube()
        .secrets()
        .inNamespace(NAMESPACE)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("beebotte-account")
                .endMetadata()
                .withStringData(data)
                .build())
        .createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
  }

  @Test
  void keysAndATokenOfOneOwnerShareOneListingAndDropEachSessionOnce() {
    start();
    h.createTokenSecret("beebotte-token", TOKEN);
    // An allowed device keeps every listing non-empty: a listing shows the account's owner only
    // through its connections.
    h.simulator().addConnection(mqtt("keeper-1", "::ffff:198.51.100.99"));
    for (int i = 0; i < 5; i++) {
      h.simulator().addConnection(mqtt("dev-" + i, "::ffff:198.51.100." + i));
    }
    apply("by-keys", "interval: 2s\ndeny:\n- useridPatterns: [\"dev-*\"]");
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: by-token}
        spec:
          credentialsRef: {name: beebotte-token}
          interval: 2s
          deny:
          - useridPatterns: ["dev-*"]
        """);
    h.awaitCondition("by-keys", "Ready", "True", "Synced");
    h.awaitCondition("by-token", "Ready", "True", "Synced");

    // Both listings showed the owner (by-token is synced by the engine it merged into): sessions
    // connecting from now on are dropped once, by one engine. How many listings the account costs
    // per interval is EngineScheduleTest's, on the manual clock.
    for (int i = 0; i < 5; i++) {
      h.simulator().addConnection(mqtt("dev-" + (10 + i), "::ffff:198.51.100.1" + i));
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              assertThat(h.liveSids()).containsExactly("keeper-1");
              assertThat(droppedSum("by-keys", "by-token"))
                  .as("dropped, both policies")
                  .isEqualTo(10);
            });

    assertThat(h.simulator().drops()).hasSize(10);
    assertThat(calls(EndpointKind.DROP)).as("drop calls, one per session").isEqualTo(10);
  }

  private Long droppedSum(String... names) {
    long sum = 0;
    for (String name : names) {
      Long dropped = droppedOf(name);
      if (dropped == null) {
        return null;
      }
      sum += dropped;
    }
    return sum;
  }
}
