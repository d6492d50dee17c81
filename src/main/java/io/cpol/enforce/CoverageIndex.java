package io.cpol.enforce;

import io.cpol.beebotte.Protocol;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Finds whether some rule of a set matches every session a userid could open ({@link
 * CompiledRule#matchesEverySessionOf}) without asking every rule: the question drop planning asks
 * of each policy for each denied userid, and again when it emits the call. Asking all of a policy's
 * rules made planning grow with rules × denied userids, so an account of 10 policies × 100 rules
 * planned twice as slowly as one policy holding the same entries in 6 rules.
 *
 * <p>Only a rule that constrains nothing but the identity can match every session, and such a rule
 * names the userid in at most one way that must hold: its userids (exact), else its userid globs,
 * else its sids (an MQTT session's sid is its userid). Each is filed under that one field: exact
 * values in hash maps, globs in prefix/suffix tries as {@link RuleSet} files them; rules that name
 * none (protocols alone) are met by every userid. The index only narrows the candidates: each one
 * found is still asked {@code matchesEverySessionOf} in full, so the answer is the scan's.
 */
final class CoverageIndex {
  private static final int[] NONE = new int[0];

  private final List<CompiledRule> rules;
  private final Map<String, int[]> byUserid;
  private final Map<String, int[]> bySid;
  private final PatternTrie byPatternPrefix;
  private final PatternTrie byPatternSuffix;
  private final int[] everyUserid;

  CoverageIndex(RuleSet ruleSet) {
    List<CompiledRule> all = new ArrayList<>(ruleSet.size());
    for (int i = 0; i < ruleSet.size(); i++) {
      all.add(ruleSet.rule(i));
    }
    this.rules = List.copyOf(all);
    Map<String, TreeSet<Integer>> userids = new HashMap<>();
    Map<String, TreeSet<Integer>> sids = new HashMap<>();
    PatternTrie.Builder prefixes = new PatternTrie.Builder(false);
    PatternTrie.Builder suffixes = new PatternTrie.Builder(true);
    TreeSet<Integer> rest = new TreeSet<>();
    for (int i = 0; i < this.rules.size(); i++) {
      CompiledRule rule = this.rules.get(i);
      if (!rule.constrainsOnlyIdentity()) {
        continue;
      }
      if (rule.userids() != null) {
        for (String userid : rule.userids()) {
          userids.computeIfAbsent(userid, k -> new TreeSet<>()).add(i);
        }
      } else if (rule.useridPatterns() != null) {
        for (GlobPattern pattern : rule.useridPatterns()) {
          PatternTrie.file(pattern, i, prefixes, suffixes);
        }
      } else if (rule.sids() != null) {
        for (String sid : rule.sids()) {
          sids.computeIfAbsent(sid, k -> new TreeSet<>()).add(i);
        }
      } else {
        rest.add(i);
      }
    }
    this.byUserid = RuleSet.freeze(userids);
    this.bySid = RuleSet.freeze(sids);
    this.byPatternPrefix = prefixes.build();
    this.byPatternSuffix = suffixes.build();
    this.everyUserid = rest.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Whether some rule matches every session of {@code userid} on {@code protocol} (null: any) at
   * {@code at}.
   */
  boolean anyMatchesEverySessionOf(String userid, Protocol protocol, Instant at) {
    // No call can name a session without a userid, so nothing covers it.
    if (userid == null) {
      return false;
    }
    return anyCovers(byUserid.getOrDefault(userid, NONE), userid, protocol, at)
        || anyCovers(bySid.getOrDefault(userid, NONE), userid, protocol, at)
        || anyCovers(everyUserid, userid, protocol, at)
        || anyInTrieCovers(byPatternPrefix, userid, protocol, at)
        || anyInTrieCovers(byPatternSuffix, userid, protocol, at);
  }

  private boolean anyCovers(int[] candidates, String userid, Protocol protocol, Instant at) {
    for (int candidate : candidates) {
      if (rules.get(candidate).matchesEverySessionOf(userid, protocol, at)) {
        return true;
      }
    }
    return false;
  }

  /** Walks the userid through the trie: the nodes met hold exactly the globs it is anchored by. */
  private boolean anyInTrieCovers(PatternTrie trie, String userid, Protocol protocol, Instant at) {
    if (trie.isEmpty()) {
      return false;
    }
    int length = userid.length();
    PatternTrie.Node node = trie.root();
    for (int depth = 0; node != null; depth++) {
      if (anyCovers(node.rules, userid, protocol, at)) {
        return true;
      }
      if (depth == length) {
        return false;
      }
      node = node.child(userid.charAt(trie.reversed() ? length - 1 - depth : depth));
    }
    return false;
  }
}
