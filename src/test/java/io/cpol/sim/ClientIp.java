package io.cpol.sim;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A client's address the way Beebotte lists it: IPv4 as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}).
 */
public final class ClientIp {
  private ClientIp() {}

  public static String of(InetSocketAddress address) {
    InetAddress a = address.getAddress();
    if (a == null) {
      return address.getHostString();
    }
    return of(a);
  }

  public static String of(InetAddress a) {
    if (a instanceof Inet4Address) {
      return "::ffff:" + a.getHostAddress();
    }
    if (a instanceof Inet6Address) {
      return compress(a.getHostAddress());
    }
    return a.getHostAddress();
  }

  /** Java writes IPv6 in full ({@code 0:0:0:0:0:0:0:1}); Node writes it short ({@code ::1}). */
  static String compress(String full) {
    int percent = full.indexOf('%');
    String address = percent < 0 ? full : full.substring(0, percent);
    String[] groups = address.split(":", -1);
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < groups.length; ) {
      if (!groups[i].equals("0")) {
        i++;
        continue;
      }
      int j = i;
      while (j < groups.length && groups[j].equals("0")) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    if (bestStart < 0) {
      return address;
    }
    String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
    String tail =
        String.join(
            ":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
    return head + "::" + tail;
  }
}
