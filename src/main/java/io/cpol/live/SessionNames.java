package io.cpol.live;

import io.cpol.beebotte.Connection;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Session object names: {@code <protocol>.<userid>.<hash>}, e.g. {@code
 * mqtt.device-0042.6f1c03a9d2}. The protocol and userid are lower-cased with every run of
 * characters other than {@code a-z 0-9} turned into one {@code -} (the userid cut to 40), so the
 * name is a valid DNS subdomain whatever Beebotte reports; the hash (40 bits of a 64-bit FNV-1a of
 * the account, userid and sid) keeps sessions apart whose readable parts are the same (two sessions
 * of one device; Socket.IO sids that differ only in case). The same session has the same name in
 * every listing and every operator process.
 */
final class SessionNames {
  private static final int USERID_CHARS = 40;

  private SessionNames() {}

  static String of(String account, Connection c) {
    StringBuilder name = new StringBuilder(64);
    String protocol = readable(c.protocol(), 16);
    name.append(protocol.isEmpty() ? "unknown" : protocol).append('.');
    String userid = readable(c.userid(), USERID_CHARS);
    if (!userid.isEmpty()) {
      name.append(userid).append('.');
    }
    long hash = fnv1a(account + "\n" + c.userid() + "\n" + c.sid());
    String hex = Long.toHexString(hash >>> 24);
    name.append("0".repeat(10 - hex.length())).append(hex);
    return name.toString();
  }

  /** Lower-case letters and digits, other runs as one '-', no '-' at either end. */
  private static String readable(String value, int max) {
    if (value == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), max));
    String lower = value.toLowerCase(Locale.ROOT);
    for (int i = 0; i < lower.length() && out.length() < max; i++) {
      char ch = lower.charAt(i);
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
        out.append(ch);
      } else if (out.length() > 0 && out.charAt(out.length() - 1) != '-') {
        out.append('-');
      }
    }
    while (out.length() > 0 && out.charAt(out.length() - 1) == '-') {
      out.setLength(out.length() - 1);
    }
    return out.toString();
  }

  private static long fnv1a(String text) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    return hash;
  }
}
