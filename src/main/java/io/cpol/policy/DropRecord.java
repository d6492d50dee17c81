package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One connection this policy dropped. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DropRecord {
  @JsonPropertyDescription("When it was dropped (RFC 3339).")
  private String time;

  @JsonPropertyDescription("The dropped connection's userid.")
  private String userid;

  @JsonPropertyDescription("Its protocol.")
  private String protocol;

  @JsonPropertyDescription("Its session id.")
  private String sid;

  @JsonPropertyDescription("The rule that denied it, e.g. deny[0].")
  private String rule;

  public DropRecord() {}

  public DropRecord(String time, String userid, String protocol, String sid, String rule) {
    this.time = time;
    this.userid = userid;
    this.protocol = protocol;
    this.sid = sid;
    this.rule = rule;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }

  public String getUserid() {
    return userid;
  }

  public void setUserid(String userid) {
    this.userid = userid;
  }

  public String getProtocol() {
    return protocol;
  }

  public void setProtocol(String protocol) {
    this.protocol = protocol;
  }

  public String getSid() {
    return sid;
  }

  public void setSid(String sid) {
    this.sid = sid;
  }

  public String getRule() {
    return rule;
  }

  public void setRule(String rule) {
    this.rule = rule;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DropRecord that
        && Objects.equals(time, that.time)
        && Objects.equals(userid, that.userid)
        && Objects.equals(protocol, that.protocol)
        && Objects.equals(sid, that.sid)
        && Objects.equals(rule, that.rule);
  }

  @Override
  public int hashCode() {
    return Objects.hash(time, userid, protocol, sid, rule);
  }
}
