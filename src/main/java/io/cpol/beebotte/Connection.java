package io.cpol.beebotte;

import java.util.List;

/**
 * One live connection (session) on a Beebotte account, as listed by {@code GET /v1/connections}.
 *
 * @param protocol the wire value ("mqtt", "socketio", or whatever Beebotte reports)
 * @param username {@code userinfo.username}, Socket.IO only; null when absent
 * @param subscriptions Socket.IO subscriptions; empty for MQTT
 */
public record Connection(
    String userid,
    String sid,
    String protocol,
    String clientid,
    String clientip,
    String owner,
    String username,
    List<Subscription> subscriptions) {

  public Connection {
    subscriptions = subscriptions == null ? List.of() : List.copyOf(subscriptions);
  }

  /** The protocol as an enum, or null when Beebotte reported one this operator does not know. */
  public Protocol knownProtocol() {
    return Protocol.fromWire(protocol);
  }
}
