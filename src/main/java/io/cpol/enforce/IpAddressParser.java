package io.cpol.enforce;

/**
 * Reads textual IPv4 and IPv6 addresses into 128 bits, reusing its own buffers so that parsing a
 * client address per connection allocates nothing; not thread-safe, one instance per evaluation.
 *
 * <p>Strict on purpose: no leading zeros in IPv4 octets (ambiguous: octal or decimal?), no zones,
 * no brackets. An address that does not parse never matches a CIDR.
 */
final class IpAddressParser {
  private final int[] groups = new int[8];

  /** Whether the last successful parse read an IPv4 address (or an unmapped IPv4-mapped one). */
  boolean ipv4;

  /** High 64 bits of an IPv6 address; 0 for IPv4. */
  long hi;

  /** Low 64 bits of an IPv6 address, or the 32-bit IPv4 address. */
  long lo;

  /**
   * Parses {@code text}; when {@code unmapIpv4} is set, an IPv4-mapped IPv6 address such as {@code
   * ::ffff:203.0.113.7} is read as the IPv4 address it carries.
   *
   * @return false when the text is not an IP address (fields are then meaningless)
   */
  boolean parse(String text, boolean unmapIpv4) {
    if (text == null || text.isEmpty()) {
      return false;
    }
    if (text.indexOf(':') < 0) {
      long v4 = parseIpv4(text, 0, text.length());
      if (v4 < 0) {
        return false;
      }
      ipv4 = true;
      hi = 0;
      lo = v4;
      return true;
    }
    if (!parseIpv6(text)) {
      return false;
    }
    ipv4 = false;
    if (unmapIpv4 && hi == 0 && (lo >>> 32) == 0xFFFFL) {
      ipv4 = true;
      lo &= 0xFFFF_FFFFL;
    }
    return true;
  }

  /** The IPv4 address in {@code text[start, end)} as an unsigned 32-bit value, or -1. */
  private static long parseIpv4(String text, int start, int end) {
    long value = 0;
    int pos = start;
    for (int octet = 0; octet < 4; octet++) {
      if (octet > 0) {
        if (pos >= end || text.charAt(pos) != '.') {
          return -1;
        }
        pos++;
      }
      int digitsStart = pos;
      int octetValue = 0;
      while (pos < end && pos - digitsStart < 3 && isDecimal(text.charAt(pos))) {
        octetValue = octetValue * 10 + (text.charAt(pos) - '0');
        pos++;
      }
      int digits = pos - digitsStart;
      if (digits == 0 || octetValue > 255 || (digits > 1 && text.charAt(digitsStart) == '0')) {
        return -1;
      }
      value = (value << 8) | octetValue;
    }
    return pos == end ? value : -1;
  }

  private boolean parseIpv6(String text) {
    int end = text.length();
    int count = 0;
    int ellipsisAt = -1;
    int pos = 0;
    if (text.startsWith("::")) {
      ellipsisAt = 0;
      pos = 2;
    } else if (text.charAt(0) == ':') {
      return false;
    }
    while (pos < end) {
      int digitsStart = pos;
      int group = 0;
      while (pos < end && hexValue(text.charAt(pos)) >= 0) {
        group = (group << 4) | hexValue(text.charAt(pos));
        pos++;
        if (pos - digitsStart > 4 && (pos >= end || text.charAt(pos) != '.')) {
          return false;
        }
      }
      if (pos == digitsStart) {
        return false;
      }
      if (pos < end && text.charAt(pos) == '.') {
        // An embedded IPv4 address fills the last two groups.
        long v4 = parseIpv4(text, digitsStart, end);
        if (v4 < 0 || count > 6) {
          return false;
        }
        groups[count++] = (int) (v4 >>> 16);
        groups[count++] = (int) (v4 & 0xFFFF);
        pos = end;
        break;
      }
      if (pos - digitsStart > 4 || count == 8) {
        return false;
      }
      groups[count++] = group;
      if (pos == end) {
        break;
      }
      if (text.charAt(pos) != ':') {
        return false;
      }
      pos++;
      if (pos < end && text.charAt(pos) == ':') {
        if (ellipsisAt >= 0) {
          return false;
        }
        ellipsisAt = count;
        pos++;
      } else if (pos == end) {
        return false;
      }
    }
    if (ellipsisAt < 0 ? count != 8 : count > 7) {
      return false;
    }
    int zeros = 8 - count;
    hi = 0;
    lo = 0;
    for (int i = 0; i < 8; i++) {
      int group;
      if (ellipsisAt < 0 || i < ellipsisAt) {
        group = groups[i];
      } else if (i < ellipsisAt + zeros) {
        group = 0;
      } else {
        group = groups[i - zeros];
      }
      if (i < 4) {
        hi = (hi << 16) | group;
      } else {
        lo = (lo << 16) | group;
      }
    }
    return true;
  }

  private static boolean isDecimal(char c) {
    return c >= '0' && c <= '9';
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
