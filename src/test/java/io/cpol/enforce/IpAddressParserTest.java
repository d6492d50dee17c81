package io.cpol.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressParserTest {
  private final IpAddressParser parser = new IpAddressParser();

  @ParameterizedTest
  @CsvSource({
    "0.0.0.0, 0",
    "203.0.113.7, 3405803783",
    "255.255.255.255, 4294967295",
    "::ffff:203.0.113.7, 3405803783",
    "::ffff:cb00:7107, 3405803783",
    "0:0:0:0:0:FFFF:203.0.113.7, 3405803783",
  })
  void readsIpv4AndUnmapsIpv4MappedIpv6(String text, long expected) {
    assertThat(parser.parse(text, true)).isTrue();
    assertThat(parser.ipv4).isTrue();
    assertThat(parser.lo).isEqualTo(expected);
  }

  @Test
  void keepsMappedAddressesAsIpv6WhenAskedTo() {
    assertThat(parser.parse("::ffff:203.0.113.7", false)).isTrue();
    assertThat(parser.ipv4).isFalse();
    assertThat(parser.hi).isZero();
    assertThat(parser.lo).isEqualTo(0xFFFF_CB00_7107L);
  }

  @ParameterizedTest
  @CsvSource({
    "::, 0, 0",
    "::1, 0, 1",
    "1::, 0x0001000000000000, 0",
    "2001:db8::1, 0x20010db800000000, 1",
    "2001:db8:0:1:ffff:ffff:ffff:ffff, 0x20010db800000001, -1",
    "1:2:3:4:5:6:7:8, 0x0001000200030004, 0x0005000600070008",
    "1:2:3:4:5:6:7::, 0x0001000200030004, 0x0005000600070000",
    "::2:3:4:5:6:7:8, 0x0000000200030004, 0x0005000600070008",
    "64:ff9b::192.0.2.33, 0x0064ff9b00000000, 0x00000000c0000221",
  })
  void readsIpv6(String text, String hi, String lo) {
    assertThat(parser.parse(text, true)).isTrue();
    assertThat(parser.ipv4).isFalse();
    assertThat(parser.hi).isEqualTo(Long.decode(hi));
    assertThat(parser.lo).isEqualTo(Long.decode(lo));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.256",
        "01.2.3.4",
        "1.2.3.4 ",
        "1..2.3",
        "a.b.c.d",
        ":",
        ":::",
        "1:2",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::",
        "::1::",
        "1:::2",
        ":1::",
        "1::2:",
        "12345::",
        "g::",
        "::ffff:1.2.3",
        "1:2:3:4:5:6:7:1.2.3.4",
        "::1.2.3.4:5",
        "fe80::1%eth0",
        "[::1]"
      })
  void rejectsWhatIsNotAnAddress(String text) {
    assertThat(parser.parse(text, true)).isFalse();
  }

  @Test
  void rejectsNull() {
    assertThat(parser.parse(null, true)).isFalse();
  }

  @Test
  void readsRandomAddressesInFullAndCompressedForms() {
    Random random = new Random(11);
    for (int i = 0; i < 5_000; i++) {
      int[] groups = new int[8];
      for (int g = 0; g < 8; g++) {
        groups[g] = random.nextInt(3) == 0 ? 0 : random.nextInt(0x10000);
      }
      long hi = 0;
      long lo = 0;
      for (int g = 0; g < 8; g++) {
        if (g < 4) {
          hi = (hi << 16) | groups[g];
        } else {
          lo = (lo << 16) | groups[g];
        }
      }
      boolean mapped = hi == 0 && (lo >>> 32) == 0xFFFF;
      for (String text : new String[] {full(groups), compressed(groups, random)}) {
        assertThat(parser.parse(text, false)).as(text).isTrue();
        assertThat(parser.hi).as(text).isEqualTo(hi);
        assertThat(parser.lo).as(text).isEqualTo(lo);
        assertThat(parser.parse(text, true)).as(text).isTrue();
        assertThat(parser.ipv4).as(text).isEqualTo(mapped);
      }
    }
  }

  private static String full(int[] groups) {
    StringBuilder s = new StringBuilder();
    for (int g = 0; g < 8; g++) {
      s.append(g == 0 ? "" : ":").append(Integer.toHexString(groups[g]));
    }
    return s.toString();
  }

  /** Replaces one random run of zero groups (if any) with "::". */
  private static String compressed(int[] groups, Random random) {
    int start = random.nextInt(8);
    while (start < 8 && groups[start] != 0) {
      start++;
    }
    if (start == 8) {
      return full(groups);
    }
    int end = start;
    while (end < 8 && groups[end] == 0) {
      end++;
    }
    StringBuilder s = new StringBuilder();
    for (int g = 0; g < start; g++) {
      s.append(g == 0 ? "" : ":").append(Integer.toHexString(groups[g]));
    }
    s.append("::");
    for (int g = end; g < 8; g++) {
      s.append(g == end ? "" : ":").append(Integer.toHexString(groups[g]));
    }
    return s.toString();
  }
}
