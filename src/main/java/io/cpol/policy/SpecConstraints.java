package io.cpol.policy;

/**
 * Every rule a ConnectionPolicy spec must follow, written once: the CRD annotations on the policy
 * classes and the operator's own check ({@code enforce.PolicyCompiler}) both read these constants,
 * so the API server and the operator cannot disagree about what is valid.
 *
 * <p>Patterns are written in the subset where Go's RE2 (the API server's) and {@code
 * java.util.regex} agree: no {@code \s}, {@code \d} or {@code \w}, no look-around, no
 * backreferences; each is anchored with {@code ^...$} around one group, so Java's {@code
 * Matcher.matches()} gives the API server's answer (Go's {@code $} never matches before a final
 * newline, and neither does {@code matches()}).
 */
public final class SpecConstraints {
  private SpecConstraints() {}

  // --- defaults

  /** The Beebotte API of policies that name no endpoint (and of the operator, unless set). */
  public static final String DEFAULT_ENDPOINT = "https://api.beebotte.com";

  public static final String DEFAULT_INTERVAL = "30s";
  public static final int DEFAULT_MAX_DROPS_PER_SYNC = 100;
  public static final int DEFAULT_CONNECTIONS_LIMIT = 100;

  // --- limits

  public static final int MIN_DENY_RULES = 1;
  public static final int MAX_RULES = 100;
  public static final int MIN_DROPS_PER_SYNC = 1;
  public static final int MIN_CONNECTIONS_LIMIT = 0;
  public static final int MAX_CONNECTIONS_LIMIT = 1000;

  /** userids and sids: exact values, indexed in a hash set, so many are cheap. */
  public static final int MAX_EXACT_VALUES = 10_000;

  /** usernames, channels, useridPatterns, clientCIDRs. */
  public static final int MAX_OTHER_VALUES = 1000;

  public static final int MAX_PROTOCOLS = 2;
  public static final int MIN_VALUE_LENGTH = 1;

  /** Longest userid glob, in characters (code points, as Kubernetes counts maxLength). */
  public static final int MAX_PATTERN_LENGTH = 256;

  /** A Secret name is a DNS subdomain: at most 253 characters. */
  public static final int MAX_SECRET_NAME_LENGTH = 253;

  // --- patterns

  /** A Secret's name: lowercase RFC 1123 subdomain characters. */
  public static final String SECRET_NAME = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$";

  private static final String DEC_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
  private static final String IPV4 =
      DEC_OCTET + "\\." + DEC_OCTET + "\\." + DEC_OCTET + "\\." + DEC_OCTET;
  private static final String H16 = "[0-9A-Fa-f]{1,4}";
  private static final String LS32 = "(" + H16 + ":" + H16 + "|" + IPV4 + ")";

  /** RFC 3986's IPv6address: at most one "::", standing for at least one group. */
  private static final String IPV6 =
      "((" + H16 + ":){6}" + LS32 + "|::(" + H16 + ":){5}" + LS32 + "|(" + H16 + ")?::(" + H16
          + ":){4}" + LS32 + "|((" + H16 + ":){0,1}" + H16 + ")?::(" + H16 + ":){3}" + LS32 + "|(("
          + H16 + ":){0,2}" + H16 + ")?::(" + H16 + ":){2}" + LS32 + "|((" + H16 + ":){0,3}" + H16
          + ")?::" + H16 + ":" + LS32 + "|((" + H16 + ":){0,4}" + H16 + ")?::" + LS32 + "|((" + H16
          + ":){0,5}" + H16 + ")?::" + H16 + "|((" + H16 + ":){0,6}" + H16 + ")?::)";

  /**
   * A CIDR: a dotted quad (octets 0-255, no leading zeros) with a prefix length 0-32, or an IPv6
   * address (no zone, no brackets) with 0-128; prefix lengths without leading zeros.
   */
  public static final String CIDR =
      "^("
          + IPV4
          + "/(3[0-2]|[12][0-9]|[0-9])|"
          + IPV6
          + "/(12[0-8]|1[01][0-9]|[1-9][0-9]|[0-9]))$";

  private static final String DNS_LABEL = "[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?";
  private static final String PORT =
      "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

  /**
   * RFC 3986 path characters, without '@' (which would look like user info) and percent escapes.
   */
  private static final String PATH_CHAR = "([-A-Za-z0-9._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})";

  /**
   * An http(s) base URL: a host name, IPv4 or bracketed IPv6 address, an optional port 1-65535 and
   * an optional path; no user info, query or fragment.
   */
  public static final String ENDPOINT =
      "^(https?://("
          + DNS_LABEL
          + "(\\."
          + DNS_LABEL
          + ")*|\\["
          + IPV6
          + "\\])(:"
          + PORT
          + ")?(/"
          + PATH_CHAR
          + "*)*)$";

  /**
   * Go's {@code time.ParseDuration} syntax: an optional sign, then numbers (with an optional
   * fraction, digits on at least one side of the point) each followed by a unit; or "0".
   */
  public static final String GO_DURATION =
      "^([-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+))$";

  private static final String DATE =
      "([0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
          + "|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
          + "|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])"
          + "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)";

  /**
   * An RFC 3339 date-time ({@code T}/{@code Z} in either case, up to nanoseconds, an offset up to
   * ±23:59), which is also a real instant: months 01-12, days that exist in their month (February
   * 29 in leap years only), hours 00-23, minutes and seconds 00-59.
   */
  public static final String RFC_3339 =
      "^("
          + DATE
          + "[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?"
          + "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))$";

  // --- CEL rules and their messages

  public static final String MIN_INTERVAL = "1s";
  public static final String MAX_INTERVAL = "24h";
  public static final String INTERVAL_IN_RANGE =
      "duration(self) >= duration('"
          + MIN_INTERVAL
          + "') && duration(self) <= duration('"
          + MAX_INTERVAL
          + "')";
  public static final String INTERVAL_OUT_OF_RANGE =
      "interval must be between " + MIN_INTERVAL + " and " + MAX_INTERVAL;

  public static final String HAS_MATCHER =
      "has(self.userids) || has(self.useridPatterns) || has(self.sids) || has(self.usernames)"
          + " || has(self.channels) || has(self.clientCIDRs) || has(self.protocols)";
  public static final String NO_MATCHER =
      "a rule needs at least one matcher (userids, useridPatterns, sids, usernames, channels,"
          + " clientCIDRs or protocols); to match every connection say useridPatterns: [\"*\"]";
}
