package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
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
 *
 * <p>The rules of several policies can share one index as groups: then every group's lowest
 * matching rule is found in the same walk ({@link #collect}), which is how one pass evaluates all
 * the policies of an account.
 */
final class RuleSet {
  private final List<CompiledRule> rules;
  private final int[] groupOf;
  private final Map<String, int[]> bySid;
  private final Map<String, int[]> byUserid;
  private final Map<String, int[]> byUsername;
  private final Map<String, int[]> byChannel;
  private final PatternTrie byPatternPrefix;
  private final PatternTrie byPatternSuffix;
  private final CidrIndex byClientCidr;
  private final int[] protocolOnly;

  RuleSet(List<CompiledRule> rules) {
    this(rules, null);
  }

  /**
   * Rules of several groups (an account's policies) in one index; {@code groupOf[i]} is rule i's
   * group, or null when every rule belongs to group 0.
   */
  RuleSet(List<CompiledRule> rules, int[] groupOf) {
    this.rules = List.copyOf(rules);
    this.groupOf = groupOf == null ? null : groupOf.clone();
    if (groupOf != null && groupOf.length != rules.size()) {
      throw new IllegalArgumentException(rules.size() + " rules but " + groupOf.length + " groups");
    }
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
            PatternTrie.file(pattern, i, prefixes, suffixes);
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

  CompiledRule rule(int index) {
    return rules.get(index);
  }

  /**
   * Whether some rule could match a session of {@code userid} on {@code protocol} at {@code at}.
   */
  boolean anyCouldMatchSomeSessionOf(String userid, Protocol protocol, Instant at) {
    for (CompiledRule rule : rules) {
      if (rule.couldMatchSomeSessionOf(userid, protocol, at)) {
        return true;
      }
    }
    return false;
  }

  /** The index of the lowest-numbered rule active at {@code now} that matches, or -1. */
  int firstMatch(Connection c, Instant now, EvaluationScratch scratch) {
    GroupMatches single = scratch.singleGroup();
    collect(c, now, scratch, single);
    int best = single.best(0);
    single.reset();
    return best == GroupMatches.NONE ? -1 : best;
  }

  /**
   * For every group with a rule that matches, the lowest-numbered such rule, into {@code matches}
   * (which the caller reads and then resets). Groups {@code matches} skips are not looked at.
   */
  void collect(Connection c, Instant now, EvaluationScratch scratch, GroupMatches matches) {
    if (!bySid.isEmpty() && c.sid() != null) {
      firstIn(bySid.get(c.sid()), SelectorField.SIDS, matches, c, now, scratch);
    }
    if (!byUserid.isEmpty() && c.userid() != null) {
      firstIn(byUserid.get(c.userid()), SelectorField.USERIDS, matches, c, now, scratch);
    }
    if (!byUsername.isEmpty() && c.username() != null) {
      firstIn(byUsername.get(c.username()), SelectorField.USERNAMES, matches, c, now, scratch);
    }
    if (!byChannel.isEmpty()) {
      List<Subscription> subscriptions = c.subscriptions();
      for (int i = 0; i < subscriptions.size(); i++) {
        Subscription subscription = subscriptions.get(i);
        if (subscription != null && subscription.channel() != null) {
          firstIn(
              byChannel.get(subscription.channel()),
              SelectorField.CHANNELS,
              matches,
              c,
              now,
              scratch);
        }
      }
    }
    if (c.userid() != null) {
      firstInTrie(byPatternPrefix, matches, c, now, scratch);
      firstInTrie(byPatternSuffix, matches, c, now, scratch);
    }
    if (!byClientCidr.isEmpty()) {
      firstInCidrs(matches, c, now, scratch);
    }
    // Nothing has been checked for these yet: a protocol list is too coarse to index.
    firstIn(protocolOnly, null, matches, c, now, scratch);
  }

  private int groupOf(int rule) {
    return groupOf == null ? 0 : groupOf[rule];
  }

  /**
   * Candidates arrive in ascending order, so within a group the first one that matches is its best.
   * {@code matched} is the field the index already compared, or null when none was.
   */
  private void firstIn(
      int[] candidates,
      SelectorField matched,
      GroupMatches matches,
      Connection c,
      Instant now,
      EvaluationScratch scratch) {
    if (candidates == null) {
      return;
    }
    for (int candidate : candidates) {
      int group = groupOf(candidate);
      if (candidate >= matches.best(group) || matches.skips(group)) {
        if (groupOf == null) {
          return;
        }
        continue;
      }
      if (rules.get(candidate).matchesRest(c, now, matched, scratch)) {
        matches.offer(group, candidate);
        if (groupOf == null) {
          return;
        }
      }
    }
  }

  private void firstInTrie(
      PatternTrie trie,
      GroupMatches matches,
      Connection c,
      Instant now,
      EvaluationScratch scratch) {
    if (trie.isEmpty()) {
      return;
    }
    String userid = c.userid();
    int length = userid.length();
    PatternTrie.Node node = trie.root();
    for (int depth = 0; node != null; depth++) {
      int[] candidates = node.rules;
      for (int k = 0; k < candidates.length; k++) {
        int candidate = candidates[k];
        int group = groupOf(candidate);
        if (candidate >= matches.best(group) || matches.skips(group)) {
          if (groupOf == null) {
            break;
          }
          continue;
        }
        GlobPattern pattern = node.patterns[k];
        // Reaching this node already proves the anchor; most globs ("contractor-*") need no more.
        boolean anchorSuffices =
            trie.reversed() ? pattern.isAnythingThenSuffix() : pattern.isPrefixThenAnything();
        if ((anchorSuffices || pattern.matches(userid))
            && rules.get(candidate).matchesRest(c, now, SelectorField.USERID_PATTERNS, scratch)) {
          matches.offer(group, candidate);
          if (groupOf == null) {
            break;
          }
        }
      }
      if (depth == length) {
        break;
      }
      node = node.child(userid.charAt(trie.reversed() ? length - 1 - depth : depth));
    }
  }

  private void firstInCidrs(
      GroupMatches matches, Connection c, Instant now, EvaluationScratch scratch) {
    IpAddressParser address = scratch.clientAddress(c);
    if (address == null) {
      return;
    }
    int lengths = byClientCidr.lengthCount(address);
    for (int k = 0; k < lengths; k++) {
      firstIn(
          byClientCidr.rulesAt(address, k), SelectorField.CLIENT_CIDRS, matches, c, now, scratch);
    }
  }

  private static void file(Map<String, TreeSet<Integer>> index, Iterable<String> keys, int rule) {
    for (String key : keys) {
      index.computeIfAbsent(key, k -> new TreeSet<>()).add(rule);
    }
  }

  static Map<String, int[]> freeze(Map<String, TreeSet<Integer>> index) {
    Map<String, int[]> frozen = new HashMap<>(index.size() * 2);
    index.forEach(
        (key, ruleSet) -> frozen.put(key, ruleSet.stream().mapToInt(Integer::intValue).toArray()));
    return frozen;
  }
}
