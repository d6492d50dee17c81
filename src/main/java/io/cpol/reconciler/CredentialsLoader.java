package io.cpol.reconciler;

import io.cpol.beebotte.Credentials;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Reads Beebotte credentials from a Secret: {@code apiKey} + {@code secretKey}, or {@code token}.
 */
public final class CredentialsLoader {
  static final String API_KEY = "apiKey";
  static final String SECRET_KEY = "secretKey";
  static final String TOKEN = "token";

  /** Why a Secret could not give credentials; the message names keys, never values. */
  public static final class CredentialsProblem extends Exception {
    CredentialsProblem(String message) {
      super(message);
    }
  }

  private CredentialsLoader() {}

  public static Credentials load(String namespace, String name, Secret secret)
      throws CredentialsProblem {
    if (secret == null) {
      throw new CredentialsProblem("Secret " + namespace + "/" + name + " not found");
    }
    String apiKey = value(secret, API_KEY);
    String secretKey = value(secret, SECRET_KEY);
    if (apiKey != null && secretKey != null) {
      return new Credentials.Keys(apiKey, secretKey);
    }
    String token = value(secret, TOKEN);
    if (token != null) {
      return new Credentials.Token(token);
    }
    throw new CredentialsProblem(
        "Secret "
            + namespace
            + "/"
            + name
            + " has neither the keys apiKey and secretKey nor the key token");
  }

  private static String value(Secret secret, String key) {
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      String decoded =
          new String(Base64.getMimeDecoder().decode(data.get(key)), StandardCharsets.UTF_8).trim();
      return decoded.isEmpty() ? null : decoded;
    }
    // An API server turns stringData into data on write; simpler stores may not.
    Map<String, String> stringData = secret.getStringData();
    if (stringData != null && stringData.get(key) != null && !stringData.get(key).isBlank()) {
      return stringData.get(key).trim();
    }
    return null;
  }
}
