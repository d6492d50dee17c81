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
@ValidationRule(value = ConnectionSelector.HAS_MATCHER, message = ConnectionSelector.NO_MATCHER)
public class ConnectionSelector {
  static final String HAS_MATCHER =
      "has(self.userids) || has(self.useridPatterns) || has(self.sids) || has(self.usernames)"
          + " || has(self.channels) || has(self.clientCIDRs) || has(self.protocols)";
  static final String NO_MATCHER =
      "a rule needs at least one matcher (userids, useridPatterns, sids, usernames, channels,"
          + " clientCIDRs or protocols); to match every connection say useridPatterns: [\"*\"]";

  @Size(min = 1, max = 10000)
  @JsonPropertyDescription("Exact userids.")
  private List<String> userids;

  @Size(min = 1, max = 1000)
  @JsonPropertyDescription("Userid globs: * matches any run of characters, ? exactly one.")
  private List<@Pattern("^.{1,256}$") String> useridPatterns;

  @Size(min = 1, max = 10000)
  @JsonPropertyDescription("Session ids; only these sessions match.")
  private List<String> sids;

  @Size(min = 1, max = 1000)
  @JsonPropertyDescription("Usernames given at connect time (userinfo.username, Socket.IO).")
  private List<String> usernames;

  @Size(min = 1, max = 1000)
  @JsonPropertyDescription("Channels the connection is subscribed to (Socket.IO subscriptions).")
  private List<String> channels;

  @Size(min = 1, max = 1000)
  @JsonPropertyDescription(
      "Client address ranges in CIDR notation (IPv4 or IPv6); IPv4-mapped IPv6 client addresses"
          + " match IPv4 ranges.")
  private List<
          @Pattern(
              "^(([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$")
          String>
      clientCIDRs;

  @Size(min = 1, max = 2)
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
