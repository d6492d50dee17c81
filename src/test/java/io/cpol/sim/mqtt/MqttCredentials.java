package io.cpol.sim.mqtt;

import io.cpol.sim.BeebotteSimulator.Account;
import io.cpol.sim.Hmac;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Beebotte's MQTT login: the username carries the credential (Node client {@code lib/mqtt.js}).
 *
 * <ul>
 *   <li>the account's secret key, password empty or absent;
 *   <li>a token: {@code token:TOKEN} (what the Node client sends), or the bare token when it starts
 *       with {@code token_} or {@code iamtkn}; the token must be one the simulator knows;
 *   <li>the account's API key, with password {@code NAME:SIGNATURE} where {@code SIGNATURE =
 *       base64(HMAC-SHA1(secretKey, NAME))} and NAME is the user name that was signed.
 * </ul>
 *
 * The password is not looked at for secret-key and token logins (the doc says it is empty; a real
 * server that keys on the username ignores it the same way).
 */
public final class MqttCredentials {
  private final List<Account> accounts;
  private final Function<String, Optional<Account>> tokens;

  public MqttCredentials(List<Account> accounts, Function<String, Optional<Account>> tokens) {
    this.accounts = List.copyOf(accounts);
    this.tokens = tokens;
  }

  /** The account these credentials log into, or empty to refuse the CONNECT. */
  public Optional<Account> authenticate(String username, byte[] password) {
    if (username == null || username.isEmpty()) {
      return Optional.empty();
    }
    for (Account a : accounts) {
      if (Hmac.same(a.secretKey(), username)) {
        return Optional.of(a);
      }
    }
    if (username.startsWith("token:")) {
      return tokens.apply(username.substring("token:".length()));
    }
    if (username.startsWith("token_") || username.startsWith("iamtkn")) {
      return tokens.apply(username);
    }
    for (Account a : accounts) {
      if (a.apiKey().equals(username)) {
        return signed(a, password) ? Optional.of(a) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static boolean signed(Account a, byte[] password) {
    if (password == null) {
      return false;
    }
    String p = new String(password, StandardCharsets.UTF_8);
    int colon = p.lastIndexOf(':');
    if (colon <= 0) {
      return false;
    }
    String name = p.substring(0, colon);
    return Hmac.same(Hmac.sha1Base64(a.secretKey(), name), p.substring(colon + 1));
  }
}
