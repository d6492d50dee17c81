package io.cpol.reconciler;

import static io.cpol.reconciler.EnforcementTest.mqtt;
import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static io.cpol.testing.OperatorHarness.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What users see when credentials or Beebotte fail, and that it heals without a restart. */
class FailureHandlingTest {
  private OperatorHarness h;
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void start() {
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    h = OperatorHarness.start();
    h.simulator().addConnection(mqtt("uid-1", "::ffff:198.51.100.1"));
  }

  @AfterEach
  void stop() {
    h.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  private void applyPolicy(String name, String interval) {
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: %s}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: %s
          deny:
          - userids: ["uid-1"]
        """
            .formatted(name, interval));
  }

  @Test
  void missingSecretIsReportedAndCreatingItHealsWithoutRestart() {
    applyPolicy("p", "1h");

    ConnectionPolicy p = h.awaitCondition("p", "Ready", "False", "CredentialsNotFound");
    assertThat(h.condition("p", "Ready").getMessage()).contains("iot/beebotte-account");
    assertThat(h.simulator().requests()).isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> h.events("p").stream().anyMatch(e -> "Warning".equals(e.getType())));

    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);

    // The interval is an hour: only the Secret's event can explain this sync.
    h.awaitCondition("p", "Ready", "True", "Synced");
    assertThat(h.liveSids()).isEmpty();
    assertThat(p.getStatus().getObservedGeneration()).isEqualTo(p.getMetadata().getGeneration());
  }

  @Test
  void wrongKeysAreAnAuthenticationFailureAndNoSecretLeaks() {
    h.createKeysSecret("beebotte-account", API_KEY, "wrong-secret-must-stay-hidden-91b2");
    applyPolicy("p", "1s");

    h.awaitCondition("p", "Ready", "False", "AuthenticationFailed");

    assertThat(h.condition("p", "Ready").getMessage()).contains("1101");
    assertThat(h.condition("p", "Enforced").getStatus()).isEqualTo("Unknown");
    assertThat(h.liveSids()).containsExactly("uid-1");
    String everything =
        Serialization.asJson(h.policy("p"))
            + Serialization.asJson(h.events("p"))
            + logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(everything)
        .doesNotContain("wrong-secret-must-stay-hidden-91b2")
        .doesNotContain(SECRET_KEY);
  }

  @Test
  void rotatingTheSecretToGoodKeysRecovers() {
    h.createKeysSecret("beebotte-account", API_KEY, "stale-secret");
    applyPolicy("p", "1h");
    h.awaitCondition("p", "Ready", "False", "AuthenticationFailed");

    h.kube()
        .secrets()
        .inNamespace(OperatorHarness.NAMESPACE)
        .withName("beebotte-account")
        .edit(
            s -> {
              s.setData(null);
              s.setStringData(Map.of("apiKey", API_KEY, "secretKey", SECRET_KEY));
              return s;
            });

    h.awaitCondition("p", "Ready", "True", "Synced");
    assertThat(h.liveSids()).isEmpty();
  }

  @Test
  void iamTokenCredentialsWork() {
    h.createTokenSecret("beebotte-account", TOKEN);
    applyPolicy("p", "1h");

    h.awaitCondition("p", "Enforced", "True", "AllDropped");

    assertThat(h.liveSids()).isEmpty();
    assertThat(h.simulator().requests()).allMatch(c -> c.authKind() == RecordedCall.AuthKind.TOKEN);
    assertThat(Serialization.asJson(h.policy("p"))).doesNotContain(TOKEN);
  }

  @Test
  void beebotteOutageIsReportedThenRecoveredFrom() {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    h.simulator().faults().failNext(1_000, 503);
    applyPolicy("p", "1s");

    h.awaitCondition("p", "Ready", "False", "BeebotteUnavailable");
    assertThat(h.condition("p", "Ready").getMessage()).contains("503");
    assertThat(h.liveSids()).containsExactly("uid-1");

    h.simulator().faults().clear();

    h.awaitCondition("p", "Ready", "True", "Synced");
    assertThat(h.liveSids()).isEmpty();
  }

  @Test
  void unchangedSyncsDoNotPatchStatus() {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    applyPolicy("p", "1s");
    h.awaitCondition("p", "Enforced", "True", "AllDropped");
    // The next sync finds uid-1 gone and writes that; from then on nothing changes.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Integer.valueOf(0).equals(h.policy("p").getStatus().getConnected()));
    h.kubernetes().drainRequests();
    long listingsBefore = accountListings();

    // Two syncs through the real informer and JOSDK (whose own status write must not come back
    // as a change); they take two intervals of wall time. Exact counts over a longer run are
    // StatusWritesTest's, on the manual clock.
    await().atMost(Duration.ofSeconds(10)).until(() -> accountListings() - listingsBefore >= 2);

    assertThat(h.kubernetes().drainRequests())
        .filteredOn(r -> r.getPath().contains("/status"))
        .extracting(r -> r.getMethod() + " " + r.getPath())
        .isEmpty();
  }

  /** Listings of the whole account (not the reconnect watch's looks). */
  private long accountListings() {
    return h.simulator().requests().stream()
        .filter(c -> c.endpoint() == RecordedCall.EndpointKind.LIST)
        .filter(c -> c.rawTarget().equals("/v1/connections") && !c.byReconnectWatch())
        .count();
  }

  @Test
  void anUnexpectedFailureBecomesReconcileErrorAndTheSyncIsRetried() {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    // The first status write fails as an API server in trouble would answer it: the reconcile
    // throws, the failure is recorded, and the retry a second later goes through.
    h.kubernetes().dispatcher().failNextStatusWrites(1);
    applyPolicy("p", "1h");

    // The failure is recorded (Ready=False ReconcileError and its Warning); the drop's own status
    // write may heal it moments later, so the Warning is what stays to check.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                h.events("p").stream()
                    .anyMatch(
                        e ->
                            "Warning".equals(e.getType())
                                && "ReconcileError".equals(e.getReason())));
    assertThat(h.events("p"))
        .filteredOn(e -> "ReconcileError".equals(e.getReason()))
        .first()
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .startsWith(
                        "reconcile failed (attempt 1, next in 1 s): KubernetesClientException")
                    .doesNotContain(SECRET_KEY));

    h.awaitCondition("p", "Ready", "True", "Synced");
    assertThat(h.liveSids()).isEmpty();
    assertThat(h.policy("p").getStatus().getDropped()).isEqualTo(1);
  }
}
