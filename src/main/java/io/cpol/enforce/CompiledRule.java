package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.beebotte.Subscription;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One validated deny or allow rule in matchable form. A null matcher means the field was not given
 * (it does not constrain); validation guarantees at least one is non-null.
 */
final class CompiledRule {
  private final Set<String> userids;
  private final List<GlobPattern> useridPatterns;
  private final Set<String> sids;
  private final Set<String> usernames;
  private final Set<String> channels;
  private final List<CidrRange> clientCidrs;
  private final CidrIndex clientCidrIndex;
  private final String[] protocols;
  private final Instant until;
  private final SelectorField indexedBy;

  CompiledRule(
      Set<String> userids,
      List<GlobPattern> useridPatterns,
      Set<String> sids,
      Set<String> usernames,
      Set<String> channels,
      List<CidrRange> clientCidrs,
      List<String> protocols,
      Instant until) {
    this.userids = userids == null ? null : Set.copyOf(userids);
    this.useridPatterns = useridPatterns == null ? null : List.copyOf(useridPatterns);
    this.sids = sids == null ? null : Set.copyOf(sids);
    this.usernames = usernames == null ? null : Set.copyOf(usernames);
    this.channels = channels == null ? null : Set.copyOf(channels);
    this.clientCidrs = clientCidrs == null ? null : List.copyOf(clientCidrs);
    this.clientCidrIndex = clientCidrs == null ? null : indexOwnRanges(clientCidrs);
    this.protocols = protocols == null ? null : protocols.toArray(String[]::new);
    this.until = until;
    this.indexedBy = chooseIndexField();
    if (indexedBy == null) {
      throw new IllegalArgumentException("a rule needs at least one matcher");
    }
  }

  Set<String> userids() {
    return userids;
  }

  List<GlobPattern> useridPatterns() {
    return useridPatterns;
  }

  Set<String> sids() {
    return sids;
  }

  Set<String> usernames() {
    return usernames;
  }

  Set<String> channels() {
    return channels;
  }

  List<CidrRange> clientCidrs() {
    return clientCidrs;
  }

  /**
   * The one field this rule is filed under in its {@link RuleSet}'s indexes: the most selective
   * matcher it has. Globs without a literal anchor (like {@code *}) would meet every connection, so
   * an exact CIDR lookup is preferred over them.
   */
  SelectorField indexedBy() {
    return indexedBy;
  }

  /** Whether the rule still applies at {@code now} (deny rules with {@code until} expire). */
  boolean activeAt(Instant now) {
    return until == null || now.isBefore(until);
  }

  /** When the rule stops applying; null when it never does. */
  Instant until() {
    return until;
  }

  /**
   * Whether the rule constrains nothing but the userid, the protocol and the sid: only such a rule
   * can match every session of a userid (see {@link #matchesEverySessionOf}).
   */
  boolean constrainsOnlyIdentity() {
    return usernames == null && channels == null && clientCidrs == null;
  }

  /**
   * Whether every session that {@code userid} could open on {@code protocol} (null: on any
   * protocol, including ones this operator does not know) matches this rule at {@code at}, whatever
   * its sid, address, username and subscriptions. True only when the rule constrains nothing but
   * the userid and the protocol, with one refinement the API guarantees: an MQTT session's sid is
   * its userid, so {@code sids} containing the userid holds for every MQTT session of it.
   */
  boolean matchesEverySessionOf(String userid, Protocol protocol, Instant at) {
    if (!activeAt(at)
        || usernames != null
        || channels != null
        || clientCidrs != null
        || (userids != null && !userids.contains(userid))
        || (useridPatterns != null && !useridMatchesAnyPattern(userid))) {
      return false;
    }
    if (sids != null && !(protocol == Protocol.mqtt && sids.contains(userid))) {
      return false;
    }
    return protocols == null || (protocol != null && onProtocol(protocol.wireName()));
  }

  /**
   * Whether some session that {@code userid} could open on {@code protocol} (null: any protocol)
   * might match this rule at {@code at}: false only when a field the rule has rules that out for
   * every such session. MQTT sessions have no username and no subscriptions.
   */
  boolean couldMatchSomeSessionOf(String userid, Protocol protocol, Instant at) {
    if (!activeAt(at)
        || (userids != null && !userids.contains(userid))
        || (useridPatterns != null && !useridMatchesAnyPattern(userid))
        || (protocols != null && protocol != null && !onProtocol(protocol.wireName()))) {
      return false;
    }
    boolean mqttOnly =
        protocol == Protocol.mqtt
            || (protocol == null
                && protocols != null
                && protocols.length == 1
                && Protocol.mqtt.wireName().equals(protocols[0]));
    if (mqttOnly) {
      return usernames == null && channels == null && (sids == null || sids.contains(userid));
    }
    return true;
  }

  /**
   * Whether the rule is active and the connection matches every given field except {@code
   * alreadyMatched}, which the caller found matching through an index (null: check every field).
   */
  boolean matchesRest(
      Connection c, Instant now, SelectorField alreadyMatched, EvaluationScratch scratch) {
    if (!activeAt(now)) {
      return false;
    }
    if (sids != null && alreadyMatched != SelectorField.SIDS && !containsNonNull(sids, c.sid())) {
      return false;
    }
    if (userids != null
        && alreadyMatched != SelectorField.USERIDS
        && !containsNonNull(userids, c.userid())) {
      return false;
    }
    if (usernames != null
        && alreadyMatched != SelectorField.USERNAMES
        && !containsNonNull(usernames, c.username())) {
      return false;
    }
    if (channels != null
        && alreadyMatched != SelectorField.CHANNELS
        && !subscribesToAny(c.subscriptions())) {
      return false;
    }
    // Protocol-only rules are candidates for every connection, so protocols are always checked.
    if (protocols != null && !onProtocol(c)) {
      return false;
    }
    if (useridPatterns != null
        && alreadyMatched != SelectorField.USERID_PATTERNS
        && !useridMatchesAnyPattern(c.userid())) {
      return false;
    }
    if (clientCidrIndex != null && alreadyMatched != SelectorField.CLIENT_CIDRS) {
      IpAddressParser address = scratch.clientAddress(c);
      return address != null && clientCidrIndex.containsAny(address);
    }
    return true;
  }

  private boolean subscribesToAny(List<Subscription> subscriptions) {
    for (int i = 0; i < subscriptions.size(); i++) {
      Subscription subscription = subscriptions.get(i);
      if (subscription != null && containsNonNull(channels, subscription.channel())) {
        return true;
      }
    }
    return false;
  }

  private boolean onProtocol(Connection c) {
    return onProtocol(c.protocol());
  }

  private boolean onProtocol(String wireName) {
    for (String protocol : protocols) {
      if (protocol.equals(wireName)) {
        return true;
      }
    }
    return false;
  }

  private boolean useridMatchesAnyPattern(String userid) {
    for (int i = 0; i < useridPatterns.size(); i++) {
      if (useridPatterns.get(i).matches(userid)) {
        return true;
      }
    }
    return false;
  }

  /** Set.copyOf sets throw on contains(null); a missing value simply does not match. */
  private static boolean containsNonNull(Set<String> values, String value) {
    return value != null && values.contains(value);
  }

  private SelectorField chooseIndexField() {
    if (sids != null) {
      return SelectorField.SIDS;
    }
    if (userids != null) {
      return SelectorField.USERIDS;
    }
    if (usernames != null) {
      return SelectorField.USERNAMES;
    }
    if (channels != null) {
      return SelectorField.CHANNELS;
    }
    boolean anyUnanchoredPattern =
        useridPatterns != null && useridPatterns.stream().anyMatch(GlobPattern::isUnanchored);
    if (useridPatterns != null && !(anyUnanchoredPattern && clientCidrs != null)) {
      return SelectorField.USERID_PATTERNS;
    }
    if (clientCidrs != null) {
      return SelectorField.CLIENT_CIDRS;
    }
    return protocols != null ? SelectorField.PROTOCOLS : null;
  }

  private static CidrIndex indexOwnRanges(List<CidrRange> ranges) {
    CidrIndex.Builder builder = new CidrIndex.Builder();
    ranges.forEach(range -> builder.add(range, 0));
    return builder.build();
  }
}
