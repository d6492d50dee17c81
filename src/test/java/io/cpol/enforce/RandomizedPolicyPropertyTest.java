package io.cpol.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Protocol;
import io.cpol.beebotte.Subscription;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionSelector;
import io.cpol.policy.DenyRule;
import io.cpol.policy.SecretReference;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Random accounts and policies (fixed seeds, so failures replay): the indexed evaluation agrees
 * with a naive reference, for one policy and for an account's policies evaluated together, and
 * every joint drop plan stays within budgets and never holds a call that could close a session no
 * dropping policy denies, including sessions that connect after the listing.
 */
class RandomizedPolicyPropertyTest {
  static final int ITERATIONS = 500;
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  static final Comparator<Connection> PLAN_ORDER =
      Comparator.comparing(Connection::userid).thenComparing(Connection::sid);

  static final List<String> CHANNELS = List.of("billing", "audit", "telemetry", "ch.1", "ch*");
  static final List<String> USERNAMES = List.of("mallory", "alice", "bob", "m?x");
  static final List<String> CIDRS =
      List.of(
          "10.0.0.0/16",
          "10.0.1.0/24",
          "10.0.2.0/24",
          "10.0.1.128/25",
          "203.0.113.0/25",
          "203.0.113.77/32",
          "10.0.0.0/8",
          "0.0.0.0/0",
          "2001:db8::/32",
          "2001:db8:1::/48",
          "2001:db8:2::8000/113",
          "::ffff:10.0.0.0/112",
          "::ffff:203.0.113.0/120",
          "::/0");

  @Test
  void indexedEvaluationAgreesWithTheReference() {
    for (int seed = 0; seed < ITERATIONS; seed++) {
      checkWorld(seed);
    }
  }

  private static void checkWorld(int seed) {
    Random random = new Random(seed);
    World world = World.generate(random);
    CompiledPolicy policy;
    try {
      policy = CompiledPolicy.compile(world.spec);
    } catch (InvalidSpecException e) {
      throw new AssertionError("seed " + seed + ": generated spec refused: " + e.getMessage(), e);
    }

    Evaluation evaluation = PolicyEvaluation.evaluate(policy, world.connections, NOW);
    List<Connection> denied = new ArrayList<>();
    for (int i = 0; i < world.connections.size(); i++) {
      Connection c = world.connections.get(i);
      Verdict expected = referenceVerdict(world.spec, c);
      assertThat(policy.evaluate(c, NOW)).as("seed %d: verdict on %s", seed, c).isEqualTo(expected);
      assertThat(evaluation.verdicts().get(i))
          .as("seed %d: listing verdict", seed)
          .isEqualTo(expected);
      if (expected.denied()) {
        denied.add(c);
      }
    }
    assertThat(evaluation.denied().stream().map(DeniedConnection::connection).toList())
        .as("seed %d", seed)
        .isEqualTo(denied);
  }

  /**
   * What makes a wide drop call safe, {@link CompiledPolicy#deniesEverySessionOf}, found through
   * the {@link CoverageIndex}, is what asking every deny rule finds: for listed and unlisted
   * userids, every protocol, now and after rules' {@code until}.
   */
  @Test
  void wideCallCoverageThroughTheIndexIsTheScanOfEveryRule() {
    int covered = 0;
    int asked = 0;
    for (int seed = 0; seed < ITERATIONS; seed++) {
      Random random = new Random(2_000_000 + seed);
      World world = World.generate(random);
      CompiledPolicy policy;
      try {
        policy = CompiledPolicy.compile(world.spec);
      } catch (InvalidSpecException e) {
        throw new AssertionError("seed " + seed + ": generated spec refused", e);
      }
      Set<String> userids = new LinkedHashSet<>();
      world.connections.forEach(c -> userids.add(c.userid()));
      for (int k = 0; k < 5; k++) {
        userids.add(World.userid(random));
      }
      RuleSet deny = policy.denyRules();
      for (String userid : userids) {
        for (Protocol protocol : new Protocol[] {null, Protocol.mqtt, Protocol.socketio}) {
          for (Instant at : List.of(NOW, NOW.plus(DropPlanner.COVERAGE_MARGIN))) {
            boolean scan = false;
            for (int r = 0; r < deny.size(); r++) {
              scan |= deny.rule(r).matchesEverySessionOf(userid, protocol, at);
            }
            boolean expected =
                scan && !policy.allowRules().anyCouldMatchSomeSessionOf(userid, protocol, at);
            assertThat(policy.deniesEverySessionOf(userid, protocol, at))
                .as("seed %d: %s on %s at %s", seed, userid, protocol, at)
                .isEqualTo(expected);
            asked++;
            covered += expected ? 1 : 0;
          }
        }
      }
    }
    // Both answers occur often: the comparison is not vacuous.
    assertThat(covered).isGreaterThan(asked / 50);
    assertThat(asked - covered).isGreaterThan(asked / 2);
  }

  /**
   * Random accounts with several policies (enforcing, dry-run, some not due), random budgets: the
   * account evaluation gives every policy exactly its own verdicts, and the joint plan keeps its
   * promises, against the listing and against sessions that connect after it.
   */
  @Test
  void accountPassesKeepEveryPolicysVerdictsAndNeverPlanAnUnsafeCall() {
    Map<String, Integer> kinds = new java.util.TreeMap<>();
    for (int seed = 0; seed < ACCOUNT_ITERATIONS; seed++) {
      for (PlannedDrop call : checkAccount(seed).calls()) {
        String kind =
            call.target().sid() == null
                ? (call.target().protocol() == null ? "userid" : "userid+protocol")
                : call.verifyFirst() ? "session (verify first)" : "session";
        kinds.merge(kind, 1, Integer::sum);
      }
    }
    System.out.println(
        "account plans, calls by kind over " + ACCOUNT_ITERATIONS + " seeds: " + kinds);
    // Every kind of call was exercised: the property is not vacuous.
    assertThat(kinds.keySet())
        .containsExactlyInAnyOrder(
            "userid", "userid+protocol", "session", "session (verify first)");
  }

  static final int ACCOUNT_ITERATIONS = 1000;

  private static DropPlan checkAccount(int seed) {
    Random random = new Random(1_000_000 + seed);
    World world = World.generate(random);
    List<ConnectionPolicySpec> specs = new ArrayList<>(List.of(world.spec));
    for (int extra = random.nextInt(5); extra > 0; extra--) {
      specs.add(World.generate(random, world.connections).spec);
    }
    List<CompiledPolicy> compiled = new ArrayList<>();
    for (ConnectionPolicySpec spec : specs) {
      try {
        compiled.add(CompiledPolicy.compile(spec));
      } catch (InvalidSpecException e) {
        throw new AssertionError("seed " + seed + ": generated spec refused", e);
      }
    }
    int n = compiled.size();
    boolean[] skipped = new boolean[n];
    boolean[] dryRun = new boolean[n];
    int[] budget = new int[n];
    for (int p = 0; p < n; p++) {
      skipped[p] = random.nextInt(6) == 0;
      dryRun[p] = random.nextInt(4) == 0;
      budget[p] = random.nextInt(3) == 0 ? 1000 : random.nextInt(8);
    }
    AccountPolicies policies = new AccountPolicies(compiled);
    AccountEvaluation evaluation = policies.evaluate(world.connections, NOW, skipped);

    for (int p = 0; p < n; p++) {
      Evaluation alone = PolicyEvaluation.evaluate(compiled.get(p), world.connections, NOW);
      for (int i = 0; i < world.connections.size(); i++) {
        Verdict expected =
            skipped[p]
                ? Verdict.NOT_DENIED
                : referenceVerdict(specs.get(p), world.connections.get(i));
        assertThat(evaluation.verdict(p, i))
            .as("seed %d: policy %d on %s", seed, p, world.connections.get(i))
            .isEqualTo(expected);
        if (!skipped[p]) {
          assertThat(alone.verdicts().get(i)).as("seed %d: reference", seed).isEqualTo(expected);
        }
      }
      if (!skipped[p]) {
        assertThat(evaluation.forPolicy(p).denied()).as("seed %d", seed).isEqualTo(alone.denied());
      }
    }

    List<DropPlanner.Participant> participants = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      if (!skipped[p] && !dryRun[p]) {
        participants.add(new DropPlanner.Participant(p, budget[p]));
      }
    }
    DropPlan plan = DropPlanner.plan(evaluation, participants, NOW);
    checkAccountPlan(
        seed, random, world.connections, specs, compiled, evaluation, participants, plan);
    return plan;
  }

  private static void checkAccountPlan(
      int seed,
      Random random,
      List<Connection> observed,
      List<ConnectionPolicySpec> specs,
      List<CompiledPolicy> compiled,
      AccountEvaluation evaluation,
      List<DropPlanner.Participant> participants,
      DropPlan plan) {
    Map<Integer, Integer> budgets = new java.util.HashMap<>();
    participants.forEach(pt -> budgets.put(pt.policy(), pt.budget()));
    Set<Connection> closed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (PlannedDrop call : plan.calls()) {
      assertThat(budgets)
          .as("seed %d: %s is made for a participant", seed, call)
          .containsKey(call.policy());
      ConnectionPolicySpec spec = specs.get(call.policy());
      // The observed connections the call would close are exactly the ones it names, all denied by
      // its policy, none closed twice.
      List<Connection> covered = observed.stream().filter(c -> call.target().covers(c)).toList();
      assertThat(covered)
          .as("seed %d: %s closes", seed, call.target())
          .containsExactlyInAnyOrderElementsOf(call.closes());
      for (Connection c : call.closes()) {
        assertThat(referenceVerdict(spec, c).denied())
            .as("seed %d: %s closes %s", seed, call.target(), c)
            .isTrue();
        assertThat(closed.add(c)).as("seed %d: %s closed twice", seed, c).isTrue();
      }
      // Sessions that connect after the listing: whatever the call can reach, its policy denies.
      for (int k = 0; k < 25; k++) {
        Connection later = World.sessionIn(random, call.target(), observed);
        if (later == null) {
          break;
        }
        boolean reached = call.target().covers(later);
        if (reached && call.verifyFirst()) {
          // Re-listed and evaluated right before the call: made only if still denied.
          continue;
        }
        if (reached) {
          assertThat(referenceVerdict(spec, later).denied())
              .as("seed %d: %s would close a later session %s", seed, call.target(), later)
              .isTrue();
        }
      }
    }
    for (DropPlanner.Participant pt : participants) {
      int p = pt.policy();
      assertThat(plan.planned()[p])
          .as("seed %d: budget of %d", seed, p)
          .isLessThanOrEqualTo(pt.budget());
      int deniedNotClosed = 0;
      for (int i : evaluation.denied(p)) {
        if (!closed.contains(observed.get(i))) {
          deniedNotClosed++;
        }
      }
      assertThat(plan.deferred()[p] + plan.undroppable()[p])
          .as(
              "seed %d: policy %d's denied connections are closed, deferred or undroppable",
              seed, p)
          .isEqualTo(deniedNotClosed);
      // What a policy pays for is a prefix by userid: nothing after the first userid it deferred.
      String firstDeferred = null;
      for (Connection c : observed.stream().sorted(PLAN_ORDER).toList()) {
        int i = observed.indexOf(c);
        if (evaluation.denies(p, i)
            && !closed.contains(c)
            && c.userid() != null
            && c.sid() != null) {
          firstDeferred =
              firstDeferred == null || c.userid().compareTo(firstDeferred) < 0
                  ? c.userid()
                  : firstDeferred;
        }
      }
      if (firstDeferred != null && plan.deferred()[p] > 0) {
        String cut = firstDeferred;
        assertThat(plan.calls())
            .as("seed %d: policy %d pays after deferring %s", seed, p, cut)
            .noneMatch(call -> call.policy() == p && call.target().userid().compareTo(cut) > 0);
      }
    }
  }

  // ---- The reference: a linear scan, regexes for globs, InetAddress for addresses. ----

  static Verdict referenceVerdict(ConnectionPolicySpec spec, Connection c) {
    for (int i = 0; i < spec.getDeny().size(); i++) {
      if (referenceMatches(spec.getDeny().get(i), c)) {
        List<ConnectionSelector> allow = spec.getAllow() == null ? List.of() : spec.getAllow();
        for (int j = 0; j < allow.size(); j++) {
          if (referenceMatches(allow.get(j), c)) {
            return new Verdict(false, "allow[" + j + "]");
          }
        }
        return new Verdict(true, "deny[" + i + "]");
      }
    }
    return Verdict.NOT_DENIED;
  }

  static boolean referenceMatches(ConnectionSelector rule, Connection c) {
    if (rule instanceof DenyRule deny
        && deny.getUntil() != null
        && !NOW.isBefore(OffsetDateTime.parse(deny.getUntil()).toInstant())) {
      return false;
    }
    if (rule.getUserids() != null && !has(rule.getUserids(), c.userid())) {
      return false;
    }
    if (rule.getUseridPatterns() != null
        && rule.getUseridPatterns().stream()
            .noneMatch(p -> c.userid() != null && globRegex(p).matcher(c.userid()).matches())) {
      return false;
    }
    if (rule.getSids() != null && !has(rule.getSids(), c.sid())) {
      return false;
    }
    if (rule.getUsernames() != null && !has(rule.getUsernames(), c.username())) {
      return false;
    }
    if (rule.getChannels() != null
        && c.subscriptions().stream().noneMatch(s -> has(rule.getChannels(), s.channel()))) {
      return false;
    }
    if (rule.getClientCIDRs() != null
        && rule.getClientCIDRs().stream().noneMatch(cidr -> cidrContains(cidr, c.clientip()))) {
      return false;
    }
    return rule.getProtocols() == null
        || rule.getProtocols().stream().anyMatch(p -> p.wireName().equals(c.protocol()));
  }

  /** List.copyOf lists refuse contains(null); a missing value matches nothing. */
  static boolean has(List<String> values, String value) {
    return value != null && values.contains(value);
  }

  static Pattern globRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    glob.codePoints()
        .forEach(
            cp -> {
              if (cp == '*') {
                regex.append(".*");
              } else if (cp == '?') {
                regex.append('.');
              } else {
                regex.append(Pattern.quote(new String(Character.toChars(cp))));
              }
            });
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  static boolean cidrContains(String cidr, String clientip) {
    InetAddress client = literalAddress(clientip);
    String[] parts = cidr.split("/");
    InetAddress network = literalAddress(parts[0]);
    int prefix = Integer.parseInt(parts[1]);
    if (client == null || network == null) {
      return false;
    }
    if (parts[0].contains(":") && network instanceof Inet4Address) {
      // InetAddress unmaps ::ffff:a.b.c.d; the generator only writes such ranges with prefix >= 96.
      prefix -= 96;
    }
    if (client.getClass() != network.getClass()) {
      return false;
    }
    int bits = client.getAddress().length * 8;
    BigInteger mask =
        BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(prefix).not();
    return new BigInteger(1, client.getAddress())
        .and(mask)
        .equals(new BigInteger(1, network.getAddress()).and(mask));
  }

  /** Only literal addresses reach InetAddress, so the reference never looks up a name. */
  static InetAddress literalAddress(String text) {
    if (text == null
        || !(text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
            || text.matches("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*"))) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  // ---- Generation ----

  /** One random account listing and policy. */
  record World(List<Connection> connections, ConnectionPolicySpec spec) {
    /** Another policy over the same connections. */
    static World generate(Random random, List<Connection> connections) {
      List<String> userids =
          connections.stream().map(Connection::userid).distinct().collect(Collectors.toList());
      if (userids.isEmpty()) {
        userids.add(userid(random));
      }
      List<String> sids = connections.stream().map(Connection::sid).toList();
      return new World(connections, policy(random, userids, sids));
    }

    /**
     * A session that could connect after the listing inside a call's target, with random
     * attributes: any protocol for a userid-wide call, the call's protocol otherwise, the call's
     * sid for a per-session call (on MQTT the sid is the userid). Null when no new session can
     * exist there: a Socket.IO sid is never reused.
     */
    static Connection sessionIn(Random random, DropTarget target, List<Connection> observed) {
      String userid = target.userid();
      String protocol =
          target.protocol() != null
              ? target.protocol().wireName()
              : switch (random.nextInt(5)) {
                case 0, 1 -> "mqtt";
                case 2, 3 -> "socketio";
                default -> "coap";
              };
      String ip = clientip(random);
      if (protocol.equals("mqtt")) {
        if (target.sid() != null && !target.sid().equals(userid)) {
          return null;
        }
        return new Connection(userid, userid, "mqtt", userid, ip, "acct", null, List.of());
      }
      if (target.sid() != null) {
        return null;
      }
      String sid =
          random.nextBoolean() || observed.isEmpty()
              ? "later-" + random.nextInt(1000)
              : observed.get(random.nextInt(observed.size())).sid();
      String username = random.nextInt(3) == 0 ? null : pick(random, USERNAMES);
      List<Subscription> subscriptions =
          times(
              random,
              random.nextInt(4),
              () -> new Subscription(pick(random, CHANNELS), "r", true, false));
      return new Connection(userid, sid, protocol, userid, ip, "acct", username, subscriptions);
    }

    static World generate(Random random) {
      List<String> userids =
          new ArrayList<>(
              new LinkedHashSet<>(times(random, 1 + random.nextInt(20), () -> userid(random))));
      List<Connection> connections = new ArrayList<>();
      Set<String> withMqtt = new HashSet<>();
      int count = random.nextInt(60);
      for (int i = 0; i < count; i++) {
        String userid = pick(random, userids);
        String ip = clientip(random);
        if (random.nextInt(3) == 0 && withMqtt.add(userid)) {
          connections.add(
              new Connection(userid, userid, "mqtt", userid, ip, "acct", null, List.of()));
        } else {
          String username = random.nextInt(3) == 0 ? null : pick(random, USERNAMES);
          List<Subscription> subscriptions =
              times(
                  random,
                  random.nextInt(4),
                  () -> new Subscription(pick(random, CHANNELS), "r", true, false));
          connections.add(
              new Connection(
                  userid, "sid-" + i, "socketio", userid, ip, "acct", username, subscriptions));
        }
      }
      List<String> sids = connections.stream().map(Connection::sid).toList();
      return new World(connections, policy(random, userids, sids));
    }

    private static ConnectionPolicySpec policy(
        Random random, List<String> userids, List<String> sids) {
      ConnectionPolicySpec spec = new ConnectionPolicySpec();
      spec.setCredentialsRef(new SecretReference("acct"));
      List<DenyRule> deny = new ArrayList<>();
      for (int i = 1 + random.nextInt(8); i > 0; i--) {
        DenyRule rule = new DenyRule();
        fill(rule, random, userids, sids);
        int until = random.nextInt(5);
        if (until == 0) {
          rule.setUntil("2026-11-26T09:59:59Z");
        } else if (until == 1) {
          rule.setUntil("2026-11-26T11:00:00+01:00");
        } else if (until == 2) {
          rule.setUntil("2026-11-26T10:00:00.000000001Z");
        }
        deny.add(rule);
      }
      spec.setDeny(deny);
      if (random.nextBoolean()) {
        List<ConnectionSelector> allow = new ArrayList<>();
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
          ConnectionSelector rule = new ConnectionSelector();
          fill(rule, random, userids, sids);
          allow.add(rule);
        }
        spec.setAllow(allow);
      }
      return spec;
    }

    private static void fill(
        ConnectionSelector rule, Random random, List<String> userids, List<String> sids) {
      boolean any = false;
      while (!any) {
        // Mostly one or two matchers per rule, sometimes more.
        if (random.nextInt(4) == 0) {
          rule.setUserids(
              distinct(
                  times(
                      random,
                      1 + random.nextInt(3),
                      () -> random.nextInt(6) == 0 ? "nobody" : pick(random, userids))));
          any = true;
        }
        if (random.nextInt(4) == 0) {
          rule.setUseridPatterns(
              distinct(
                  times(
                      random,
                      1 + random.nextInt(2),
                      () -> pattern(random, pick(random, userids)))));
          any = true;
        }
        if (random.nextInt(6) == 0 && !sids.isEmpty()) {
          rule.setSids(
              distinct(
                  times(
                      random,
                      1 + random.nextInt(3),
                      () -> random.nextInt(6) == 0 ? "nosuch" : pick(random, sids))));
          any = true;
        }
        if (random.nextInt(6) == 0) {
          rule.setUsernames(
              distinct(times(random, 1 + random.nextInt(2), () -> pick(random, USERNAMES))));
          any = true;
        }
        if (random.nextInt(6) == 0) {
          rule.setChannels(
              distinct(times(random, 1 + random.nextInt(2), () -> pick(random, CHANNELS))));
          any = true;
        }
        if (random.nextInt(5) == 0) {
          rule.setClientCIDRs(
              distinct(times(random, 1 + random.nextInt(2), () -> pick(random, CIDRS))));
          any = true;
        }
        if (random.nextInt(6) == 0) {
          rule.setProtocols(
              switch (random.nextInt(3)) {
                case 0 -> List.of(Protocol.mqtt);
                case 1 -> List.of(Protocol.socketio);
                default -> List.of(Protocol.socketio, Protocol.mqtt);
              });
          any = true;
        }
      }
    }

    static String userid(Random random) {
      return switch (random.nextInt(8)) {
        case 0, 1 -> "uid-" + random.nextInt(40);
        case 2 -> "contractor-" + random.nextInt(10);
        case 3 -> "dev-" + (char) ('a' + random.nextInt(4));
        case 4 -> "a.b" + random.nextInt(3);
        case 5 -> "x+y(" + random.nextInt(3) + ")";
        case 6 -> "\u00fc-" + random.nextInt(3) + "-tmp";
        default -> "tmp-" + random.nextInt(4) + "-tmp";
      };
    }

    /** A glob derived from a userid so that it often, but not always, matches. */
    private static String pattern(Random random, String userid) {
      int cut = random.nextInt(userid.length() + 1);
      return switch (random.nextInt(9)) {
        case 0 -> userid.substring(0, cut) + "*";
        case 1 -> "*" + userid.substring(cut);
        case 2 ->
            userid.isEmpty()
                ? "?"
                : userid.substring(0, Math.min(cut, userid.length() - 1))
                    + "?"
                    + userid.substring(Math.min(cut, userid.length() - 1) + 1);
        case 3 -> "*";
        case 4 ->
            userid.substring(0, cut) + "*" + userid.substring(Math.min(userid.length(), cut + 1));
        case 5 -> userid;
        case 6 -> "*" + userid.substring(cut, Math.max(cut, userid.length() - 1)) + "*";
        case 7 -> userid.substring(0, cut) + "?*";
        default -> "zz*" + userid.substring(cut);
      };
    }

    private static String clientip(Random random) {
      return switch (random.nextInt(9)) {
        case 0, 1 -> "::ffff:10.0." + random.nextInt(3) + "." + random.nextInt(256);
        case 2 -> "10.0." + random.nextInt(3) + "." + random.nextInt(256);
        case 3 -> "203.0.113." + random.nextInt(256);
        case 4 -> "::ffff:cb00:71" + Integer.toHexString(0x10 + random.nextInt(0xf0));
        case 5 ->
            "2001:db8:"
                + Integer.toHexString(random.nextInt(3))
                + "::"
                + Integer.toHexString(random.nextInt(0x10000));
        case 6 -> "garbage";
        case 7 -> "";
        default -> null;
      };
    }

    private static <T> List<T> times(Random random, int n, Supplier<T> supplier) {
      List<T> values = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        values.add(supplier.get());
      }
      return values;
    }

    private static <T> List<T> distinct(List<T> values) {
      return List.copyOf(new LinkedHashSet<>(values));
    }

    private static <T> T pick(Random random, List<T> values) {
      return values.get(random.nextInt(values.size()));
    }
  }
}
