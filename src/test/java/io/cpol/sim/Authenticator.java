package io.cpol.sim;

import io.cpol.beebotte.RequestSigner;
import io.cpol.sim.RecordedCall.AuthKind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;

/** Checks a request's credentials the way the API documentation describes; see the simulator. */
final class Authenticator {
  static final String READ = "admin:connection:read";
  static final String WRITE = "admin:connection:write";

  /** An IAM token, the account it belongs to, and its access rights. */
  record TokenGrant(String token, AccountStore account, Set<String> rights) {}

  /** Who the request is, or the error response that rejects it. */
  record Outcome(AuthKind kind, AccountStore account, SimResponse failure) {
    boolean accepted() {
      return failure == null;
    }
  }

  private final Map<String, AccountStore> byApiKey;
  private final Map<String, TokenGrant> tokens;
  private final Duration skew;
  private final Clock clock;

  Authenticator(
      Map<String, AccountStore> byApiKey,
      Map<String, TokenGrant> tokens,
      Duration skew,
      Clock clock) {
    this.byApiKey = Map.copyOf(byApiKey);
    this.tokens = Map.copyOf(tokens);
    this.skew = skew;
    this.clock = clock;
  }

  /** The kind of credentials the request carries, accepted or not; a token wins over keys. */
  static AuthKind presented(SimRequest request) {
    if (request.header("X-Auth-Token") != null) {
      return AuthKind.TOKEN;
    }
    return request.header("Authorization") != null ? AuthKind.KEYS : AuthKind.NONE;
  }

  Outcome authenticate(SimRequest request, String right) {
    return switch (presented(request)) {
      case TOKEN -> token(request.header("X-Auth-Token"), right);
      case KEYS -> keys(request);
      case NONE ->
          reject(
              AuthKind.NONE,
              400,
              1101,
              "missing credentials: send Authorization and Date, or X-Auth-Token");
    };
  }

  private Outcome token(String token, String right) {
    if (!token.startsWith("iamtkn")) {
      return reject(
          AuthKind.TOKEN,
          405,
          1102,
          "channel tokens cannot manage connections; use an IAM token (iamtkn...)");
    }
    TokenGrant grant = tokens.get(token);
    if (grant == null) {
      return reject(AuthKind.TOKEN, 400, 1101, "unknown token");
    }
    if (!grant.rights().contains(right)) {
      return reject(AuthKind.TOKEN, 403, 1102, "token lacks " + right);
    }
    return new Outcome(AuthKind.TOKEN, grant.account(), null);
  }

  private Outcome keys(SimRequest request) {
    String authorization = request.header("Authorization");
    int colon = authorization.indexOf(':');
    if (colon <= 0) {
      return reject(
          AuthKind.KEYS, 400, 1101, "malformed Authorization header: expected apiKey:signature");
    }
    AccountStore account = byApiKey.get(authorization.substring(0, colon));
    if (account == null) {
      return reject(AuthKind.KEYS, 400, 1101, "unknown API key");
    }
    String date = request.header("Date");
    if (date == null) {
      return reject(AuthKind.KEYS, 400, 1101, "missing Date header");
    }
    Instant sent;
    try {
      sent = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return reject(AuthKind.KEYS, 400, 1101, "unparseable Date header: " + date);
    }
    if (Duration.between(sent, clock.instant()).abs().compareTo(skew) > 0) {
      return reject(
          AuthKind.KEYS,
          400,
          1101,
          "Date header too far from server time (skew window " + skew + ")");
    }
    // Over the target as Beebotte's Node server holds it: one char per request-line byte, then
    // HMAC'd as UTF-8 (crypto's default for strings), which is also what the official client signs.
    String expected =
        RequestSigner.signature(
            account.secretKey,
            request.method(),
            nullToEmpty(request.header("Content-MD5")),
            nullToEmpty(request.header("Content-Type")),
            date,
            request.rawTarget());
    byte[] given = authorization.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given)) {
      return reject(AuthKind.KEYS, 400, 1101, "bad signature");
    }
    return new Outcome(AuthKind.KEYS, account, null);
  }

  private static Outcome reject(AuthKind kind, int status, int code, String message) {
    return new Outcome(kind, null, WireFormat.errorResponse(status, message, code));
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
