package io.cpol.enforce;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which rules have a CIDR containing a given address: one primitive hash probe per distinct prefix
 * length in use, however many ranges there are, and no allocation per lookup.
 */
final class CidrIndex {
  private final int[] ipv4Lengths;
  private final AddressTable[] ipv4Tables;
  private final int[] ipv6Lengths;
  private final AddressTable[] ipv6Tables;

  private CidrIndex(
      int[] ipv4Lengths, AddressTable[] ipv4Tables, int[] ipv6Lengths, AddressTable[] ipv6Tables) {
    this.ipv4Lengths = ipv4Lengths;
    this.ipv4Tables = ipv4Tables;
    this.ipv6Lengths = ipv6Lengths;
    this.ipv6Tables = ipv6Tables;
  }

  boolean isEmpty() {
    return ipv4Tables.length == 0 && ipv6Tables.length == 0;
  }

  /** How many prefix lengths are in use for the address family of {@code address}. */
  int lengthCount(IpAddressParser address) {
    return address.ipv4 ? ipv4Tables.length : ipv6Tables.length;
  }

  /**
   * The rules (ascending) with a range of the {@code k}-th prefix length in use that contains the
   * address, or null.
   */
  int[] rulesAt(IpAddressParser address, int k) {
    int length = address.ipv4 ? ipv4Lengths[k] : ipv6Lengths[k];
    AddressTable table = address.ipv4 ? ipv4Tables[k] : ipv6Tables[k];
    return table.get(
        address.hi & CidrRange.highMask(address.ipv4, length),
        address.lo & CidrRange.lowMask(address.ipv4, length));
  }

  /** Whether any range in this index contains the address. */
  boolean containsAny(IpAddressParser address) {
    int count = lengthCount(address);
    for (int k = 0; k < count; k++) {
      if (rulesAt(address, k) != null) {
        return true;
      }
    }
    return false;
  }

  /** Collects ranges per rule, then freezes them into lookup tables. */
  static final class Builder {
    private final Map<Integer, Map<CidrRange, TreeSet<Integer>>> ipv4 = new TreeMap<>();
    private final Map<Integer, Map<CidrRange, TreeSet<Integer>>> ipv6 = new TreeMap<>();

    Builder add(CidrRange range, int rule) {
      (range.ipv4() ? ipv4 : ipv6)
          .computeIfAbsent(range.prefixLength(), length -> new HashMap<>())
          .computeIfAbsent(range, r -> new TreeSet<>())
          .add(rule);
      return this;
    }

    CidrIndex build() {
      List<AddressTable> ipv4Tables = tables(ipv4);
      List<AddressTable> ipv6Tables = tables(ipv6);
      return new CidrIndex(
          lengths(ipv4),
          ipv4Tables.toArray(AddressTable[]::new),
          lengths(ipv6),
          ipv6Tables.toArray(AddressTable[]::new));
    }

    private static int[] lengths(Map<Integer, Map<CidrRange, TreeSet<Integer>>> byLength) {
      return byLength.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    private static List<AddressTable> tables(
        Map<Integer, Map<CidrRange, TreeSet<Integer>>> byLength) {
      List<AddressTable> tables = new ArrayList<>();
      for (Map<CidrRange, TreeSet<Integer>> ranges : byLength.values()) {
        tables.add(new AddressTable(ranges));
      }
      return tables;
    }
  }

  /** Open-addressing hash table from a masked 128-bit address to rule indexes. */
  private static final class AddressTable {
    private final long[] his;
    private final long[] los;
    private final int[][] rules;
    private final int slotMask;

    AddressTable(Map<CidrRange, TreeSet<Integer>> ranges) {
      int capacity = Integer.highestOneBit(Math.max(2, ranges.size() * 2 - 1)) << 1;
      his = new long[capacity];
      los = new long[capacity];
      rules = new int[capacity][];
      slotMask = capacity - 1;
      ranges.forEach(
          (range, ruleSet) -> {
            int slot = slotOf(range.hi(), range.lo());
            while (rules[slot] != null) {
              slot = (slot + 1) & slotMask;
            }
            his[slot] = range.hi();
            los[slot] = range.lo();
            rules[slot] = ruleSet.stream().mapToInt(Integer::intValue).toArray();
          });
    }

    int[] get(long hi, long lo) {
      int slot = slotOf(hi, lo);
      while (rules[slot] != null) {
        if (his[slot] == hi && los[slot] == lo) {
          return rules[slot];
        }
        slot = (slot + 1) & slotMask;
      }
      return null;
    }

    private int slotOf(long hi, long lo) {
      long h = hi * 0x9E37_79B9_7F4A_7C15L + lo;
      h ^= h >>> 33;
      h *= 0xFF51_AFD7_ED55_8CCDL;
      h ^= h >>> 33;
      return (int) h & slotMask;
    }
  }
}
