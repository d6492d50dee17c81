package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.Enforcement;
import java.time.Duration;
import java.time.Instant;

/**
 * A validated ConnectionPolicy spec with defaults applied and rules indexed for fast evaluation;
 * build one per spec generation and reuse it for every sync. Immutable and thread-safe.
 */
public final class CompiledPolicy {
  private final String secretName;
  private final String endpoint;
  private final Duration interval;
  private final Enforcement enforcement;
  private final boolean suspend;
  private final int maxDropsPerSync;
  private final int connectionsLimit;
  private final RuleSet deny;
  private final CoverageIndex denyCoverage;
  private final RuleSet allow;
  private final Verdict[] denyVerdicts;
  private final Verdict[] allowVerdicts;

  CompiledPolicy(
      String secretName,
      String endpoint /* null: the spec names none */,
      Duration interval,
      Enforcement enforcement,
      boolean suspend,
      int maxDropsPerSync,
      int connectionsLimit,
      RuleSet deny,
      RuleSet allow) {
    this.secretName = secretName;
    this.endpoint = endpoint;
    this.interval = interval;
    this.enforcement = enforcement;
    this.suspend = suspend;
    this.maxDropsPerSync = maxDropsPerSync;
    this.connectionsLimit = connectionsLimit;
    this.deny = deny;
    this.denyCoverage = new CoverageIndex(deny);
    this.allow = allow;
    // Shared verdicts: evaluating a connection allocates nothing.
    this.denyVerdicts = new Verdict[deny.size()];
    for (int i = 0; i < denyVerdicts.length; i++) {
      denyVerdicts[i] = new Verdict(true, "deny[" + i + "]");
    }
    this.allowVerdicts = new Verdict[allow.size()];
    for (int j = 0; j < allowVerdicts.length; j++) {
      allowVerdicts[j] = new Verdict(false, "allow[" + j + "]");
    }
  }

  /**
   * Validates the spec and compiles it. Never returns a policy that could match more than the spec
   * says: a spec the CRD schema would reject is refused here too.
   *
   * @throws InvalidSpecException listing every problem, each with its field path
   */
  public static CompiledPolicy compile(ConnectionPolicySpec spec) throws InvalidSpecException {
    return new PolicyCompiler().compile(spec);
  }

  /** Name of the Secret (in the policy's namespace) holding the Beebotte credentials. */
  public String secretName() {
    return secretName;
  }

  /** Base URL of the Beebotte API, without trailing slash; https://api.beebotte.com by default. */
  public String endpoint() {
    return endpoint == null ? ConnectionPolicySpec.DEFAULT_ENDPOINT : endpoint;
  }

  /** The spec's endpoint, or {@code operatorDefault} when the spec names none. */
  public String endpoint(String operatorDefault) {
    return endpoint == null ? operatorDefault : endpoint;
  }

  /** How often to re-list; 30s by default, within 1s..24h. */
  public Duration interval() {
    return interval;
  }

  public Enforcement enforcement() {
    return enforcement;
  }

  /** When true, neither list nor drop. */
  public boolean suspend() {
    return suspend;
  }

  /** At most this many connections are closed per sync; at least 1. */
  public int maxDropsPerSync() {
    return maxDropsPerSync;
  }

  /** How many sessions status lists; 0..1000. */
  public int connectionsLimit() {
    return connectionsLimit;
  }

  /**
   * Whether this policy denies every session {@code userid} could open on {@code protocol} (null:
   * on any protocol) at {@code at}, whatever else about it: some deny rule matches every such
   * session and no allow rule could match one. This is what makes a userid-wide (or
   * userid+protocol) drop call safe against sessions that connect after the listing.
   */
  public boolean deniesEverySessionOf(String userid, Protocol protocol, Instant at) {
    return denyCoverage.anyMatchesEverySessionOf(userid, protocol, at)
        && !allow.anyCouldMatchSomeSessionOf(userid, protocol, at);
  }

  /** When deny rule {@code rule} stops applying; null when it has no {@code until}. */
  public Instant denyRuleUntil(int rule) {
    return deny.rule(rule).until();
  }

  int denyRuleCount() {
    return deny.size();
  }

  RuleSet denyRules() {
    return deny;
  }

  RuleSet allowRules() {
    return allow;
  }

  /**
   * The decision on a connection that deny rule {@code denyRule} (the lowest matching one) matched:
   * {@code denyRule} when it stands, or {@code -1 - j} when allow rule {@code j} keeps the
   * connection. {@link #verdictOf} turns it into a verdict.
   */
  int decideAfterDeny(Connection connection, Instant now, EvaluationScratch scratch, int denyRule) {
    int allowRule = allow.firstMatch(connection, now, scratch);
    return allowRule < 0 ? denyRule : -1 - allowRule;
  }

  /** The verdict for a decision of {@link #decideAfterDeny}. */
  Verdict verdictOf(int decision) {
    return decision >= 0 ? denyVerdicts[decision] : allowVerdicts[-1 - decision];
  }

  /** The policy's verdict on one connection at instant {@code now} (for deny rules' until). */
  public Verdict evaluate(Connection connection, Instant now) {
    return evaluate(connection, now, new EvaluationScratch());
  }

  Verdict evaluate(Connection connection, Instant now, EvaluationScratch scratch) {
    int denyRule = deny.firstMatch(connection, now, scratch);
    return denyRule < 0
        ? Verdict.NOT_DENIED
        : verdictOf(decideAfterDeny(connection, now, scratch, denyRule));
  }
}
