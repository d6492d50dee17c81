package io.cpol.enforce;

import static io.cpol.enforce.TestSpecs.spec;
import static io.cpol.enforce.TestSpecs.specWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cpol.beebotte.Protocol;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionSelector;
import io.cpol.policy.DenyRule;
import io.cpol.policy.Enforcement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A bad policy must never drop anything: compile refuses it and says every reason why. */
class PolicyValidationTest {
  static final String CONTRACT_EXAMPLE =
      """
      credentialsRef:
        name: beebotte-account
      endpoint: https://api.beebotte.com
      interval: 30s
      enforcement: Enforce
      suspend: false
      maxDropsPerSync: 100
      deny:
      - userids: ["uid-12345"]
        protocols: ["mqtt"]
      - useridPatterns: ["contractor-*"]
      - userids: ["uid-777"]
        sids: ["sid-098765"]
      - usernames: ["mallory"]
      - channels: ["billing"]
      - clientCIDRs: ["203.0.113.0/24"]
        until: "2026-12-31T00:00:00Z"
      allow:
      - userids: ["uid-admin"]
      report:
        connectionsLimit: 100
      """;

  @Test
  void contractExampleCompilesWithItsSettings() throws InvalidSpecException {
    CompiledPolicy policy = CompiledPolicy.compile(spec(CONTRACT_EXAMPLE));

    assertThat(policy.secretName()).isEqualTo("beebotte-account");
    assertThat(policy.endpoint()).isEqualTo("https://api.beebotte.com");
    assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.enforcement()).isEqualTo(Enforcement.Enforce);
    assertThat(policy.suspend()).isFalse();
    assertThat(policy.maxDropsPerSync()).isEqualTo(100);
    assertThat(policy.connectionsLimit()).isEqualTo(100);
  }

  @Test
  void defaultsApplyWhenFieldsAreLeftOut() throws InvalidSpecException {
    CompiledPolicy policy =
        CompiledPolicy.compile(spec("credentialsRef: {name: acct}\ndeny: [{userids: [u]}]"));

    assertThat(policy.endpoint()).isEqualTo(ConnectionPolicySpec.DEFAULT_ENDPOINT);
    assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.enforcement()).isEqualTo(Enforcement.Enforce);
    assertThat(policy.suspend()).isFalse();
    assertThat(policy.maxDropsPerSync()).isEqualTo(100);
    assertThat(policy.connectionsLimit()).isEqualTo(100);
  }

  @Test
  void explicitSettingsAreKept() throws InvalidSpecException {
    CompiledPolicy policy =
        CompiledPolicy.compile(
            specWith(
                """
                endpoint: http://beebotte-sim.test:8080/
                interval: 1m30s
                enforcement: DryRun
                suspend: true
                maxDropsPerSync: 1
                report: {connectionsLimit: 0}
                deny: [{protocols: [socketio]}]
                """));

    assertThat(policy.endpoint())
        .as("trailing slash trimmed so one account has one spelling")
        .isEqualTo("http://beebotte-sim.test:8080");
    assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(90));
    assertThat(policy.enforcement()).isEqualTo(Enforcement.DryRun);
    assertThat(policy.suspend()).isTrue();
    assertThat(policy.maxDropsPerSync()).isEqualTo(1);
    assertThat(policy.connectionsLimit()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "deny: [{useridPatterns: ['*']}]",
        "deny: [{protocols: [mqtt, socketio]}]",
        "deny: [{clientCIDRs: ['10.1.2.3/8', '2001:db8::/32', '::/0', '::ffff:203.0.113.0/120']}]",
        "deny: [{clientCIDRs: ['0.0.0.0/0', '203.0.113.7/32', '::1/128', 'fe80::/10']}]",
        "deny: [{userids: [u], until: '2026-12-31T00:00:00Z'}]",
        "deny: [{userids: [u], until: '2026-12-31t00:00:00.123456789z'}]",
        "deny: [{userids: [u], until: '2026-12-31T01:00:00+01:00'}]",
        "deny: [{sids: [s]}]\nallow: [{usernames: [root]}, {channels: [ops]}]",
        "interval: 1s\ndeny: [{sids: [s]}]",
        "interval: 24h\ndeny: [{sids: [s]}]",
        "interval: 1440m\ndeny: [{sids: [s]}]",
        "endpoint: https://api.beebotte.com/v1-proxy\ndeny: [{sids: [s]}]",
        "report: {connectionsLimit: 1000}\ndeny: [{sids: [s]}]",
      })
  void validSpecsCompile(String yaml) {
    TestSpecs.compile(yaml);
  }

  static Stream<Arguments> invalidSpecs() {
    return Stream.of(
        Arguments.of("deny: [{}]", "spec.deny[0]: a rule needs at least one matcher"),
        Arguments.of(
            "deny: [{until: '2026-12-31T00:00:00Z'}]",
            "spec.deny[0]: a rule needs at least one matcher"),
        Arguments.of(
            "deny: [{sids: [s]}]\nallow: [{}]", "spec.allow[0]: a rule needs at least one matcher"),
        Arguments.of("deny: [{userids: []}]", "spec.deny[0].userids: must have at least 1 entry"),
        Arguments.of(
            "deny: [{userids: ['']}]", "spec.deny[0].userids[0]: must be a non-empty string"),
        Arguments.of(
            "deny: [{userids: [a, null]}]",
            "spec.deny[0].userids[1]: must be a non-empty string, got null"),
        Arguments.of(
            "deny: [{sids: [s]}, {useridPatterns: ['']}]", "spec.deny[1].useridPatterns[0]: must"),
        Arguments.of(
            "deny: [{useridPatterns: ['" + "x".repeat(257) + "']}]",
            "spec.deny[0].useridPatterns[0]: must be a glob of 1 to 256 characters"),
        Arguments.of("deny: [{sids: ['']}]", "spec.deny[0].sids[0]"),
        Arguments.of("deny: [{usernames: []}]", "spec.deny[0].usernames: must have at least 1"),
        Arguments.of("deny: [{channels: ['']}]", "spec.deny[0].channels[0]"),
        Arguments.of("deny: [{protocols: []}]", "spec.deny[0].protocols: must have at least 1"),
        Arguments.of(
            "deny: [{sids: [s]}, {sids: [s]}, {clientCIDRs: ['10.0.0.0/33']}]",
            "spec.deny[2].clientCIDRs[0]: \"10.0.0.0/33\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['10.0.0.0']}]", "\"10.0.0.0\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['10.0.0/8']}]", "\"10.0.0/8\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['300.0.0.0/8']}]", "\"300.0.0.0/8\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['010.0.0.0/8']}]", "\"010.0.0.0/8\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['10.0.0.0/08']}]", "\"10.0.0.0/08\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['10.0.0.0/-1']}]", "\"10.0.0.0/-1\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['10.0.0.0/8/8']}]", "\"10.0.0.0/8/8\" is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['2001:db8::/129']}]", "\"2001:db8::/129\" is not"),
        Arguments.of("deny: [{clientCIDRs: ['2001:db8:::/32']}]", "\"2001:db8:::/32\" is not"),
        Arguments.of("deny: [{clientCIDRs: ['1:2:3:4:5:6:7:8:9/64']}]", "is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['fe80::1%eth0/64']}]", "is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['[::1]/128']}]", "is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: ['example.com/24']}]", "is not a CIDR"),
        Arguments.of("deny: [{clientCIDRs: [' 10.0.0.0/8']}]", "is not a CIDR"),
        Arguments.of(
            "deny: [{userids: [u], until: tomorrow}]",
            "spec.deny[0].until: \"tomorrow\" is not an RFC 3339 timestamp"),
        Arguments.of("deny: [{userids: [u], until: '2026-12-31'}]", "spec.deny[0].until"),
        Arguments.of("deny: [{userids: [u], until: '2026-12-31T00:00:00'}]", "spec.deny[0].until"),
        Arguments.of("deny: [{userids: [u], until: '2026-12-31T00:00Z'}]", "spec.deny[0].until"),
        Arguments.of("deny: [{userids: [u], until: '2026-13-01T00:00:00Z'}]", "spec.deny[0].until"),
        Arguments.of("deny: [{userids: [u], until: '2026-02-30T00:00:00Z'}]", "spec.deny[0].until"),
        Arguments.of(
            "interval: 500ms\ndeny: [{sids: [s]}]",
            "spec.interval: interval must be between 1s and 24h, got \"500ms\""),
        Arguments.of(
            "interval: 25h\ndeny: [{sids: [s]}]",
            "spec.interval: interval must be between 1s and 24h, got \"25h\""),
        Arguments.of("interval: 0s\ndeny: [{sids: [s]}]", "spec.interval"),
        Arguments.of("interval: -30s\ndeny: [{sids: [s]}]", "spec.interval"),
        Arguments.of(
            "interval: '30'\ndeny: [{sids: [s]}]", "spec.interval: invalid duration \"30\""),
        Arguments.of("interval: 1d\ndeny: [{sids: [s]}]", "spec.interval: invalid duration"),
        Arguments.of(
            "endpoint: ftp://api.beebotte.com\ndeny: [{sids: [s]}]",
            "spec.endpoint: \"ftp://api.beebotte.com\" is not an http(s) URL"),
        Arguments.of("endpoint: api.beebotte.com\ndeny: [{sids: [s]}]", "spec.endpoint"),
        Arguments.of("endpoint: 'https://'\ndeny: [{sids: [s]}]", "spec.endpoint"),
        Arguments.of("endpoint: 'https://a b'\ndeny: [{sids: [s]}]", "spec.endpoint"),
        Arguments.of("endpoint: 'https://host?x=1'\ndeny: [{sids: [s]}]", "spec.endpoint"),
        Arguments.of("endpoint: 'https://host:99999'\ndeny: [{sids: [s]}]", "spec.endpoint"),
        Arguments.of("endpoint: ''\ndeny: [{sids: [s]}]", "spec.endpoint"),
        Arguments.of(
            "maxDropsPerSync: 0\ndeny: [{sids: [s]}]",
            "spec.maxDropsPerSync: must be at least 1, got 0"),
        Arguments.of("maxDropsPerSync: -5\ndeny: [{sids: [s]}]", "spec.maxDropsPerSync"),
        Arguments.of(
            "report: {connectionsLimit: 1001}\ndeny: [{sids: [s]}]",
            "spec.report.connectionsLimit: must be between 0 and 1000, got 1001"),
        Arguments.of(
            "report: {connectionsLimit: -1}\ndeny: [{sids: [s]}]", "spec.report.connectionsLimit"),
        Arguments.of("suspend: true", "spec.deny: required"),
        Arguments.of("deny: []", "spec.deny: needs at least 1 rule"),
        Arguments.of("deny: [null]", "spec.deny[0]: must be a rule, got null"));
  }

  @ParameterizedTest
  @MethodSource("invalidSpecs")
  void invalidSpecsAreRefusedNamingTheField(String yaml, String expected) {
    InvalidSpecException e =
        catchThrowableOfType(
            InvalidSpecException.class, () -> CompiledPolicy.compile(specWith(yaml)));

    assertThat(e).as("compiling %s", yaml).isNotNull();
    assertThat(e.getMessage()).contains(expected);
  }

  @Test
  void credentialsAreRequired() {
    assertThatThrownBy(() -> CompiledPolicy.compile(spec("deny: [{sids: [s]}]")))
        .hasMessageContaining("spec.credentialsRef: required");
    assertThatThrownBy(
            () -> CompiledPolicy.compile(spec("credentialsRef: {}\ndeny: [{sids: [s]}]")))
        .hasMessageContaining("spec.credentialsRef.name: required");
    assertThatThrownBy(
            () ->
                CompiledPolicy.compile(
                    spec("credentialsRef: {name: Bad_Name}\ndeny: [{sids: [s]}]")))
        .hasMessageContaining("spec.credentialsRef.name: \"Bad_Name\" is not a valid Secret name");
  }

  @Test
  void nullSpecIsRefused() {
    assertThatThrownBy(() -> CompiledPolicy.compile(null)).hasMessage("spec: required");
  }

  @Test
  void endpointWithUserInfoIsRefusedWithoutEchoingIt() {
    InvalidSpecException e =
        catchThrowableOfType(
            InvalidSpecException.class,
            () ->
                CompiledPolicy.compile(
                    specWith(
                        "endpoint: https://key:s3cr3t@api.beebotte.com\ndeny: [{sids: [s]}]")));

    assertThat(e.getMessage()).contains("spec.endpoint: must not contain user info");
    assertThat(e.getMessage()).doesNotContain("s3cr3t");
  }

  @Test
  void everyProblemIsListedAtOnce() {
    InvalidSpecException e =
        catchThrowableOfType(
            InvalidSpecException.class,
            () ->
                CompiledPolicy.compile(
                    specWith(
                        """
                        interval: 2d
                        maxDropsPerSync: 0
                        deny:
                        - {}
                        - clientCIDRs: ["10.0.0.0/33", "10.0.0.0/8", "nope"]
                        allow:
                        - {}
                        """)));

    assertThat(e.problems())
        .hasSize(6)
        .anyMatch(p -> p.startsWith("spec.interval: "))
        .anyMatch(p -> p.startsWith("spec.maxDropsPerSync: "))
        .anyMatch(p -> p.startsWith("spec.deny[0]: a rule needs at least one matcher"))
        .contains(
            "spec.deny[1].clientCIDRs[0]: \"10.0.0.0/33\" is not a CIDR"
                + " (expected address/prefix-length, e.g. 203.0.113.0/24 or 2001:db8::/32)")
        .anyMatch(p -> p.startsWith("spec.deny[1].clientCIDRs[2]: \"nope\""))
        .anyMatch(p -> p.startsWith("spec.allow[0]: a rule needs at least one matcher"));
    assertThat(e.getMessage()).isEqualTo(String.join("; ", e.problems()));
  }

  @Test
  void untilOnAnAllowRuleIsRefused() {
    DenyRule expiringAllow = new DenyRule();
    expiringAllow.setUserids(List.of("uid-admin"));
    expiringAllow.setUntil("2026-12-31T00:00:00Z");
    ConnectionPolicySpec spec = specWith("deny: [{sids: [s]}]");
    spec.setAllow(List.of(expiringAllow));

    assertThatThrownBy(() -> CompiledPolicy.compile(spec))
        .hasMessageContaining("spec.allow[0].until: only deny rules can expire");
  }

  @Test
  void nullProtocolIsRefused() {
    DenyRule rule = new DenyRule();
    rule.setProtocols(Arrays.asList(Protocol.mqtt, null));
    ConnectionPolicySpec spec = specWith("deny: [{sids: [s]}]");
    spec.setDeny(List.of(rule));

    assertThatThrownBy(() -> CompiledPolicy.compile(spec))
        .hasMessageContaining("spec.deny[0].protocols[1]: must be mqtt or socketio");
  }

  @Test
  void ruleCountsAreBounded() {
    ConnectionPolicySpec spec = specWith("deny: [{sids: [s]}]");
    DenyRule rule = new DenyRule();
    rule.setSids(List.of("s"));
    spec.setDeny(Collections.nCopies(101, rule));
    ConnectionSelector allow = new ConnectionSelector();
    allow.setSids(List.of("s"));
    spec.setAllow(Collections.nCopies(101, allow));

    assertThatThrownBy(() -> CompiledPolicy.compile(spec))
        .hasMessageContaining("spec.deny: at most 100 rules, got 101")
        .hasMessageContaining("spec.allow: at most 100 rules, got 101");
  }

  @Test
  void listSizesFollowTheSchema() {
    DenyRule rule = new DenyRule();
    List<String> userids = new ArrayList<>();
    for (int i = 0; i <= 10_000; i++) {
      userids.add("uid-" + i);
    }
    rule.setUserids(userids);
    rule.setProtocols(List.of(Protocol.mqtt, Protocol.socketio, Protocol.mqtt));
    ConnectionPolicySpec spec = specWith("deny: [{sids: [s]}]");
    spec.setDeny(List.of(rule));

    assertThatThrownBy(() -> CompiledPolicy.compile(spec))
        .hasMessageContaining("spec.deny[0].userids: at most 10000 entries, got 10001")
        .hasMessageContaining("spec.deny[0].protocols: at most 2 entries, got 3");
  }

  @Test
  void longMessagesAreCappedButProblemsAreKept() {
    List<String> cidrs = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      cidrs.add("bad-" + i);
    }
    DenyRule rule = new DenyRule();
    rule.setClientCIDRs(cidrs);
    ConnectionPolicySpec spec = specWith("deny: [{sids: [s]}]");
    spec.setDeny(List.of(rule));

    InvalidSpecException e =
        catchThrowableOfType(InvalidSpecException.class, () -> CompiledPolicy.compile(spec));

    assertThat(e.problems()).hasSize(30);
    assertThat(e.getMessage())
        .contains("spec.deny[0].clientCIDRs[19]")
        .doesNotContain("spec.deny[0].clientCIDRs[20]")
        .endsWith("; and 10 more problems");
  }

  @Test
  void quotedValuesAreEscapedAndShortened() {
    assertThat(PolicyCompiler.quote("a\"b\\c\nd")).isEqualTo("\"a\\\"b\\\\c\\u000ad\"");
    assertThat(PolicyCompiler.quote("x".repeat(200))).isEqualTo("\"" + "x".repeat(80) + "...\"");
  }
}
