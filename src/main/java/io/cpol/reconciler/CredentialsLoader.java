package io.cpol.reconciler;

import io.cpol.beebotte.Credentials;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reads Beebotte credentials from a Secret: {@code apiKey} + {@code secretKey}, or {@code token}.
 * Surrounding spaces, tabs and line breaks are taken off (what {@code echo} or an editor leaves at
 * the end of a file); a value that still cannot be sent (see {@link Credentials#flaw}) is refused,
 * naming its key and never quoting it.
 */
public final class CredentialsLoader {
  static final String API_KEY = "apiKey";
  static final String SECRET_KEY = "secretKey";
  static final String TOKEN = "token";

  /** Why a Secret could not give credentials; the message names keys, never values. */
  public static final class CredentialsProblem extends Exception {
    private final boolean invalid;

    CredentialsProblem(String message, boolean invalid) {
      super(message);
      this.invalid = invalid;
    }

    /**
     * True when the values are there but cannot be sent ({@code InvalidCredentials}); false when
     * the Secret or its keys are missing ({@code CredentialsNotFound}).
     */
    public boolean invalid() {
      return invalid;
    }
  }

  private CredentialsLoader() {}

  public static Credentials load(String namespace, String name, Secret secret)
      throws CredentialsProblem {
    String where = "Secret " + namespace + "/" + name;
    if (secret == null) {
      throw new CredentialsProblem(where + " not found", false);
    }
    String apiKey = stripped(read(secret, API_KEY));
    String secretKey = stripped(read(secret, SECRET_KEY));
    if (apiKey != null && secretKey != null) {
      return new Credentials.Keys(
          sendable(where, API_KEY, apiKey), sendable(where, SECRET_KEY, secretKey));
    }
    String token = stripped(read(secret, TOKEN));
    if (token != null) {
      return new Credentials.Token(sendable(where, TOKEN, token));
    }
    throw new CredentialsProblem(
        where + " has neither the keys apiKey and secretKey nor the key token", false);
  }

  /**
   * Every value under the keys credentials are read from, as stored and as {@link #load} would use
   * it (also without a byte-order mark): what the operator's scrubber must take out of any text,
   * whether the values are used, refused or ignored.
   */
  public static List<String> values(Secret secret) {
    List<String> values = new ArrayList<>();
    if (secret == null) {
      return values;
    }
    for (String key : List.of(API_KEY, SECRET_KEY, TOKEN)) {
      String raw = read(secret, key);
      String used = stripped(raw);
      // A blank value is no credential (load reads it as absent): scrubbing it would only take
      // every space out of every line.
      if (used != null) {
        values.add(raw);
        values.add(used);
        String withoutMark = stripped(used.replace("\uFEFF", ""));
        if (withoutMark != null) {
          values.add(withoutMark);
        }
      }
    }
    return values;
  }

  private static String sendable(String where, String key, String value) throws CredentialsProblem {
    String flaw = Credentials.flaw(value);
    if (flaw != null) {
      throw new CredentialsProblem(where + ": the value of key " + key + " " + flaw, true);
    }
    return value;
  }

  /** The value as stored, or null when the key is absent. */
  private static String read(Secret secret, String key) {
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      return new String(Base64.getMimeDecoder().decode(data.get(key)), StandardCharsets.UTF_8);
    }
    // An API server turns stringData into data on write; simpler stores may not.
    Map<String, String> stringData = secret.getStringData();
    return stringData == null ? null : stringData.get(key);
  }

  /** Without surrounding spaces, tabs and line breaks; null when nothing else is left. */
  private static String stripped(String value) {
    if (value == null) {
      return null;
    }
    int from = 0;
    int to = value.length();
    while (from < to && isBlank(value.charAt(from))) {
      from++;
    }
    while (to > from && isBlank(value.charAt(to - 1))) {
      to--;
    }
    return from == to ? null : value.substring(from, to);
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }
}
