package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Beebotte (or a proxy) answering every call with the request's credentials in its error message:
 * the policy shows the failure, and no signature, key or token reaches its status, its events, the
 * operator's log or its metrics; the one Warning is not repeated although every retry is signed
 * anew.
 */
class EchoedCredentialsEndToEndTest {
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final OperatorHarness h;

  EchoedCredentialsEndToEndTest() {
    logs.start();
    root().addAppender(logs);
    h = OperatorHarness.start();
  }

  @AfterEach
  void stop() {
    h.close();
    root().detachAppender(logs);
  }

  @Test
  void echoedCredentialsNeverReachStatusEventsLogsOrMetrics() throws Exception {
    h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
    h.simulator().faults().echoCredentialsNext(1_000, 503);
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: p}
        spec:
          credentialsRef: {name: beebotte-account}
          interval: 1s
          deny:
          - userids: [uid-1]
        """);

    h.awaitCondition("p", "Ready", "False", "BeebotteUnavailable");
    // Several failed syncs, their requests signed at different seconds.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> Set.copyOf(h.simulator().faults().echoed()).size() >= 4);

    String message = h.condition("p", "Ready").getMessage();
    assertThat(message).contains("Authorization: *** (signature ***) Date: <date>");
    List<Event> warnings =
        h.events("p").stream().filter(e -> "Warning".equals(e.getType())).toList();
    assertThat(warnings).singleElement().extracting(Event::getMessage).isEqualTo(message);

    List<String> stored = new ArrayList<>();
    stored.add(Serialization.asJson(h.policy("p").getStatus()));
    h.events("p").forEach(e -> stored.add(Serialization.asJson(e)));
    for (ILoggingEvent event : logs.list) {
      stored.add(event.getFormattedMessage());
      if (event.getThrowableProxy() != null) {
        stored.add(ThrowableProxyUtil.asString(event.getThrowableProxy()));
      }
    }
    stored.add(metrics());
    String all = String.join("\n", stored);
    assertThat(all).doesNotContain(API_KEY, SECRET_KEY);
    for (String echoed : h.simulator().faults().echoed()) {
      assertThat(all).doesNotContain(echoed);
    }
  }

  private String metrics() throws Exception {
    return OperationsPort.get(h.operator(), "/metrics");
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
