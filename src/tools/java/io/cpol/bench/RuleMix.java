package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.DenyRule;
import io.cpol.policy.SecretReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Deny rules for benchmarks, drawn from the listing they will be evaluated against so that some of
 * them match: exact userids (40%), userid globs (25%), client CIDRs (20%), channels (10%) and
 * usernames (5%), in a fixed interleaving so that even 10 rules hold every kind.
 *
 * <p>A policy holds at most 100 rules (the CRD's limit), so "R deny rules" means R deny entries: up
 * to 100 they are R rules of one entry each; beyond, 100 rules of R/100 entries each (e.g. 1,000 =
 * 100 rules × 10 userids, globs, CIDRs...). {@link #acrossPolicies} gives the other reading: R
 * one-entry rules split over policies of 100 on the same account.
 */
final class RuleMix {
  static final int MAX_RULES_PER_POLICY = 100;

  private enum Kind {
    USERID,
    GLOB,
    CIDR,
    CHANNEL,
    USERNAME
  }

  /** 8 userid, 5 glob, 4 CIDR, 2 channel and 1 username rule in every 20. */
  private static final Kind[] PATTERN = {
    Kind.USERID, Kind.GLOB, Kind.CIDR, Kind.USERID, Kind.CHANNEL,
    Kind.USERID, Kind.GLOB, Kind.CIDR, Kind.USERID, Kind.USERNAME,
    Kind.USERID, Kind.GLOB, Kind.CIDR, Kind.USERID, Kind.CHANNEL,
    Kind.USERID, Kind.GLOB, Kind.CIDR, Kind.USERID, Kind.GLOB
  };

  private static final String[] CONTRACTORS = {"xyz", "acme", "initech"};
  private static final String[] REAL_CHANNELS = {
    "telemetry", "billing", "alerts", "firmware", "private-ops", "presence-lobby"
  };

  private final List<Connection> listing;
  private final Random rnd;
  private final List<String> usernames = new ArrayList<>();

  private RuleMix(List<Connection> listing, long seed) {
    if (listing.isEmpty()) {
      throw new IllegalArgumentException("rules are drawn from a listing; it is empty");
    }
    this.listing = listing;
    this.rnd = new Random(seed);
    for (Connection c : listing) {
      if (c.username() != null && usernames.size() < 1000) {
        usernames.add(c.username());
      }
    }
  }

  /** One policy with {@code entries} deny entries of the mix (see the class comment). */
  static ConnectionPolicySpec onePolicy(List<Connection> listing, int entries, long seed) {
    RuleMix mix = new RuleMix(listing, seed);
    return spec(mix.rules(entries));
  }

  /** {@code rules} one-entry rules of the mix, split into policies of at most 100 rules. */
  static List<ConnectionPolicySpec> acrossPolicies(List<Connection> listing, int rules, long seed) {
    RuleMix mix = new RuleMix(listing, seed);
    List<ConnectionPolicySpec> policies = new ArrayList<>();
    for (int start = 0; start < rules; start += MAX_RULES_PER_POLICY) {
      int count = Math.min(MAX_RULES_PER_POLICY, rules - start);
      List<DenyRule> deny = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        deny.add(mix.rule(PATTERN[(start + i) % PATTERN.length], 1, start + i));
      }
      policies.add(spec(deny));
    }
    return policies;
  }

  /**
   * One policy holding every entry of {@code policies}' one-entry rules: rules alike but for their
   * entry (same kind, same protocols, same other matchers) become one rule listing all of their
   * entries, so it denies exactly the sessions the policies deny together.
   */
  static ConnectionPolicySpec merged(List<ConnectionPolicySpec> policies) {
    Map<List<Object>, DenyRule> byShape = new LinkedHashMap<>();
    for (ConnectionPolicySpec policy : policies) {
      for (DenyRule rule : policy.getDeny()) {
        Kind kind = kindOf(rule);
        List<Object> shape = new ArrayList<>();
        shape.add(kind);
        shape.add(rule.getProtocols());
        shape.add(kind == Kind.GLOB ? null : rule.getUseridPatterns());
        DenyRule into = byShape.computeIfAbsent(shape, k -> shapeOf(rule, kind));
        entries(into, kind).addAll(entries(rule, kind));
      }
    }
    return spec(new ArrayList<>(byShape.values()));
  }

  /** A rule of {@code rule}'s shape with no entries yet. */
  private static DenyRule shapeOf(DenyRule rule, Kind kind) {
    DenyRule empty = new DenyRule();
    empty.setProtocols(rule.getProtocols());
    if (kind != Kind.GLOB) {
      empty.setUseridPatterns(rule.getUseridPatterns());
    }
    switch (kind) {
      case USERID -> empty.setUserids(new ArrayList<>());
      case GLOB -> empty.setUseridPatterns(new ArrayList<>());
      case CIDR -> empty.setClientCIDRs(new ArrayList<>());
      case CHANNEL -> empty.setChannels(new ArrayList<>());
      case USERNAME -> empty.setUsernames(new ArrayList<>());
    }
    return empty;
  }

  private static Kind kindOf(DenyRule rule) {
    if (rule.getChannels() != null) {
      return Kind.CHANNEL;
    }
    if (rule.getUsernames() != null) {
      return Kind.USERNAME;
    }
    if (rule.getClientCIDRs() != null) {
      return Kind.CIDR;
    }
    return rule.getUserids() != null ? Kind.USERID : Kind.GLOB;
  }

  private static List<String> entries(DenyRule rule, Kind kind) {
    return switch (kind) {
      case USERID -> rule.getUserids();
      case GLOB -> rule.getUseridPatterns();
      case CIDR -> rule.getClientCIDRs();
      case CHANNEL -> rule.getChannels();
      case USERNAME -> rule.getUsernames();
    };
  }

  /** One policy denying {@code count} exact userids, half of them live in the listing. */
  static ConnectionPolicySpec exactUserids(List<Connection> listing, int count, long seed) {
    RuleMix mix = new RuleMix(listing, seed);
    List<DenyRule> deny = new ArrayList<>();
    int rules = Math.min(count, MAX_RULES_PER_POLICY);
    for (int i = 0; i < rules; i++) {
      int entries = count / rules + (i < count % rules ? 1 : 0);
      DenyRule rule = new DenyRule();
      List<String> userids = new ArrayList<>(entries);
      for (int e = 0; e < entries; e++) {
        userids.add(mix.userid());
      }
      rule.setUserids(userids);
      deny.add(rule);
    }
    return spec(deny);
  }

  /** A valid spec around the given deny rules, enforcing with the default budget. */
  static ConnectionPolicySpec spec(List<DenyRule> deny) {
    ConnectionPolicySpec spec = new ConnectionPolicySpec();
    spec.setCredentialsRef(new SecretReference("beebotte-account"));
    spec.setDeny(deny);
    return spec;
  }

  private List<DenyRule> rules(int entries) {
    int rules = Math.min(entries, MAX_RULES_PER_POLICY);
    List<DenyRule> deny = new ArrayList<>(rules);
    for (int i = 0; i < rules; i++) {
      int perRule = entries / rules + (i < entries % rules ? 1 : 0);
      deny.add(rule(PATTERN[i % PATTERN.length], perRule, i));
    }
    return deny;
  }

  private DenyRule rule(Kind kind, int entries, int index) {
    DenyRule rule = new DenyRule();
    List<String> values = new ArrayList<>(entries);
    switch (kind) {
      case USERID -> {
        for (int e = 0; e < entries; e++) {
          values.add(userid());
        }
        rule.setUserids(values);
        // Some exact rules are narrowed to one protocol, as in "uid-12345 on mqtt".
        if (index % 4 == 0) {
          rule.setProtocols(List.of(Protocol.mqtt));
        }
      }
      case GLOB -> {
        for (int e = 0; e < entries; e++) {
          // The first glob rule carries the broad contractor pattern of the API example.
          values.add(
              index == 1 && e == 0 ? "contractor-" + pick(CONTRACTORS) + "-*" : glob(liveUserid()));
        }
        rule.setUseridPatterns(values);
      }
      case CIDR -> {
        for (int e = 0; e < entries; e++) {
          values.add(cidr());
        }
        rule.setClientCIDRs(values);
      }
      case CHANNEL -> {
        for (int e = 0; e < entries; e++) {
          values.add(
              rnd.nextInt(100) < 30
                  ? pick(REAL_CHANNELS)
                  : "tenant-" + pad(rnd.nextInt(10_000), 4) + "-feed");
        }
        // "Contractors subscribed to billing", not every subscriber of a channel.
        rule.setChannels(values);
        rule.setUseridPatterns(List.of("contractor-*"));
      }
      case USERNAME -> {
        for (int e = 0; e < entries; e++) {
          values.add(
              rnd.nextInt(100) < 20 && !usernames.isEmpty()
                  ? usernames.get(rnd.nextInt(usernames.size()))
                  : "former-employee-" + pad(rnd.nextInt(100_000), 5) + "@example.com");
        }
        rule.setUsernames(values);
        rule.setProtocols(List.of(Protocol.socketio));
      }
    }
    return rule;
  }

  /** Half live userids, half revoked ones that are not connected. */
  private String userid() {
    return rnd.nextBoolean() ? liveUserid() : "revoked-device-" + pad(rnd.nextInt(1_000_000), 6);
  }

  private String liveUserid() {
    return listing.get(rnd.nextInt(listing.size())).userid();
  }

  /** A glob that matches its source userid and usually a few look-alikes. */
  private String glob(String userid) {
    int length = userid.length();
    int kind = rnd.nextInt(4);
    if (length < 4 || kind < 2) {
      return userid.substring(0, Math.max(1, length - 1)) + "*";
    }
    if (kind == 2) {
      return "*" + userid.substring(length / 2);
    }
    int at = length / 2 + rnd.nextInt(length - length / 2);
    return userid.substring(0, at) + "?" + userid.substring(at + 1);
  }

  private String cidr() {
    int kind = rnd.nextInt(100);
    if (kind < 20) {
      // Ranges nobody connects from: documentation addresses, IPv6 included.
      return rnd.nextBoolean()
          ? "192.0.2." + rnd.nextInt(256) + "/32"
          : "2001:db8:" + Integer.toHexString(rnd.nextInt(65536)) + "::/48";
    }
    if (kind >= 90) {
      // Whatever a live connection comes from; sometimes a NAT gateway many devices share.
      return liveIpv4(false) + "/32";
    }
    String device = liveIpv4(true);
    if (kind < 55) {
      return device.substring(0, device.lastIndexOf('.')) + ".0/24";
    }
    return device + "/32";
  }

  /** A live client address, preferably (when asked) one in 10.0.0.0/8, where devices sit. */
  private String liveIpv4(boolean privateRange) {
    for (int attempt = 0; attempt < 20; attempt++) {
      String ip = listing.get(rnd.nextInt(listing.size())).clientip();
      if (ip == null) {
        continue;
      }
      String v4 = ip.startsWith("::ffff:") ? ip.substring("::ffff:".length()) : ip;
      if (!privateRange || v4.startsWith("10.")) {
        return v4;
      }
    }
    return "10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254));
  }

  private String pick(String[] values) {
    return values[rnd.nextInt(values.length)];
  }

  private static String pad(int n, int width) {
    String digits = Integer.toString(n);
    return digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
  }
}
