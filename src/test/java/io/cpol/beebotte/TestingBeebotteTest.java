package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.cpol.beebotte.BeebotteException.Kind;
import io.cpol.beebotte.TestingBeebotte.Answer;
import io.cpol.beebotte.TestingBeebotte.Call;
import io.cpol.beebotte.TestingBeebotte.Endpoint;
import io.cpol.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TestingBeebotteTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Credentials KEYS = new Credentials.Keys("api", "secret");
  private final ManualClock clock = new ManualClock(T0);
  private final TestingBeebotte beebotte = new TestingBeebotte(clock, clock::advance);
  private final BeebotteClient client = beebotte.client("http://beebotte", KEYS, "LISTING");

  private static Connection mqtt(String userid) {
    return new Connection(userid, userid, "mqtt", userid, "10.0.0.1", "acme", null, List.of());
  }

  private static Connection socketio(String userid, String sid) {
    return new Connection(userid, sid, "socketio", userid, "10.0.0.2", "acme", null, List.of());
  }

  private static Answer.Http http(int status, Map<String, String> headers, String body) {
    return new Answer.Http(
        status, headers, body.getBytes(StandardCharsets.UTF_8), false, Duration.ZERO);
  }

  @Test
  void listsWhatTheFilterSelectsAndDropsWhatTheTargetCovers() {
    beebotte.connect(List.of(mqtt("u1"), socketio("u1", "s1"), socketio("u1", "s2"), mqtt("u2")));

    assertThat(client.listConnections(ConnectionFilter.user("u1"))).hasSize(3);
    assertThat(client.listConnections(ConnectionFilter.session("u1", "s2")))
        .containsExactly(socketio("u1", "s2"));
    client.drop(DropTarget.userOnProtocol("u1", Protocol.socketio));

    assertThat(beebotte.connections()).containsExactly(mqtt("u1"), mqtt("u2"));
    assertThat(beebotte.closed())
        .extracting(TestingBeebotte.Closed::connection)
        .containsExactly(socketio("u1", "s1"), socketio("u1", "s2"));
    assertThat(beebotte.calls())
        .extracting(Call::endpoint, Call::target, Call::outcome)
        .containsExactly(
            tuple(Endpoint.LIST, "/v1/connections/u1?", "ok"),
            tuple(Endpoint.LIST, "/v1/connections/u1?sid=s2", "ok"),
            tuple(Endpoint.DROP, "/v1/connections/drop/u1?protocol=socketio", "ok"));
  }

  @Test
  void errorAnswersAreClassifiedAndTheirRetryAfterReadAsTheRealClientDoes() {
    beebotte.answerNext(
        Endpoint.LIST,
        http(503, Map.of("retry-after", "7"), "{\"error\":{\"message\":\"busy\",\"code\":1}}"),
        http(429, Map.of("Retry-After", RequestSigner.httpDate(T0.plusSeconds(90))), ""),
        http(400, Map.of("Retry-After", "5"), "{\"error\":{\"code\":1101}}"),
        http(302, Map.of("Location", "http://elsewhere/"), "<html>"),
        http(404, Map.of(), "not json"));

    BeebotteException busy = listingFailure();
    BeebotteException limited = listingFailure();
    BeebotteException auth = listingFailure();
    BeebotteException moved = listingFailure();
    BeebotteException missing = listingFailure();

    assertThat(busy.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(busy.retryAfter()).isEqualTo(Duration.ofSeconds(7));
    assertThat(busy).hasMessage("GET /v1/connections: HTTP 503, Beebotte code 1: busy");
    assertThat(limited.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(90));
    assertThat(auth.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(auth.retryAfter()).as("not retryable: Retry-After is not read").isNull();
    assertThat(moved.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(moved).hasMessageEndingWith("(redirect to http://elsewhere/)");
    assertThat(missing.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(client.listConnections(ConnectionFilter.all())).as("then normal again").isEmpty();
  }

  private BeebotteException listingFailure() {
    try {
      client.list(ConnectionFilter.all());
    } catch (BeebotteException e) {
      return e;
    }
    throw new AssertionError("the listing did not fail");
  }

  @Test
  void aListingBodyIsDecodedByTheRealDecoderAndAnUnreadableOneIsTransient() {
    beebotte.answerNext(
        Endpoint.LIST,
        http(200, Map.of(), "[{\"userid\":\"u9\",\"sid\":\"x\",\"protocol\":\"mqtt\"}, 42]"),
        http(200, Map.of(), "[{\"userid\":"));

    ConnectionListing listing = client.list(ConnectionFilter.all());

    assertThat(listing.connections()).extracting(Connection::userid).containsExactly("u9");
    assertThat(listing.skipped()).isEqualTo(1);
    assertThat(listingFailure().kind()).isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void aDropWhoseAnswerIsLostMayStillHaveClosedTheSessions() {
    beebotte.connect(List.of(mqtt("u1"), mqtt("u2")));
    beebotte.answerNext(
        Endpoint.DROP,
        new Answer.Reset(true, Duration.ZERO),
        new Answer.Http(502, Map.of(), null, false, Duration.ZERO));

    assertThatThrownBy(() -> client.drop(DropTarget.user("u1")))
        .isInstanceOfSatisfying(
            BeebotteException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TRANSIENT));
    assertThatThrownBy(() -> client.drop(DropTarget.user("u2")))
        .isInstanceOf(BeebotteException.class);

    assertThat(beebotte.connections()).containsExactly(mqtt("u2"));
    assertThat(beebotte.calls()).extracting(Call::outcome).containsExactly("reset", "http 502");
  }

  @Test
  void aDelayPassesOnTheClockBeforeTheAnswer() {
    beebotte.connect(List.of(mqtt("u1")));
    beebotte.answerAlways(Endpoint.DROP, new Answer.Normal(Duration.ofMillis(250)));

    client.drop(DropTarget.user("u1"));

    Call call = beebotte.calls().get(0);
    assertThat(call.at()).isEqualTo(T0);
    assertThat(call.answeredAt()).isEqualTo(T0.plusMillis(250));
    assertThat(beebotte.closed().get(0).at()).isEqualTo(T0.plusMillis(250));
    assertThat(clock.instant()).isEqualTo(T0.plusMillis(250));
  }

  @Test
  void aCredentialAHeaderCannotCarryIsRefusedByOkHttpBeforeAnyAnswer() {
    BeebotteClient bom =
        beebotte.client("http://beebotte", new Credentials.Token("\uFEFFiamtkn_x"), "LISTING");
    beebotte.answerNext(Endpoint.LIST, new Answer.Reset(false, Duration.ZERO));

    assertThatThrownBy(() -> bom.list(ConnectionFilter.all()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("X-Auth-Token");

    assertThat(beebotte.calls())
        .extracting(Call::outcome)
        .containsExactly("refused IllegalArgumentException");
    assertThatThrownBy(() -> client.list(ConnectionFilter.all()))
        .as("the queued answer is still there")
        .isInstanceOf(BeebotteException.class);
  }

  @Test
  void anUnexpectedExceptionComesOutAsItIsAndClientsAreCounted() {
    beebotte.answerNext(
        Endpoint.LIST, new Answer.Thrown(new NullPointerException("bug"), Duration.ZERO));

    assertThatThrownBy(() -> client.list(ConnectionFilter.all()))
        .isInstanceOf(NullPointerException.class);
    assertThat(beebotte.openClients()).isEqualTo(1);
    client.close();
    client.close();
    assertThat(beebotte.openClients()).isZero();
  }
}
