package io.cpol.beebotte;

import java.nio.charset.StandardCharsets;

/**
 * Builds the request targets (path plus query, as on the request line) of the connection API,
 * percent-encoding every identifier so that it stays one path segment or one query value.
 */
final class RequestTarget {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private RequestTarget() {}

  /**
   * {@code /v1/connections[/{userid}][?sid=..][&protocol=..]}. A userid path with no query ends in
   * a bare {@code ?}, as Beebotte's official Node client sends and signs it.
   */
  static String list(ConnectionFilter filter) {
    StringBuilder target = new StringBuilder(64).append("/v1/connections");
    if (filter.userid() != null) {
      target.append('/').append(encode(requireNonEmpty(filter.userid(), "userid")));
    }
    return appendQuery(target, filter.sid(), filter.protocol(), filter.userid() != null);
  }

  /** {@code /v1/connections/drop/{userid}?[sid=..][&protocol=..]}, same conventions as list. */
  static String drop(DropTarget drop) {
    StringBuilder target =
        new StringBuilder(64)
            .append("/v1/connections/drop/")
            .append(encode(requireNonEmpty(drop.userid(), "userid")));
    return appendQuery(target, drop.sid(), drop.protocol(), true);
  }

  private static String appendQuery(
      StringBuilder target, String sid, Protocol protocol, boolean bareQuestionMark) {
    // sid before protocol: the order the official client uses, hence the order Beebotte signs.
    char separator = '?';
    if (sid != null) {
      target.append(separator).append("sid=").append(encode(requireNonEmpty(sid, "sid")));
      separator = '&';
    }
    if (protocol != null) {
      target.append(separator).append("protocol=").append(protocol.wireName());
      separator = '&';
    }
    if (separator == '?' && bareQuestionMark) {
      target.append('?');
    }
    return target.toString();
  }

  /**
   * Percent-encodes the UTF-8 bytes of everything but RFC 3986 unreserved characters. Stricter than
   * URL syntax requires: Beebotte's Node server decodes {@code +} in queries as a space and splits
   * on {@code &} and {@code =}, so only unreserved characters are certain to arrive unchanged.
   */
  static String encode(String value) {
    int i = 0;
    while (i < value.length() && isUnreserved(value.charAt(i))) {
      i++;
    }
    if (i == value.length()) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 16).append(value, 0, i);
    byte[] bytes = value.substring(i).getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      char c = (char) (b & 0xFF);
      if (isUnreserved(c)) {
        out.append(c);
      } else {
        out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
      }
    }
    return out.toString();
  }

  private static boolean isUnreserved(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  private static String requireNonEmpty(String value, String name) {
    if (value.isEmpty()) {
      // An empty userid would turn "/connections/drop/{userid}" into a different endpoint.
      throw new BeebotteException(
          BeebotteException.Kind.BAD_REQUEST, 0, 0, name + " must not be empty", null, null);
    }
    return value;
  }
}
