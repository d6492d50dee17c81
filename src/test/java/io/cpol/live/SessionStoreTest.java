package io.cpol.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import io.cpol.enforce.TestSpecs;
import io.cpol.testing.InlineExecutor;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SessionStoreTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final String ENDPOINT = "https://api.beebotte.com";
  private static final String DNS_SUBDOMAIN =
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

  private final SessionStore store =
      new SessionStore(Clock.fixed(T0, ZoneOffset.UTC), new InlineExecutor());
  private final Object engine = new Object();

  private static Connection mqtt(String userid, String sid) {
    return new Connection(userid, sid, "mqtt", userid, "::ffff:10.0.0.1", "acme", null, null);
  }

  private static Connection socketio(String userid, String sid) {
    return new Connection(
        userid,
        sid,
        "socketio",
        null,
        "203.0.113.9",
        "acme",
        "alice",
        List.of(new Subscription("telemetry", "temp", true, false)));
  }

  private static ListedPolicy policy(String namespace, String name, String yaml) {
    return new ListedPolicy(namespace, name, TestSpecs.compile(yaml));
  }

  private static final ListedPolicy REVOKE =
      policy("iot", "revoke-device", "deny: [{userids: [device-0042]}]");
  private static final ListedPolicy DRY =
      policy("iot", "dryrun-web", "enforcement: DryRun\ndeny: [{protocols: [socketio]}]");
  private static final ListedPolicy OTHER_NS =
      policy(
          "ops",
          "block-all-web",
          "deny: [{protocols: [socketio]}]\nallow: [{userids: [ops-admin]}]");

  private AccountListing listing(
      Instant at, List<Connection> connections, ListedPolicy... policies) {
    return new AccountListing(ENDPOINT, "acme", connections, at, List.of(policies));
  }

  private static List<Connection> reversed(List<Connection> connections) {
    List<Connection> out = new ArrayList<>(connections);
    java.util.Collections.reverse(out);
    return out;
  }

  private static Map<String, Session> withoutListingTime(Map<String, Session> sessions) {
    Map<String, Session> out = new LinkedHashMap<>();
    sessions.forEach(
        (k, s) ->
            out.put(
                k,
                new Session(
                    s.namespace(),
                    s.name(),
                    s.resourceVersion(),
                    s.firstSeen(),
                    s.connection(),
                    s.account(),
                    null,
                    s.decision(),
                    s.evaluations())));
    return out;
  }

  private List<Session> all(String namespace) {
    return store.list(SessionQuery.all(namespace), 0, null).items();
  }

  @Test
  void aNamespaceSeesTheSessionsOfItsPoliciesAccountsWithTheirVerdicts() {
    store.listed(
        engine,
        listing(
            T0,
            List.of(
                mqtt("device-0042", "s1"),
                mqtt("device-0001", "s2"),
                socketio("app-web-1", "AbC9xYz")),
            REVOKE,
            DRY,
            OTHER_NS));

    List<Session> iot = all("iot");
    assertThat(iot).hasSize(3);
    Map<String, Session> byUser = new LinkedHashMap<>();
    iot.forEach(s -> byUser.put(s.connection().userid(), s));
    assertThat(byUser.get("device-0042").decision())
        .isEqualTo(new PolicyVerdict("Denied", "revoke-device", "deny[0]"));
    assertThat(byUser.get("device-0042").labels())
        .containsEntry("verdict", "Denied")
        .containsEntry("policy", "revoke-device")
        .containsEntry("protocol", "mqtt");
    assertThat(byUser.get("app-web-1").decision())
        .isEqualTo(new PolicyVerdict("WouldDrop", "dryrun-web", "deny[0]"));
    assertThat(byUser.get("device-0001").decision()).isEqualTo(PolicyVerdict.NONE);
    assertThat(byUser.get("device-0001").labels()).doesNotContainKey("policy");
    // Every policy of the namespace is listed with its own verdict, in account order; none of
    // another namespace's.
    assertThat(byUser.get("app-web-1").evaluations())
        .containsExactly(
            new PolicyVerdict("Allowed", "revoke-device", null),
            new PolicyVerdict("WouldDrop", "dryrun-web", "deny[0]"));
    assertThat(iot).allSatisfy(s -> assertThat(s.listedAt()).isEqualTo(T0));
    assertThat(iot).allSatisfy(s -> assertThat(s.account()).isEqualTo("acme"));

    List<Session> ops = all("ops");
    assertThat(ops).extracting(Session::namespace).containsOnly("ops");
    assertThat(ops).extracting(s -> s.decision().verdict()).containsOnly("Allowed", "Denied");
    assertThat(all(null)).hasSize(6);
    assertThat(all("default")).isEmpty();
  }

  @Test
  void namesAreValidStableAndDistinctPerSession() {
    List<Connection> connections =
        List.of(
            socketio("Device_ÄÖ 7", "AbCd"),
            socketio("Device_ÄÖ 7", "abcd"),
            mqtt("--", "x"),
            mqtt("a".repeat(300), "y"),
            new Connection("u", "s", "Weird Proto!", null, null, null, null, null));
    store.listed(engine, listing(T0, connections, REVOKE));
    List<Session> first = all("iot");
    assertThat(first).hasSize(5);
    assertThat(first)
        .allSatisfy(
            s -> {
              assertThat(s.name()).matches(DNS_SUBDOMAIN);
              assertThat(s.name().length()).isLessThanOrEqualTo(253);
            });
    assertThat(first.stream().map(Session::name).distinct()).hasSize(5);
    assertThat(first)
        .filteredOn(x -> x.connection().sid().equalsIgnoreCase("abcd"))
        .extracting(Session::name)
        .allMatch(n -> n.startsWith("socketio.device-7."));
    assertThat(first)
        .filteredOn(x -> x.connection().protocol().startsWith("Weird"))
        .extracting(Session::name)
        .allMatch(n -> n.startsWith("weird-proto.u."));

    store.listed(engine, listing(T0.plusSeconds(30), reversed(connections), REVOKE));
    assertThat(all("iot"))
        .extracting(Session::name)
        .containsExactlyElementsOf(first.stream().map(Session::name).toList());
    assertThat(all("iot")).allSatisfy(s -> assertThat(s.firstSeen()).isEqualTo(T0));
    assertThat(store.get("iot", first.get(1).name())).isPresent();
    assertThat(store.get("iot", "mqtt.nobody.0000000000")).isEmpty();
  }

  @Test
  void pagesCoverEverySessionOnceEvenWhenANewListingComesBetweenPages() {
    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < 1234; i++) {
      connections.add(mqtt(String.format("device-%04d", i), "s" + i));
    }
    store.listed(engine, listing(T0, connections, REVOKE));
    store.listed(
        new Object(),
        new AccountListing("https://other", "zeta", connections, T0, List.of(OTHER_NS)));

    SessionPage page = store.list(SessionQuery.all(null), 500, null);
    assertThat(page.remaining()).isEqualTo(2468 - 500);
    Set<String> seen = new HashSet<>();
    page.items().forEach(s -> assertThat(seen.add(s.namespace() + "/" + s.name())).isTrue());
    // A new listing: 100 sessions left, 10 new; later pages continue from where the token stopped.
    List<Connection> next = new ArrayList<>(connections.subList(100, connections.size()));
    for (int i = 0; i < 10; i++) {
      next.add(mqtt("late-" + i, "l" + i));
    }
    store.listed(engine, listing(T0.plusSeconds(30), next, REVOKE));
    while (page.continueToken() != null) {
      page = store.list(SessionQuery.all(null), 500, page.continueToken());
      page.items().forEach(s -> assertThat(seen.add(s.namespace() + "/" + s.name())).isTrue());
    }
    // Every session present throughout was seen exactly once.
    for (Session s : all(null)) {
      if (!s.connection().userid().startsWith("late-")) {
        assertThat(seen).contains(s.namespace() + "/" + s.name());
      }
    }
    assertThat(page.remaining()).isZero();

    SessionQuery denied =
        new SessionQuery(null, LabelSelector.parse("verdict=Allowed"), FieldSelector.EVERYTHING);
    SessionPage one = store.list(denied, 1, null);
    assertThat(one.items()).hasSize(1);
    assertThat(one.remaining()).isEqualTo(-1);
    assertThatThrownBy(() -> store.list(SessionQuery.all(null), 1, "not a token"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void selectorsPickByLabelsAndFields() {
    store.listed(
        engine,
        listing(
            T0,
            List.of(mqtt("device-0042", "s1"), mqtt("device-0001", "s2"), socketio("web", "w")),
            REVOKE,
            DRY));
    assertThat(
            store
                .list(
                    new SessionQuery(
                        "iot",
                        LabelSelector.parse("verdict in (Denied,WouldDrop),protocol!=socketio"),
                        FieldSelector.EVERYTHING),
                    0,
                    null)
                .items())
        .extracting(s -> s.connection().userid())
        .containsExactly("device-0042");
    assertThat(
            store
                .list(
                    new SessionQuery(
                        "iot", LabelSelector.EVERYTHING, FieldSelector.parse("userid=device-0001")),
                    0,
                    null)
                .items())
        .extracting(s -> s.connection().sid())
        .containsExactly("s2");
    assertThat(
            store
                .list(
                    new SessionQuery(
                        "iot", LabelSelector.parse("!policy"), FieldSelector.parse("sid!=s2")),
                    0,
                    null)
                .items())
        .isEmpty();
    assertThatThrownBy(() -> FieldSelector.parse("spec.nodeName=x"))
        .hasMessageContaining("field label not supported");
    assertThatThrownBy(() -> LabelSelector.parse("verdict in Denied"))
        .hasMessageContaining("parentheses");
  }

  @Test
  void watchesSeeSessionsComeGoAndChangeVerdictAndResume() throws Exception {
    store.listed(
        engine, listing(T0, List.of(mqtt("device-0042", "s1"), mqtt("device-0001", "s2")), DRY));
    List<SessionEvent> events = new ArrayList<>();
    List<SessionEvent> denied = new ArrayList<>();
    long start = store.version();
    store.watch(SessionQuery.all("iot"), Long.toString(start), events::add);
    store.watch(
        new SessionQuery("iot", LabelSelector.parse("verdict=Denied"), FieldSelector.EVERYTHING),
        Long.toString(start),
        denied::add);

    // device-0001 leaves, device-0099 comes, and revoke-device now denies device-0042.
    store.listed(
        engine,
        listing(
            T0.plusSeconds(30),
            List.of(mqtt("device-0042", "s1"), mqtt("device-0099", "s3")),
            REVOKE,
            DRY));
    assertThat(events)
        .extracting(e -> e.type() + " " + e.session().connection().userid())
        .containsExactlyInAnyOrder(
            "MODIFIED device-0042", "DELETED device-0001", "ADDED device-0099");
    assertThat(events).extracting(SessionEvent::resourceVersion).isSorted().doesNotHaveDuplicates();
    // To a watch of Denied sessions, device-0042 enters the selection: ADDED.
    assertThat(denied)
        .extracting(e -> e.type() + " " + e.session().connection().userid())
        .containsExactly("ADDED device-0042");

    // The policy goes: its verdicts go with it, without waiting for a listing.
    store.policiesChanged(engine, List.of(DRY));
    assertThat(denied)
        .extracting(e -> e.type() + " " + e.session().decision().verdict())
        .containsExactly("ADDED Denied", "DELETED Allowed");

    // A watch resuming from the first version sees the same changes again; one from "0" gets
    // every session as ADDED.
    List<SessionEvent> resumed = new ArrayList<>();
    store.watch(SessionQuery.all("iot"), Long.toString(start), resumed::add).close();
    assertThat(resumed).isEqualTo(events);
    List<SessionEvent> fresh = new ArrayList<>();
    store.watch(SessionQuery.all("iot"), "0", fresh::add);
    assertThat(fresh)
        .extracting(SessionEvent::type)
        .containsOnly(SessionEvent.Type.ADDED)
        .hasSize(2);

    store.gone(engine);
    assertThat(all(null)).isEmpty();
    assertThat(events.subList(events.size() - 2, events.size()))
        .extracting(SessionEvent::type)
        .containsOnly(SessionEvent.Type.DELETED);
  }

  @Test
  void aWatchFromAVersionOlderThanTheKeptChangesExpires() {
    List<Connection> many =
        IntStream.range(0, SessionStore.CHANGES_KEPT + 5)
            .mapToObj(i -> mqtt("d" + i, "s"))
            .toList();
    store.listed(engine, listing(T0, List.of(mqtt("first", "s")), REVOKE));
    long start = store.version();
    store.listed(engine, listing(T0.plusSeconds(30), many, REVOKE));
    assertThatThrownBy(() -> store.watch(SessionQuery.all(null), Long.toString(start), e -> {}))
        .isInstanceOf(ExpiredException.class);
    // One session left, every one of the others came.
    assertThat(store.version()).isEqualTo(start + 1 + many.size());
  }

  /**
   * Random listings, policy changes and engine hand-overs: a watch started at the beginning,
   * applied to an empty map, always equals a full list; versions only go up; names never repeat in
   * a list.
   */
  @Test
  void aWatchReplayedOnAnEmptyMapAlwaysEqualsTheList() {
    for (long seed = 1; seed <= 30; seed++) {
      Random random = new Random(seed);
      SessionStore s = new SessionStore(Clock.fixed(T0, ZoneOffset.UTC), new InlineExecutor());
      Map<String, Session> replayed = new LinkedHashMap<>();
      long[] lastVersion = {0};
      s.watch(
          SessionQuery.all(null),
          "0",
          e -> {
            assertThat(e.resourceVersion()).isGreaterThan(lastVersion[0]);
            lastVersion[0] = e.resourceVersion();
            String key = e.session().namespace() + "/" + e.session().name();
            if (e.type() == SessionEvent.Type.DELETED) {
              assertThat(replayed.remove(key)).isNotNull();
            } else {
              assertThat(replayed.put(key, e.session()) == null)
                  .isEqualTo(e.type() == SessionEvent.Type.ADDED);
            }
          });
      Object[] engines = {new Object(), new Object(), new Object()};
      List<ListedPolicy> pool = List.of(REVOKE, DRY, OTHER_NS);
      for (int step = 0; step < 60; step++) {
        Object e = engines[random.nextInt(engines.length)];
        int kind = random.nextInt(10);
        List<ListedPolicy> policies = new ArrayList<>();
        for (ListedPolicy p : pool) {
          if (random.nextBoolean()) {
            policies.add(p);
          }
        }
        if (kind == 0) {
          s.gone(e);
        } else if (kind < 3) {
          s.policiesChanged(e, policies);
        } else {
          List<Connection> connections = new ArrayList<>();
          int n = random.nextInt(40);
          for (int i = 0; i < n; i++) {
            String user = "device-00" + random.nextInt(60);
            connections.add(
                random.nextBoolean()
                    ? mqtt(user, "s" + random.nextInt(3))
                    : socketio(user, "S" + random.nextInt(3)));
          }
          String owner = random.nextInt(4) == 0 ? null : "acme-" + random.nextInt(2);
          s.listed(
              e,
              new AccountListing(
                  ENDPOINT,
                  owner,
                  connections,
                  T0.plusSeconds(step),
                  policies.isEmpty() ? List.of(REVOKE) : policies));
        }
        Map<String, Session> listed = new LinkedHashMap<>();
        for (Session session : s.list(SessionQuery.all(null), 0, null).items()) {
          assertThat(listed.put(session.namespace() + "/" + session.name(), session)).isNull();
        }
        // The listing time moves on without a MODIFIED (that would be one per session per
        // listing); everything else a watch shows is what a list shows.
        assertThat(withoutListingTime(replayed))
            .as("seed %d step %d", seed, step)
            .isEqualTo(withoutListingTime(listed));
      }
    }
  }
}
