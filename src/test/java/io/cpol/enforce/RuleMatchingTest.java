package io.cpol.enforce;

import static io.cpol.enforce.TestConnections.mqtt;
import static io.cpol.enforce.TestConnections.socketio;
import static io.cpol.enforce.TestConnections.subscribed;
import static io.cpol.enforce.TestConnections.withClientip;
import static io.cpol.enforce.TestConnections.withProtocol;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What one compiled policy decides about one connection, field by field. */
class RuleMatchingTest {
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  static Verdict verdict(String yaml, Connection c) {
    return TestSpecs.compile(yaml).evaluate(c, NOW);
  }

  static boolean denied(String yaml, Connection c) {
    return verdict(yaml, c).denied();
  }

  @Test
  void useridsMatchExactly() {
    String policy = "deny: [{userids: [uid-1, uid-2]}]";
    assertThat(denied(policy, mqtt("uid-1"))).isTrue();
    assertThat(denied(policy, socketio("uid-2", "s1"))).isTrue();
    assertThat(denied(policy, mqtt("uid-10"))).isFalse();
    assertThat(denied(policy, mqtt("UID-1"))).isFalse();
    assertThat(denied(policy, mqtt("uid-"))).isFalse();
  }

  @Test
  void sidsMatchOnlyThoseSessions() {
    String policy = "deny: [{userids: [uid-777], sids: [sid-098765]}]";
    assertThat(denied(policy, socketio("uid-777", "sid-098765"))).isTrue();
    assertThat(denied(policy, socketio("uid-777", "sid-other"))).isFalse();
    assertThat(denied(policy, socketio("uid-778", "sid-098765")))
        .as("the sid matched through the index, but the userid must match too")
        .isFalse();
  }

  @Test
  void usernamesMatchUserinfoUsername() {
    String policy = "deny: [{usernames: [mallory]}]";
    assertThat(denied(policy, socketio("u", "s", "::ffff:203.0.113.7", "mallory"))).isTrue();
    assertThat(denied(policy, socketio("u", "s", "::ffff:203.0.113.7", "alice"))).isFalse();
    assertThat(denied(policy, socketio("mallory", "s", "::ffff:203.0.113.7", null)))
        .as("a missing username never matches")
        .isFalse();
  }

  @Test
  void channelsMatchAnySubscription() {
    String policy = "deny: [{channels: [billing, audit]}]";
    assertThat(denied(policy, subscribed("u", "s", "telemetry", "billing"))).isTrue();
    assertThat(denied(policy, subscribed("u", "s", "audit"))).isTrue();
    assertThat(denied(policy, subscribed("u", "s", "telemetry"))).isFalse();
    assertThat(denied(policy, subscribed("u", "s"))).isFalse();
    assertThat(denied(policy, mqtt("billing"))).isFalse();
  }

  @Test
  void protocolsMatchTheWireValue() {
    String policy = "deny: [{protocols: [mqtt]}]";
    assertThat(denied(policy, mqtt("u"))).isTrue();
    assertThat(denied(policy, socketio("u", "s"))).isFalse();
    assertThat(denied(policy, withProtocol("MQTT"))).isFalse();
    assertThat(denied(policy, withProtocol("http"))).isFalse();
    assertThat(denied(policy, withProtocol(null))).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "contractor-*, contractor-42, true",
    "contractor-*, contractor-, true",
    "contractor-*, xcontractor-1, false",
    "contractor-*, contractor, false",
    "dev-?, dev-1, true",
    "dev-?, dev-12, false",
    "dev-?, dev-, false",
    "dev-?, dev-é, true",
    "??, \uD83D\uDE00x, true",
    "?, \uD83D\uDE00, true",
    "*-tmp, build-tmp, true",
    "*-tmp, -tmp, true",
    "*-tmp, build-tmp2, false",
    "a*b*c, abc, true",
    "a*b*c, a-b-b-c, true",
    "a*b*c, a-c-b, false",
    "a*a, a, false",
    "a*a, aa, true",
    "*a*, bab, true",
    "*a*, bbb, false",
    "a**b, ab, true",
    "*?, x, true",
    "*?, '', false",
    "exact, exact, true",
    "exact, exactly, false",
    "a.b, a.b, true",
    "a.b, axb, false",
    "a+, a+, true",
    "a+, aa, false",
    "(x)|y, (x)|y, true",
    "(x)|y, y, false",
    "[ab]c, [ab]c, true",
    "[ab]c, ac, false",
    "^x$, ^x$, true",
    "^x$, x, false",
    "a\\d, a\\d, true",
    "a\\d, a1, false",
    "a{2}, a{2}, true",
    "a{2}, aa, false",
    "\\Q*\\E, \\Qanything\\E, true",
  })
  void globsMatchLiterallyExceptStarAndQuestionMark(
      String pattern, String userid, boolean expected) {
    String policy = "deny: [{useridPatterns: ['" + pattern.replace("'", "''") + "']}]";
    assertThat(denied(policy, mqtt(userid))).as("%s vs %s", pattern, userid).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"anything", "", "*", "uid-1"})
  void starAloneMatchesEveryUserid(String userid) {
    assertThat(denied("deny: [{useridPatterns: ['*']}]", mqtt(userid))).isTrue();
  }

  @Test
  void aMissingUseridMatchesNoPattern() {
    Connection noUserid = new Connection(null, "s", "socketio", null, null, "acct", null, null);
    assertThat(denied("deny: [{useridPatterns: ['*']}]", noUserid)).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "203.0.113.0/24, ::ffff:203.0.113.7, true",
    "203.0.113.0/24, ::FFFF:203.0.113.7, true",
    "203.0.113.0/24, 0:0:0:0:0:ffff:203.0.113.7, true",
    "203.0.113.0/24, ::ffff:cb00:7107, true",
    "203.0.113.0/24, 203.0.113.255, true",
    "203.0.113.0/24, 203.0.114.1, false",
    "203.0.113.0/24, ::ffff:203.0.114.1, false",
    "203.0.113.9/24, 203.0.113.200, true",
    "203.0.113.7/32, 203.0.113.7, true",
    "203.0.113.7/32, 203.0.113.8, false",
    "0.0.0.0/0, ::ffff:198.51.100.20, true",
    "0.0.0.0/0, 2001:db8::1, false",
    "::ffff:203.0.113.0/120, 203.0.113.9, true",
    "::ffff:203.0.113.0/120, 203.0.112.9, false",
    "::ffff:0:0/96, 10.1.2.3, true",
    "2001:db8::/32, 2001:db8::1, true",
    "2001:db8::/32, 2001:0db8:ffff::1, true",
    "2001:db8::/32, 2001:db9::1, false",
    "2001:db8:0:1::/64, 2001:db8:0:1:ffff:ffff:ffff:ffff, true",
    "2001:db8:0:1::/64, 2001:db8:0:2::, false",
    "2001:db8::1:0/112, 2001:db8::1:abcd, true",
    "2001:db8::1:0/113, 2001:db8::1:abcd, false",
    "::1/128, ::1, true",
    "::/0, 2001:db8::1, true",
    "::/0, ::ffff:203.0.113.7, false",
    "::/0, 203.0.113.7, false",
  })
  void clientAddressesAreMatchedAfterUnmappingIpv4(String cidr, String clientip, boolean expected) {
    String policy = "deny: [{clientCIDRs: ['" + cidr + "']}]";
    assertThat(denied(policy, withClientip(clientip)))
        .as("%s contains %s", cidr, clientip)
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "garbage",
        "203.0.113",
        "203.0.113.7.1",
        "203.0.113.07",
        "::ffff:203.0.113.256",
        "fe80::1%eth0",
        "[::1]",
        "2001:db8::1::2",
        " 203.0.113.7"
      })
  void anUnparseableClientAddressNeverMatches(String clientip) {
    String policy = "deny: [{clientCIDRs: ['0.0.0.0/0', '::/0']}]";
    assertThat(denied(policy, withClientip(clientip))).isFalse();
  }

  @Test
  void aMissingClientAddressNeverMatches() {
    assertThat(denied("deny: [{clientCIDRs: ['0.0.0.0/0', '::/0']}]", withClientip(null)))
        .isFalse();
  }

  @Test
  void everyGivenFieldMustMatch() {
    String policy = "deny: [{userids: [uid-12345], protocols: [mqtt]}]";
    assertThat(denied(policy, mqtt("uid-12345"))).isTrue();
    assertThat(denied(policy, socketio("uid-12345", "s1"))).isFalse();
    assertThat(denied(policy, mqtt("uid-1"))).isFalse();
  }

  @Test
  void allSevenFieldsTogether() {
    String policy =
        """
        deny:
        - userids: [u]
          useridPatterns: ['?']
          sids: [s]
          usernames: [mallory]
          channels: [billing]
          clientCIDRs: [203.0.113.0/24]
          protocols: [socketio]
        """;
    Connection all =
        new Connection(
            "u",
            "s",
            "socketio",
            "u",
            "::ffff:203.0.113.7",
            "acct",
            "mallory",
            subscribed("u", "s", "billing").subscriptions());
    assertThat(denied(policy, all)).isTrue();
    assertThat(denied(policy, withIp(all, "::ffff:198.51.100.1"))).isFalse();
    assertThat(
            denied(
                policy,
                new Connection(
                    "u",
                    "s",
                    "socketio",
                    "u",
                    all.clientip(),
                    "acct",
                    "alice",
                    all.subscriptions())))
        .isFalse();
    assertThat(
            denied(
                policy,
                new Connection(
                    "u", "s", "mqtt", "u", all.clientip(), "acct", "mallory", all.subscriptions())))
        .isFalse();
  }

  @Test
  void globAndCidrTogether() {
    String policy = "deny: [{useridPatterns: ['*'], clientCIDRs: [203.0.113.0/24]}]";
    assertThat(denied(policy, socketio("x", "s", "203.0.113.1", null))).isTrue();
    assertThat(denied(policy, socketio("x", "s", "198.51.100.1", null))).isFalse();
  }

  @Test
  void anyRuleDenies() {
    String policy = "deny: [{userids: [a]}, {usernames: [mallory]}]";
    assertThat(denied(policy, mqtt("a"))).isTrue();
    assertThat(denied(policy, socketio("b", "s", null, "mallory"))).isTrue();
    assertThat(denied(policy, mqtt("b"))).isFalse();
  }

  @Test
  void noMatchingDenyRuleGivesNoRule() {
    assertThat(verdict("deny: [{userids: [a]}]", mqtt("b"))).isEqualTo(Verdict.NOT_DENIED);
    assertThat(Verdict.NOT_DENIED.rule()).isNull();
    assertThat(Verdict.NOT_DENIED.overriddenByAllow()).isFalse();
  }

  private static Connection withIp(Connection c, String clientip) {
    return new Connection(
        c.userid(),
        c.sid(),
        c.protocol(),
        c.clientid(),
        clientip,
        c.owner(),
        c.username(),
        c.subscriptions());
  }

  @Test
  void aRuleAppliesOnlyBeforeItsUntil() {
    String expired = "deny: [{userids: [u], until: '2026-11-26T09:59:59Z'}]";
    String current = "deny: [{userids: [u], until: '2026-11-26T10:00:01Z'}]";
    String endingNow = "deny: [{userids: [u], until: '2026-11-26T10:00:00Z'}]";
    String sameInstantOtherZone = "deny: [{userids: [u], until: '2026-11-26T11:00:00.5+01:00'}]";

    assertThat(denied(expired, mqtt("u"))).isFalse();
    assertThat(denied(current, mqtt("u"))).isTrue();
    assertThat(denied(endingNow, mqtt("u"))).isFalse();
    assertThat(denied(sameInstantOtherZone, mqtt("u"))).isTrue();
  }

  @Test
  void anExpiredRuleLetsALaterRuleDecide() {
    String policy =
        "deny: [{useridPatterns: ['u*'], until: '2026-01-01T00:00:00Z'}, {protocols: [mqtt]}]";
    assertThat(verdict(policy, mqtt("u"))).isEqualTo(new Verdict(true, "deny[1]"));
  }

  @Test
  void oneCompiledPolicyAnswersForEachInstant() {
    CompiledPolicy policy =
        TestSpecs.compile("deny: [{userids: [u], until: '2026-12-31T00:00:00Z'}]");
    assertThat(policy.evaluate(mqtt("u"), Instant.parse("2026-12-30T23:59:59Z")).denied()).isTrue();
    assertThat(policy.evaluate(mqtt("u"), Instant.parse("2026-12-31T00:00:00Z")).denied())
        .isFalse();
  }

  @Test
  void allowWinsOverDeny() {
    String policy =
        """
        deny: [{useridPatterns: ['*']}]
        allow: [{userids: [uid-admin]}, {protocols: [mqtt]}]
        """;
    assertThat(verdict(policy, socketio("uid-admin", "s")))
        .isEqualTo(new Verdict(false, "allow[0]"));
    assertThat(verdict(policy, mqtt("uid-admin"))).isEqualTo(new Verdict(false, "allow[0]"));
    assertThat(verdict(policy, mqtt("x"))).isEqualTo(new Verdict(false, "allow[1]"));
    assertThat(verdict(policy, socketio("x", "s"))).isEqualTo(new Verdict(true, "deny[0]"));
    assertThat(verdict(policy, mqtt("x")).overriddenByAllow()).isTrue();
  }

  @Test
  void allowWithoutMatchingDenyReportsNoRule() {
    String policy = "deny: [{userids: [a]}]\nallow: [{userids: [b]}]";
    assertThat(verdict(policy, mqtt("b"))).isEqualTo(Verdict.NOT_DENIED);
  }

  @Test
  void theLowestMatchingRuleIsReportedWhateverIndexFoundIt() {
    // Rule 0 is found through the CIDR index, rule 1 through sids, rule 2 through userids,
    // rule 3 through the protocol list, rule 4 through globs: all match this connection.
    String policy =
        """
        deny:
        - clientCIDRs: [203.0.113.0/24]
        - sids: [s1]
        - userids: [u]
        - protocols: [socketio]
        - useridPatterns: ['u*']
        """;
    Connection c = socketio("u", "s1", "::ffff:203.0.113.7", null);
    assertThat(verdict(policy, c)).isEqualTo(new Verdict(true, "deny[0]"));
    assertThat(verdict(policy, socketio("u", "s1", "198.51.100.1", null)))
        .isEqualTo(new Verdict(true, "deny[1]"));
    assertThat(verdict(policy, socketio("u", "s2", "198.51.100.1", null)))
        .isEqualTo(new Verdict(true, "deny[2]"));
    assertThat(verdict(policy, socketio("v", "s2", "198.51.100.1", null)))
        .isEqualTo(new Verdict(true, "deny[3]"));
    assertThat(verdict(policy, mqtt("uu"))).isEqualTo(new Verdict(true, "deny[4]"));
  }

  @Test
  void higherRulesStillCountWhenLowerOnesShareTheIndex() {
    String policy =
        """
        deny:
        - userids: [u]
          protocols: [mqtt]
        - userids: [u]
          usernames: [mallory]
        - userids: [u]
        """;
    assertThat(verdict(policy, mqtt("u")).rule()).isEqualTo("deny[0]");
    assertThat(verdict(policy, socketio("u", "s", null, "mallory")).rule()).isEqualTo("deny[1]");
    assertThat(verdict(policy, socketio("u", "s", null, "alice")).rule()).isEqualTo("deny[2]");
  }

  @Test
  void globsUnderPrefixAndSuffixFindTheLowestRule() {
    String policy =
        """
        deny:
        - useridPatterns: ['*-tmp']
        - useridPatterns: ['contractor-*']
        - useridPatterns: ['contractor-?-tmp']
        """;
    assertThat(verdict(policy, mqtt("contractor-1-tmp")).rule()).isEqualTo("deny[0]");
    assertThat(verdict(policy, mqtt("contractor-1")).rule()).isEqualTo("deny[1]");
    assertThat(verdict(policy, mqtt("x-tmp")).rule()).isEqualTo("deny[0]");
  }
}
