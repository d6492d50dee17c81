package io.cpol.beebotte;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Beebotte's request signature (HMAC-SHA1 over method, Content-MD5, Content-Type, Date and request
 * target), shared by the client that signs and the simulator that verifies.
 */
public final class RequestSigner {

  /**
   * IMF-fixdate as Node's {@code Date.toUTCString()} writes it; the two-digit day matters because
   * the Date header is part of the signed string, so {@link DateTimeFormatter#RFC_1123_DATE_TIME}
   * (which writes "5 Nov") would sign a different string than other clients on days 1-9.
   */
  public static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  private static final String HMAC_SHA1 = "HmacSHA1";

  private RequestSigner() {}

  /** The string HMAC'd for a request; absent headers contribute an empty line. */
  public static String stringToSign(
      String method, String contentMd5, String contentType, String date, String requestTarget) {
    return method
        + '\n'
        + nullToEmpty(contentMd5)
        + '\n'
        + nullToEmpty(contentType)
        + '\n'
        + nullToEmpty(date)
        + '\n'
        + requestTarget;
  }

  /** {@code base64(HMAC-SHA1(secretKey, stringToSign))}. */
  public static String signature(
      String secretKey,
      String method,
      String contentMd5,
      String contentType,
      String date,
      String requestTarget) {
    String toSign = stringToSign(method, contentMd5, contentType, date, requestTarget);
    try {
      Mac mac = Mac.getInstance(HMAC_SHA1);
      mac.init(new SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), HMAC_SHA1));
      byte[] digest = mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      // HmacSHA1 is mandatory in every Java platform, so this is a broken runtime, not bad input.
      throw new IllegalStateException("HmacSHA1 unavailable", e);
    }
  }

  /** The {@code Authorization} header value: {@code apiKey:signature}. */
  public static String authorization(
      String apiKey,
      String secretKey,
      String method,
      String contentMd5,
      String contentType,
      String date,
      String requestTarget) {
    return apiKey
        + ':'
        + signature(secretKey, method, contentMd5, contentType, date, requestTarget);
  }

  /**
   * True when {@code authorization} is exactly what {@link #authorization} yields for these inputs;
   * compares in constant time so a verifier does not leak how much of a guess matched.
   */
  public static boolean verifies(
      String authorization,
      String apiKey,
      String secretKey,
      String method,
      String contentMd5,
      String contentType,
      String date,
      String requestTarget) {
    if (authorization == null) {
      return false;
    }
    String expected =
        authorization(apiKey, secretKey, method, contentMd5, contentType, date, requestTarget);
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), authorization.getBytes(StandardCharsets.UTF_8));
  }

  /** Formats an instant for the {@code Date} header, e.g. {@code Thu, 26 Nov 2026 03:05:43 GMT}. */
  public static String httpDate(Instant instant) {
    return HTTP_DATE.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  /**
   * Parses an RFC 1123 date as found in {@code Date} or {@code Retry-After} headers; accepts one-
   * or two-digit days. Returns null when the value is not such a date.
   */
  public static Instant parseHttpDate(String value) {
    if (value == null) {
      return null;
    }
    try {
      return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
