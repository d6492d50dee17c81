package io.cpol.beebotte;

import java.util.Objects;

/** Account-level Beebotte credentials. {@link #toString()} never shows secret material. */
public sealed interface Credentials {

  /** API key plus secret key: every request is HMAC-SHA1 signed. */
  record Keys(String apiKey, String secretKey) implements Credentials {
    public Keys {
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(secretKey, "secretKey");
    }

    @Override
    public String toString() {
      return "Keys[apiKey=" + apiKey + ", secretKey=***]";
    }
  }

  /** An IAM token ({@code iamtkn...}) sent as {@code X-Auth-Token}. */
  record Token(String token) implements Credentials {
    public Token {
      Objects.requireNonNull(token, "token");
    }

    @Override
    public String toString() {
      return "Token[***]";
    }
  }
}
