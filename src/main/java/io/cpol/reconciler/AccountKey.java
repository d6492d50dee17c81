package io.cpol.reconciler;

import io.cpol.beebotte.Credentials;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One Beebotte account as the operator sees it: an endpoint plus credentials. The credentials are
 * kept only as a SHA-256 fingerprint, so keys can be logged or used as map keys safely.
 */
public record AccountKey(String endpoint, String fingerprint) {

  static AccountKey of(String endpoint, Credentials credentials) {
    String material =
        credentials instanceof Credentials.Keys k
            ? "keys\n" + k.apiKey() + "\n" + k.secretKey()
            : "token\n" + ((Credentials.Token) credentials).token();
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
      return new AccountKey(stripSlash(endpoint), HexFormat.of().formatHex(digest, 0, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String stripSlash(String endpoint) {
    return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
  }

  @Override
  public String toString() {
    return endpoint + "#" + fingerprint;
  }
}
