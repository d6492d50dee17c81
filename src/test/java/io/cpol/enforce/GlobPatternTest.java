package io.cpol.enforce;

import static io.cpol.enforce.TestConnections.mqtt;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Globs against a regex built from the same pattern, both directly and through the tries. */
class GlobPatternTest {
  private static final String ALPHABET = "ab*?.";

  @Test
  void matchesLikeTheEquivalentRegexOnRandomInputs() {
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      String pattern = randomString(random, 1 + random.nextInt(7), ALPHABET);
      String text = randomString(random, random.nextInt(9), "ab.");
      assertThat(new GlobPattern(pattern).matches(text))
          .as("%s vs %s", pattern, text)
          .isEqualTo(regexFor(pattern).matcher(text).matches());
    }
  }

  @Test
  void compiledRulesFindGlobsThroughTheirAnchors() {
    Random random = new Random(43);
    Instant now = Instant.parse("2026-11-26T10:00:00Z");
    for (int i = 0; i < 2_000; i++) {
      String pattern = randomString(random, 1 + random.nextInt(6), ALPHABET);
      CompiledPolicy policy = TestSpecs.compile("deny: [{useridPatterns: ['" + pattern + "']}]");
      for (int j = 0; j < 5; j++) {
        String userid = randomString(random, random.nextInt(7), "ab.");
        assertThat(policy.evaluate(mqtt(userid), now).denied())
            .as("%s vs %s", pattern, userid)
            .isEqualTo(regexFor(pattern).matcher(userid).matches());
      }
    }
  }

  @Test
  void anchorsAreTheLiteralEnds() {
    GlobPattern contractor = new GlobPattern("contractor-*");
    assertThat(contractor.literalPrefix()).isEqualTo("contractor-");
    assertThat(contractor.isPrefixThenAnything()).isTrue();
    assertThat(contractor.isAnythingThenSuffix()).isFalse();

    GlobPattern tmp = new GlobPattern("**-tmp");
    assertThat(tmp.literalSuffix()).isEqualTo("-tmp");
    assertThat(tmp.isAnythingThenSuffix()).isTrue();

    GlobPattern middle = new GlobPattern("a?b*c");
    assertThat(middle.literalPrefix()).isEqualTo("a");
    assertThat(middle.literalSuffix()).isEqualTo("c");
    assertThat(middle.isPrefixThenAnything()).isFalse();
    assertThat(middle.isUnanchored()).isFalse();

    assertThat(new GlobPattern("*x*").isUnanchored()).isTrue();
    assertThat(new GlobPattern("exact").isPrefixThenAnything()).isFalse();
  }

  @Test
  void longPatternsStayLinearishWithoutRegexBacktracking() {
    String pattern = "*a".repeat(100) + "b";
    String text = "a".repeat(5000);
    assertThat(new GlobPattern(pattern).matches(text)).isFalse();
    assertThat(new GlobPattern(pattern).matches(text + "b")).isTrue();
  }

  static String randomString(Random random, int length, String alphabet) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  static Pattern regexFor(String glob) {
    return RandomizedPolicyPropertyTest.globRegex(glob);
  }
}
