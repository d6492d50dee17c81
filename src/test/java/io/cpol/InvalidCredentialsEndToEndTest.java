package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static io.cpol.testing.OperatorHarness.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.cpol.beebotte.Connection;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A Secret whose token an editor saved with a byte-order mark: its policy ends {@code Ready=False
 * InvalidCredentials} naming the key, the token (with or without the mark) reaches no status,
 * event, log line or metric, the operator goes quiet (no passes, no calls, kilobytes of log), and a
 * policy with a good Secret in the same namespace keeps enforcing.
 */
class InvalidCredentialsEndToEndTest {
  private static final String BOM = "\uFEFF";
  private static final Pattern POLICY_SYNCS =
      Pattern.compile("^beebotte_policy_syncs_total\\{[^}]*} ([0-9.eE+]+)$", Pattern.MULTILINE);

  /** The operator's log as its console appender would write it, stack traces included. */
  private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

  private final OutputStreamAppender<ILoggingEvent> logs = new OutputStreamAppender<>();
  private final OperatorHarness h;

  InvalidCredentialsEndToEndTest() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n");
    encoder.start();
    logs.setContext(context);
    logs.setEncoder(encoder);
    logs.setOutputStream(logBytes);
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
  void aTokenWithAByteOrderMarkIsRefusedByNameAndLeaksNowhere() throws Exception {
    h.simulator().addConnection(mqtt("uid-1"));
    h.createTokenSecret("bom-account", BOM + TOKEN);
    h.createKeysSecret("good-account", API_KEY, SECRET_KEY);
    apply("bom", "bom-account", "uid-1");
    apply("good", "good-account", "uid-2");

    h.awaitCondition("bom", "Ready", "False", "InvalidCredentials");
    assertThat(h.condition("bom", "Ready").getMessage())
        .contains("iot/bom-account", "token", "starts with a byte-order mark");
    h.awaitCondition("good", "Ready", "True", "Synced");

    Instant from = Instant.now();
    int logBefore = logSize();
    long syncsBefore = policySyncs();
    long cpuBefore = processCpuNanos();
    Thread.sleep(10_000);
    long cpu = processCpuNanos() - cpuBefore;
    long syncs = policySyncs() - syncsBefore;
    int logGrowth = logSize() - logBefore;
    List<RecordedCall> calls =
        h.simulator().requests().stream().filter(c -> !c.time().isBefore(from)).toList();
    System.out.printf(
        "in 10 s after Ready=False: %d policy syncs, %d Beebotte calls, %d log bytes, %d ms CPU%n",
        syncs, calls.size(), logGrowth, cpu / 1_000_000);

    // The good policy lists every 2 s; the refused one is not synced at all.
    assertThat(syncs).as("policy syncs in 10 s").isLessThanOrEqualTo(8);
    assertThat(calls)
        .as("Beebotte calls in 10 s")
        .hasSizeLessThanOrEqualTo(8)
        .allMatch(c -> c.authKind() == RecordedCall.AuthKind.KEYS);
    assertThat(logGrowth).as("log bytes in 10 s").isLessThan(16 * 1024);
    // Idle is a few percent of one core; the retry loop this replaces burnt both cores.
    assertThat(cpu).as("process CPU in 10 s").isLessThan(Duration.ofSeconds(5).toNanos());
    assertThat(h.liveSids()).as("the refused policy dropped nothing").containsExactly("uid-1");

    // The good policy keeps enforcing: a session it denies goes at its next sync.
    h.simulator().addConnection(mqtt("uid-2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> !h.liveSids().contains("uid-2"));
    assertThat(h.condition("good", "Ready").getStatus()).isEqualTo("True");

    String everything =
        Serialization.asJson(h.policy("bom"))
            + Serialization.asJson(h.policy("good"))
            + Serialization.asJson(h.kube().v1().events().inNamespace("iot").list())
            + logBytes.toString(StandardCharsets.UTF_8)
            + OperationsPort.get(h.operator(), "/metrics");
    assertThat(everything).doesNotContain(TOKEN).doesNotContain(SECRET_KEY);
    assertThat(h.events("bom"))
        .filteredOn(e -> "Warning".equals(e.getType()))
        .singleElement()
        .satisfies(e -> assertThat(e.getReason()).isEqualTo("InvalidCredentials"));
  }

  private void apply(String name, String secret, String deniedUserid) {
    h.apply(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: %s}
        spec:
          credentialsRef: {name: %s}
          interval: 2s
          deny:
          - userids: ["%s"]
        """
            .formatted(name, secret, deniedUserid));
  }

  private int logSize() {
    synchronized (logBytes) {
      return logBytes.size();
    }
  }

  /** Policy syncs made by account passes, every outcome. */
  private long policySyncs() throws Exception {
    Matcher m = POLICY_SYNCS.matcher(OperationsPort.get(h.operator(), "/metrics"));
    long total = 0;
    while (m.find()) {
      total += (long) Double.parseDouble(m.group(1));
    }
    return total;
  }

  private static Connection mqtt(String userid) {
    return new Connection(
        userid, userid, "mqtt", userid, "::ffff:198.51.100.7", null, null, List.of());
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
