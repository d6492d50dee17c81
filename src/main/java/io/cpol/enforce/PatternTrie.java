package io.cpol.enforce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Userid globs filed under their literal prefix (or, in a reversed trie, suffix), so a userid only
 * meets the globs whose anchor it starts (ends) with: walking the userid's characters visits
 * exactly those nodes. Globs without an anchor sit at the root and meet every userid.
 */
final class PatternTrie {
  private final Node root;
  private final boolean reversed;

  private PatternTrie(Node root, boolean reversed) {
    this.root = root;
    this.reversed = reversed;
  }

  Node root() {
    return root;
  }

  /** True when anchors are suffixes, so a userid is walked from its last character backwards. */
  boolean reversed() {
    return reversed;
  }

  boolean isEmpty() {
    return root.rules.length == 0 && root.keys.length == 0;
  }

  /**
   * Files a glob in whichever of the two tries its longer anchor goes by: the longer anchor narrows
   * candidates more, so "*-contractor" goes by its suffix.
   */
  static void file(GlobPattern pattern, int rule, Builder prefixes, Builder suffixes) {
    if (pattern.literalPrefix().length() >= pattern.literalSuffix().length()) {
      prefixes.add(pattern.literalPrefix(), rule, pattern);
    } else {
      suffixes.add(pattern.literalSuffix(), rule, pattern);
    }
  }

  /** One trie node: the globs whose anchor ends here, and the children by next character. */
  static final class Node {
    /** Rule indexes, ascending, parallel to {@link #patterns}. */
    final int[] rules;

    final GlobPattern[] patterns;
    private final char[] keys;
    private final Node[] children;

    /**
     * Children indexed by {@code c - firstKey} when the keys are dense enough (as digits or
     * lowercase letters under a common prefix are); null to binary-search {@link #keys} instead.
     */
    private final Node[] childrenByOffset;

    private final char firstKey;

    private Node(int[] rules, GlobPattern[] patterns, char[] keys, Node[] children) {
      this.rules = rules;
      this.patterns = patterns;
      this.keys = keys;
      this.children = children;
      int span = keys.length == 0 ? 0 : keys[keys.length - 1] - keys[0] + 1;
      if (keys.length > 1 && span <= 2 * keys.length + 16) {
        this.firstKey = keys[0];
        this.childrenByOffset = new Node[span];
        for (int i = 0; i < keys.length; i++) {
          childrenByOffset[keys[i] - firstKey] = children[i];
        }
      } else {
        this.firstKey = 0;
        this.childrenByOffset = null;
      }
    }

    /** The child for the next character, or null. */
    Node child(char c) {
      if (childrenByOffset != null) {
        int offset = c - firstKey;
        return offset >= 0 && offset < childrenByOffset.length ? childrenByOffset[offset] : null;
      }
      if (keys.length == 1) {
        return keys[0] == c ? children[0] : null;
      }
      int at = Arrays.binarySearch(keys, c);
      return at >= 0 ? children[at] : null;
    }
  }

  /** Collects (anchor, rule, glob) entries, then freezes them into sorted arrays. */
  static final class Builder {
    private final boolean reversed;
    private final MutableNode root = new MutableNode();

    Builder(boolean reversed) {
      this.reversed = reversed;
    }

    Builder add(String anchor, int rule, GlobPattern pattern) {
      MutableNode node = root;
      for (int i = 0; i < anchor.length(); i++) {
        char c = anchor.charAt(reversed ? anchor.length() - 1 - i : i);
        node = node.children.computeIfAbsent(c, k -> new MutableNode());
      }
      node.entries.add(new Entry(rule, pattern));
      return this;
    }

    PatternTrie build() {
      return new PatternTrie(root.freeze(), reversed);
    }
  }

  private record Entry(int rule, GlobPattern pattern) {}

  private static final class MutableNode {
    final List<Entry> entries = new ArrayList<>();
    final TreeMap<Character, MutableNode> children = new TreeMap<>();

    Node freeze() {
      List<Entry> sorted = new ArrayList<>(entries);
      sorted.sort(Comparator.comparingInt(Entry::rule));
      char[] keys = new char[children.size()];
      Node[] frozen = new Node[children.size()];
      int i = 0;
      for (var child : children.entrySet()) {
        keys[i] = child.getKey();
        frozen[i] = child.getValue().freeze();
        i++;
      }
      return new Node(
          sorted.stream().mapToInt(Entry::rule).toArray(),
          sorted.stream().map(Entry::pattern).toArray(GlobPattern[]::new),
          keys,
          frozen);
    }
  }
}
