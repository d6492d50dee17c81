package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** An identity this policy dropped and that came back: its credentials still work. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReturningIdentity {
  @JsonPropertyDescription("The userid.")
  private String userid;

  @JsonPropertyDescription(
      "mqtt or socketio when the identity is the userid on that protocol; absent when it is the"
          + " whole userid.")
  private String protocol;

  @JsonPropertyDescription("How many times the operator has dropped it.")
  private Long timesDropped;

  @JsonPropertyDescription("When it was last dropped (RFC 3339).")
  private String lastDropped;

  @JsonPropertyDescription(
      "Typical time from a drop to its next session, as the reconnect watch learned it, e.g."
          + " 1.0s.")
  private String reconnectDelay;

  public ReturningIdentity() {}

  public ReturningIdentity(
      String userid, String protocol, Long timesDropped, String lastDropped, String delay) {
    this.userid = userid;
    this.protocol = protocol;
    this.timesDropped = timesDropped;
    this.lastDropped = lastDropped;
    this.reconnectDelay = delay;
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

  public Long getTimesDropped() {
    return timesDropped;
  }

  public void setTimesDropped(Long timesDropped) {
    this.timesDropped = timesDropped;
  }

  public String getLastDropped() {
    return lastDropped;
  }

  public void setLastDropped(String lastDropped) {
    this.lastDropped = lastDropped;
  }

  public String getReconnectDelay() {
    return reconnectDelay;
  }

  public void setReconnectDelay(String reconnectDelay) {
    this.reconnectDelay = reconnectDelay;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReturningIdentity that
        && Objects.equals(userid, that.userid)
        && Objects.equals(protocol, that.protocol)
        && Objects.equals(timesDropped, that.timesDropped)
        && Objects.equals(lastDropped, that.lastDropped)
        && Objects.equals(reconnectDelay, that.reconnectDelay);
  }

  @Override
  public int hashCode() {
    return Objects.hash(userid, protocol, timesDropped, lastDropped);
  }
}
