package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.RequestSigner;
import io.cpol.sim.RecordedCall.AuthKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Signed requests: the official client's vectors pass, everything else is a 400/1101. */
class KeysAuthenticationTest {
  static final String API_KEY = "b4a3d7f0c1e2";
  static final String SECRET = "9f3e1c2a7b6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f";
  static final Instant NOW = Instant.parse("2026-11-26T03:05:43Z");
  static final Path SHARED_VECTORS =
      Path.of("..", "shared", "testdata", "beebotte-signatures.json");

  /** One request signed by the official Node.js client. */
  record Vector(String method, String path, String date, String authorization, String secretKey) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private BeebotteSimulator sim;

  @AfterEach
  void stop() {
    if (sim != null) {
      sim.close();
    }
  }

  static Stream<Vector> vectors() throws IOException {
    List<Vector> out = new ArrayList<>();
    for (JsonNode v : loadVectors()) {
      assertThat(v.get("apiKey").asText()).isEqualTo(API_KEY);
      out.add(
          new Vector(
              v.get("method").asText(),
              v.get("path").asText(),
              v.get("date").asText(),
              v.get("authorization").asText(),
              v.get("secretKey").asText()));
    }
    return out.stream();
  }

  private static JsonNode loadVectors() throws IOException {
    try (InputStream in =
        KeysAuthenticationTest.class.getResourceAsStream("/sim/beebotte-signatures.json")) {
      return RawHttp.JSON.readTree(in);
    }
  }

  @Test
  void vectorCopyMatchesSharedTestdata() throws IOException {
    if (Files.exists(SHARED_VECTORS)) {
      assertThat(loadVectors())
          .as(
              "src/test/resources/sim/beebotte-signatures.json is a stale copy of %s",
              SHARED_VECTORS)
          .isEqualTo(RawHttp.JSON.readTree(SHARED_VECTORS.toFile()));
    }
    assertThat(loadVectors()).hasSize(7);
  }

  /**
   * Captured from Beebotte's official Node.js client (npm beebotte 1.7.0) listing userid {@code
   * capteur-é}: Node writes the request line as latin1, so the target carries the one byte 0xE9,
   * and the client HMACs the same string as UTF-8. A server that decodes the line as UTF-8 sees
   * U+FFFD there and calls the signature bad.
   */
  @Test
  void officialClientRequestWithARawNonAsciiByteIsAccepted() throws IOException {
    String date = "Tue, 01 Dec 2026 20:12:50 GMT";
    Instant at = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    sim =
        BeebotteSimulator.builder()
            .account("acct", "k", "s")
            .clock(Clock.fixed(at, ZoneOffset.UTC))
            .build()
            .start();
    sim.addConnection(new Connection("capteur-é", null, "mqtt", null, null, null, null, List.of()));
    byte[] request =
        ("GET /v1/connections/capteur-\u00e9? HTTP/1.1\r\nHost: 127.0.0.1\r\nDate: "
                + date
                + "\r\nAuthorization: k:mdoQNBVaN4ksfZVP8mi/IX0EpUM=\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    assertThat(request).contains((byte) 0xE9).doesNotContain((byte) 0xC3);

    RawHttp.Response r;
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendBytes(request);
      r = http.read(false);
    }

    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json())
        .singleElement()
        .satisfies(c -> assertThat(c.get("userid").asText()).isEqualTo("capteur-é"));
    assertThat(sim.requests().get(0).rawTarget()).isEqualTo("/v1/connections/capteur-\u00e9?");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void officialClientRequestIsAccepted(Vector v) throws IOException {
    Instant date = ZonedDateTime.parse(v.date(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    sim = simulator(Clock.fixed(date, ZoneOffset.UTC), v.secretKey());
    sim.addConnection(
        new Connection("uid-12345", "sid-098765", "socketio", null, null, null, "u", List.of()));

    RawHttp.Response r;
    try (RawHttp http = new RawHttp(sim.port())) {
      r = http.exchange(v.method(), v.path(), headers(v.date(), v.authorization()));
    }

    assertThat(r.status()).as(r.text()).isEqualTo(200);
    RecordedCall call = sim.requests().get(0);
    assertThat(call.rawTarget()).isEqualTo(v.path());
    assertThat(call.authKind()).isEqualTo(AuthKind.KEYS);
    assertThat(call.account()).isEqualTo("acct");
    if (v.method().equals("DELETE")) {
      assertThat(r.text()).isEqualTo("true");
      assertThat(sim.drops()).allSatisfy(d -> assertThat(d.rawTarget()).isEqualTo(v.path()));
    } else {
      assertThat(r.json().isArray()).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void signatureCoversTheTargetExactlyAsSent(Vector v) throws IOException {
    Instant date = ZonedDateTime.parse(v.date(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    sim = simulator(Clock.fixed(date, ZoneOffset.UTC), v.secretKey());
    // A trailing "?" dropped, or one added: same resource, different signed string.
    String altered =
        v.path().endsWith("?")
            ? v.path().substring(0, v.path().length() - 1)
            : v.path() + (v.path().contains("?") ? "&" : "?");

    assertAuthError(
        exchange(v.method(), altered, headers(v.date(), v.authorization())), "bad signature");
  }

  @Test
  void tamperedSignatureIsRejected() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    Map<String, String> h = RawHttp.signed(API_KEY, SECRET, "GET", "/v1/connections", NOW);
    String auth = h.get("Authorization");
    char last = auth.charAt(auth.length() - 2);
    h.put("Authorization", auth.substring(0, auth.length() - 2) + (last == 'A' ? 'B' : 'A') + "=");

    assertAuthError(exchange("GET", "/v1/connections", h), "bad signature");
    assertThat(sim.requests().get(0).account()).isNull();
    assertThat(sim.requests().get(0).authKind()).isEqualTo(AuthKind.KEYS);
  }

  @Test
  void signatureMadeWithAnotherSecretIsRejected() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    assertAuthError(
        exchange(
            "GET",
            "/v1/connections",
            RawHttp.signed(API_KEY, "other-secret", "GET", "/v1/connections", NOW)),
        "bad signature");
  }

  @Test
  void unknownApiKeyIsRejected() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    assertAuthError(
        exchange(
            "GET",
            "/v1/connections",
            RawHttp.signed("nobody", SECRET, "GET", "/v1/connections", NOW)),
        "unknown API key");
  }

  @Test
  void signatureForAnotherMethodIsRejected() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    String target = "/v1/connections/drop/uid-12345";
    assertAuthError(
        exchange("DELETE", target, RawHttp.signed(API_KEY, SECRET, "GET", target, NOW)),
        "bad signature");
  }

  @Test
  void dateOutsideTheSkewWindowIsRejectedBothWays() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    for (Duration offset : List.of(Duration.ofMinutes(-16), Duration.ofMinutes(16))) {
      Instant date = NOW.plus(offset);
      assertAuthError(
          exchange(
              "GET",
              "/v1/connections",
              RawHttp.signed(API_KEY, SECRET, "GET", "/v1/connections", date)),
          "skew");
    }
  }

  @Test
  void dateInsideTheSkewWindowIsAccepted() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    for (Duration offset : List.of(Duration.ofMinutes(-15), Duration.ofMinutes(14))) {
      Instant date = NOW.plus(offset);
      RawHttp.Response r =
          exchange(
              "GET",
              "/v1/connections",
              RawHttp.signed(API_KEY, SECRET, "GET", "/v1/connections", date));
      assertThat(r.status()).as(r.text()).isEqualTo(200);
    }
  }

  @Test
  void skewWindowIsConfigurable() throws IOException {
    sim =
        BeebotteSimulator.builder()
            .account("acct", API_KEY, SECRET)
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .dateSkew(Duration.ofSeconds(30))
            .build()
            .start();
    assertAuthError(
        exchange(
            "GET",
            "/v1/connections",
            RawHttp.signed(API_KEY, SECRET, "GET", "/v1/connections", NOW.minusSeconds(31))),
        "skew");
  }

  @Test
  void missingOrUnparseableDateIsRejected() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    String sig = RequestSigner.signature(SECRET, "GET", "", "", "", "/v1/connections");
    Map<String, String> noDate = Map.of("Authorization", API_KEY + ":" + sig);
    assertAuthError(exchange("GET", "/v1/connections", noDate), "missing Date");

    String bogus = "yesterday";
    String sig2 = RequestSigner.signature(SECRET, "GET", "", "", bogus, "/v1/connections");
    assertAuthError(
        exchange(
            "GET", "/v1/connections", Map.of("Date", bogus, "Authorization", API_KEY + ":" + sig2)),
        "unparseable Date");
  }

  @Test
  void malformedAuthorizationIsRejected() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    Map<String, String> h =
        new LinkedHashMap<>(RawHttp.signed(API_KEY, SECRET, "GET", "/v1/connections", NOW));
    h.put("Authorization", "no-colon-here");
    assertAuthError(exchange("GET", "/v1/connections", h), "malformed Authorization");
  }

  @Test
  void contentTypeAndMd5HeadersAreSignedAsSent() throws IOException {
    sim = simulator(Clock.fixed(NOW, ZoneOffset.UTC), SECRET);
    String date = RawHttp.HTTP_DATE.format(NOW);
    String md5 = "1B2M2Y8AsgTpgAmY7PhCfg==";
    String type = "application/json";
    String sig = RequestSigner.signature(SECRET, "GET", md5, type, date, "/v1/connections");
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Date", date);
    h.put("Content-MD5", md5);
    h.put("Content-Type", type);
    h.put("Authorization", API_KEY + ":" + sig);
    assertThat(exchange("GET", "/v1/connections", h).status()).isEqualTo(200);

    // The same signature without the headers it covered no longer verifies.
    h.remove("Content-Type");
    assertAuthError(exchange("GET", "/v1/connections", h), "bad signature");
  }

  @Test
  void keysOfOneAccountSeeOnlyThatAccount() throws IOException {
    sim =
        BeebotteSimulator.builder()
            .account("acct", API_KEY, SECRET)
            .account("other", "other-key", "other-secret")
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .build()
            .start();
    sim.addConnection(new Connection("mine", null, "mqtt", null, null, "acct", null, List.of()));
    sim.addConnection(new Connection("theirs", null, "mqtt", null, null, "other", null, List.of()));

    JsonNode listed =
        exchange(
                "GET",
                "/v1/connections",
                RawHttp.signed("other-key", "other-secret", "GET", "/v1/connections", NOW))
            .json();

    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).get("userid").asText()).isEqualTo("theirs");
    assertThat(listed.get(0).get("owner").asText()).isEqualTo("other");
    assertThat(sim.requests().get(0).account()).isEqualTo("other");
  }

  private BeebotteSimulator simulator(Clock clock, String secret) {
    return BeebotteSimulator.builder()
        .account("acct", API_KEY, secret)
        .clock(clock)
        .build()
        .start();
  }

  private RawHttp.Response exchange(String method, String target, Map<String, String> headers)
      throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      return http.exchange(method, target, headers);
    }
  }

  private static Map<String, String> headers(String date, String authorization) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Date", date);
    h.put("Authorization", authorization);
    return h;
  }

  static void assertAuthError(RawHttp.Response r, String messagePart) throws IOException {
    assertThat(r.status()).as(r.text()).isEqualTo(400);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    JsonNode error = r.json().get("error");
    assertThat(error.get("code").asInt()).isEqualTo(1101);
    assertThat(error.get("message").asText()).contains(messagePart);
  }
}
