package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An ordered list of rules (all deny, or all allow) with indexes that find the lowest-numbered
 * matching rule without scanning them all.
 *
 * <p>Each rule is filed under exactly one of its matchers ({@link CompiledRule#indexedBy()}): exact
 * values in hash maps, globs in prefix/suffix tries, CIDRs in per-prefix-length hash tables, and
 * protocol-only rules in a short list every connection meets. For a connection, each index yields
 * candidate rules whose filed matcher already matched; only their remaining fields are checked, and
 * candidates numbered at or above the best match so far are skipped. An exact-userid rule therefore
 * costs one hash lookup per connection, however many such rules there are.
 */
final class RuleSet {
  private static final int NO_MATCH = Integer.MAX_VALUE;

  private final List<CompiledRule> rules;
  private final Map<String, int[]> bySid;
  private final Map<String, int[]> byUserid;
  private final Map<String, int[]> byUsername;
  private final Map<String, int[]> byChannel;
  private final PatternTrie byPatternPrefix;
  private final PatternTrie byPatternSuffix;
  private final CidrIndex byClientCidr;
  private final int[] protocolOnly;

  RuleSet(List<CompiledRule> rules) {
    this.rules = List.copyOf(rules);
    Map<String, TreeSet<Integer>> sids = new HashMap<>();
    Map<String, TreeSet<Integer>> userids = new HashMap<>();
    Map<String, TreeSet<Integer>> usernames = new HashMap<>();
    Map<String, TreeSet<Integer>> channels = new HashMap<>();
    PatternTrie.Builder prefixes = new PatternTrie.Builder(false);
    PatternTrie.Builder suffixes = new PatternTrie.Builder(true);
    CidrIndex.Builder cidrs = new CidrIndex.Builder();
    TreeSet<Integer> protocolRules = new TreeSet<>();
    for (int i = 0; i < this.rules.size(); i++) {
      CompiledRule rule = this.rules.get(i);
      switch (rule.indexedBy()) {
        case SIDS -> file(sids, rule.sids(), i);
        case USERIDS -> file(userids, rule.userids(), i);
        case USERNAMES -> file(usernames, rule.usernames(), i);
        case CHANNELS -> file(channels, rule.channels(), i);
        case USERID_PATTERNS -> {
          for (GlobPattern pattern : rule.useridPatterns()) {
            // The longer anchor narrows candidates more: "*-contractor" goes by its suffix.
            if (pattern.literalPrefix().length() >= pattern.literalSuffix().length()) {
              prefixes.add(pattern.literalPrefix(), i, pattern);
            } else {
              suffixes.add(pattern.literalSuffix(), i, pattern);
            }
          }
        }
        case CLIENT_CIDRS -> {
          for (CidrRange range : rule.clientCidrs()) {
            cidrs.add(range, i);
          }
        }
        case PROTOCOLS -> protocolRules.add(i);
      }
    }
    this.bySid = freeze(sids);
    this.byUserid = freeze(userids);
    this.byUsername = freeze(usernames);
    this.byChannel = freeze(channels);
    this.byPatternPrefix = prefixes.build();
    this.byPatternSuffix = suffixes.build();
    this.byClientCidr = cidrs.build();
    this.protocolOnly = protocolRules.stream().mapToInt(Integer::intValue).toArray();
  }

  int size() {
    return rules.size();
  }

  /** The index of the lowest-numbered rule active at {@code now} that matches, or -1. */
  int firstMatch(Connection c, Instant now, EvaluationScratch scratch) {
    int best = NO_MATCH;
    if (!bySid.isEmpty() && c.sid() != null) {
      best = firstIn(bySid.get(c.sid()), SelectorField.SIDS, best, c, now, scratch);
    }
    if (!byUserid.isEmpty() && c.userid() != null) {
      best = firstIn(byUserid.get(c.userid()), SelectorField.USERIDS, best, c, now, scratch);
    }
    if (!byUsername.isEmpty() && c.username() != null) {
      best = firstIn(byUsername.get(c.username()), SelectorField.USERNAMES, best, c, now, scratch);
    }
    if (!byChannel.isEmpty()) {
      List<Subscription> subscriptions = c.subscriptions();
      for (int i = 0; i < subscriptions.size(); i++) {
        Subscription subscription = subscriptions.get(i);
        if (subscription != null && subscription.channel() != null) {
          best =
              firstIn(
                  byChannel.get(subscription.channel()),
                  SelectorField.CHANNELS,
                  best,
                  c,
                  now,
                  scratch);
        }
      }
    }
    if (c.userid() != null) {
      best = firstInTrie(byPatternPrefix, best, c, now, scratch);
      best = firstInTrie(byPatternSuffix, best, c, now, scratch);
    }
    if (!byClientCidr.isEmpty()) {
      best = firstInCidrs(best, c, now, scratch);
    }
    // Nothing has been checked for these yet: a protocol list is too coarse to index.
    best = firstIn(protocolOnly, null, best, c, now, scratch);
    return best == NO_MATCH ? -1 : best;
  }

  /**
   * Candidates arrive in ascending order, so the first one that matches is their best. {@code
   * matched} is the field the index already compared, or null when none was.
   */
  private int firstIn(
      int[] candidates,
      SelectorField matched,
      int best,
      Connection c,
      Instant now,
      EvaluationScratch scratch) {
    if (candidates == null) {
      return best;
    }
    for (int candidate : candidates) {
      if (candidate >= best) {
        return best;
      }
      if (rules.get(candidate).matchesRest(c, now, matched, scratch)) {
        return candidate;
      }
    }
    return best;
  }

  private int firstInTrie(
      PatternTrie trie, int best, Connection c, Instant now, EvaluationScratch scratch) {
    if (trie.isEmpty()) {
      return best;
    }
    String userid = c.userid();
    int length = userid.length();
    PatternTrie.Node node = trie.root();
    for (int depth = 0; node != null; depth++) {
      int[] candidates = node.rules;
      for (int k = 0; k < candidates.length && candidates[k] < best; k++) {
        GlobPattern pattern = node.patterns[k];
        // Reaching this node already proves the anchor; most globs ("contractor-*") need no more.
        boolean anchorSuffices =
            trie.reversed() ? pattern.isAnythingThenSuffix() : pattern.isPrefixThenAnything();
        if ((anchorSuffices || pattern.matches(userid))
            && rules
                .get(candidates[k])
                .matchesRest(c, now, SelectorField.USERID_PATTERNS, scratch)) {
          best = candidates[k];
          break;
        }
      }
      if (depth == length) {
        break;
      }
      node = node.child(userid.charAt(trie.reversed() ? length - 1 - depth : depth));
    }
    return best;
  }

  private int firstInCidrs(int best, Connection c, Instant now, EvaluationScratch scratch) {
    IpAddressParser address = scratch.clientAddress(c);
    if (address == null) {
      return best;
    }
    int lengths = byClientCidr.lengthCount(address);
    for (int k = 0; k < lengths; k++) {
      best =
          firstIn(
              byClientCidr.rulesAt(address, k), SelectorField.CLIENT_CIDRS, best, c, now, scratch);
    }
    return best;
  }

  private static void file(Map<String, TreeSet<Integer>> index, Iterable<String> keys, int rule) {
    for (String key : keys) {
      index.computeIfAbsent(key, k -> new TreeSet<>()).add(rule);
    }
  }

  private static Map<String, int[]> freeze(Map<String, TreeSet<Integer>> index) {
    Map<String, int[]> frozen = new HashMap<>(index.size() * 2);
    index.forEach(
        (key, ruleSet) -> frozen.put(key, ruleSet.stream().mapToInt(Integer::intValue).toArray()));
    return frozen;
  }
}
