package io.cpol.beebotte;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The two Beebotte front doors a connection can come through. */
public enum Protocol {
  @JsonProperty("mqtt")
  mqtt,
  @JsonProperty("socketio")
  socketio;

  /** The wire value, as used in Beebotte's API. */
  public String wireName() {
    return name();
  }

  /**
   * Reads a policy's protocol leniently: an unknown value becomes null, which validation reports as
   * InvalidSpec, instead of failing to read the whole resource (API servers that skip the CRD's
   * enum check, like test servers, would otherwise hide the policy from the operator).
   */
  @JsonCreator
  public static Protocol fromJson(String value) {
    return fromWire(value);
  }

  /** The protocol for a wire value, or null when Beebotte reports one we do not know. */
  public static Protocol fromWire(String value) {
    if (value == null) {
      return null;
    }
    return switch (value) {
      case "mqtt" -> mqtt;
      case "socketio" -> socketio;
      default -> null;
    };
  }
}
