package io.cpol.reconciler;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.NAMESPACE;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.sim.DropEvent;
import io.cpol.sim.RecordedCall;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A bounded randomized soak of the account engine: five policies on one account (one a dry run),
 * sessions connecting, reconnecting from other addresses and leaving all the time, faults on
 * listings and drops, the Secret touched during passes. Checked against the simulator's drop log:
 * nothing no enforcing policy denies is ever closed, nothing denied is left once the faults stop,
 * and every policy's {@code dropped} equals the drops counted for it, never going backwards.
 */
class EngineSoakTest {
  static final long SEED = 20261201L;

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
   * nothing allowed is ever closed, nothing denied is left once the faults stop, and counts never
   * go backwards.
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
    try (OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      Churn churn = new Churn(h, new Random(random.nextLong()), countsExact ? enforcing : null);
      for (int i = 0; i < 300; i++) {
        churn.step();
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
      Map<String, Long> attributed = new LinkedHashMap<>();
      enforcing.keySet().forEach(name -> attributed.put(name, 0L));
      List<DropEvent> wrongful = new ArrayList<>();
      List<DropEvent> raced = new ArrayList<>();
      for (DropEvent drop : drops) {
        String owner = policyOf(drop.connection().userid());
        boolean denied =
            owner != null && enforcing.get(owner).evaluate(drop.connection(), drop.time()).denied();
        if (owner != null) {
          attributed.merge(owner, 1L, Long::sum);
        }
        if (!denied) {
          if (churn.reconnectedDuringVerify(h.simulator().requests(), drop)) {
            raced.add(drop);
          } else {
            wrongful.add(drop);
          }
        }
      }
      // Sessions that had left when their call landed: counted (the call was made for them), not
      // closed. Only userids used once leave while denied, so a missed call naming one is for it.
      Map<String, Long> alreadyLeft = new LinkedHashMap<>();
      enforcing.keySet().forEach(name -> alreadyLeft.put(name, 0L));
      java.util.Set<String> missedUserids = new java.util.HashSet<>();
      h.simulator().missedDrops().forEach(m -> missedUserids.add(m.userid()));
      for (Connection left : churn.leftWhileDenied) {
        if (missedUserids.contains(left.userid())) {
          alreadyLeft.merge(policyOf(left.userid()), 1L, Long::sum);
        }
      }
      Map<String, Long> expected = new LinkedHashMap<>();
      attributed.forEach((name, closed) -> expected.put(name, closed + alreadyLeft.get(name)));
      // The counts the operator wrote catch up with the drop log.
      try {
        if (countsExact) {
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> expected.equals(statusCounts(h, enforcing.keySet())));
        }
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        System.out.println(
            "dropped by policy "
                + statusCounts(h, enforcing.keySet())
                + ", closed (drop log) "
                + attributed
                + ", already left "
                + alreadyLeft);
        throw e;
      } finally {
        running.set(false);
        watcher.join();
      }

      long calls =
          h.simulator().requests().stream()
              .filter(c -> c.endpoint() == RecordedCall.EndpointKind.DROP && c.status() == 200)
              .count();
      System.out.printf(
          "engine soak (%s, seed %d, %d s of chaos): %d faults injected, %d churn steps,"
              + " %d drop calls answered 200, %d sessions dropped, wrongful %d,"
              + " closed in the MQTT verify window %d, denied left after %d ms: %d,"
              + " dropped by policy %s (drop log %s, already left %s: sum %d = %d + %d),"
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
          attributed,
          alreadyLeft,
          statusCounts(h, enforcing.keySet()).values().stream().mapToLong(Long::longValue).sum(),
          attributed.values().stream().mapToLong(Long::longValue).sum(),
          alreadyLeft.values().stream().mapToLong(Long::longValue).sum(),
          dropped(h, "d-dry"));

      assertThat(wrongful).as("sessions closed that no enforcing policy denies").isEmpty();
      assertThat(drops)
          .as("nothing outside the policies' prefixes")
          .allMatch(d -> policyOf(d.connection().userid()) != null);
      assertThat(dropped(h, "d-dry")).isZero();
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

    /** Denied sessions (of userids used once) that left by themselves. */
    final List<Connection> leftWhileDenied = new CopyOnWriteArrayList<>();

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

    private void leave(Connection c) {
      boolean wasDenied = spare != null && denied(c);
      if (h.simulator().removeConnection(c.userid(), c.sid()) && wasDenied) {
        leftWhileDenied.add(c);
      }
    }

    void step() {
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
        Connection arriving =
            new Connection(
                userid,
                "sio-" + sids.incrementAndGet(),
                "socketio",
                userid,
                ip,
                null,
                username,
                List.of());
        if (mayAppear(arriving)) {
          h.simulator().addConnection(arriving);
        }
      } else if (op < 7) {
        Connection arriving =
            new Connection(userid, userid, "mqtt", userid, ip, null, null, List.of());
        String u = userid;
        Connection current =
            h.simulator().connections().stream()
                .filter(c -> u.equals(c.userid()) && "mqtt".equals(c.protocol()))
                .findFirst()
                .orElse(null);
        if ((current == null || mayLeave(current))
            && (spare == null || !denied(arriving) || current == null && !hasSessions(u))) {
          boolean replaced = h.simulator().removeConnection(userid, userid);
          if (replaced) {
            mqttReconnects
                .computeIfAbsent(userid, k -> new CopyOnWriteArrayList<>())
                .add(Instant.now());
          }
          h.simulator().addConnection(arriving);
        }
      } else {
        List<Connection> all = h.simulator().connections();
        if (!all.isEmpty()) {
          Connection leaving = all.get(random.nextInt(all.size()));
          if (mayLeave(leaving)) {
            leave(leaving);
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
