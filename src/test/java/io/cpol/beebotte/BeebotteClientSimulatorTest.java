package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.cpol.beebotte.BeebotteException.Kind;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.DropEvent;
import io.cpol.sim.RecordedCall;
import io.cpol.sim.RecordedCall.AuthKind;
import io.cpol.sim.RecordedCall.EndpointKind;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The client against the Beebotte simulator over loopback: the simulator checks signatures. */
class BeebotteClientSimulatorTest {

  static final String OWNER = "acme";
  static final Credentials.Keys KEYS =
      new Credentials.Keys("sim-api-key", "sim-secret-key-0123456789abcdef");
  static final Credentials.Token TOKEN = new Credentials.Token("iamtkn_read_write_0123456789");
  static final Credentials.Token READ_ONLY = new Credentials.Token("iamtkn_read_only_0123456789");
  static final String AWKWARD_USER = "a b/c?d%e#f+g&h=i";
  static final String AWKWARD_SID = "ü-ñ";

  static final Connection A =
      new Connection(
          "uid-1",
          "sio-a",
          "socketio",
          "uid-1",
          "::ffff:203.0.113.7",
          OWNER,
          "alice",
          List.of(new Subscription("chan", "res", true, false)));
  static final Connection B =
      new Connection(
          "uid-1", "sio-b", "socketio", "uid-1", "::ffff:203.0.113.8", OWNER, null, null);
  static final Connection C =
      new Connection("uid-1", "uid-1", "mqtt", "uid-1", "::ffff:198.51.100.1", OWNER, null, null);
  static final Connection D =
      new Connection("uid-2", "uid-2", "mqtt", "uid-2", "::ffff:198.51.100.2", OWNER, null, null);
  static final Connection E =
      new Connection(
          AWKWARD_USER, AWKWARD_SID, "socketio", "e", "::ffff:203.0.113.9", OWNER, null, null);

  /** Which credentials a client uses. */
  enum Auth {
    KEYS(BeebotteClientSimulatorTest.KEYS, AuthKind.KEYS),
    TOKEN(BeebotteClientSimulatorTest.TOKEN, AuthKind.TOKEN);

    final Credentials credentials;
    final AuthKind recorded;

    Auth(Credentials credentials, AuthKind recorded) {
      this.credentials = credentials;
      this.recorded = recorded;
    }
  }

  private BeebotteSimulator sim;
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
  private final List<BeebotteClient> clients = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startSimulator() {
    sim =
        BeebotteSimulator.builder()
            .account(OWNER, KEYS.apiKey(), KEYS.secretKey())
            .token(TOKEN.token(), "admin:connection:read", "admin:connection:write")
            .token(READ_ONLY.token(), "admin:connection:read")
            .build()
            .start();
    sim.addConnections(List.of(A, B, C, D, E));
  }

  @AfterEach
  void stopSimulator() {
    clients.forEach(BeebotteClient::close);
    sim.close();
  }

  private BeebotteClient client(Credentials credentials) {
    return client(credentials, RetryPolicy.defaults());
  }

  private BeebotteClient client(Credentials credentials, RetryPolicy retry) {
    BeebotteClientConfig config =
        BeebotteClientConfig.builder(credentials).baseUrl(sim.baseUrl()).retry(retry).build();
    // Real clock: the simulator checks the signed Date against its own; sleeping is recorded.
    BeebotteClient client = new OkHttpBeebotteClient(config, Clock.systemUTC(), sleeps::add);
    clients.add(client);
    return client;
  }

  private static Set<String> keys(List<Connection> connections) {
    return connections.stream()
        .map(c -> c.userid() + "|" + c.sid() + "|" + c.protocol())
        .collect(Collectors.toSet());
  }

  private static Set<String> keys(Connection... connections) {
    return keys(List.of(connections));
  }

  private Set<String> dropped() {
    return keys(sim.drops().stream().map(DropEvent::connection).toList());
  }

  private RecordedCall lastCall() {
    List<RecordedCall> calls = sim.requests();
    assertThat(calls).isNotEmpty();
    return calls.get(calls.size() - 1);
  }

  private void assertLastCall(Auth auth, String method, String target) {
    RecordedCall call = lastCall();
    assertThat(call.method()).isEqualTo(method);
    assertThat(call.rawTarget()).isEqualTo(target);
    assertThat(call.status()).isEqualTo(200);
    assertThat(call.authKind()).isEqualTo(auth.recorded);
    assertThat(call.account()).isEqualTo(OWNER);
  }

  @ParameterizedTest
  @EnumSource(Auth.class)
  void listsEveryWay(Auth auth) {
    BeebotteClient client = client(auth.credentials);

    assertThat(new HashSet<>(client.listConnections(ConnectionFilter.all())))
        .isEqualTo(new HashSet<>(sim.connections()));
    assertLastCall(auth, "GET", "/v1/connections");

    assertThat(keys(client.listConnections(ConnectionFilter.user("uid-1"))))
        .isEqualTo(keys(A, B, C));
    assertLastCall(auth, "GET", "/v1/connections/uid-1?");

    assertThat(client.listConnections(ConnectionFilter.session("uid-1", "sio-a")))
        .containsExactly(A);
    assertLastCall(auth, "GET", "/v1/connections/uid-1?sid=sio-a");

    assertThat(keys(client.listConnections(ConnectionFilter.protocol(Protocol.mqtt))))
        .isEqualTo(keys(C, D));
    assertLastCall(auth, "GET", "/v1/connections?protocol=mqtt");

    assertThat(
            keys(
                client.listConnections(
                    ConnectionFilter.user("uid-1").withProtocol(Protocol.socketio))))
        .isEqualTo(keys(A, B));
    assertLastCall(auth, "GET", "/v1/connections/uid-1?protocol=socketio");

    assertThat(client.listConnections(ConnectionFilter.session(AWKWARD_USER, AWKWARD_SID)))
        .containsExactly(E);
    assertThat(client.listConnections(ConnectionFilter.user("nobody"))).isEmpty();
    assertThat(sim.requests()).allMatch(call -> call.status() == 200);
  }

  @ParameterizedTest
  @EnumSource(Auth.class)
  void dropsAUser(Auth auth) {
    client(auth.credentials).drop(DropTarget.user("uid-1"));
    assertLastCall(auth, "DELETE", "/v1/connections/drop/uid-1?");
    assertThat(dropped()).isEqualTo(keys(A, B, C));
    assertThat(keys(sim.connections())).isEqualTo(keys(D, E));
  }

  @ParameterizedTest
  @EnumSource(Auth.class)
  void dropsAUserOnOneProtocol(Auth auth) {
    client(auth.credentials).drop(DropTarget.userOnProtocol("uid-1", Protocol.socketio));
    assertLastCall(auth, "DELETE", "/v1/connections/drop/uid-1?protocol=socketio");
    assertThat(dropped()).isEqualTo(keys(A, B));
  }

  @ParameterizedTest
  @EnumSource(Auth.class)
  void dropsOneSession(Auth auth) {
    client(auth.credentials).drop(DropTarget.session("uid-1", "sio-b"));
    assertLastCall(auth, "DELETE", "/v1/connections/drop/uid-1?sid=sio-b");
    assertThat(dropped()).isEqualTo(keys(B));
  }

  @ParameterizedTest
  @EnumSource(Auth.class)
  void dropsOneSessionOnAProtocol(Auth auth) {
    BeebotteClient client = client(auth.credentials);
    client.drop(new DropTarget("uid-1", Protocol.mqtt, "sio-a"));
    assertLastCall(auth, "DELETE", "/v1/connections/drop/uid-1?sid=sio-a&protocol=mqtt");
    assertThat(sim.drops()).as("sio-a is a Socket.IO session").isEmpty();

    client.drop(new DropTarget("uid-1", Protocol.socketio, "sio-a"));
    assertThat(dropped()).isEqualTo(keys(A));
  }

  @ParameterizedTest
  @EnumSource(Auth.class)
  void dropsAwkwardIdsAndUnknownUsersWithoutError(Auth auth) {
    BeebotteClient client = client(auth.credentials);
    client.drop(DropTarget.session(AWKWARD_USER, AWKWARD_SID));
    assertThat(dropped()).isEqualTo(keys(E));
    client.drop(DropTarget.user("nobody"));
    assertThat(dropped()).isEqualTo(keys(E));
    assertThat(sim.requests()).allMatch(call -> call.status() == 200);
  }

  @Test
  void aNonAsciiUseridGoesOutPercentEncodedAsUtf8AndVerifies() {
    Connection sensor =
        new Connection(
            "capteur-é", "capteur-é", "mqtt", null, "::ffff:198.51.100.3", OWNER, null, null);
    sim.addConnection(sensor);
    BeebotteClient client = client(KEYS);

    assertThat(client.listConnections(ConnectionFilter.user("capteur-é")))
        .extracting(Connection::userid)
        .containsExactly("capteur-é");
    assertLastCall(Auth.KEYS, "GET", "/v1/connections/capteur-%C3%A9?");
    client.drop(DropTarget.user("capteur-é"));
    assertLastCall(Auth.KEYS, "DELETE", "/v1/connections/drop/capteur-%C3%A9?");
    assertThat(dropped()).isEqualTo(keys(sim.drops().get(0).connection()));
    assertThat(sim.drops()).extracting(d -> d.connection().userid()).containsExactly("capteur-é");
  }

  @Test
  void tamperedSecretIsAnAuthenticationFailureAndNotRetried() {
    BeebotteClient client = client(new Credentials.Keys(KEYS.apiKey(), KEYS.secretKey() + "x"));
    BeebotteException e = thrown(() -> client.listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(e.httpStatus()).isEqualTo(400);
    assertThat(e.code()).isEqualTo(1101);
    assertThat(sim.requests()).hasSize(1);

    BeebotteException drop = thrown(() -> client.drop(DropTarget.user("uid-1")));
    assertThat(drop.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(sim.drops()).isEmpty();
    assertThat(sim.connections()).hasSize(5);
  }

  @Test
  void tokenWithoutWriteRightCanListButNotDrop() {
    BeebotteClient client = client(READ_ONLY);
    assertThat(client.listConnections(ConnectionFilter.all())).hasSize(5);
    BeebotteException e = thrown(() -> client.drop(DropTarget.user("uid-1")));
    assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(e.httpStatus()).isEqualTo(403);
    assertThat(sim.drops()).isEmpty();
    assertThat(sleeps).isEmpty();
  }

  @Test
  void recoversFromServiceUnavailable() {
    sim.faults().failNext(2, 503);
    assertThat(client(KEYS).listConnections(ConnectionFilter.user("uid-2")))
        .extracting(Connection::userid)
        .containsExactly("uid-2");
    List<RecordedCall> lists =
        sim.requests().stream().filter(c -> c.endpoint() == EndpointKind.LIST).toList();
    assertThat(lists).extracting(RecordedCall::status).containsExactly(503, 503, 200);
    assertThat(sleeps).hasSize(2);
  }

  @Test
  void recoversFromResetsRateLimitsAndBrokenBodies() {
    sim.faults()
        .resetNext(1)
        .rateLimitNext(1, Duration.ofSeconds(1))
        .malformedJsonNext(1)
        .resetNext(1, true);
    RetryPolicy fiveAttempts =
        new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(20));
    assertThat(client(TOKEN, fiveAttempts).listConnections(ConnectionFilter.all())).hasSize(5);
    assertThat(sim.requests()).hasSize(5);
    assertThat(sleeps).hasSize(4).contains(Duration.ofSeconds(1));
  }

  @Test
  void dropIsRetriedAfterAFailureAndDropsOnce() {
    sim.faults().failNext(1, 502);
    client(KEYS).drop(DropTarget.user("uid-2"));
    assertThat(sim.requests()).extracting(RecordedCall::status).containsExactly(502, 200);
    assertThat(dropped()).isEqualTo(keys(D));
  }

  @Test
  void roundTripsOneHundredThousandConnections() {
    int count = 100_000;
    sim.clearConnections();
    sim.addConnections(IntStream.range(0, count).mapToObj(ConnectionListings::connection).toList());
    BeebotteClient client = client(KEYS);
    client.listConnections(ConnectionFilter.user("uid-0")); // warm the connection pool

    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heapBefore = rt.totalMemory() - rt.freeMemory();
    long start = System.nanoTime();
    List<Connection> listed = client.listConnections(ConnectionFilter.all());
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    long heapAfter = rt.totalMemory() - rt.freeMemory();
    System.out.printf(
        "100k listing via simulator: %d ms, heap used %d MB before, %d MB after (listing held)%n",
        elapsedMs, heapBefore >> 20, heapAfter >> 20);

    assertThat(listed).hasSize(count);
    assertThat(new HashSet<>(listed)).isEqualTo(new HashSet<>(sim.connections()));
    var byKey =
        listed.stream().collect(Collectors.toMap(c -> c.sid(), Function.identity(), (a, b) -> a));
    for (int i = 0; i < count; i += 997) {
      Connection expected = ConnectionListings.connection(i);
      assertThat(byKey.get(expected.sid())).as("connection %d", i).isEqualTo(expected);
    }
  }

  private static BeebotteException thrown(Runnable call) {
    try {
      call.run();
    } catch (BeebotteException e) {
      return e;
    }
    return fail("expected a BeebotteException");
  }
}
