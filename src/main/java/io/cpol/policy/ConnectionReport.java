package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** One live session as reported in status. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ConnectionReport {
  @JsonPropertyDescription("The connection's userid.")
  private String userid;

  @JsonPropertyDescription("The session id (equal to the userid on MQTT).")
  private String sid;

  @JsonPropertyDescription("mqtt or socketio.")
  private String protocol;

  @JsonPropertyDescription("The client id.")
  private String clientid;

  @JsonPropertyDescription("The client's address as Beebotte reports it.")
  private String clientip;

  @JsonPropertyDescription("userinfo.username given at connect time, if any.")
  private String username;

  @JsonPropertyDescription("Channels and resources the session is subscribed to.")
  private List<SubscriptionReport> subscriptions;

  @JsonPropertyDescription("Allowed, Denied, Dropped or WouldDrop.")
  private String verdict;

  @JsonPropertyDescription("The rule that decided, e.g. deny[4] or allow[0].")
  private String rule;

  public String getUserid() {
    return userid;
  }

  public void setUserid(String userid) {
    this.userid = userid;
  }

  public String getSid() {
    return sid;
  }

  public void setSid(String sid) {
    this.sid = sid;
  }

  public String getProtocol() {
    return protocol;
  }

  public void setProtocol(String protocol) {
    this.protocol = protocol;
  }

  public String getClientid() {
    return clientid;
  }

  public void setClientid(String clientid) {
    this.clientid = clientid;
  }

  public String getClientip() {
    return clientip;
  }

  public void setClientip(String clientip) {
    this.clientip = clientip;
  }

  public String getUsername() {
    return username;
  }

  public void setUsername(String username) {
    this.username = username;
  }

  public List<SubscriptionReport> getSubscriptions() {
    return subscriptions;
  }

  public void setSubscriptions(List<SubscriptionReport> subscriptions) {
    this.subscriptions = subscriptions;
  }

  public String getVerdict() {
    return verdict;
  }

  public void setVerdict(String verdict) {
    this.verdict = verdict;
  }

  public String getRule() {
    return rule;
  }

  public void setRule(String rule) {
    this.rule = rule;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConnectionReport that
        && Objects.equals(userid, that.userid)
        && Objects.equals(sid, that.sid)
        && Objects.equals(protocol, that.protocol)
        && Objects.equals(clientid, that.clientid)
        && Objects.equals(clientip, that.clientip)
        && Objects.equals(username, that.username)
        && Objects.equals(subscriptions, that.subscriptions)
        && Objects.equals(verdict, that.verdict)
        && Objects.equals(rule, that.rule);
  }

  @Override
  public int hashCode() {
    return Objects.hash(userid, sid, protocol, verdict, rule);
  }
}
