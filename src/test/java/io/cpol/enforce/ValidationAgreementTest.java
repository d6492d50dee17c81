package io.cpol.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.SpecConstraints;
import io.cpol.testing.CrdValidator;
import io.cpol.testing.EmbeddedKubernetes;
import io.cpol.testing.ValidationCases;
import io.cpol.testing.ValidationCases.Case;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRD (its schema and every CEL rule, evaluated by the embedded API server's admission) and
 * PolicyCompiler agree on every input of the validation table, both ways: what one accepts the
 * other accepts, and what one refuses the other refuses, naming the same fields. Both read their
 * rules from {@link SpecConstraints}; this checks that reading them in two engines (Go's RE2 and
 * CEL on the API server, java.util.regex and Java code in the operator) gives one answer.
 */
class ValidationAgreementTest {
  private static final CrdValidator CRD = CrdValidator.load(EmbeddedKubernetes.CRD);

  /** Every case but the missing namespace, which is the API server's matter, not the spec's. */
  static Stream<Case> cases() {
    return ValidationCases.all().stream().filter(c -> !"metadata.namespace".equals(c.field()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theCrdAndTheCompilerAgree(Case c) {
    CrdValidator.Result crd = CRD.create(c.object(), "Strict");

    if (c.valid()) {
      assertThat(crd.admitted()).as("the CRD accepts %s: %s", c, crd.status()).isTrue();
      assertThat(compile(c.object().get("spec"))).as("compiling %s as sent", c).isEmpty();
      assertThat(compile(crd.stored().get("spec"))).as("compiling %s as stored", c).isEmpty();
      return;
    }
    assertThat(crd.admitted()).as("the CRD refuses %s", c).isFalse();
    Set<String> crdFields =
        crd.errors().stream()
            .map(CrdValidator.Cause::field)
            .filter(f -> !f.equals("<nil>"))
            .collect(Collectors.toCollection(TreeSet::new));
    if (crdFields.isEmpty()) {
      // Refused before validation (strict decoding): the Status message names the field.
      assertThat(crd.status()).as("%s", c).contains("\"" + c.field() + "\"");
    } else {
      assertThat(crdFields).as("%s: %s", c, crd.status()).contains(c.field());
    }
    if (!c.typed()) {
      return;
    }
    List<String> problems = compile(c.object().get("spec"));
    Set<String> compilerFields =
        problems.stream()
            .map(p -> p.substring(0, p.indexOf(": ")))
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(compilerFields)
        .as(
            "%s: the compiler names the fields the API server names%n  API server: %s%n  compiler: %s",
            c, crd.errors(), problems)
        .isEqualTo(crdFields);
  }

  @Test
  void everyCelRuleOfTheCrdCompilesAndIsEvaluated() {
    assertThat(CRD.unsupportedRules()).isEmpty();
    assertThat(ValidationCases.all())
        .as("the table exercises each CEL rule's failure")
        .anyMatch(c -> c.id().equals("i01"))
        .anyMatch(c -> c.id().equals("i03"))
        .anyMatch(c -> c.id().equals("i28"));
  }

  /** Go's RE2 (the API server) and java.util.regex (the operator) read our patterns alike. */
  @Test
  void patternsMeanTheSameInGoAndJava() {
    Random random = new Random(12);
    String[] alphabets = {
      "0123456789./:",
      "0123456789abcdefABCDEF:./%",
      "0123456789-:TtZz.+ \n",
      "https:/[]@?#.-_~%ab12\u000b",
      "0123456789.nsuµμmh+-"
    };
    List<String> patterns =
        List.of(
            SpecConstraints.CIDR,
            SpecConstraints.RFC_3339,
            SpecConstraints.ENDPOINT,
            SpecConstraints.GO_DURATION,
            SpecConstraints.SECRET_NAME);
    for (String pattern : patterns) {
      com.google.re2j.Pattern go = com.google.re2j.Pattern.compile(pattern);
      Pattern java = Pattern.compile(pattern);
      for (int i = 0; i < 3_000; i++) {
        String text = randomText(random, alphabets[random.nextInt(alphabets.length)], seeds());
        assertThat(java.matcher(text).matches())
            .as("%s on %s", pattern.substring(0, 20), text)
            .isEqualTo(go.matcher(text).find());
      }
    }
  }

  /** The CIDR pattern (the CRD's) accepts exactly what the operator can parse. */
  @Test
  void theCidrPatternAcceptsExactlyWhatTheOperatorParses() {
    Random random = new Random(7);
    Pattern cidr = Pattern.compile(SpecConstraints.CIDR);
    int accepted = 0;
    for (int i = 0; i < 40_000; i++) {
      String text = randomText(random, "0123456789abcdefABCDEF:./%", seeds());
      boolean parsed = CidrRange.parse(text) != null;
      assertThat(cidr.matcher(text).matches()).as(text).isEqualTo(parsed);
      accepted += parsed ? 1 : 0;
    }
    assertThat(accepted).as("enough valid CIDRs were tried").isGreaterThan(300);
  }

  /** The until pattern accepts exactly the RFC 3339 instants java.time reads strictly. */
  @Test
  void theUntilPatternAcceptsExactlyRealInstants() {
    Random random = new Random(3);
    Pattern until = Pattern.compile(SpecConstraints.RFC_3339);
    DateTimeFormatter strict =
        DateTimeFormatter.ISO_OFFSET_DATE_TIME.withResolverStyle(ResolverStyle.STRICT);
    int accepted = 0;
    for (int i = 0; i < 20_000; i++) {
      String text =
          String.format(
              "%04d-%02d-%02d%s%02d:%02d:%02d%s%s",
              random.nextInt(3) == 0
                  ? random.nextInt(10_000)
                  : 1999 + random.nextInt(4) * 100 + random.nextInt(5),
              random.nextInt(14),
              random.nextInt(33),
              random.nextBoolean() ? "T" : "t",
              random.nextInt(26),
              random.nextInt(62),
              random.nextInt(62),
              random.nextInt(3) == 0 ? "." + "123456789".substring(0, 1 + random.nextInt(9)) : "",
              switch (random.nextInt(4)) {
                case 0 -> "Z";
                case 1 -> "z";
                default ->
                    String.format(
                        "%s%02d:%02d",
                        random.nextBoolean() ? "+" : "-", random.nextInt(19), random.nextInt(61));
              });
      boolean parses;
      try {
        OffsetDateTime.parse(text.toUpperCase(), strict);
        parses = true;
      } catch (DateTimeParseException e) {
        parses = false;
      }
      boolean offsetBeyondJava = text.matches(".*[+-]18:(0[1-9]|[1-5][0-9])$");
      if (!offsetBeyondJava) {
        assertThat(until.matcher(text).matches()).as(text).isEqualTo(parses);
      }
      accepted += parses ? 1 : 0;
    }
    assertThat(accepted).isGreaterThan(300);
  }

  private static final String[] SEEDS = {
    "10.0.0.0/8",
    "300.1.1.1/8",
    "::ffff:203.0.113.0/120",
    "2001:db8::/32",
    "1:2:3:4:5:6:7:8/128",
    "::/0",
    "1::/64",
    "fe80::1%eth0/64",
    "2026-12-31T00:00:00Z",
    "2026-02-29t23:59:59.5+01:00",
    "https://api.beebotte.com/v1",
    "http://[::1]:8080/",
    "1h30m",
    "1.s",
    ".5s",
    "beebotte-credentials"
  };

  private static String[] seeds() {
    return SEEDS;
  }

  /** Random text, often a seed with a few characters changed, inserted or removed. */
  private static String randomText(Random random, String alphabet, String[] seeds) {
    StringBuilder text =
        new StringBuilder(random.nextInt(3) == 0 ? "" : seeds[random.nextInt(seeds.length)]);
    int edits = random.nextInt(4);
    if (text.length() == 0) {
      int length = random.nextInt(24);
      for (int i = 0; i < length; i++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    for (int e = 0; e < edits; e++) {
      char c = alphabet.charAt(random.nextInt(alphabet.length()));
      int at = text.length() == 0 ? 0 : random.nextInt(text.length());
      switch (random.nextInt(3)) {
        case 0 -> text.insert(at, c);
        case 1 -> {
          if (text.length() > 0) {
            text.setCharAt(at, c);
          }
        }
        default -> {
          if (text.length() > 0) {
            text.deleteCharAt(at);
          }
        }
      }
    }
    return text.toString();
  }

  /** The compiler's problems with a spec, empty when it compiles. */
  private static List<String> compile(JsonNode spec) {
    ConnectionPolicySpec typed =
        Serialization.unmarshal(
                Serialization.asJson(
                    java.util.Map.of(
                        "apiVersion",
                        "beebotte.io/v1alpha1",
                        "kind",
                        "ConnectionPolicy",
                        "spec",
                        spec)),
                ConnectionPolicy.class)
            .getSpec();
    try {
      CompiledPolicy.compile(typed);
      return List.of();
    } catch (InvalidSpecException e) {
      return e.problems();
    }
  }
}
