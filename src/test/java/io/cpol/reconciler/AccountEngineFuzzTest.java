package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.TestingBeebotte;
import io.cpol.beebotte.TestingBeebotte.Endpoint;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.Enforcement;
import io.cpol.reconciler.FuzzScenario.PolicyPlan;
import io.cpol.reconciler.FuzzScenario.SecretValue;
import io.cpol.reconciler.FuzzScenario.Session;
import io.cpol.testing.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The fuzz tier: the reconciler and account engines on manual time, given any Secret bytes, any
 * Beebotte answers (status, Retry-After, body, resets, exceptions, delays) and sessions that come
 * and go under policies that change, for {@value #SECONDS} seconds of operation per try. Whatever
 * happens:
 *
 * <ul>
 *   <li>no value of the Secret reaches a status, an event, a log line (at DEBUG) or a metric;
 *   <li>per account, in any second: at most {@value #LISTINGS_PER_SECOND} whole-account listings,
 *       at most {@value #CALLS_PER_SECOND} + 2 × (sessions of the try) calls in all, and at most
 *       {@value #LOG_LINES_PER_SECOND} + 2 × (sessions of the try) log lines at INFO or above;
 *   <li>{@code dropped} and {@code reconnects} never go down in the statuses written;
 *   <li>every session a drop closed was denied, when it closed, by a policy that enforces.
 * </ul>
 */
class AccountEngineFuzzTest {
  static final int LISTINGS_PER_SECOND = 3;
  static final int CALLS_PER_SECOND = 10;
  static final int LOG_LINES_PER_SECOND = 10;
  static final int TRIES = 20;
  static final int SECONDS = 90;
  static final Duration STEP = Duration.ofMillis(100);

  private static EmbeddedKubernetes kubernetes;
  private static final AtomicInteger tries = new AtomicInteger();

  /** Held, as JUL forgets loggers nobody references (and with them their level). */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

  private static synchronized EmbeddedKubernetes kubernetes() {
    if (kubernetes == null) {
      // A line per request on stderr would cost more than the runs themselves.
      MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
      kubernetes = EmbeddedKubernetes.start(0);
    }
    return kubernetes;
  }

  @AfterContainer
  static void stopKubernetes() {
    if (kubernetes != null) {
      kubernetes.close();
      kubernetes = null;
    }
  }

  @Provide
  Arbitrary<FuzzScenario> scenarios() {
    return FuzzScenario.scenarios();
  }

  @Property(tries = TRIES)
  void noValueOfTheSecretReachesStatusEventsLogsOrMetrics(@ForAll("scenarios") FuzzScenario s) {
    Run run = run(s);
    Set<String> forbidden = forbidden(s);
    List<String> written = new ArrayList<>();
    run.statuses
        .values()
        .forEach(list -> list.forEach(st -> written.add(Serialization.asJson(st))));
    run.events.forEach(e -> written.add(e.getReason() + " " + e.getMessage()));
    run.logs.forEach(l -> written.add(l.logger() + " " + l.text()));
    written.add(run.metrics);
    for (String text : written) {
      for (String secret : forbidden) {
        assertThat(text).as("written text holding a value of the Secret").doesNotContain(secret);
      }
    }
  }

  @Property(tries = TRIES)
  void callsAndLogLinesPerSecondStayBounded(@ForAll("scenarios") FuzzScenario s) {
    Run run = run(s);
    int sessions = s.sessions().size();
    List<Instant> listings =
        run.calls.stream()
            .filter(c -> c.endpoint() == Endpoint.LIST && "/v1/connections".equals(c.target()))
            .map(TestingBeebotte.Call::at)
            .toList();
    List<Instant> calls = run.calls.stream().map(TestingBeebotte.Call::at).toList();
    List<Instant> lines =
        run.logs.stream()
            .filter(l -> l.level().isGreaterOrEqual(Level.INFO))
            .map(ManualTimeLog.Line::at)
            .toList();

    assertThat(busiestSecond(listings))
        .as("whole-account listings in one second")
        .isLessThanOrEqualTo(LISTINGS_PER_SECOND);
    assertThat(busiestSecond(calls))
        .as("calls in one second")
        .isLessThanOrEqualTo(CALLS_PER_SECOND + 2 * sessions);
    assertThat(busiestSecond(lines))
        .as("log lines in one second")
        .isLessThanOrEqualTo(LOG_LINES_PER_SECOND + 2 * sessions);
  }

  @Property(tries = TRIES)
  void countsNeverGoDown(@ForAll("scenarios") FuzzScenario s) {
    Run run = run(s);
    run.statuses.forEach(
        (name, list) -> {
          long dropped = 0;
          long reconnects = 0;
          for (ConnectionPolicyStatus st : list) {
            long d = st.getDropped() == null ? 0 : st.getDropped();
            long r = st.getReconnects() == null ? 0 : st.getReconnects();
            assertThat(d).as(name + " dropped after " + dropped).isGreaterThanOrEqualTo(dropped);
            assertThat(r)
                .as(name + " reconnects after " + reconnects)
                .isGreaterThanOrEqualTo(reconnects);
            dropped = d;
            reconnects = r;
          }
        });
  }

  @Property(tries = TRIES)
  void nothingIsDroppedThatNoEnforcingPolicyDenies(@ForAll("scenarios") FuzzScenario s) {
    Run run = run(s);
    for (int i = 0; i < run.closed.size(); i++) {
      TestingBeebotte.Closed closed = run.closed.get(i);
      Map<String, String> specs = run.specsBefore(i);
      boolean denied = specs.values().stream().anyMatch(spec -> enforcesAndDenies(spec, closed));
      assertThat(denied)
          .as(
              "%s closed at %s by %s; policies then: %s",
              closed.connection(), closed.at(), closed.target(), specs)
          .isTrue();
    }
  }

  /**
   * Found by {@link #callsAndLogLinesPerSecondStayBounded} (shrunk): the reconnect watch's budget
   * came back a fraction of a millisecond after "now", the wake-up delay was cut to 0 ms, and the
   * watch woke, found nothing due and slept 0 ms again, at once, until the clock moved on.
   */
  @Example
  void aWatchWakeUpDueWithinAMillisecondDoesNotSpin() {
    String spec =
        "enforcement: Enforce\ninterval: 5s\nmaxDropsPerSync: 1\ndeny: [{useridPatterns: [\"u*\"]}]\n";
    FuzzScenario s =
        new FuzzScenario(
            Map.of("token", new SecretValue("iamtkn_watch_spin".getBytes(StandardCharsets.UTF_8))),
            List.of(new PolicyPlan("p0", spec, 0, spec, 2)),
            List.of(
                new Session(
                    new Connection("u0", "u0", "mqtt", "u0", "10.0.0.7", "acme", null, List.of()),
                    0,
                    0)),
            List.of(),
            List.of(),
            FuzzScenario.AnswerPlan.NORMAL);

    Run run = run(s);

    assertThat(run.closed()).hasSize(1);
    assertThat(busiestSecond(run.calls().stream().map(TestingBeebotte.Call::at).toList()))
        .isLessThanOrEqualTo(CALLS_PER_SECOND + 2);
  }

  private static boolean enforcesAndDenies(String yaml, TestingBeebotte.Closed closed) {
    ConnectionPolicySpec spec = policy("check", yaml).getSpec();
    if (spec.getEnforcement() == Enforcement.DryRun || Boolean.TRUE.equals(spec.getSuspend())) {
      return false;
    }
    try {
      return CompiledPolicy.compile(spec).evaluate(closed.connection(), closed.at()).denied();
    } catch (InvalidSpecException e) {
      return false;
    }
  }

  /** The most instants within any one second. */
  static int busiestSecond(List<Instant> instants) {
    List<Instant> sorted = instants.stream().sorted().toList();
    int most = 0;
    int from = 0;
    for (int to = 0; to < sorted.size(); to++) {
      while (!sorted.get(from).plusSeconds(1).isAfter(sorted.get(to))) {
        from++;
      }
      most = Math.max(most, to - from + 1);
    }
    return most;
  }

  /** Each loaded value of the Secret, whole and as any 12 characters of it. */
  static Set<String> forbidden(FuzzScenario s) {
    Set<String> out = new LinkedHashSet<>();
    for (SecretValue v : s.secret().values()) {
      String loaded = v.loaded();
      if (loaded.length() >= 6) {
        out.add(loaded);
      }
      for (int i = 0; i + 12 <= loaded.length(); i++) {
        out.add(loaded.substring(i, i + 12));
      }
    }
    return out;
  }

  /** What one run left behind. */
  record Run(
      Map<String, List<ConnectionPolicyStatus>> statuses,
      List<Event> events,
      List<ManualTimeLog.Line> logs,
      String metrics,
      List<TestingBeebotte.Call> calls,
      List<TestingBeebotte.Closed> closed,
      TreeMap<Integer, Map<String, String>> specs) {

    /**
     * The policies' specs in force when the {@code i}th session closed: changes are keyed by how
     * many sessions had closed when they were made (order, not time: a change and a drop can share
     * an instant).
     */
    Map<String, String> specsBefore(int i) {
      Map.Entry<Integer, Map<String, String>> e = specs.floorEntry(i);
      return e == null ? Map.of() : e.getValue();
    }
  }

  static Run run(FuzzScenario s) {
    EmbeddedKubernetes kube = kubernetes();
    String namespace = "fuzz-" + tries.incrementAndGet();
    kube.client().namespaces().resource(EmbeddedKubernetes.activeNamespace(namespace)).create();
    ManualTimeOperator op = new ManualTimeOperator(kube.client(), namespace, FuzzScenario.START, 5);
    String credential = s.secret().values().iterator().next().loaded();
    TreeMap<Integer, Map<String, String>> specs = new TreeMap<>();
    Map<String, String> current = new LinkedHashMap<>();
    try (ManualTimeLog log = new ManualTimeLog(op.clock)) {
      op.beebotte.answerNext(
          Endpoint.LIST,
          s.listAnswers().stream()
              .map(a -> a.toAnswer(credential))
              .toArray(TestingBeebotte.Answer[]::new));
      op.beebotte.answerNext(
          Endpoint.DROP,
          s.dropAnswers().stream()
              .map(a -> a.toAnswer(credential))
              .toArray(TestingBeebotte.Answer[]::new));
      op.beebotte.answerAlways(Endpoint.LIST, s.listAlways().toAnswer(credential));
      Map<String, String> data = new LinkedHashMap<>();
      s.secret().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.bytes())));
      op.secret(
          new SecretBuilder()
              .withNewMetadata()
              .withName("beebotte")
              .endMetadata()
              .withData(data)
              .build());
      for (int second = 0; second < SECONDS; second++) {
        for (Session session : s.sessions()) {
          if (session.connectAt() == second) {
            op.beebotte.connect(List.of(session.connection()));
          }
          if (session.leaveAt() == second && session.leaveAt() > session.connectAt()) {
            op.beebotte.disconnect(c -> c == session.connection());
          }
        }
        boolean changed = false;
        for (PolicyPlan p : s.policies()) {
          if (second == 0) {
            op.apply(policy(p.name(), p.spec()));
            current.put(p.name(), p.spec());
            changed = true;
          } else if (second == p.changeAt() && current.containsKey(p.name())) {
            op.apply(policy(p.name(), p.changedSpec()));
            current.put(p.name(), p.changedSpec());
            changed = true;
          }
          if (second == p.deleteAt() && current.containsKey(p.name())) {
            op.delete(p.name());
            current.remove(p.name());
            changed = true;
          }
        }
        if (changed) {
          specs.put(op.beebotte.closed().size(), Map.copyOf(current));
        }
        op.run(Duration.ofSeconds(1), STEP);
      }
      return new Run(
          op.statuses(),
          op.events(),
          log.lines(),
          op.meters.scrape(),
          op.beebotte.calls(),
          op.beebotte.closed(),
          specs);
    } finally {
      op.close();
    }
  }

  static ConnectionPolicy policy(String name, String spec) {
    return Serialization.unmarshal(
        """
        apiVersion: beebotte.io/v1alpha1
        kind: ConnectionPolicy
        metadata: {name: %s}
        spec:
          credentialsRef: {name: beebotte}
        %s"""
            .formatted(name, spec.indent(2)),
        ConnectionPolicy.class);
  }
}
