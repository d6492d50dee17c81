package io.cpol.enforce;

import java.util.Arrays;

/**
 * A userid glob: {@code *} matches any run of characters (including none), {@code ?} exactly one
 * character (code point), and every other character only itself. Matched directly, never through a
 * regex, so a pattern cannot smuggle regex syntax in.
 */
final class GlobPattern {
  private static final int ANY_RUN = -1;
  private static final int ANY_ONE = -2;

  private final String text;

  /** Code points, with {@link #ANY_RUN} and {@link #ANY_ONE} for the wildcards. */
  private final int[] tokens;

  private final String literalPrefix;
  private final String literalSuffix;
  private final boolean prefixThenAnything;
  private final boolean anythingThenSuffix;

  GlobPattern(String text) {
    this.text = text;
    int[] codePoints = text.codePoints().toArray();
    int[] collapsed = new int[codePoints.length];
    int count = 0;
    for (int codePoint : codePoints) {
      int token = codePoint == '*' ? ANY_RUN : codePoint == '?' ? ANY_ONE : codePoint;
      // "**" means the same as "*"; collapsing keeps backtracking cheap.
      if (token == ANY_RUN && count > 0 && collapsed[count - 1] == ANY_RUN) {
        continue;
      }
      collapsed[count++] = token;
    }
    this.tokens = Arrays.copyOf(collapsed, count);
    int firstWildcard = firstWildcard(text);
    if (firstWildcard < 0) {
      this.literalPrefix = text;
      this.literalSuffix = text;
    } else {
      this.literalPrefix = text.substring(0, firstWildcard);
      this.literalSuffix = text.substring(lastWildcard(text) + 1);
    }
    this.prefixThenAnything =
        tokens.length == literalPrefix.codePointCount(0, literalPrefix.length()) + 1
            && tokens[tokens.length - 1] == ANY_RUN;
    this.anythingThenSuffix =
        tokens.length == literalSuffix.codePointCount(0, literalSuffix.length()) + 1
            && tokens[0] == ANY_RUN;
  }

  /** The characters every match starts with; the whole text when there is no wildcard. */
  String literalPrefix() {
    return literalPrefix;
  }

  /** The characters every match ends with; the whole text when there is no wildcard. */
  String literalSuffix() {
    return literalSuffix;
  }

  /**
   * True when every string that starts with {@link #literalPrefix()} matches, as for {@code
   * contractor-*} or {@code *}: finding the prefix is the whole match.
   */
  boolean isPrefixThenAnything() {
    return prefixThenAnything;
  }

  /** True when every string that ends with {@link #literalSuffix()} matches, as {@code *-tmp}. */
  boolean isAnythingThenSuffix() {
    return anythingThenSuffix;
  }

  /** True when the pattern has no literal anchor at either end, like {@code *} or {@code *a*}. */
  boolean isUnanchored() {
    return literalPrefix.isEmpty() && literalSuffix.isEmpty();
  }

  boolean matches(String candidate) {
    if (candidate == null) {
      return false;
    }
    int t = 0;
    int c = 0;
    // Where to resume after the last '*': the token after it, and the candidate position it
    // has absorbed up to. Only the last star needs revisiting, which keeps this O(n*m).
    int starToken = -1;
    int starResume = 0;
    while (c < candidate.length()) {
      int codePoint = candidate.codePointAt(c);
      if (t < tokens.length && (tokens[t] == ANY_ONE || tokens[t] == codePoint)) {
        t++;
        c += Character.charCount(codePoint);
      } else if (t < tokens.length && tokens[t] == ANY_RUN) {
        starToken = ++t;
        starResume = c;
      } else if (starToken >= 0) {
        t = starToken;
        starResume += Character.charCount(candidate.codePointAt(starResume));
        c = starResume;
      } else {
        return false;
      }
    }
    while (t < tokens.length && tokens[t] == ANY_RUN) {
      t++;
    }
    return t == tokens.length;
  }

  private static int firstWildcard(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '*' || text.charAt(i) == '?') {
        return i;
      }
    }
    return -1;
  }

  private static int lastWildcard(String text) {
    for (int i = text.length() - 1; i >= 0; i--) {
      if (text.charAt(i) == '*' || text.charAt(i) == '?') {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return text;
  }
}
