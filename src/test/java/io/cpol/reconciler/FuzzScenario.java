package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.RequestSigner;
import io.cpol.beebotte.TestingBeebotte.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * One generated run of an account: a Secret holding any bytes, policies, sessions that come and go,
 * and how Beebotte answers. Everything is a plain value with a readable {@code toString}, so a
 * shrunk counterexample can be read and replayed.
 */
record FuzzScenario(
    Map<String, SecretValue> secret,
    List<PolicyPlan> policies,
    List<Session> sessions,
    List<AnswerPlan> listAnswers,
    List<AnswerPlan> dropAnswers,
    AnswerPlan listAlways) {

  static final Instant START = Instant.parse("2026-12-07T12:00:00Z");

  /** Stands for the credential in generated texts (echoes in bodies, exception messages). */
  static final String ECHO = "<credential>";

  /**
   * Issue 20, deliverable 2 (one scrubber for everything written): the fake client echoes the
   * credential unredacted in error bodies, redirects and exception messages; the operator's one
   * scrubber (Redactor) must take it out of everything written. False leaves echoes out (to tell a
   * scrubber failure from another one while shrinking).
   */
  static final boolean CREDENTIAL_ECHOES = true;

  /** One value of the Secret, as bytes; shown in hex and as the loader would read it. */
  record SecretValue(byte[] bytes) {
    /** What the operator uses: UTF-8, trimmed (CredentialsLoader). */
    String loaded() {
      return new String(bytes, StandardCharsets.UTF_8).trim();
    }

    @Override
    public String toString() {
      return HexFormat.of().formatHex(bytes) + " (\"" + loaded().replace("\n", "\\n") + "\")";
    }
  }

  /** A policy: created at second 0, optionally changed (new spec) and deleted later. */
  record PolicyPlan(String name, String spec, int changeAt, String changedSpec, int deleteAt) {}

  /** A session: connects at {@code connectAt}, leaves by itself at {@code leaveAt} (0: stays). */
  record Session(Connection connection, int connectAt, int leaveAt) {}

  /** How Beebotte answers one call; {@link #ECHO} in texts becomes the credential. */
  record AnswerPlan(
      String kind, int status, String retryAfter, String body, boolean applied, long delayMs) {

    static final AnswerPlan NORMAL = new AnswerPlan("normal", 200, null, null, false, 0);

    Answer toAnswer(String credential) {
      Duration delay = Duration.ofMillis(delayMs);
      String text = body == null ? null : body.replace(ECHO, credential);
      return switch (kind) {
        case "normal" -> new Answer.Normal(delay);
        case "reset" -> new Answer.Reset(applied, delay);
        case "thrown" -> new Answer.Thrown(new IllegalStateException(text), delay);
        default -> {
          Map<String, String> headers = new LinkedHashMap<>();
          if (retryAfter != null) {
            headers.put("Retry-After", retryAfter);
          }
          if (status >= 300 && status < 400) {
            headers.put(
                "Location",
                "https://elsewhere.test/?key=" + (CREDENTIAL_ECHOES ? credential : "x"));
          }
          yield new Answer.Http(
              status,
              headers,
              text == null ? null : text.getBytes(StandardCharsets.UTF_8),
              applied,
              delay);
        }
      };
    }
  }

  static Arbitrary<FuzzScenario> scenarios() {
    return Combinators.combine(
            secrets(),
            policyPlans(),
            sessionPlans(),
            answers().list().ofMaxSize(12),
            answers().list().ofMaxSize(12),
            Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(AnswerPlan.NORMAL)), Tuple.of(1, answers())))
        .as(FuzzScenario::new);
  }

  static Arbitrary<Map<String, SecretValue>> secrets() {
    Arbitrary<SecretValue> value = secretValues();
    Arbitrary<Map<String, SecretValue>> keys =
        Combinators.combine(value, value).as((a, s) -> map("apiKey", a, "secretKey", s));
    Arbitrary<Map<String, SecretValue>> token = value.map(t -> map("token", t, null, null));
    return Arbitraries.oneOf(keys, token);
  }

  private static Map<String, SecretValue> map(
      String k1, SecretValue v1, String k2, SecretValue v2) {
    Map<String, SecretValue> m = new LinkedHashMap<>();
    m.put(k1, v1);
    if (k2 != null) {
      m.put(k2, v2);
    }
    return m;
  }

  /**
   * Issue 20, defect 1: a value an HTTP header cannot carry (a BOM, a newline, any byte outside
   * printable ASCII) is put in OkHttp's exception message and the pass fails and is retried at once
   * (a hot loop) on the old code; now refused when loaded (InvalidCredentials) and every task is
   * guarded. False keeps to printable ASCII bytes (to tell those paths from others while
   * shrinking).
   */
  static final boolean HEADER_UNSAFE_SECRETS = true;

  /** Any bytes; and often the shapes met in practice: clean, with a BOM, with a stray byte. */
  static Arbitrary<SecretValue> secretValues() {
    if (!HEADER_UNSAFE_SECRETS) {
      return Arbitraries.bytes()
          .between((byte) 0x21, (byte) 0x7e)
          .array(byte[].class)
          .ofMinSize(12)
          .ofMaxSize(40)
          .map(SecretValue::new);
    }
    Arbitrary<String> clean =
        Arbitraries.strings().alpha().numeric().ofMinLength(16).ofMaxLength(32);
    Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMinSize(12).ofMaxSize(40);
    Arbitrary<byte[]> bom = clean.map(s -> utf8("\uFEFFiamtkn_" + s));
    Arbitrary<byte[]> stray =
        Combinators.combine(clean, Arbitraries.of('\n', '\r', '\t', '\0', '\u007f', '\u00e9', ' '))
            .as((s, c) -> utf8(s.substring(0, 8) + c + s.substring(8)));
    return Arbitraries.frequencyOf(
            Tuple.of(4, clean.map(FuzzScenario::utf8)),
            Tuple.of(2, any),
            Tuple.of(1, bom),
            Tuple.of(1, stray))
        .map(SecretValue::new);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Arbitrary<String> specs() {
    Arbitrary<String> deny =
        Arbitraries.of(
            "{useridPatterns: [\"u*\"]}",
            "{userids: [u1, u2]}",
            "{userids: [u3], protocols: [mqtt]}",
            "{clientCIDRs: [\"10.0.1.0/24\"]}",
            "{protocols: [socketio]}",
            "{userids: [u4], sids: [s1]}",
            "{useridPatterns: [\"u?\"], until: \"2026-12-07T12:00:40Z\"}");
    Arbitrary<String> allow =
        Arbitraries.of(
            "", "allow: [{userids: [u2]}]\n", "allow: [{clientCIDRs: [\"10.0.0.7/32\"]}]\n");
    return Combinators.combine(
            Arbitraries.of("Enforce", "Enforce", "Enforce", "DryRun"),
            Arbitraries.of("5s", "10s", "30s", "1m"),
            Arbitraries.of(1, 3, 100),
            deny.list().ofMinSize(1).ofMaxSize(2),
            allow,
            Arbitraries.of(false, false, false, false, true))
        .as(
            (mode, interval, max, rules, allows, suspend) ->
                "enforcement: "
                    + mode
                    + "\ninterval: "
                    + interval
                    + "\nmaxDropsPerSync: "
                    + max
                    + (suspend ? "\nsuspend: true" : "")
                    + "\ndeny: ["
                    + String.join(", ", rules)
                    + "]\n"
                    + allows);
  }

  static Arbitrary<List<PolicyPlan>> policyPlans() {
    Arbitrary<int[]> times =
        Combinators.combine(
                Arbitraries.frequencyOf(
                    Tuple.of(2, Arbitraries.just(0)),
                    Tuple.of(1, Arbitraries.integers().between(1, 80))),
                Arbitraries.frequencyOf(
                    Tuple.of(3, Arbitraries.just(0)),
                    Tuple.of(1, Arbitraries.integers().between(1, 88))))
            .as((c, d) -> new int[] {c, d});
    return Combinators.combine(specs(), specs(), times)
        .as((spec, changed, t) -> new PolicyPlan("", spec, t[0], changed, t[1]))
        .list()
        .ofMinSize(1)
        .ofMaxSize(3)
        .map(
            plans -> {
              List<PolicyPlan> named = new ArrayList<>();
              for (int i = 0; i < plans.size(); i++) {
                PolicyPlan p = plans.get(i);
                named.add(
                    new PolicyPlan("p" + i, p.spec(), p.changeAt(), p.changedSpec(), p.deleteAt()));
              }
              return named;
            });
  }

  static Arbitrary<List<Session>> sessionPlans() {
    Arbitrary<String> userid =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.of("u0", "u1", "u2", "u3", "u4", "u5", "x1")),
            Tuple.of(1, Arbitraries.of("..", "a/b", "\u00fc", " u1", "u%2e")));
    Arbitrary<String> ip =
        Arbitraries.of(
            "10.0.0.7", "10.0.0.9", "10.0.1.3", "::ffff:10.0.1.4", "2001:db8::1", "nonsense", null);
    Arbitrary<Connection> connection =
        Combinators.combine(
                userid,
                Arbitraries.of("s0", "s1", "s2", "s3"),
                Arbitraries.of("mqtt", "mqtt", "socketio", "socketio", "coap", null),
                ip,
                Arbitraries.of("acme", "acme", "acme", null))
            .as(
                (u, s, protocol, clientip, owner) ->
                    new Connection(
                        u,
                        "mqtt".equals(protocol) ? u : s,
                        protocol,
                        u,
                        clientip,
                        owner,
                        "socketio".equals(protocol) ? "name-" + s : null,
                        List.of()));
    Arbitrary<Integer> connectAt =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 80)));
    Arbitrary<Integer> leaveAt =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 88)));
    return Combinators.combine(connection, connectAt, leaveAt)
        .as(Session::new)
        .list()
        .ofMaxSize(24);
  }

  static Arbitrary<AnswerPlan> answers() {
    Arbitrary<Long> delay =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.just(0L)),
            Tuple.of(2, Arbitraries.longs().between(1, 5_000)),
            Tuple.of(1, Arbitraries.just(30_000L)));
    Arbitrary<Integer> status =
        Arbitraries.frequencyOf(
            Tuple.of(
                4,
                Arbitraries.of(
                    400, 401, 403, 404, 405, 408, 409, 429, 500, 502, 503, 504, 301, 302)),
            Tuple.of(1, Arbitraries.integers().between(100, 599)));
    Arbitrary<String> retryAfter =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.just((String) null)),
            Tuple.of(2, Arbitraries.longs().between(0, 10_000_000_000L).map(Object::toString)),
            Tuple.of(1, Arbitraries.of("0", "1", "5", "600", "-1", " 7 ", "")),
            Tuple.of(
                1,
                Arbitraries.longs()
                    .between(-100, 1_000_000)
                    .map(s -> RequestSigner.httpDate(START.plusSeconds(s)))),
            Tuple.of(1, Arbitraries.strings().ofMaxLength(12)));
    Arbitrary<String> message =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(20),
            CREDENTIAL_ECHOES
                ? Arbitraries.of("bad key " + ECHO, ECHO, "Authorization: " + ECHO + ":sig")
                : Arbitraries.of("bad key", "Authorization: ***"));
    Arbitrary<String> body =
        Arbitraries.oneOf(
            Arbitraries.just((String) null),
            Combinators.combine(message, Arbitraries.of(0, 1, 1101, 1102, 1401))
                .as(
                    (m, code) ->
                        "{\"error\":{\"message\":\""
                            + m.replace("\\", "\\\\").replace("\"", "\\\"")
                            + "\",\"code\":"
                            + code
                            + "}}"),
            Arbitraries.strings().ofMaxLength(30),
            Arbitraries.of(
                "[{\"userid\":\"u1\",\"sid\":\"z\",\"protocol\":\"mqtt\"}]", "[{\"userid\":"));
    Arbitrary<AnswerPlan> http =
        Combinators.combine(status, retryAfter, body, Arbitraries.of(false, true), delay)
            .as((s, r, b, applied, d) -> new AnswerPlan("http", s, r, b, applied, d));
    Arbitrary<AnswerPlan> normal =
        delay.map(d -> new AnswerPlan("normal", 200, null, null, false, d));
    Arbitrary<AnswerPlan> reset =
        Combinators.combine(Arbitraries.of(false, true), delay)
            .as((applied, d) -> new AnswerPlan("reset", 0, null, null, applied, d));
    Arbitrary<AnswerPlan> thrown = message.map(m -> new AnswerPlan("thrown", 0, null, m, false, 0));
    return Arbitraries.frequencyOf(
        Tuple.of(3, normal), Tuple.of(5, http), Tuple.of(2, reset), Tuple.of(1, thrown));
  }
}
