package io.cpol.beebotte;

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
