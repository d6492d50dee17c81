package io.cpol.reconciler;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.DropRecord;
import io.cpol.sim.DropEvent;
import io.cpol.sim.MissedDrop;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A bounded randomized soak of the account engine: five policies on one account (one a dry run),
 * sessions connecting, reconnecting from other addresses and leaving all the time, faults on
 * listings and drops, the Secret touched during passes. Checked against the simulator's drop log:
 * nothing no enforcing policy denies is ever closed, nothing denied is left once the faults stop,
 * counts never go backwards, and every policy's {@code dropped} is exactly the sessions closed for
 * it plus those that had already left when their call landed, each counted once ({@link
 * Accounting}, call by call against the operator's own account of each count).
 */
class EngineSoakTest {
  static final long SEED = Long.getLong("engineSoak.seed", 20261201L);

  /** The policies; their userid prefixes are disjoint, so each drop belongs to exactly one. */
  static final Map<String, String> POLICIES = new LinkedHashMap<>();

  static {
    POLICIES.put(
        "a-sockets",
        "interval: 2s\nmaxDropsPerSync: 50\n"
            + "deny:\n- {useridPatterns: [\"ca-*\"], protocols: [socketio]}");
    POLICIES.put(
        "b-range",
        "interval: 3s\n"
            + "deny:\n- {useridPatterns: [\"cb-*\"], clientCIDRs: [\"203.0.113.0/24\"]}\n"
            + "allow:\n- {usernames: [admin]}");
    POLICIES.put(
        "c-users",
        "interval: 2s\nmaxDropsPerSync: 8\n"
            + "deny:\n- {userids: [cc-0, cc-1, cc-2, cc-3, cc-4, cc-5, cc-6, cc-7, cc-8, cc-9]}");
    POLICIES.put("d-dry", "interval: 2s\nenforcement: DryRun\ndeny:\n- {useridPatterns: [\"*\"]}");
    POLICIES.put(
        "e-sockets-only",
        "interval: 2s\ndeny:\n- {useridPatterns: [\"ce-*\"]}\nallow:\n- {protocols: [mqtt]}");
  }

  static final List<String> PREFIXES = List.of("ca", "cb", "cc", "ce", "other");

  /**
   * Any session may connect, leave or reconnect from another address at any time, denied or not:
   * nothing allowed is ever closed, nothing denied is left once the faults stop, counts never go
   * backwards, and {@code dropped} = closed + already left, exactly, by policy. Here a userid-wide
   * call also closes sessions that connected after its listing (not counted: Beebotte's answer does
   * not say what a call closed) and misses listed ones that left meanwhile while it closes the rest
   * (counted, already left, though the simulator logs no missed drop): so sum(dropped) and the drop
   * log differ by a few either way, and only the call-by-call accounting can say that no session
   * was counted twice.
   */
  @Test
  void underFullChurnNothingAllowedIsEverClosed() throws Exception {
    soak(Duration.ofSeconds(30), false);
  }

  /**
   * Churn under which the simulator can tell exactly what each call was made for (Beebotte answers
   * 2xx whether a drop closed the listed session, one that connected since, or nothing): a denied
   * session appears only for a userid with no session, and the only denied sessions that leave by
   * themselves are of userids used once. Every policy's {@code dropped} is then exactly the
   * sessions the drop log shows closed for it plus those that had left when their call landed (the
   * simulator's missed drops), whether the pass or the reconnect watch dropped them: a session is
   * counted once.
   */
  @Test
  void underChurnOfOtherIdentitiesEveryDropIsCountedExactlyOnce() throws Exception {
    soak(Duration.ofSeconds(Long.getLong("engineSoak.seconds", 20)), true);
  }

  private void soak(Duration chaosFor, boolean countsExact) throws Exception {
    Random random = new Random(SEED + (countsExact ? 1 : 0));
    Map<String, CompiledPolicy> enforcing = new LinkedHashMap<>();
    POLICIES.forEach(
        (name, spec) -> {
          if (!spec.contains("DryRun")) {
            enforcing.put(name, compile("credentialsRef: {name: beebotte-account}\n" + spec));
          }
        });
    try (CountedCalls counted = CountedCalls.capture();
        OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      Churn churn = new Churn(h, new Random(random.nextLong()), countsExact ? enforcing : null);
      for (int i = 0; i < 300; i++) {
        churn.step();
      }
      if (!countsExact) {
        churn.comeBackAfterDrops(new Random(random.nextLong()));
      }
      POLICIES.forEach(
          (name, spec) ->
              h.apply(
                  """
                  apiVersion: beebotte.io/v1alpha1
                  kind: ConnectionPolicy
                  metadata: {name: %s}
                  spec:
                    credentialsRef: {name: beebotte-account}
                  %s"""
                      .formatted(name, spec.indent(2))));

      Map<String, List<Long>> seen = new ConcurrentHashMap<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger faults = new AtomicInteger();
      Random faultRandom = new Random(random.nextLong());
      Thread chaos =
          new Thread(
              () -> {
                Instant end = Instant.now().plus(chaosFor);
                long nextFault = 0;
                long nextTouch = 0;
                while (Instant.now().isBefore(end)) {
                  churn.step();
                  long now = System.currentTimeMillis();
                  // Faults are consumed by the next requests; a new one only once the last is
                  // spent, as outages come and go in time rather than pile up.
                  if (now >= nextFault && h.simulator().faults().pending() == 0) {
                    injectFault(h, faultRandom);
                    faults.incrementAndGet();
                    nextFault = now + 1000 + faultRandom.nextInt(2000);
                  }
                  if (now >= nextTouch) {
                    touchSecret(h);
                    nextTouch = now + 700;
                  }
                  sleep(15);
                }
                h.simulator().faults().clear().latency(Duration.ZERO);
              });
      Thread watcher =
          new Thread(
              () -> {
                while (running.get()) {
                  for (String name : POLICIES.keySet()) {
                    ConnectionPolicy p = h.policy(name);
                    if (p != null && p.getStatus() != null && p.getStatus().getDropped() != null) {
                      seen.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>())
                          .add(p.getStatus().getDropped());
                    }
                  }
                  sleep(100);
                }
              });
      chaos.start();
      watcher.start();
      chaos.join();
      churn.stopComingBack();
      Instant quiet = Instant.now();

      // Two of the longest interval after the last fault (plus the account's back-off, at most a
      // few seconds after these faults), nothing denied is connected any more.
      try {
        await()
            .atMost(Duration.ofSeconds(6 + 8))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> deniedLeft(h, enforcing).isEmpty());
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        running.set(false);
        watcher.join();
        System.out.println("denied still connected: " + deniedLeft(h, enforcing));
        for (String name : POLICIES.keySet()) {
          System.out.println(name + ": " + h.policy(name).getStatus().getConditions());
        }
        throw e;
      }
      Duration converged = Duration.between(quiet, Instant.now());

      List<DropEvent> drops = h.simulator().drops();
      List<DropEvent> wrongful = new ArrayList<>();
      List<DropEvent> raced = new ArrayList<>();
      for (DropEvent drop : drops) {
        String owner = policyOf(drop.connection().userid());
        boolean denied =
            owner != null && enforcing.get(owner).evaluate(drop.connection(), drop.time()).denied();
        if (!denied) {
          if (churn.reconnectedDuringVerify(h.simulator().requests(), drop)) {
            raced.add(drop);
          } else {
            wrongful.add(drop);
          }
        }
      }
      // Every count, call by call, against what the simulator did: each session a call counted was
      // closed by a drop or had left by itself before the call (already left), and none is
      // counted twice. The status catches up with the counts first.
      Map<String, Long> logged = new LinkedHashMap<>();
      Accounting accounting;
      try {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> {
                  logged.clear();
                  logged.putAll(counted.byPolicy(enforcing.keySet()));
                  return logged.equals(statusCounts(h, enforcing.keySet()));
                });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        System.out.println(
            "dropped by policy " + statusCounts(h, enforcing.keySet()) + ", counted " + logged);
        throw e;
      } finally {
        running.set(false);
        watcher.join();
      }
      accounting =
          Accounting.of(counted.calls(), drops, h.simulator().missedDrops(), churn, enforcing);
      Map<String, Long> expected = new LinkedHashMap<>();
      enforcing
          .keySet()
          .forEach(
              name ->
                  expected.put(
                      name, accounting.closedCounted.get(name) + accounting.alreadyLeft.get(name)));
      long calls =
          h.simulator().requests().stream()
              .filter(c -> c.endpoint() == RecordedCall.EndpointKind.DROP && c.status() == 200)
              .count();
      long wholeLooks =
          h.simulator().requests().stream()
              .filter(c -> c.byReconnectWatch() && c.rawTarget().equals("/v1/connections"))
              .count();
      long identityLooks =
          h.simulator().requests().stream()
                  .filter(
                      c -> c.byReconnectWatch() && c.endpoint() == RecordedCall.EndpointKind.LIST)
                  .count()
              - wholeLooks;
      System.out.printf(
          "engine soak (%s): the reconnect watch looked at the whole account %d times, at one"
              + " identity %d times%n",
          countsExact ? "churn of other identities" : "full churn", wholeLooks, identityLooks);
      System.out.printf(
          "engine soak (%s, seed %d, %d s of chaos): %d faults injected, %d churn steps,"
              + " %d drop calls answered 200, %d sessions dropped, wrongful %d,"
              + " closed in the MQTT verify window %d, denied left after %d ms: %d,"
              + " dropped by policy %s (closed %s, already left %s: sum %d = %d + %d;"
              + " closed and never counted: %d, by calls no one counted: %d),"
              + " dry run dropped %s%n",
          countsExact ? "churn of other identities" : "full churn",
          SEED,
          chaosFor.toSeconds(),
          faults.get(),
          churn.steps.get(),
          calls,
          drops.size(),
          wrongful.size(),
          raced.size(),
          converged.toMillis(),
          deniedLeft(h, enforcing).size(),
          statusCounts(h, enforcing.keySet()),
          accounting.closedCounted,
          accounting.alreadyLeft,
          statusCounts(h, enforcing.keySet()).values().stream().mapToLong(Long::longValue).sum(),
          accounting.closedCounted.values().stream().mapToLong(Long::longValue).sum(),
          accounting.alreadyLeft.values().stream().mapToLong(Long::longValue).sum(),
          accounting.closedUncounted.size(),
          accounting.uncountedCalls,
          dropped(h, "d-dry"));
      accounting.problems.forEach(System.out::println);

      assertThat(wrongful).as("sessions closed that no enforcing policy denies").isEmpty();
      assertThat(drops)
          .as("nothing outside the policies' prefixes")
          .allMatch(d -> policyOf(d.connection().userid()) != null);
      assertThat(dropped(h, "d-dry")).isZero();
      assertThat(accounting.problems)
          .as("sessions counted twice, or counted neither closed nor gone")
          .isEmpty();
      assertThat(statusCounts(h, enforcing.keySet()))
          .as("dropped = closed + already left, by policy")
          .isEqualTo(expected);
      assertThat(accounting.uncountedCalls).as("drop calls answered 200 not counted").isZero();
      if (countsExact) {
        // No session appears for a userid while a call for it may be made: every call closes only
        // what it was made for.
        assertThat(accounting.closedUncounted).as("sessions closed, never counted").isEmpty();
      }
      assertThat(drops.size()).as("sessions dropped").isGreaterThan(100);
      seen.forEach(
          (name, values) -> assertThat(values).as("%s's dropped over time", name).isSorted());
    }
  }

  private static CompiledPolicy compile(String yaml) {
    try {
      return CompiledPolicy.compile(
          io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
              yaml, io.cpol.policy.ConnectionPolicySpec.class));
    } catch (io.cpol.enforce.InvalidSpecException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  private static String policyOf(String userid) {
    if (userid == null) {
      return null;
    }
    return switch (userid.substring(0, Math.min(3, userid.length()))) {
      case "ca-" -> "a-sockets";
      case "cb-" -> "b-range";
      case "cc-" -> "c-users";
      case "ce-" -> "e-sockets-only";
      default -> null;
    };
  }

  private static List<Connection> deniedLeft(
      OperatorHarness h, Map<String, CompiledPolicy> enforcing) {
    Instant now = Instant.now();
    return h.simulator().connections().stream()
        .filter(c -> enforcing.values().stream().anyMatch(p -> p.evaluate(c, now).denied()))
        .toList();
  }

  private static Long dropped(OperatorHarness h, String name) {
    ConnectionPolicy p = h.policy(name);
    return p == null || p.getStatus() == null || p.getStatus().getDropped() == null
        ? 0L
        : p.getStatus().getDropped();
  }

  private static Map<String, Long> statusCounts(OperatorHarness h, Iterable<String> names) {
    Map<String, Long> counts = new LinkedHashMap<>();
    names.forEach(n -> counts.put(n, dropped(h, n)));
    return counts;
  }

  private static void injectFault(OperatorHarness h, Random random) {
    var faults = h.simulator().faults();
    switch (random.nextInt(6)) {
      case 0 -> faults.failNext(2, 503);
      case 1 -> faults.rateLimitNext(1, Duration.ofSeconds(1));
      case 2 -> faults.resetNext(1);
      case 3 -> faults.malformedJsonNext(1);
      case 4 -> faults.failNext(3, 500);
      default -> faults.latency(random.nextBoolean() ? Duration.ofMillis(120) : Duration.ZERO);
    }
  }

  private static void touchSecret(OperatorHarness h) {
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The operator's own account of every drop call it counted ({@link AccountWatch}'s debug line:
   * the policy, the sessions counted, the call's target), captured while the soak runs.
   */
  static final class CountedCalls extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    record Call(long loggedAt, String policy, DropTarget target, List<DropRecord> drops) {}

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(AccountWatch.class);
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Level level = logger.getLevel();

    static CountedCalls capture() {
      CountedCalls capture = new CountedCalls();
      capture.setContext(capture.logger.getLoggerContext());
      capture.start();
      capture.logger.addAppender(capture);
      capture.logger.setLevel(Level.DEBUG);
      // The debug lines stay here; the rest goes on to the console as before.
      capture.logger.setAdditive(false);
      return capture;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void append(ILoggingEvent e) {
      Object[] args = e.getArgumentArray();
      if (e.getLevel() == Level.DEBUG && e.getMessage().contains("counted") && args != null) {
        calls.add(
            new Call(
                e.getTimeStamp(),
                ((PolicyRef) args[0]).name(),
                (DropTarget) args[2],
                (List<DropRecord>) args[1]));
      } else if (e.getLevel().isGreaterOrEqual(Level.INFO)) {
        root.callAppenders(e);
      }
    }

    List<Call> calls() {
      return List.copyOf(calls);
    }

    Map<String, Long> byPolicy(Iterable<String> names) {
      Map<String, Long> out = new LinkedHashMap<>();
      names.forEach(n -> out.put(n, 0L));
      calls.forEach(c -> out.merge(c.policy(), (long) c.drops().size(), Long::sum));
      return out;
    }

    @Override
    public void close() {
      logger.detachAppender(this);
      logger.setAdditive(true);
      logger.setLevel(level);
      stop();
    }
  }

  /**
   * Every count matched with what the simulator did. Each counted call is matched with the call
   * Beebotte answered (same target, the last one before the count); each session it counted is one
   * that call closed, or else the last session of that userid, sid and protocol connected before
   * the call arrived and gone by then: closed by another call (counted once, by this one) or left
   * by itself (already left). A session claimed by two counts is counted twice.
   */
  static final class Accounting {
    final Map<String, Long> closedCounted = new LinkedHashMap<>();
    final Map<String, Long> alreadyLeft = new LinkedHashMap<>();
    final List<Connection> closedUncounted = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    int uncountedCalls;

    private record Answered(Instant at, String rawTarget, List<Connection> closed) {}

    static Accounting of(
        List<CountedCalls.Call> counted,
        List<DropEvent> drops,
        List<MissedDrop> missed,
        Churn churn,
        Map<String, CompiledPolicy> enforcing) {
      Accounting a = new Accounting();
      enforcing.keySet().forEach(n -> a.closedCounted.put(n, 0L));
      enforcing.keySet().forEach(n -> a.alreadyLeft.put(n, 0L));
      Map<String, Answered> byCall = new LinkedHashMap<>();
      for (DropEvent d : drops) {
        byCall
            .computeIfAbsent(
                d.time() + " " + d.rawTarget(),
                k -> new Answered(d.time(), d.rawTarget(), new ArrayList<>()))
            .closed()
            .add(d.connection());
      }
      missed.forEach(
          m ->
              byCall.put(
                  m.time() + " " + m.rawTarget(),
                  new Answered(m.time(), m.rawTarget(), List.of())));
      Map<String, List<Answered>> byTarget = new LinkedHashMap<>();
      byCall.values().stream()
          .sorted(Comparator.comparing(Answered::at))
          .forEach(c -> byTarget.computeIfAbsent(c.rawTarget(), t -> new ArrayList<>()).add(c));
      Set<Answered> matched = Collections.newSetFromMap(new IdentityHashMap<>());
      Set<Connection> departed = new HashSet<>(churn.departed);
      List<Connection> ended = new ArrayList<>(churn.departed);
      drops.forEach(d -> ended.add(d.connection()));
      Set<Connection> claimed = new HashSet<>();

      List<CountedCalls.Call> ordered = new ArrayList<>(counted);
      ordered.sort(Comparator.comparingLong(CountedCalls.Call::loggedAt));
      for (CountedCalls.Call call : ordered) {
        String raw = rawTarget(call.target());
        Answered answer = null;
        for (Answered c : byTarget.getOrDefault(raw, List.of())) {
          if (c.at().toEpochMilli() <= call.loggedAt() && !matched.contains(c)) {
            answer = c;
          }
        }
        if (answer == null) {
          a.problems.add("counted a call Beebotte never answered: " + call);
          continue;
        }
        matched.add(answer);
        for (DropRecord d : call.drops()) {
          Connection session = closedBy(answer, d);
          if (session == null) {
            session = lastGoneBefore(answer, d, ended, churn.connectedBy);
          }
          if (session == null) {
            a.problems.add(
                "counted "
                    + describe(d)
                    + ", which that call did not close and which had not left before it: "
                    + answer);
          } else if (!claimed.add(session)) {
            a.problems.add("counted twice: " + session + ", again for " + answer);
          } else {
            (departed.contains(session) ? a.alreadyLeft : a.closedCounted)
                .merge(call.policy(), 1L, Long::sum);
          }
        }
      }
      drops.stream()
          .map(DropEvent::connection)
          .filter(c -> !claimed.contains(c))
          .forEach(a.closedUncounted::add);
      a.uncountedCalls = byCall.size() - matched.size();
      return a;
    }

    private static Connection closedBy(Answered answer, DropRecord d) {
      return answer.closed().stream().filter(c -> sameSession(c, d)).findFirst().orElse(null);
    }

    private static String describe(DropRecord d) {
      return d.getUserid() + " sid " + d.getSid() + " (" + d.getProtocol() + ")";
    }

    /**
     * The last session with the record's userid, sid and protocol connected before the call arrived
     * that the call did not close: the one the operator saw (sessions of one MQTT userid follow
     * each other, and one alive when the call ran would have been closed by it).
     */
    private static Connection lastGoneBefore(
        Answered answer, DropRecord d, List<Connection> ended, Map<String, Instant> connectedBy) {
      Connection last = null;
      Instant lastAt = null;
      for (Connection c : ended) {
        Instant at = connectedBy.get(c.clientid());
        if (sameSession(c, d)
            && !answer.closed().contains(c)
            && at != null
            && at.isBefore(answer.at())
            && (lastAt == null || at.isAfter(lastAt))) {
          last = c;
          lastAt = at;
        }
      }
      return last;
    }

    private static boolean sameSession(Connection c, DropRecord d) {
      return c.userid().equals(d.getUserid())
          && c.sid().equals(d.getSid())
          && c.protocol().equals(d.getProtocol());
    }

    /**
     * The request target of a drop call, as the client writes it (the soak's ids need no escaping).
     */
    private static String rawTarget(DropTarget t) {
      StringBuilder raw = new StringBuilder("/v1/connections/drop/").append(t.userid()).append('?');
      if (t.sid() != null) {
        raw.append("sid=").append(t.sid());
      }
      if (t.protocol() != null) {
        raw.append(t.sid() != null ? "&" : "").append("protocol=").append(t.protocol().wireName());
      }
      return raw.toString();
    }
  }

  /**
   * Devices connecting, leaving, and MQTT devices reconnecting (sometimes from another address), as
   * the simulator's clients would.
   */
  static final class Churn {
    private final OperatorHarness h;
    private final Random random;
    final AtomicInteger steps = new AtomicInteger();
    private final AtomicInteger sids = new AtomicInteger();

    /** When each MQTT userid's session was replaced by a new one. */
    private final Map<String, List<Instant>> mqttReconnects = new ConcurrentHashMap<>();

    /** Null for full churn; else the enforcing policies whose denied identities stay put. */
    private final Map<String, CompiledPolicy> spare;

    private final AtomicInteger fresh = new AtomicInteger();

    /** Sessions that left by themselves (a client disconnecting or reconnecting), in order. */
    final List<Connection> departed = new CopyOnWriteArrayList<>();

    /**
     * When each session had certainly connected, by its clientid (unique to each session: a
     * reconnecting MQTT device is a new session under the same userid and sid).
     */
    final Map<String, Instant> connectedBy = new ConcurrentHashMap<>();

    Churn(OperatorHarness h, Random random, Map<String, CompiledPolicy> spare) {
      this.h = h;
      this.random = random;
      this.spare = spare;
    }

    private boolean denied(Connection c) {
      Instant now = Instant.now();
      return spare.values().stream().anyMatch(p -> p.evaluate(c, now).denied());
    }

    private boolean hasSessions(String userid) {
      return h.simulator().connections().stream().anyMatch(c -> userid.equals(c.userid()));
    }

    /**
     * Under restricted churn a denied session may only appear for a userid with no session (so no
     * call for it can be in flight), and only allowed sessions leave or reconnect.
     */
    private boolean mayAppear(Connection c) {
      return spare == null || !denied(c) || !hasSessions(c.userid());
    }

    /**
     * Under restricted churn a denied session leaves by itself only if its userid is used once (it
     * never comes back, so a call made for it can close nothing else).
     */
    private boolean mayLeave(Connection c) {
      return spare == null || !denied(c) || usedOnce(c.userid());
    }

    private static boolean usedOnce(String userid) {
      return userid.chars().filter(ch -> ch == '-').count() == 2;
    }

    private ScheduledExecutorService comingBack;
    private Random backRandom;

    /**
     * From now on the devices of the first four userids of each prefix but c-users' come back after
     * every drop, each after its own delay (0.3 to 0.6 s, give or take 50 ms), from the same
     * address, as reconnecting clients do: the reconnect watch learns them and drops them beside
     * the passes. Not c-users' ({@code maxDropsPerSync: 8}): its budget would go to them sync after
     * sync, and the denied sessions it defers would outlast the wait for convergence.
     */
    synchronized void comeBackAfterDrops(Random random) {
      backRandom = random;
      comingBack = Executors.newSingleThreadScheduledExecutor();
      h.simulator()
          .onDrop(
              c -> {
                int n = Integer.parseInt(c.userid().substring(c.userid().indexOf('-') + 1));
                synchronized (this) {
                  if (comingBack != null && n < 4 && !c.userid().startsWith("cc-")) {
                    comingBack.schedule(
                        () -> back(c),
                        250 + 100 * n + backRandom.nextInt(100),
                        TimeUnit.MILLISECONDS);
                  }
                }
              });
    }

    synchronized void stopComingBack() {
      if (comingBack != null) {
        comingBack.shutdownNow();
        comingBack = null;
      }
    }

    private synchronized void back(Connection dropped) {
      String u = dropped.userid();
      int n = sids.incrementAndGet();
      if (!"mqtt".equals(dropped.protocol())) {
        arrive(
            new Connection(
                u,
                "sio-" + n,
                "socketio",
                u + "#" + n,
                dropped.clientip(),
                null,
                dropped.username(),
                List.of()));
      } else if (h.simulator().connections().stream()
          .noneMatch(c -> u.equals(c.userid()) && "mqtt".equals(c.protocol()))) {
        arrive(
            new Connection(u, u, "mqtt", u + "#" + n, dropped.clientip(), null, null, List.of()));
      }
    }

    private void arrive(Connection c) {
      h.simulator().addConnection(c);
      connectedBy.put(c.clientid(), Instant.now());
    }

    private boolean leave(String userid, String sid) {
      List<Connection> gone = h.simulator().disconnect(userid, sid);
      departed.addAll(gone);
      return !gone.isEmpty();
    }

    synchronized void step() {
      steps.incrementAndGet();
      String userid = PREFIXES.get(random.nextInt(PREFIXES.size())) + "-" + random.nextInt(12);
      String ip =
          random.nextBoolean()
              ? "::ffff:203.0.113." + random.nextInt(256)
              : "::ffff:198.51.100." + random.nextInt(256);
      int op = random.nextInt(10);
      if (spare != null && random.nextBoolean()) {
        // Denied sessions of identities that have none: fresh userids.
        userid = userid + "-" + fresh.incrementAndGet();
      }
      if (op < 4) {
        String username = random.nextInt(5) == 0 ? "admin" : random.nextBoolean() ? "bob" : null;
        int n = sids.incrementAndGet();
        Connection arriving =
            new Connection(
                userid, "sio-" + n, "socketio", userid + "#" + n, ip, null, username, List.of());
        if (mayAppear(arriving)) {
          arrive(arriving);
        }
      } else if (op < 7) {
        Connection arriving =
            new Connection(
                userid,
                userid,
                "mqtt",
                userid + "#" + sids.incrementAndGet(),
                ip,
                null,
                null,
                List.of());
        String u = userid;
        Connection current =
            h.simulator().connections().stream()
                .filter(c -> u.equals(c.userid()) && "mqtt".equals(c.protocol()))
                .findFirst()
                .orElse(null);
        if ((current == null || mayLeave(current))
            && (spare == null || !denied(arriving) || current == null && !hasSessions(u))) {
          boolean replaced = leave(userid, userid);
          if (replaced) {
            mqttReconnects
                .computeIfAbsent(userid, k -> new CopyOnWriteArrayList<>())
                .add(Instant.now());
          }
          arrive(arriving);
        }
      } else {
        List<Connection> all = h.simulator().connections();
        if (!all.isEmpty()) {
          Connection leaving = all.get(random.nextInt(all.size()));
          if (mayLeave(leaving)) {
            leave(leaving.userid(), leaving.sid());
          }
        }
      }
    }

    /**
     * Whether {@code drop} closed an MQTT session that replaced the denied one between the
     * operator's re-listing of that session and the drop call: the one window Beebotte's API leaves
     * open (an MQTT sid is its userid, so no call can name one session of it).
     */
    boolean reconnectedDuringVerify(List<RecordedCall> requests, DropEvent drop) {
      Connection c = drop.connection();
      if (!"mqtt".equals(c.protocol())) {
        return false;
      }
      String verify = "/v1/connections/" + c.userid() + "?sid=" + c.userid() + "&protocol=mqtt";
      Instant verified =
          requests.stream()
              .filter(r -> r.rawTarget().equals(verify) && !r.time().isAfter(drop.time()))
              .map(RecordedCall::time)
              .max(Instant::compareTo)
              .orElse(null);
      if (verified == null) {
        return false;
      }
      // The drop executes after the fault latency (at most 120 ms) past its arrival.
      Instant landed = drop.time().plusMillis(150);
      return mqttReconnects.getOrDefault(c.userid(), List.of()).stream()
          .anyMatch(t -> !t.isBefore(verified.minusMillis(150)) && !t.isAfter(landed));
    }
  }
}
