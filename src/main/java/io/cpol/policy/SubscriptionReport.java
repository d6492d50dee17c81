package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One channel subscription of a Socket.IO session. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SubscriptionReport {
  @JsonPropertyDescription("Channel name.")
  private String channel;

  @JsonPropertyDescription("Resource name; * means every resource of the channel.")
  private String resource;

  @JsonPropertyDescription("Read access.")
  private Boolean read;

  @JsonPropertyDescription("Write access.")
  private Boolean write;

  public SubscriptionReport() {}

  public SubscriptionReport(String channel, String resource, Boolean read, Boolean write) {
    this.channel = channel;
    this.resource = resource;
    this.read = read;
    this.write = write;
  }

  public String getChannel() {
    return channel;
  }

  public void setChannel(String channel) {
    this.channel = channel;
  }

  public String getResource() {
    return resource;
  }

  public void setResource(String resource) {
    this.resource = resource;
  }

  public Boolean getRead() {
    return read;
  }

  public void setRead(Boolean read) {
    this.read = read;
  }

  public Boolean getWrite() {
    return write;
  }

  public void setWrite(Boolean write) {
    this.write = write;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SubscriptionReport that
        && Objects.equals(channel, that.channel)
        && Objects.equals(resource, that.resource)
        && Objects.equals(read, that.read)
        && Objects.equals(write, that.write);
  }

  @Override
  public int hashCode() {
    return Objects.hash(channel, resource, read, write);
  }
}
