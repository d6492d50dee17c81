package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.cpol.beebotte.Protocol;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Which connections a rule applies to. Every field given must match (AND); within one field any
 * entry may match (OR). At least one field must be given.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = SpecConstraints.HAS_MATCHER, message = SpecConstraints.NO_MATCHER)
public class ConnectionSelector {
  @Size(min = 1, max = SpecConstraints.MAX_EXACT_VALUES)
  @JsonPropertyDescription("Exact userids.")
  private List<@Size(min = SpecConstraints.MIN_VALUE_LENGTH) String> userids;

  @Size(min = 1, max = SpecConstraints.MAX_OTHER_VALUES)
  @JsonPropertyDescription("Userid globs: * matches any run of characters, ? exactly one.")
  private List<
          @Size(min = SpecConstraints.MIN_VALUE_LENGTH, max = SpecConstraints.MAX_PATTERN_LENGTH)
          String>
      useridPatterns;

  @Size(min = 1, max = SpecConstraints.MAX_EXACT_VALUES)
  @JsonPropertyDescription("Session ids; only these sessions match.")
  private List<@Size(min = SpecConstraints.MIN_VALUE_LENGTH) String> sids;

  @Size(min = 1, max = SpecConstraints.MAX_OTHER_VALUES)
  @JsonPropertyDescription("Usernames given at connect time (userinfo.username, Socket.IO).")
  private List<@Size(min = SpecConstraints.MIN_VALUE_LENGTH) String> usernames;

  @Size(min = 1, max = SpecConstraints.MAX_OTHER_VALUES)
  @JsonPropertyDescription("Channels the connection is subscribed to (Socket.IO subscriptions).")
  private List<@Size(min = SpecConstraints.MIN_VALUE_LENGTH) String> channels;

  @Size(min = 1, max = SpecConstraints.MAX_OTHER_VALUES)
  @JsonPropertyDescription(
      "Client address ranges in CIDR notation (IPv4 or IPv6, no leading zeros); IPv4-mapped IPv6"
          + " client addresses match IPv4 ranges.")
  private List<@Pattern(SpecConstraints.CIDR) String> clientCIDRs;

  @Size(min = 1, max = SpecConstraints.MAX_PROTOCOLS)
  @JsonPropertyDescription("Protocols: mqtt or socketio. Absent means any protocol.")
  private List<Protocol> protocols;

  public List<String> getUserids() {
    return userids;
  }

  public void setUserids(List<String> userids) {
    this.userids = userids;
  }

  public List<String> getUseridPatterns() {
    return useridPatterns;
  }

  public void setUseridPatterns(List<String> useridPatterns) {
    this.useridPatterns = useridPatterns;
  }

  public List<String> getSids() {
    return sids;
  }

  public void setSids(List<String> sids) {
    this.sids = sids;
  }

  public List<String> getUsernames() {
    return usernames;
  }

  public void setUsernames(List<String> usernames) {
    this.usernames = usernames;
  }

  public List<String> getChannels() {
    return channels;
  }

  public void setChannels(List<String> channels) {
    this.channels = channels;
  }

  public List<String> getClientCIDRs() {
    return clientCIDRs;
  }

  public void setClientCIDRs(List<String> clientCIDRs) {
    this.clientCIDRs = clientCIDRs;
  }

  public List<Protocol> getProtocols() {
    return protocols;
  }

  public void setProtocols(List<Protocol> protocols) {
    this.protocols = protocols;
  }
}
