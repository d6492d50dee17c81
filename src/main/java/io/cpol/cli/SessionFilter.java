package io.cpol.cli;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.DenyRule;
import io.cpol.policy.SecretReference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code sessions} filters. They are compiled as one deny rule by the operator's own compiler,
 * so {@code --userid} globs, {@code --cidr} ranges (IPv4-mapped addresses included) and the rest
 * match exactly as a policy's rule would.
 */
final class SessionFilter {
  private final CompiledPolicy rule;
  private final SessionVerdict verdict;

  private SessionFilter(CompiledPolicy rule, SessionVerdict verdict) {
    this.rule = rule;
    this.verdict = verdict;
  }

  static SessionFilter of(
      String protocol,
      String useridGlob,
      String username,
      String channel,
      String cidr,
      String verdictName)
      throws CliException {
    SessionVerdict verdict = null;
    if (verdictName != null) {
      verdict = SessionVerdict.parse(verdictName);
      if (verdict == null) {
        throw new CliException(
            "--verdict must be allowed, denied, dropped or would-drop, not " + verdictName,
            CliException.USAGE);
      }
    }
    DenyRule r = new DenyRule();
    boolean any = false;
    if (protocol != null) {
      Protocol p = Protocol.fromWire(protocol);
      if (p == null) {
        throw new CliException(
            "--protocol must be mqtt or socketio, not " + protocol, CliException.USAGE);
      }
      r.setProtocols(List.of(p));
      any = true;
    }
    if (useridGlob != null) {
      r.setUseridPatterns(List.of(useridGlob));
      any = true;
    }
    if (username != null) {
      r.setUsernames(List.of(username));
      any = true;
    }
    if (channel != null) {
      r.setChannels(List.of(channel));
      any = true;
    }
    if (cidr != null) {
      r.setClientCIDRs(List.of(cidr));
      any = true;
    }
    if (!any) {
      return new SessionFilter(null, verdict);
    }
    ConnectionPolicySpec spec = new ConnectionPolicySpec();
    SecretReference ref = new SecretReference();
    ref.setName("unused");
    spec.setCredentialsRef(ref);
    spec.setDeny(List.of(r));
    try {
      return new SessionFilter(CompiledPolicy.compile(spec), verdict);
    } catch (InvalidSpecException e) {
      List<String> problems = new ArrayList<>();
      for (String problem : e.problems()) {
        problems.add(
            problem
                .replace("spec.deny[0].useridPatterns[0]", "--userid")
                .replace("spec.deny[0].usernames[0]", "--username")
                .replace("spec.deny[0].channels[0]", "--channel")
                .replace("spec.deny[0].clientCIDRs[0]", "--cidr"));
      }
      throw new CliException(String.join("; ", problems), CliException.USAGE);
    }
  }

  /** The verdict asked for, or null. */
  SessionVerdict verdict() {
    return verdict;
  }

  boolean matchesSession(Connection c, Instant now) {
    return rule == null || rule.evaluate(c, now).denied();
  }

  boolean matchesVerdict(SessionVerdict v) {
    return verdict == null || verdict == v;
  }
}
