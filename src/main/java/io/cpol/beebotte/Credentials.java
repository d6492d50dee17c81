package io.cpol.beebotte;

import java.util.Objects;

/** Account-level Beebotte credentials. {@link #toString()} never shows secret material. */
public sealed interface Credentials {

  /**
   * What keeps {@code value} from being sent as a credential, in words that never quote it; null
   * when nothing does. OkHttp refuses a header value holding anything but tabs and printable ASCII
   * (and puts the whole value in its exception's message), and trims leading and trailing spaces
   * and tabs, which would send or sign another value than the Secret's. The secret key is never
   * sent, but Beebotte's keys are all printable ASCII too, so the same rule holds for it: a value
   * outside it is a damaged Secret (an editor's byte-order mark, a pasted line break), never a key
   * that works.
   */
  static String flaw(String value) {
    if (value.isEmpty()) {
      return "is empty";
    }
    if (value.charAt(0) == '\uFEFF') {
      return "starts with a byte-order mark (the file was saved as UTF-8 with BOM)";
    }
    if (isSpaceOrTab(value.charAt(0)) || isSpaceOrTab(value.charAt(value.length() - 1))) {
      return "starts or ends with a space or tab";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        return "holds a line break";
      }
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return "holds a control character";
      }
      if (c > 0x7F) {
        return "holds a character outside printable ASCII";
      }
    }
    return null;
  }

  private static boolean isSpaceOrTab(char c) {
    return c == ' ' || c == '\t';
  }

  /** API key plus secret key: every request is HMAC-SHA1 signed. */
  record Keys(String apiKey, String secretKey) implements Credentials {
    public Keys {
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(secretKey, "secretKey");
    }

    @Override
    public String toString() {
      return "Keys[***]";
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
