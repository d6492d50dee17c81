package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.cpol.sim.BeebotteSimulator;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A server (or proxy) that repeats the request's credentials back: nothing it says reaches an
 * exception message, a cause or a log line with a credential in it, and the same failure reads the
 * same on every retry although each request is signed anew.
 */
class EchoedCredentialsTest {
  static final Credentials.Keys KEYS =
      new Credentials.Keys("echo-api-key", "echo-secret-key-0123456789abcdef");
  static final Credentials.Token TOKEN = new Credentials.Token("iamtkn_echo_0123456789");

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T03:05:43Z"));
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<BeebotteClient> clients = new ArrayList<>();
  private BeebotteSimulator sim;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("acme", KEYS.apiKey(), KEYS.secretKey())
            .token(TOKEN.token(), "admin:connection:read")
            .build()
            .start();
    logs.start();
    ((Logger) LoggerFactory.getLogger(OkHttpBeebotteClient.class)).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(OkHttpBeebotteClient.class)).detachAppender(logs);
    clients.forEach(BeebotteClient::close);
    sim.close();
  }

  private BeebotteClient client(String baseUrl, Credentials credentials) {
    BeebotteClient client =
        new OkHttpBeebotteClient(
            BeebotteClientConfig.builder(credentials)
                .baseUrl(baseUrl)
                .retry(
                    new RetryPolicy(
                        3, Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(1)))
                .build(),
            clock,
            new RecordingSleeper(clock));
    clients.add(client);
    return client;
  }

  @Test
  void anEchoedSignatureIsTakenOutAndRetriesReadAlike() {
    sim.faults().echoCredentialsNext(6, 503);
    BeebotteClient client = client(sim.baseUrl(), KEYS);

    BeebotteException first = failure(() -> client.listConnections(ConnectionFilter.all()));
    clock.advance(Duration.ofSeconds(37));
    BeebotteException second = failure(() -> client.listConnections(ConnectionFilter.all()));

    List<String> echoed = sim.faults().echoed();
    // Six requests (Authorization and signature each), signed at different seconds.
    assertThat(echoed).hasSize(12);
    assertThat(Set.copyOf(echoed)).hasSizeGreaterThanOrEqualTo(4);
    assertThat(first.getMessage())
        .isEqualTo(second.getMessage())
        .contains("Authorization: *** (signature ***) Date: <date>", "gave up after 3 attempts");
    assertNothingCarries(echoed, first, second);
  }

  @Test
  void anEchoedTokenIsTakenOut() {
    sim.faults().echoCredentialsNext(1, 400);

    BeebotteException e =
        failure(() -> client(sim.baseUrl(), TOKEN).listConnections(ConnectionFilter.all()));

    assertThat(e.kind()).isEqualTo(BeebotteException.Kind.AUTHENTICATION);
    assertThat(e.getMessage()).contains("X-Auth-Token: ***");
    assertNothingCarries(sim.faults().echoed(), e);
  }

  @Test
  void echoesInARedirectOrABodyThatIsNotJsonAreTakenOutToo() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
              String authorization = request.getHeaders().get("Authorization");
              if (request.getTarget().startsWith("/v1/connections/drop/")) {
                return new MockResponse.Builder()
                    .code(302)
                    .addHeader(
                        "Location",
                        "/login?auth=" + URLEncoder.encode(authorization, StandardCharsets.UTF_8))
                    .build();
              }
              return new MockResponse.Builder().code(200).body(authorization).build();
            }
          });
      server.start();
      BeebotteClient client = client(server.url("/").toString(), KEYS);

      BeebotteException redirect = failure(() -> client.drop(DropTarget.user("uid-1")));
      String dropAuthorization = server.takeRequest().getHeaders().get("Authorization");
      BeebotteException notJson = failure(() -> client.listConnections(ConnectionFilter.all()));
      List<String> sent = new ArrayList<>(List.of(dropAuthorization));
      for (int i = 0; i < 3; i++) {
        sent.add(server.takeRequest().getHeaders().get("Authorization"));
      }

      assertThat(redirect.getMessage()).contains("redirect to /login?auth=***");
      assertThat(notJson.getMessage()).contains("unreadable response body (HTTP 200)");
      List<String> values = new ArrayList<>();
      for (String authorization : sent) {
        values.add(authorization);
        values.add(authorization.substring(authorization.indexOf(':') + 1));
        values.add(URLEncoder.encode(authorization, StandardCharsets.UTF_8));
      }
      assertNothingCarries(values, redirect, notJson);
    }
  }

  @Test
  void credentialsAHeaderCannotCarryFailWithoutBeingSentOrQuoted() {
    BeebotteException token =
        failure(
            () ->
                client(sim.baseUrl(), new Credentials.Token("\uFEFF" + TOKEN.token()))
                    .listConnections(ConnectionFilter.all()));
    BeebotteException keys =
        failure(
            () ->
                client(sim.baseUrl(), new Credentials.Keys(KEYS.apiKey(), KEYS.secretKey() + "\n"))
                    .drop(DropTarget.user("uid-1")));

    assertThat(token.kind()).isEqualTo(BeebotteException.Kind.AUTHENTICATION);
    assertThat(token.getMessage())
        .endsWith(
            "the credentials cannot be sent: the token starts with a byte-order mark (the"
                + " file was saved as UTF-8 with BOM)");
    assertThat(keys.getMessage())
        .endsWith("the credentials cannot be sent: the secretKey holds a line break");
    assertThat(sim.requests()).isEmpty();
    assertNothingCarries(List.of(), token, keys);
  }

  /** No message, cause or client log line holds any value, nor the account's keys. */
  private void assertNothingCarries(List<String> values, BeebotteException... failures) {
    List<String> texts = new ArrayList<>();
    for (BeebotteException e : failures) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        texts.add(String.valueOf(t.getMessage()));
      }
    }
    for (ILoggingEvent event : logs.list) {
      texts.add(event.getFormattedMessage());
      if (event.getThrowableProxy() != null) {
        texts.add(ThrowableProxyUtil.asString(event.getThrowableProxy()));
      }
    }
    String all = String.join("\n", texts);
    assertThat(all).doesNotContain(KEYS.apiKey(), KEYS.secretKey(), TOKEN.token());
    for (String value : values) {
      assertThat(all).doesNotContain(value);
    }
  }

  private static BeebotteException failure(ThrowingCallable call) {
    BeebotteException e = catchThrowableOfType(BeebotteException.class, call);
    assertThat(e).as("the call fails").isNotNull();
    return e;
  }
}
