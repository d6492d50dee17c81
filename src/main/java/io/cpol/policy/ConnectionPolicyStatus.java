package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator saw and did at the last sync. Written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonDeserialize(using = TolerantReader.Status.class)
public class ConnectionPolicyStatus {
  @JsonPropertyDescription("The spec generation the status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Enforce, DryRun or Suspended: what the operator does with the policy's current spec.")
  private Mode mode;

  @JsonPropertyDescription(
      "When the last successful sync listed the account's connections. A sync that changes nothing"
          + " else in status rewrites it only once it is STATUS_HEARTBEAT (an operator setting, 10s"
          + " by default) older than that sync, so it is never more than STATUS_HEARTBEAT behind the"
          + " last successful sync; older than interval + STATUS_HEARTBEAT means syncs fail or"
          + " stall (see Ready).")
  private String lastSyncTime;

  @JsonPropertyDescription(
      "The Beebotte API the last successful sync listed (spec.endpoint, or the operator's"
          + " default).")
  private String endpoint;

  @JsonPropertyDescription("Live connections on the account at the last sync.")
  private Integer connected;

  @JsonPropertyDescription("Of those, how many this policy denies.")
  private Integer denied;

  @JsonPropertyDescription("Connections this policy has dropped since it was created.")
  private Long dropped;

  @JsonPropertyDescription("Sessions seen at the last sync, denied first, then by userid and sid.")
  private List<ConnectionReport> connections = new ArrayList<>();

  @JsonPropertyDescription("Sessions left out of connections because of report.connectionsLimit.")
  private Integer connectionsOmitted;

  @JsonPropertyDescription("The last 20 drops, newest last.")
  private List<DropRecord> recentDrops = new ArrayList<>();

  @JsonPropertyDescription(
      "Sessions dropped again after a drop of the same identity (a userid, or a userid on one"
          + " protocol): devices whose credentials still work. Never goes backwards.")
  private Long reconnects;

  @JsonPropertyDescription(
      "Identities that came back after being dropped, at most 20, most active first. A drop does"
          + " not ban: revoke their credentials in Beebotte to keep them off for good.")
  private List<ReturningIdentity> returning;

  @JsonPropertyDescription(
      "Ready: the last sync worked. Enforced: every denied connection seen was dropped.")
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public Mode getMode() {
    return mode;
  }

  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getLastSyncTime() {
    return lastSyncTime;
  }

  public void setLastSyncTime(String lastSyncTime) {
    this.lastSyncTime = lastSyncTime;
  }

  public Integer getConnected() {
    return connected;
  }

  public void setConnected(Integer connected) {
    this.connected = connected;
  }

  public Integer getDenied() {
    return denied;
  }

  public void setDenied(Integer denied) {
    this.denied = denied;
  }

  public Long getDropped() {
    return dropped;
  }

  public void setDropped(Long dropped) {
    this.dropped = dropped;
  }

  public List<ConnectionReport> getConnections() {
    return connections;
  }

  public void setConnections(List<ConnectionReport> connections) {
    this.connections = connections;
  }

  public Integer getConnectionsOmitted() {
    return connectionsOmitted;
  }

  public void setConnectionsOmitted(Integer connectionsOmitted) {
    this.connectionsOmitted = connectionsOmitted;
  }

  public Long getReconnects() {
    return reconnects;
  }

  public void setReconnects(Long reconnects) {
    this.reconnects = reconnects;
  }

  public List<ReturningIdentity> getReturning() {
    return returning;
  }

  public void setReturning(List<ReturningIdentity> returning) {
    this.returning = returning;
  }

  public List<DropRecord> getRecentDrops() {
    return recentDrops;
  }

  public void setRecentDrops(List<DropRecord> recentDrops) {
    this.recentDrops = recentDrops;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ConnectionPolicyStatus that)) {
      return false;
    }
    return Objects.equals(observedGeneration, that.observedGeneration)
        && mode == that.mode
        && Objects.equals(lastSyncTime, that.lastSyncTime)
        && Objects.equals(endpoint, that.endpoint)
        && Objects.equals(connected, that.connected)
        && Objects.equals(denied, that.denied)
        && Objects.equals(dropped, that.dropped)
        && Objects.equals(connections, that.connections)
        && Objects.equals(connectionsOmitted, that.connectionsOmitted)
        && Objects.equals(recentDrops, that.recentDrops)
        && Objects.equals(reconnects, that.reconnects)
        && Objects.equals(returning, that.returning)
        && Objects.equals(conditions, that.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        observedGeneration, lastSyncTime, connected, denied, dropped, connectionsOmitted);
  }
}
