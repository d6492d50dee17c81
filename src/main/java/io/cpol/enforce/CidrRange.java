package io.cpol.enforce;

/**
 * An address range from a rule's {@code clientCIDRs}, with host bits cleared.
 *
 * <p>An IPv6 range inside {@code ::ffff:0:0/96} is stored as the IPv4 range it maps, because client
 * addresses are unmapped before matching: {@code ::ffff:203.0.113.0/120} and {@code 203.0.113.0/24}
 * mean the same. Other IPv6 ranges (even {@code ::/0}) never match IPv4 clients, as in Go's {@code
 * net/netip}.
 *
 * @param hi high 64 address bits (0 for IPv4)
 * @param lo low 64 address bits, or the 32-bit IPv4 address
 */
record CidrRange(boolean ipv4, int prefixLength, long hi, long lo) {
  private static final int MAPPED_PREFIX = 96;

  /** The range written as {@code address/prefixLength}, or null when the text is not a CIDR. */
  static CidrRange parse(String text) {
    if (text == null) {
      return null;
    }
    int slash = text.indexOf('/');
    if (slash < 0 || slash != text.lastIndexOf('/')) {
      return null;
    }
    IpAddressParser address = new IpAddressParser();
    if (!address.parse(text.substring(0, slash), false)) {
      return null;
    }
    int prefixLength = parsePrefixLength(text.substring(slash + 1), address.ipv4 ? 32 : 128);
    if (prefixLength < 0) {
      return null;
    }
    if (!address.ipv4
        && prefixLength >= MAPPED_PREFIX
        && address.hi == 0
        && (address.lo >>> 32) == 0xFFFFL) {
      return of(true, prefixLength - MAPPED_PREFIX, 0, address.lo & 0xFFFF_FFFFL);
    }
    return of(address.ipv4, prefixLength, address.hi, address.lo);
  }

  private static CidrRange of(boolean ipv4, int prefixLength, long hi, long lo) {
    return new CidrRange(
        ipv4, prefixLength, hi & highMask(ipv4, prefixLength), lo & lowMask(ipv4, prefixLength));
  }

  static long highMask(boolean ipv4, int prefixLength) {
    if (ipv4 || prefixLength == 0) {
      return 0;
    }
    return prefixLength >= 64 ? -1L : -1L << (64 - prefixLength);
  }

  static long lowMask(boolean ipv4, int prefixLength) {
    if (ipv4) {
      return prefixLength == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefixLength)) & 0xFFFF_FFFFL;
    }
    if (prefixLength <= 64) {
      return 0;
    }
    return prefixLength == 128 ? -1L : -1L << (128 - prefixLength);
  }

  private static int parsePrefixLength(String text, int max) {
    if (text.isEmpty() || text.length() > 3 || (text.length() > 1 && text.charAt(0) == '0')) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= max ? value : -1;
  }
}
