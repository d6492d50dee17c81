package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.cpol.beebotte.BeebotteException.Kind;
import io.cpol.beebotte.SignatureVectors.Vector;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class OkHttpBeebotteClientTest {

  static final Credentials.Keys KEYS =
      new Credentials.Keys(
          "b4a3d7f0c1e2", "9f3e1c2a7b6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f");
  static final Credentials.Token TOKEN = new Credentials.Token("iamtkn_s3cr3t-t0ken-value");
  static final Instant NOW = Instant.parse("2026-11-26T03:05:43Z");
  static final String NOW_HEADER = "Thu, 26 Nov 2026 03:05:43 GMT";

  private MockWebServer server;
  private MutableClock clock;
  private RecordingSleeper sleeper;
  private SimpleMeterRegistry meters;
  private final List<BeebotteClient> clients = new ArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = new MockWebServer();
    server.start();
    clock = new MutableClock(NOW);
    sleeper = new RecordingSleeper(clock);
    meters = new SimpleMeterRegistry();
  }

  @AfterEach
  void stopServer() {
    clients.forEach(BeebotteClient::close);
    server.close();
  }

  private BeebotteClient client(Credentials credentials) {
    return client(credentials, b -> b);
  }

  private BeebotteClient client(
      Credentials credentials, UnaryOperator<BeebotteClientConfig.Builder> customize) {
    BeebotteClientConfig config =
        customize
            .apply(
                BeebotteClientConfig.builder(credentials)
                    .baseUrl(server.url("/").toString())
                    .meterRegistry(meters))
            .build();
    return track(new OkHttpBeebotteClient(config, clock, sleeper));
  }

  private BeebotteClient clientWithJitter(RetryPolicy retry, double jitter) {
    BeebotteClientConfig config =
        BeebotteClientConfig.builder(KEYS)
            .baseUrl(server.url("/").toString())
            .retry(retry)
            .meterRegistry(meters)
            .build();
    return track(new OkHttpBeebotteClient(config, clock, sleeper, () -> jitter));
  }

  private BeebotteClient track(BeebotteClient client) {
    clients.add(client);
    return client;
  }

  private void enqueue(int status, String body) {
    server.enqueue(new MockResponse.Builder().code(status).body(body).build());
  }

  private RecordedRequest take() throws InterruptedException {
    RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(request).as("request reached the server").isNotNull();
    return request;
  }

  private static BeebotteException thrownBy(Runnable call) {
    try {
      call.run();
    } catch (BeebotteException e) {
      return e;
    }
    return fail("expected a BeebotteException");
  }

  /** Asserts the request carries a Date and an Authorization that verifies over what arrived. */
  private static void assertSignedAsReceived(RecordedRequest request, Credentials.Keys keys) {
    String date = request.getHeaders().get("Date");
    assertThat(date).isNotNull();
    assertThat(
            RequestSigner.verifies(
                request.getHeaders().get("Authorization"),
                keys.apiKey(),
                keys.secretKey(),
                request.getMethod(),
                "",
                "",
                date,
                request.getTarget()))
        .as("signature over received target %s", request.getTarget())
        .isTrue();
  }

  // ---- what goes on the wire -------------------------------------------------------------

  /** One kind of call and the request line it must produce. */
  record Call(String name, String method, String target, Consumer<BeebotteClient> action) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Call> callKinds() {
    return Stream.of(
        new Call(
            "list all", "GET", "/v1/connections", c -> c.listConnections(ConnectionFilter.all())),
        new Call(
            "list by userid",
            "GET",
            "/v1/connections/uid-12345?",
            c -> c.listConnections(ConnectionFilter.user("uid-12345"))),
        new Call(
            "list by userid and sid",
            "GET",
            "/v1/connections/uid-12345?sid=sid-098765",
            c -> c.listConnections(ConnectionFilter.session("uid-12345", "sid-098765"))),
        new Call(
            "list by protocol",
            "GET",
            "/v1/connections?protocol=mqtt",
            c -> c.listConnections(ConnectionFilter.protocol(Protocol.mqtt))),
        new Call(
            "list by userid and protocol",
            "GET",
            "/v1/connections/uid-12345?protocol=socketio",
            c ->
                c.listConnections(
                    ConnectionFilter.user("uid-12345").withProtocol(Protocol.socketio))),
        new Call(
            "drop by userid",
            "DELETE",
            "/v1/connections/drop/uid-12345?",
            c -> c.drop(DropTarget.user("uid-12345"))),
        new Call(
            "drop by userid and protocol",
            "DELETE",
            "/v1/connections/drop/uid-12345?protocol=socketio",
            c -> c.drop(DropTarget.userOnProtocol("uid-12345", Protocol.socketio))),
        new Call(
            "drop by userid and sid",
            "DELETE",
            "/v1/connections/drop/uid-12345?sid=sid-098765",
            c -> c.drop(DropTarget.session("uid-12345", "sid-098765"))),
        new Call(
            "drop by userid, sid and protocol",
            "DELETE",
            "/v1/connections/drop/uid-12345?sid=sid-098765&protocol=mqtt",
            c -> c.drop(new DropTarget("uid-12345", Protocol.mqtt, "sid-098765"))));
  }

  private void enqueueSuccess(String method) {
    enqueue(200, method.equals("GET") ? "[]" : "");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("callKinds")
  void everyCallKindSendsItsTargetSignedExactlyAsSent(Call call) throws InterruptedException {
    enqueueSuccess(call.method());
    call.action().accept(client(KEYS));

    RecordedRequest request = take();
    assertThat(request.getMethod()).isEqualTo(call.method());
    assertThat(request.getTarget()).isEqualTo(call.target());
    assertThat(request.getHeaders().get("Date")).isEqualTo(NOW_HEADER);
    assertThat(request.getHeaders().get("Authorization")).startsWith(KEYS.apiKey() + ":");
    assertSignedAsReceived(request, KEYS);
    assertThat(request.getHeaders().get("Content-Type")).isNull();
    assertThat(request.getHeaders().get("Content-MD5")).isNull();
    assertThat(request.getHeaders().get("X-Auth-Token")).isNull();
    assertThat(request.getHeaders().get("User-Agent"))
        .isEqualTo(BeebotteClientConfig.DEFAULT_USER_AGENT)
        .startsWith("beebotte-connection-operator/");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("callKinds")
  void tokenCredentialsSendTheTokenAndNoSignature(Call call) throws InterruptedException {
    enqueueSuccess(call.method());
    call.action().accept(client(TOKEN));

    RecordedRequest request = take();
    assertThat(request.getTarget()).isEqualTo(call.target());
    assertThat(request.getHeaders().get("X-Auth-Token")).isEqualTo(TOKEN.token());
    assertThat(request.getHeaders().get("Authorization")).isNull();
  }

  static Stream<Vector> vectors() {
    return SignatureVectors.load().stream();
  }

  @ParameterizedTest(name = "{2} {3}")
  @MethodSource("vectors")
  void signsByteForByteLikeTheOfficialClient(Vector v) throws InterruptedException {
    clock.set(RequestSigner.parseHttpDate(v.date()));
    BeebotteClient client = client(new Credentials.Keys(v.apiKey(), v.secretKey()));
    enqueueSuccess(v.method());
    switch (v.path()) {
      case "/v1/connections" -> client.listConnections(ConnectionFilter.all());
      case "/v1/connections/uid-12345?" ->
          client.listConnections(ConnectionFilter.user("uid-12345"));
      case "/v1/connections/uid-12345?sid=sid-098765" ->
          client.listConnections(ConnectionFilter.session("uid-12345", "sid-098765"));
      case "/v1/connections?protocol=mqtt" ->
          client.listConnections(ConnectionFilter.protocol(Protocol.mqtt));
      case "/v1/connections/drop/uid-12345?" -> client.drop(DropTarget.user("uid-12345"));
      case "/v1/connections/drop/uid-12345?protocol=socketio" ->
          client.drop(DropTarget.userOnProtocol("uid-12345", Protocol.socketio));
      case "/v1/connections/drop/uid-12345?sid=sid-098765&protocol=socketio" ->
          client.drop(new DropTarget("uid-12345", Protocol.socketio, "sid-098765"));
      default -> fail("no client call is mapped to vector %s", v.path());
    }

    RecordedRequest request = take();
    assertThat(request.getMethod()).isEqualTo(v.method());
    assertThat(request.getTarget()).isEqualTo(v.path());
    assertThat(request.getHeaders().get("Date")).isEqualTo(v.date());
    assertThat(request.getHeaders().get("Authorization")).isEqualTo(v.authorization());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a b/c?d%e#f+g&h=i", "ü-ñ"})
  void awkwardIdsTravelAsOneEncodedSegmentOrValue(String id) throws InterruptedException {
    BeebotteClient client = client(KEYS);
    String encoded = RequestTarget.encode(id);

    enqueue(200, "[]");
    client.listConnections(ConnectionFilter.session(id, id).withProtocol(Protocol.socketio));
    RecordedRequest list = take();
    assertThat(list.getTarget())
        .isEqualTo("/v1/connections/" + encoded + "?sid=" + encoded + "&protocol=socketio");
    assertThat(list.getUrl().pathSegments()).containsExactly("v1", "connections", id);
    assertThat(list.getUrl().queryParameter("sid")).isEqualTo(id);
    assertThat(list.getUrl().queryParameter("protocol")).isEqualTo("socketio");
    assertSignedAsReceived(list, KEYS);

    enqueue(200, "");
    client.drop(DropTarget.user(id));
    RecordedRequest drop = take();
    assertThat(drop.getTarget()).isEqualTo("/v1/connections/drop/" + encoded + "?");
    assertThat(drop.getUrl().pathSegments()).containsExactly("v1", "connections", "drop", id);
    assertSignedAsReceived(drop, KEYS);
  }

  @Test
  void basePathPrefixIsSentAndSigned() throws InterruptedException {
    BeebotteClient client = client(KEYS, b -> b.baseUrl(server.url("/beebotte/api/").toString()));
    enqueue(200, "[]");
    client.listConnections(ConnectionFilter.user("u"));
    RecordedRequest request = take();
    assertThat(request.getTarget()).isEqualTo("/beebotte/api/v1/connections/u?");
    assertSignedAsReceived(request, KEYS);

    BeebotteClient noSlash = client(KEYS, b -> b.baseUrl(server.url("/bb").toString()));
    enqueue(200, "");
    noSlash.drop(DropTarget.user("u"));
    assertThat(take().getTarget()).isEqualTo("/bb/v1/connections/drop/u?");
  }

  @ParameterizedTest
  @ValueSource(strings = {".", "..", ""})
  void refusesUseridsThatWouldAddressAnotherEndpoint(String userid) {
    BeebotteClient client = client(KEYS);
    BeebotteException e = thrownBy(() -> client.drop(DropTarget.user(userid)));
    assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(e.httpStatus()).isZero();
    assertThat(server.getRequestCount()).isZero();
  }

  // ---- responses -------------------------------------------------------------------------

  @Test
  void decodesTheListing() {
    enqueue(
        200,
        "["
            + ConnectionListDecoderTest.SOCKETIO_EXAMPLE
            + ","
            + ConnectionListDecoderTest.MQTT_EXAMPLE
            + "]");
    assertThat(client(KEYS).listConnections(ConnectionFilter.all()))
        .containsExactly(ConnectionListDecoderTest.SOCKETIO, ConnectionListDecoderTest.MQTT);
  }

  @Test
  void decodingToleratesUnknownAndMissingFields() {
    enqueue(200, "[{\"userid\": \"u\", \"newField\": {\"a\": [1]}, \"protocol\": \"quic\"}]");
    List<Connection> connections = client(KEYS).listConnections(ConnectionFilter.all());
    assertThat(connections)
        .containsExactly(new Connection("u", null, "quic", null, null, null, null, List.of()));
    assertThat(connections.get(0).knownProtocol()).isNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 202, 204})
  void dropSucceedsOnAnyTwoHundred(int status) {
    server.enqueue(
        new MockResponse.Builder().code(status).body(status == 204 ? "" : "true").build());
    assertThatCode(() -> client(KEYS).drop(DropTarget.user("u"))).doesNotThrowAnyException();
  }

  @Test
  void dropSucceedsWithAnEmptyBody() {
    enqueue(200, "");
    assertThatCode(() -> client(KEYS).drop(DropTarget.user("u"))).doesNotThrowAnyException();
  }

  @Test
  void decodesOneHundredThousandConnectionsFromTheWire() {
    int count = 100_000;
    Buffer body = new Buffer();
    ConnectionListings.write(count, body.outputStream());
    server.enqueue(new MockResponse.Builder().body(body).build());

    List<Connection> connections = client(KEYS).listConnections(ConnectionFilter.all());

    assertThat(connections).hasSize(count);
    for (int i = 0; i < count; i++) {
      if (!connections.get(i).equals(ConnectionListings.connection(i))) {
        assertThat(connections.get(i))
            .as("connection %d", i)
            .isEqualTo(ConnectionListings.connection(i));
      }
    }
  }

  // ---- error mapping ---------------------------------------------------------------------

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of(400, error("Authentication error", 1101), Kind.AUTHENTICATION, 1101),
        Arguments.of(401, "Unauthorized", Kind.AUTHENTICATION, 0),
        Arguments.of(403, error("Forbidden", 0), Kind.AUTHENTICATION, 0),
        Arguments.of(405, error("Method not allowed", 1102), Kind.AUTHENTICATION, 1102),
        Arguments.of(405, "", Kind.BAD_REQUEST, 0),
        Arguments.of(400, error("Parameter error", 1401), Kind.BAD_REQUEST, 1401),
        Arguments.of(400, error("Bad request", 1403), Kind.BAD_REQUEST, 1403),
        Arguments.of(400, error("Payload limit", 1406), Kind.BAD_REQUEST, 1406),
        Arguments.of(404, error("Not found", 1301), Kind.NOT_FOUND, 1301),
        Arguments.of(404, "<html>nginx</html>", Kind.NOT_FOUND, 0),
        Arguments.of(429, error("Too many requests", 0), Kind.RATE_LIMITED, 0),
        Arguments.of(500, error("Internal error", 1201), Kind.TRANSIENT, 1201),
        Arguments.of(502, "<html><body>Bad Gateway</body></html>", Kind.TRANSIENT, 0),
        Arguments.of(503, "", Kind.TRANSIENT, 0),
        Arguments.of(504, "{\"error\": \"gateway\"}", Kind.TRANSIENT, 0),
        Arguments.of(408, "", Kind.TRANSIENT, 0),
        Arguments.of(409, "", Kind.BAD_REQUEST, 0));
  }

  static String error(String message, int code) {
    return "{\"error\": {\"message\": \"" + message + "\", \"code\": " + code + "}}";
  }

  @ParameterizedTest(name = "HTTP {0} {1} -> {2}")
  @MethodSource("errors")
  void mapsErrorsToKindsKeepingStatusCodeAndMessage(int status, String body, Kind kind, int code) {
    BeebotteClient client = client(KEYS, b -> b.retry(RetryPolicy.none()));

    enqueue(status, body);
    BeebotteException list = thrownBy(() -> client.listConnections(ConnectionFilter.all()));
    enqueue(status, body);
    BeebotteException drop = thrownBy(() -> client.drop(DropTarget.user("u")));

    for (BeebotteException e : List.of(list, drop)) {
      assertThat(e.kind()).isEqualTo(kind);
      assertThat(e.httpStatus()).isEqualTo(status);
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.getMessage()).contains("HTTP " + status);
      if (body.startsWith("{\"error\": {")) {
        assertThat(e.getMessage()).contains(body.split("\"")[5]);
      }
    }
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void redirectsAreNotFollowed() {
    server.enqueue(
        new MockResponse.Builder().code(302).setHeader("Location", "https://elsewhere/").build());
    BeebotteException e = thrownBy(() -> client(KEYS).listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(e.getMessage()).contains("https://elsewhere/");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryAfterIsReadAsSecondsOrHttpDate() {
    BeebotteClient client = client(KEYS, b -> b.retry(RetryPolicy.none()));
    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "7").build());
    assertThat(thrownBy(() -> client.listConnections(ConnectionFilter.all())).retryAfter())
        .isEqualTo(Duration.ofSeconds(7));

    server.enqueue(
        new MockResponse.Builder()
            .code(429)
            .setHeader("Retry-After", RequestSigner.httpDate(NOW.plusSeconds(30)))
            .build());
    assertThat(thrownBy(() -> client.listConnections(ConnectionFilter.all())).retryAfter())
        .isEqualTo(Duration.ofSeconds(30));

    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "2").build());
    BeebotteException unavailable = thrownBy(() -> client.drop(DropTarget.user("u")));
    assertThat(unavailable.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(unavailable.retryAfter()).isEqualTo(Duration.ofSeconds(2));

    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "soon").build());
    BeebotteException unreadable = thrownBy(() -> client.listConnections(ConnectionFilter.all()));
    assertThat(unreadable.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(unreadable.retryAfter()).isNull();
  }

  @Test
  void parseRetryAfterEdgeCases() {
    assertThat(OkHttpBeebotteClient.parseRetryAfter("0", NOW)).isEqualTo(Duration.ZERO);
    assertThat(OkHttpBeebotteClient.parseRetryAfter(" 12 ", NOW)).isEqualTo(Duration.ofSeconds(12));
    assertThat(OkHttpBeebotteClient.parseRetryAfter("99999999999999999999", NOW))
        .isEqualTo(Duration.ofDays(1));
    assertThat(
            OkHttpBeebotteClient.parseRetryAfter(RequestSigner.httpDate(NOW.minusSeconds(5)), NOW))
        .isEqualTo(Duration.ZERO);
    assertThat(OkHttpBeebotteClient.parseRetryAfter("-3", NOW)).isNull();
    assertThat(OkHttpBeebotteClient.parseRetryAfter("", NOW)).isNull();
    assertThat(OkHttpBeebotteClient.parseRetryAfter(null, NOW)).isNull();
  }

  // ---- retries ---------------------------------------------------------------------------

  @Test
  void retriesTransientFailuresUntilSuccess() {
    enqueue(503, "");
    enqueue(503, error("busy", 0));
    enqueue(200, "[" + ConnectionListDecoderTest.MQTT_EXAMPLE + "]");

    List<Connection> connections = client(KEYS).listConnections(ConnectionFilter.all());

    assertThat(connections).containsExactly(ConnectionListDecoderTest.MQTT);
    assertThat(server.getRequestCount()).isEqualTo(3);
    List<Duration> sleeps = sleeper.sleeps();
    assertThat(sleeps).hasSize(2);
    assertThat(sleeps.get(0)).isBetween(Duration.ZERO, Duration.ofMillis(200));
    assertThat(sleeps.get(1)).isBetween(Duration.ZERO, Duration.ofMillis(400));
    assertThat(meters.get("beebotte.api.retries").tag("endpoint", "list").counter().count())
        .isEqualTo(2.0);
    assertThat(timer("list", "503", "failure").count()).isEqualTo(2);
    assertThat(timer("list", "200", "success").count()).isEqualTo(1);
  }

  @Test
  void everyAttemptIsSignedAfresh() throws InterruptedException {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "3").build());
    enqueue(200, "");
    client(KEYS).drop(DropTarget.user("u"));

    RecordedRequest first = take();
    RecordedRequest second = take();
    assertThat(first.getHeaders().get("Date")).isEqualTo(NOW_HEADER);
    assertThat(second.getHeaders().get("Date"))
        .isEqualTo(RequestSigner.httpDate(NOW.plusSeconds(3)));
    assertSignedAsReceived(first, KEYS);
    assertSignedAsReceived(second, KEYS);
  }

  @Test
  void authenticationFailuresAreNotRetried() {
    enqueue(400, error("Authentication error", 1101));
    enqueue(200, "[]");
    BeebotteException e = thrownBy(() -> client(KEYS).listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(sleeper.sleeps()).isEmpty();
  }

  @Test
  void rateLimitHonoursRetryAfter() {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "1").build());
    enqueue(200, "");
    client(KEYS).drop(DropTarget.user("u"));
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(sleeper.sleeps()).containsExactly(Duration.ofSeconds(1));
    assertThat(meters.get("beebotte.api.retries").tag("endpoint", "drop").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void retryAfterBeyondTheBudgetIsLeftToTheCaller() {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "60").build());
    enqueue(200, "[]");
    BeebotteException e = thrownBy(() -> client(KEYS).listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(60));
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(sleeper.sleeps()).isEmpty();
  }

  @Test
  void stopsWhenTheTotalBudgetWouldBeExceeded() {
    // Jitter pinned near 1: back-offs ~200, ~400, ~800 ms fit in 2 s; ~1600 ms more would not.
    RetryPolicy retry =
        new RetryPolicy(10, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(2));
    for (int i = 0; i < 10; i++) {
      enqueue(503, "");
    }
    BeebotteException e =
        thrownBy(() -> clientWithJitter(retry, 0.999).listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(e.httpStatus()).isEqualTo(503);
    assertThat(e.getMessage()).contains("gave up after 4 attempts");
    assertThat(server.getRequestCount()).isEqualTo(4);
    assertThat(sleeper.sleeps()).hasSize(3);
    assertThat(sleeper.sleeps().stream().reduce(Duration.ZERO, Duration::plus))
        .isLessThanOrEqualTo(retry.maxTotalTime());
  }

  @Test
  void stopsAfterMaxAttempts() {
    for (int i = 0; i < 6; i++) {
      enqueue(502, "");
    }
    BeebotteException e = thrownBy(() -> client(KEYS).drop(DropTarget.user("u")));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(server.getRequestCount()).isEqualTo(RetryPolicy.defaults().maxAttempts());
    assertThat(e.getCause()).isInstanceOf(BeebotteException.class);
  }

  @Test
  void interruptedWhileBackingOffStopsRetrying() {
    enqueue(503, "");
    enqueue(200, "[]");
    BeebotteClientConfig config =
        BeebotteClientConfig.builder(KEYS).baseUrl(server.url("/").toString()).build();
    BeebotteClient client =
        track(
            new OkHttpBeebotteClient(
                config,
                clock,
                d -> {
                  throw new InterruptedException();
                }));
    try {
      BeebotteException e = thrownBy(() -> client.listConnections(ConnectionFilter.all()));
      assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
      assertThat(server.getRequestCount()).isEqualTo(1);
    } finally {
      Thread.interrupted();
    }
  }

  // ---- broken transports and bodies ------------------------------------------------------

  @Test
  void malformedJsonOnSuccessIsTransient() {
    enqueue(200, "[{\"userid\": \"u\", ");
    BeebotteException e =
        thrownBy(
            () ->
                client(KEYS, b -> b.retry(RetryPolicy.none()))
                    .listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(e.httpStatus()).isEqualTo(200);
    assertThat(timer("list", "200", "failure").count()).isEqualTo(1);
  }

  @Test
  void nonJsonSuccessIsRetriedLikeAnyTransientFailure() {
    enqueue(200, "<html>maintenance</html>");
    enqueue(200, "[]");
    assertThat(client(KEYS).listConnections(ConnectionFilter.all())).isEmpty();
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void disconnectMidBodyIsTransient() {
    Buffer body = new Buffer();
    ConnectionListings.write(5_000, body.outputStream());
    server.enqueue(
        new MockResponse.Builder()
            .body(body)
            .onResponseBody(new SocketEffect.CloseSocket(true, true, true))
            .build());
    BeebotteException e =
        thrownBy(
            () ->
                client(KEYS, b -> b.retry(RetryPolicy.none()))
                    .listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(e.httpStatus()).isEqualTo(200);
    assertThat(e.getCause()).isInstanceOf(IOException.class);
  }

  @Test
  void connectionResetBeforeAResponseIsTransientAndRetried() {
    server.enqueue(
        new MockResponse.Builder()
            .onRequestStart(new SocketEffect.CloseSocket(true, true, true))
            .build());
    enqueue(200, "[]");
    assertThat(client(KEYS).listConnections(ConnectionFilter.all())).isEmpty();
    assertThat(timer("list", "io_error", "failure").count()).isEqualTo(1);
    assertThat(timer("list", "200", "success").count()).isEqualTo(1);
  }

  @Test
  void connectionResetWithoutRetriesSurfacesAsTransientWithoutStatus() {
    server.enqueue(
        new MockResponse.Builder()
            .onRequestStart(new SocketEffect.CloseSocket(true, true, true))
            .build());
    BeebotteException e =
        thrownBy(() -> client(KEYS, b -> b.retry(RetryPolicy.none())).drop(DropTarget.user("u")));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(e.httpStatus()).isZero();
    assertThat(e.getCause()).isInstanceOf(IOException.class);
  }

  @Test
  void readTimeoutIsTransient() {
    server.enqueue(new MockResponse.Builder().body("[]").headersDelay(3, TimeUnit.SECONDS).build());
    BeebotteException e =
        thrownBy(
            () ->
                client(KEYS, b -> b.retry(RetryPolicy.none()).readTimeout(Duration.ofMillis(200)))
                    .listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(e.httpStatus()).isZero();
    assertThat(e.getCause()).isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void refusedConnectionIsTransient() throws IOException {
    String deadUrl = server.url("/").toString();
    server.close();
    BeebotteException e =
        thrownBy(
            () ->
                client(KEYS, b -> b.baseUrl(deadUrl).retry(RetryPolicy.none()))
                    .listConnections(ConnectionFilter.all()));
    assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(e.httpStatus()).isZero();
  }

  // ---- metrics and secrets ---------------------------------------------------------------

  private Timer timer(String endpoint, String status, String outcome) {
    return meters
        .get("beebotte.api.calls")
        .tag("endpoint", endpoint)
        .tag("status", status)
        .tag("outcome", outcome)
        .timer();
  }

  @Test
  void recordsOneTimerSamplePerAttempt() {
    enqueue(200, "");
    enqueue(404, error("Not found", 1301));
    BeebotteClient client = client(KEYS);
    client.drop(DropTarget.user("u"));
    thrownBy(() -> client.listConnections(ConnectionFilter.user("u")));
    assertThat(timer("drop", "200", "success").count()).isEqualTo(1);
    assertThat(timer("list", "404", "failure").count()).isEqualTo(1);
  }

  @Test
  void publishesAPercentileHistogramToPrometheus() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    enqueue(200, "[]");
    client(KEYS, b -> b.meterRegistry(prometheus)).listConnections(ConnectionFilter.all());
    assertThat(prometheus.scrape())
        .contains("beebotte_api_calls_seconds_bucket{")
        .contains("endpoint=\"list\"")
        .contains("outcome=\"success\"")
        .contains("status=\"200\"");
  }

  @Test
  void worksWithoutAMeterRegistry() {
    enqueue(200, "[]");
    BeebotteClientConfig config =
        BeebotteClientConfig.builder(KEYS).baseUrl(server.url("/").toString()).build();
    assertThat(config.meterRegistry()).isNull();
    assertThat(
            track(new OkHttpBeebotteClient(config, clock, sleeper))
                .listConnections(ConnectionFilter.all()))
        .isEmpty();
  }

  @Test
  void elementsThatCannotBeReadAreSkippedCountedAndMetered() {
    String body = "[" + ConnectionListDecoderTest.MQTT_EXAMPLE + ", 7, {\"sid\": \"s\"}]";
    enqueue(200, body);
    enqueue(200, body);
    BeebotteClient client = client(KEYS);
    assertThat(meters.counter("beebotte.listing.skipped.elements").count()).isZero();

    ConnectionListing listing = client.list(ConnectionFilter.all());
    client.list(ConnectionFilter.all());

    assertThat(listing.connections()).containsExactly(ConnectionListDecoderTest.MQTT);
    assertThat(listing.skipped()).isEqualTo(2);
    assertThat(meters.counter("beebotte.listing.skipped.elements").count()).isEqualTo(4);
  }

  @Test
  void secretsStayOutOfLogsExceptionsAndToString() {
    Logger logger = (Logger) LoggerFactory.getLogger(OkHttpBeebotteClient.class);
    Level previous = logger.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.DEBUG);
    try {
      enqueue(503, "");
      enqueue(200, "[]");
      client(KEYS).listConnections(ConnectionFilter.all());
      String authorization = null;
      for (int i = 0; i < 2; i++) {
        authorization = server.takeRequest().getHeaders().get("Authorization");
      }
      // A misbehaving server echoing the token must not put it into our exception.
      enqueue(400, error("bad token " + TOKEN.token(), 1101));
      BeebotteException e =
          thrownBy(() -> client(TOKEN).listConnections(ConnectionFilter.user("u")));

      assertThat(e.getMessage()).doesNotContain(TOKEN.token()).contains("bad token ***");
      List<String> logged = new ArrayList<>();
      for (ILoggingEvent event : appender.list) {
        logged.add(event.getFormattedMessage());
        if (event.getThrowableProxy() != null) {
          logged.add(ThrowableProxyUtil.asString(event.getThrowableProxy()));
        }
      }
      assertThat(logged).anyMatch(line -> line.contains("attempt 1/4"));
      assertThat(logged).anyMatch(line -> line.contains("retrying"));
      assertThat(String.join("\n", logged))
          .doesNotContain(KEYS.secretKey())
          .doesNotContain(authorization.substring(authorization.indexOf(':') + 1))
          .doesNotContain(TOKEN.token());
      assertThat(BeebotteClientConfig.builder(KEYS).build().toString())
          .doesNotContain(KEYS.secretKey());
      assertThat(BeebotteClientConfig.builder(TOKEN).build().toString())
          .doesNotContain(TOKEN.token());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      logger.detachAppender(appender);
      logger.setLevel(previous);
    }
  }

  @Test
  void configRejectsUnusableValues() {
    assertThatThrownBy(() -> BeebotteClientConfig.builder(KEYS).baseUrl("ftp://x").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BeebotteClientConfig.builder(KEYS).baseUrl("https://x/?a=b").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BeebotteClientConfig.builder(KEYS).readTimeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class);
    BeebotteClientConfig defaults = BeebotteClientConfig.builder(KEYS).build();
    assertThat(defaults.baseUrl()).isEqualTo("https://api.beebotte.com");
    assertThat(defaults.retry()).isEqualTo(RetryPolicy.defaults());
  }
}
