package io.cpol.enforce;

import io.cpol.beebotte.Protocol;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.ConnectionSelector;
import io.cpol.policy.DenyRule;
import io.cpol.policy.Enforcement;
import io.cpol.policy.ReportSpec;
import io.cpol.policy.SecretReference;
import io.cpol.policy.SpecConstraints;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Checks a spec against the rules the CRD schema and CEL rules enforce at apply time (all of them
 * from {@link SpecConstraints}, so the two agree), in case it reached the operator without them (an
 * API server of another version, a store without validation), and builds the compiled rules in the
 * same pass, collecting every problem before giving up.
 */
final class PolicyCompiler {
  private static final int MAX_QUOTED_LENGTH = 80;
  private static final Duration MIN_INTERVAL = GoDuration.parse(SpecConstraints.MIN_INTERVAL);
  private static final Duration MAX_INTERVAL = GoDuration.parse(SpecConstraints.MAX_INTERVAL);

  private static final Pattern SECRET_NAME = Pattern.compile(SpecConstraints.SECRET_NAME);
  private static final Pattern ENDPOINT = Pattern.compile(SpecConstraints.ENDPOINT);
  private static final Pattern CIDR = Pattern.compile(SpecConstraints.CIDR);
  private static final Pattern RFC_3339 = Pattern.compile(SpecConstraints.RFC_3339);
  private static final Pattern GO_DURATION = Pattern.compile(SpecConstraints.GO_DURATION);

  private final List<String> problems = new ArrayList<>();

  CompiledPolicy compile(ConnectionPolicySpec spec) throws InvalidSpecException {
    if (spec == null) {
      throw new InvalidSpecException(List.of("spec: required"));
    }
    String secretName = secretName(spec.getCredentialsRef());
    String endpoint = endpoint(spec.getEndpoint());
    Duration interval = interval(spec.getInterval());
    int maxDropsPerSync = maxDropsPerSync(spec.getMaxDropsPerSync());
    int connectionsLimit = connectionsLimit(spec.getReport());
    List<CompiledRule> deny = rules("spec.deny", spec.getDeny(), true);
    List<CompiledRule> allow = rules("spec.allow", spec.getAllow(), false);
    // Values that could not be read were left out; enforcing the rest would enforce another spec.
    List<String> unreadable = spec.readReport().unreadable();
    if (!problems.isEmpty() || !unreadable.isEmpty()) {
      throw new InvalidSpecException(spec.readReport().withValidationProblems(problems));
    }
    return new CompiledPolicy(
        secretName,
        endpoint,
        interval,
        spec.getEnforcement() == null ? Enforcement.Enforce : spec.getEnforcement(),
        Boolean.TRUE.equals(spec.getSuspend()),
        maxDropsPerSync,
        connectionsLimit,
        new RuleSet(deny),
        new RuleSet(allow));
  }

  private String secretName(SecretReference ref) {
    if (ref == null) {
      return problem("spec.credentialsRef", "required");
    }
    String name = ref.getName();
    if (name == null || name.isEmpty()) {
      return problem("spec.credentialsRef.name", "required");
    }
    if (name.length() > SpecConstraints.MAX_SECRET_NAME_LENGTH
        || !SECRET_NAME.matcher(name).matches()) {
      return problem(
          "spec.credentialsRef.name",
          quote(name) + " is not a valid Secret name (lowercase letters, digits, '-' and '.')");
    }
    return name;
  }

  private String endpoint(String endpoint) {
    if (endpoint == null) {
      return null;
    }
    // Never echo an endpoint with user info: it may hold a password, and this lands in status.
    if (endpoint.contains("@")) {
      return problem(
          "spec.endpoint", "must not contain user info; credentials belong in the Secret");
    }
    if (!ENDPOINT.matcher(endpoint).matches()) {
      return problem(
          "spec.endpoint",
          quote(endpoint)
              + " is not an http(s) URL like "
              + SpecConstraints.DEFAULT_ENDPOINT
              + " (host, optional port 1-65535 and path; no query or fragment)");
    }
    // One spelling per endpoint, so that policies on the same account share one listing.
    String trimmed = endpoint;
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    return trimmed;
  }

  private Duration interval(String interval) {
    if (interval == null) {
      return GoDuration.parse(SpecConstraints.DEFAULT_INTERVAL);
    }
    Duration parsed;
    try {
      if (!GO_DURATION.matcher(interval).matches()) {
        throw new IllegalArgumentException("invalid duration " + quote(interval));
      }
      parsed = GoDuration.parse(interval);
    } catch (IllegalArgumentException e) {
      return problem("spec.interval", e.getMessage() + " (e.g. 30s, 5m, 1h30m)");
    }
    if (parsed.compareTo(MIN_INTERVAL) < 0 || parsed.compareTo(MAX_INTERVAL) > 0) {
      return problem(
          "spec.interval", SpecConstraints.INTERVAL_OUT_OF_RANGE + ", got " + quote(interval));
    }
    return parsed;
  }

  private int maxDropsPerSync(Integer value) {
    if (value == null) {
      return SpecConstraints.DEFAULT_MAX_DROPS_PER_SYNC;
    }
    if (value < SpecConstraints.MIN_DROPS_PER_SYNC) {
      problem(
          "spec.maxDropsPerSync",
          "must be at least " + SpecConstraints.MIN_DROPS_PER_SYNC + ", got " + value);
    }
    return value;
  }

  private int connectionsLimit(ReportSpec report) {
    if (report == null || report.getConnectionsLimit() == null) {
      return SpecConstraints.DEFAULT_CONNECTIONS_LIMIT;
    }
    int value = report.getConnectionsLimit();
    if (value < SpecConstraints.MIN_CONNECTIONS_LIMIT
        || value > SpecConstraints.MAX_CONNECTIONS_LIMIT) {
      problem(
          "spec.report.connectionsLimit",
          "must be between "
              + SpecConstraints.MIN_CONNECTIONS_LIMIT
              + " and "
              + SpecConstraints.MAX_CONNECTIONS_LIMIT
              + ", got "
              + value);
    }
    return value;
  }

  private List<CompiledRule> rules(
      String path, List<? extends ConnectionSelector> selectors, boolean deny) {
    if (selectors == null) {
      if (deny) {
        problem(path, "required: at least 1 rule");
      }
      return List.of();
    }
    if (deny && selectors.size() < SpecConstraints.MIN_DENY_RULES) {
      problem(path, "needs at least " + SpecConstraints.MIN_DENY_RULES + " rule");
    }
    if (selectors.size() > SpecConstraints.MAX_RULES) {
      problem(path, "at most " + SpecConstraints.MAX_RULES + " rules, got " + selectors.size());
    }
    List<CompiledRule> compiled = new ArrayList<>(selectors.size());
    for (int i = 0; i < selectors.size(); i++) {
      CompiledRule rule = rule(path + "[" + i + "]", selectors.get(i), deny);
      if (rule != null) {
        compiled.add(rule);
      }
    }
    return compiled;
  }

  /** The compiled rule, or null after recording why it cannot be compiled. */
  private CompiledRule rule(String path, ConnectionSelector selector, boolean deny) {
    if (selector == null) {
      return problem(path, "must be a rule, got null");
    }
    int problemsBefore = problems.size();
    Set<String> userids =
        strings(path, "userids", selector.getUserids(), SpecConstraints.MAX_EXACT_VALUES);
    List<GlobPattern> patterns = patterns(path, selector.getUseridPatterns());
    Set<String> sids = strings(path, "sids", selector.getSids(), SpecConstraints.MAX_EXACT_VALUES);
    Set<String> usernames =
        strings(path, "usernames", selector.getUsernames(), SpecConstraints.MAX_OTHER_VALUES);
    Set<String> channels =
        strings(path, "channels", selector.getChannels(), SpecConstraints.MAX_OTHER_VALUES);
    List<CidrRange> cidrs = cidrs(path, selector.getClientCIDRs());
    List<String> protocols = protocols(path, selector.getProtocols());
    Instant until = null;
    if (selector instanceof DenyRule denyRule && denyRule.getUntil() != null) {
      if (deny) {
        until = until(path + ".until", denyRule.getUntil());
      } else {
        problem(path + ".until", "only deny rules can expire");
      }
    }
    if (selector.getUserids() == null
        && selector.getUseridPatterns() == null
        && selector.getSids() == null
        && selector.getUsernames() == null
        && selector.getChannels() == null
        && selector.getClientCIDRs() == null
        && selector.getProtocols() == null) {
      problem(path, SpecConstraints.NO_MATCHER);
    }
    if (problems.size() > problemsBefore) {
      return null;
    }
    return new CompiledRule(userids, patterns, sids, usernames, channels, cidrs, protocols, until);
  }

  private Set<String> strings(String rulePath, String field, List<String> values, int max) {
    return entries(
        rulePath + "." + field,
        values,
        max,
        (value) -> length(value) < SpecConstraints.MIN_VALUE_LENGTH ? null : value,
        "must be a non-empty string");
  }

  private List<GlobPattern> patterns(String rulePath, List<String> values) {
    Set<String> texts =
        entries(
            rulePath + ".useridPatterns",
            values,
            SpecConstraints.MAX_OTHER_VALUES,
            (value) ->
                length(value) < SpecConstraints.MIN_VALUE_LENGTH
                        || length(value) > SpecConstraints.MAX_PATTERN_LENGTH
                    ? null
                    : value,
            "must be a glob of "
                + SpecConstraints.MIN_VALUE_LENGTH
                + " to "
                + SpecConstraints.MAX_PATTERN_LENGTH
                + " characters");
    return texts == null ? null : texts.stream().map(GlobPattern::new).toList();
  }

  private List<CidrRange> cidrs(String rulePath, List<String> values) {
    String path = rulePath + ".clientCIDRs";
    if (values == null || !checkSize(path, values, SpecConstraints.MAX_OTHER_VALUES)) {
      return null;
    }
    List<CidrRange> ranges = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      String text = values.get(i);
      CidrRange range = text != null && CIDR.matcher(text).matches() ? CidrRange.parse(text) : null;
      if (range == null) {
        problem(
            path + "[" + i + "]",
            (text == null ? "null" : quote(text))
                + " is not a CIDR (expected address/prefix-length, e.g. 203.0.113.0/24 or"
                + " 2001:db8::/32)");
      } else {
        ranges.add(range);
      }
    }
    return ranges;
  }

  private List<String> protocols(String rulePath, List<Protocol> values) {
    String path = rulePath + ".protocols";
    if (values == null || !checkSize(path, values, SpecConstraints.MAX_PROTOCOLS)) {
      return null;
    }
    List<String> wireNames = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) == null) {
        problem(path + "[" + i + "]", "must be mqtt or socketio");
      } else {
        wireNames.add(values.get(i).wireName());
      }
    }
    return wireNames;
  }

  /**
   * The instant, or null after recording the problem. The pattern guarantees the layout ({@code
   * yyyy-MM-dd'T'HH:mm:ss[.fraction](Z|+hh:mm)}) and a real calendar date; offsets up to ±23:59 are
   * RFC 3339's, beyond what {@link ZoneOffset} accepts, so they are applied by hand.
   */
  private Instant until(String path, String value) {
    if (!RFC_3339.matcher(value).matches()) {
      return problem(
          path, quote(value) + " is not an RFC 3339 timestamp (e.g. 2026-12-31T00:00:00Z)");
    }
    LocalDateTime local =
        LocalDateTime.of(
            digits(value, 0, 4),
            digits(value, 5, 7),
            digits(value, 8, 10),
            digits(value, 11, 13),
            digits(value, 14, 16),
            digits(value, 17, 19));
    int zone = 19;
    int nanos = 0;
    if (value.charAt(zone) == '.') {
      int end = zone + 1;
      while (Character.isDigit(value.charAt(end))) {
        end++;
      }
      String fraction = (value.substring(zone + 1, end) + "00000000").substring(0, 9);
      nanos = Integer.parseInt(fraction);
      zone = end;
    }
    long offsetSeconds = 0;
    if (value.charAt(zone) == '+' || value.charAt(zone) == '-') {
      int sign = value.charAt(zone) == '-' ? -1 : 1;
      offsetSeconds =
          sign
              * (digits(value, zone + 1, zone + 3) * 3600L
                  + digits(value, zone + 4, zone + 6) * 60L);
    }
    return Instant.ofEpochSecond(local.toEpochSecond(ZoneOffset.UTC) - offsetSeconds, nanos);
  }

  private static int digits(String value, int from, int to) {
    return Integer.parseInt(value, from, to, 10);
  }

  /** Length in characters (code points), as Kubernetes counts minLength and maxLength. */
  private static int length(String value) {
    return value.codePointCount(0, value.length());
  }

  /**
   * Checks a list of strings entry by entry; {@code accept} returns null for an entry that fails.
   *
   * @return the accepted entries, or null when the field is absent or has problems
   */
  private Set<String> entries(
      String path, List<String> values, int max, Function<String, String> accept, String rule) {
    if (values == null || !checkSize(path, values, max)) {
      return null;
    }
    Set<String> accepted = new LinkedHashSet<>();
    boolean valid = true;
    for (int i = 0; i < values.size(); i++) {
      String value = values.get(i);
      if (value == null || accept.apply(value) == null) {
        problem(path + "[" + i + "]", rule + (value == null ? ", got null" : ""));
        valid = false;
      } else {
        accepted.add(value);
      }
    }
    return valid ? accepted : null;
  }

  private boolean checkSize(String path, List<?> values, int max) {
    if (values.isEmpty()) {
      problem(path, "must have at least 1 entry (leave the field out to not match on it)");
      return false;
    }
    if (values.size() > max) {
      problem(path, "at most " + max + " entries, got " + values.size());
      return false;
    }
    return true;
  }

  private <T> T problem(String path, String message) {
    problems.add(path + ": " + message);
    return null;
  }

  /** The value in double quotes, escaped and shortened so one bad entry cannot flood status. */
  static String quote(String value) {
    StringBuilder quoted = new StringBuilder("\"");
    int shown = Math.min(value.length(), MAX_QUOTED_LENGTH);
    if (shown < value.length() && Character.isHighSurrogate(value.charAt(shown - 1))) {
      shown--;
    }
    for (int i = 0; i < shown; i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        quoted.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    if (value.length() > shown) {
      quoted.append("...");
    }
    return quoted.append('"').toString();
  }
}
