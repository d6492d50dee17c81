package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.RedactingLogFilter;
import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.beebotte.Redactor;
import io.cpol.beebotte.RetryPolicy;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.Mode;
import io.cpol.reconciler.CredentialsLoader.CredentialsProblem;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import okhttp3.Headers;
import org.slf4j.LoggerFactory;

/**
 * Secrets holding any bytes under {@code apiKey}, {@code secretKey} and {@code token}: loading
 * either refuses them ({@code InvalidCredentials} naming only the key, or {@code
 * CredentialsNotFound}) or gives credentials a header can carry; and whatever a server then echoes
 * back of the request, no condition message, event message or log line (its message and its
 * exceptions' messages; the layout's own text and stack frames are code, not data) holds any of the
 * values.
 */
class SecretValuesPropertyTest {
  private static final Pattern INVALID =
      Pattern.compile(
          "Secret iot/account: the value of key (apiKey|secretKey|token) (starts with a"
              + " byte-order mark \\(the file was saved as UTF-8 with BOM\\)|starts or ends with a"
              + " space or tab|holds a line break|holds a control character|holds a character"
              + " outside printable ASCII)");
  private static final String NOT_FOUND =
      "Secret iot/account has neither the keys apiKey and secretKey nor the key token";

  /** Ours, a library's (as OkHttp's would be named) and the Beebotte client's. */
  private static final List<Logger> LOGGERS =
      List.of(
          (Logger) LoggerFactory.getLogger(ConnectionPolicyReconciler.class),
          (Logger) LoggerFactory.getLogger("okhttp3.OkHttpClient"),
          (Logger) LoggerFactory.getLogger(OkHttpBeebotteClient.class));

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  /** What the echoing server answers next. */
  enum Echo {
    AUTHENTICATION_400,
    UNAUTHORIZED_401,
    NOT_FOUND_404,
    UNAVAILABLE_503,
    REDIRECT_302,
    NOT_JSON_200
  }

  private static MockWebServer server;
  private static volatile Echo echo = Echo.AUTHENTICATION_400;

  @BeforeContainer
  static void startServer() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return answer(request);
          }
        });
    server.start();
  }

  @AfterContainer
  static void stopServer() {
    server.close();
  }

  @Property(tries = 300)
  void noValueOfTheSecretIsWrittenAnywhere(
      @ForAll("values") byte[] apiKey,
      @ForAll("values") byte[] secretKey,
      @ForAll("values") byte[] token,
      @ForAll Echo answer)
      throws Exception {
    Secret secret = secret(apiKey, secretKey, token);
    List<String> values =
        CredentialsLoader.values(secret).stream().filter(v -> !v.isEmpty()).toList();
    Redactor redactor = new Redactor();
    redactor.remember(values);
    RedactingLogFilter filter = new RedactingLogFilter(redactor);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    // Captured here and kept off the console: each try logs a failure on purpose.
    LOGGERS.forEach(
        l -> {
          l.addAppender(logs);
          l.setAdditive(false);
        });
    filter.attach();
    List<String> written = new ArrayList<>();
    try {
      String message;
      Reason reason;
      try {
        Credentials credentials = CredentialsLoader.load("iot", "account", secret);
        assertSendable(credentials);
        echo = answer;
        message = call(credentials);
        reason = Reason.AuthenticationFailed;
      } catch (CredentialsProblem e) {
        assertThat(e.getMessage()).matches(e.invalid() ? INVALID.pattern() : NOT_FOUND);
        message = e.getMessage();
        reason = e.invalid() ? Reason.InvalidCredentials : Reason.CredentialsNotFound;
      }
      ConnectionPolicyStatus status =
          new StatusBuilder(Duration.ofSeconds(10), redactor)
              .failed(
                  null,
                  1,
                  Mode.Enforce,
                  reason,
                  message,
                  PolicyLedger.seededFrom(null).snapshot(),
                  NOW);
      status.getConditions().stream().map(Condition::getMessage).forEach(written::add);
      written.add(events(redactor).event(policy(), "Warning", reason.name(), message).getMessage());
      LOGGERS.get(0).warn("policy iot/p: {} {}", reason, message);
      // What a library might log: the values themselves, in a message and in a cause.
      LOGGERS
          .get(1)
          .error(
              "header refused: {}",
              values,
              new IllegalArgumentException("values " + values, new RuntimeException(message)));
    } finally {
      filter.detach();
      LOGGERS.forEach(
          l -> {
            l.detachAppender(logs);
            l.setAdditive(true);
          });
    }
    for (ILoggingEvent event : logs.list) {
      written.add(event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        written.add(t.getMessage());
      }
    }

    assertThat(logs.list).hasSizeGreaterThanOrEqualTo(2);
    for (String text : written) {
      for (String value : values) {
        assertThat(text).as("written text").doesNotContain(value);
      }
    }
  }

  @Property(tries = 1000)
  void scrubbedTextHoldsNoValueWhateverTheValues(
      @ForAll("strings") List<String> values, @ForAll("strings") List<String> around) {
    Redactor redactor = new Redactor();
    redactor.remember(values);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < around.size(); i++) {
      text.append(around.get(i));
      if (!values.isEmpty()) {
        text.append(values.get(i % values.size()));
      }
    }

    String scrubbed = redactor.scrub(text.toString());

    for (String value : values) {
      if (!value.isEmpty()) {
        assertThat(scrubbed).doesNotContain(value);
      }
    }
  }

  /** Arbitrary bytes, printable values, and printable values with what editors and pastes add. */
  @Provide
  Arbitrary<byte[]> values() {
    Arbitrary<String> printable =
        Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(40);
    Arbitrary<String> decorated =
        Combinators.combine(
                Arbitraries.of("", "\uFEFF", " ", "\t", "\r\n", "\u0000", "\u00E9", "*"),
                printable,
                Arbitraries.of("", "\n", " ", "\u007F", "\uFEFF", "**", "\u2028"))
            .as((before, value, after) -> before + value + after);
    return Arbitraries.oneOf(
            Arbitraries.bytes().array(byte[].class).ofMaxSize(48),
            printable.map(SecretValuesPropertyTest::utf8),
            decorated.map(SecretValuesPropertyTest::utf8))
        .injectNull(0.25);
  }

  @Provide
  Arbitrary<List<String>> strings() {
    return Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(12),
            Arbitraries.strings().withChars("*ab<>%+ ").ofMaxLength(6))
        .list()
        .ofMaxSize(5);
  }

  /** One call to the echoing server: what the failure says (a 200 that is JSON would list). */
  private static String call(Credentials credentials) {
    try (BeebotteClient client =
        new OkHttpBeebotteClient(
            BeebotteClientConfig.builder(credentials)
                .baseUrl(server.url("/").toString())
                .retry(new RetryPolicy(2, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1)))
                .build(),
            Clock.fixed(NOW, ZoneOffset.UTC),
            duration -> {})) {
      client.listConnections(ConnectionFilter.all());
      throw new AssertionError("the echoing server never answers a listing");
    } catch (BeebotteException e) {
      return ConnectionPolicyReconciler.describe(e);
    }
  }

  private static MockResponse answer(RecordedRequest request) {
    String echoed =
        "Authorization: "
            + request.getHeaders().get("Authorization")
            + " X-Auth-Token: "
            + request.getHeaders().get("X-Auth-Token")
            + " Date: "
            + request.getHeaders().get("Date");
    MockResponse.Builder response = new MockResponse.Builder();
    switch (echo) {
      case AUTHENTICATION_400 -> response.code(400).body(errorBody(echoed, 1101));
      case UNAUTHORIZED_401 -> response.code(401).body(errorBody(echoed, 0));
      case NOT_FOUND_404 -> response.code(404).body(errorBody(echoed, 1301));
      case UNAVAILABLE_503 ->
          response.code(503).addHeader("Retry-After", "0").body(errorBody(echoed, 0));
      case REDIRECT_302 ->
          response
              .code(302)
              .addHeader(
                  "Location", "/login?auth=" + URLEncoder.encode(echoed, StandardCharsets.UTF_8));
      case NOT_JSON_200 -> response.code(200).body(echoed);
    }
    return response.build();
  }

  /** Beebotte's error body, the echo in its message. */
  private static String errorBody(String echoed, int code) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ObjectNode error = body.putObject("error").put("message", "echo " + echoed);
    if (code != 0) {
      error.put("code", code);
    }
    return body.toString();
  }

  /**
   * OkHttp itself is the judge: each value goes into a header unchanged (neither refused nor
   * trimmed).
   */
  private static void assertSendable(Credentials credentials) {
    List<String> used =
        credentials instanceof Credentials.Keys k
            ? List.of(k.apiKey(), k.secretKey())
            : List.of(((Credentials.Token) credentials).token());
    for (String value : used) {
      assertThat(new Headers.Builder().add("X-Auth-Token", value).build().get("X-Auth-Token"))
          .as("an accepted value as OkHttp sends it")
          .isEqualTo(value);
    }
  }

  private static PolicyEvents events(Redactor redactor) {
    return new PolicyEvents(null, Clock.fixed(NOW, ZoneOffset.UTC), "me", redactor);
  }

  private static ConnectionPolicy policy() {
    ConnectionPolicy policy = new ConnectionPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("p").withNamespace("iot").build());
    return policy;
  }

  private static Secret secret(byte[] apiKey, byte[] secretKey, byte[] token) {
    Map<String, byte[]> values = new LinkedHashMap<>();
    if (apiKey != null) {
      values.put("apiKey", apiKey);
    }
    if (secretKey != null) {
      values.put("secretKey", secretKey);
    }
    if (token != null) {
      values.put("token", token);
    }
    return CredentialsLoaderTest.secret(values);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
