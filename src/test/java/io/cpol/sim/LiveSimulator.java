package io.cpol.sim;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.sim.mqtt.MqttFrontDoor;
import io.cpol.sim.socketio.SocketIoFrontDoor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST simulator with Beebotte's two front doors, MQTT and Socket.IO, whose live sessions are
 * its connections: a REST drop closes exactly the matching TCP sessions and sockets, and messages
 * published on one protocol reach subscribers of the same account on both.
 *
 * <pre>{@code
 * try (LiveSimulator live =
 *     LiveSimulator.start(
 *         BeebotteSimulator.builder().account("acme", "api-key", "secret-key"), 0, 0)) {
 *   MqttClient device = new MqttClient(live.mqttUri(), "device-42", new MemoryPersistence());
 *   MqttConnectOptions login = new MqttConnectOptions();
 *   login.setUserName("secret-key"); // Beebotte MQTT login: the secret key, no password
 *   device.connect(login);
 *   // GET/DELETE live.rest().baseUrl() + "/v1/connections/..." now see and kick "device-42"
 * }
 * }</pre>
 *
 * Both doors bind the REST simulator's host. Pass {@link #OFF} as a port to leave a door closed.
 * Closing closes the doors, then the REST simulator.
 */
public final class LiveSimulator implements AutoCloseable {
  /** A port value that leaves a front door closed. */
  public static final int OFF = -1;

  private static final Logger log = LoggerFactory.getLogger(LiveSimulator.class);

  private final BeebotteSimulator rest;
  private volatile MqttFrontDoor mqtt;
  private volatile SocketIoFrontDoor socketIo;

  private LiveSimulator(BeebotteSimulator rest) {
    this.rest = rest;
  }

  /**
   * Builds and starts the REST simulator, then the front doors.
   *
   * @param mqttPort the MQTT port, 0 for a free one, {@link #OFF} for none
   * @param socketIoPort the Socket.IO port, 0 for a free one, {@link #OFF} for none
   */
  public static LiveSimulator start(
      BeebotteSimulator.Builder builder, int mqttPort, int socketIoPort) {
    return start(builder.build(), mqttPort, socketIoPort);
  }

  /**
   * Opens the front doors on {@code rest}, starting it first unless it is running; the returned
   * simulator owns it and closes it.
   *
   * @throws UncheckedIOException when a port cannot be bound (everything started is closed again)
   */
  public static LiveSimulator start(BeebotteSimulator rest, int mqttPort, int socketIoPort) {
    checkPort(mqttPort);
    checkPort(socketIoPort);
    if (!rest.started()) {
      rest.start();
    }
    LiveSimulator live = new LiveSimulator(rest);
    try {
      if (mqttPort != OFF) {
        live.mqtt = MqttFrontDoor.start(rest, rest.host(), mqttPort, live::fromMqtt);
      }
      if (socketIoPort != OFF) {
        live.socketIo =
            SocketIoFrontDoor.start(rest, rest.host(), socketIoPort, live::fromSocketIo);
      }
    } catch (IOException | RuntimeException e) {
      live.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    rest.onDrop(live::dropped);
    return live;
  }

  private static void checkPort(int port) {
    if (port != OFF && (port < 0 || port > 65535)) {
      throw new IllegalArgumentException("port " + port);
    }
  }

  /** The REST API ({@code /v1/connections}), whose listing the front doors keep. */
  public BeebotteSimulator rest() {
    return rest;
  }

  /** The MQTT port; IllegalStateException when that door is closed. */
  public int mqttPort() {
    return mqtt().port();
  }

  /** The Socket.IO port; IllegalStateException when that door is closed. */
  public int socketIoPort() {
    return socketIo().port();
  }

  /** {@code tcp://HOST:PORT}, for Paho and other MQTT clients. */
  public String mqttUri() {
    return mqtt().uri(rest.host());
  }

  /** {@code http://HOST:PORT}, for Socket.IO clients. */
  public String socketIoUrl() {
    return socketIo().url(rest.host());
  }

  public MqttFrontDoor mqtt() {
    MqttFrontDoor door = mqtt;
    if (door == null) {
      throw new IllegalStateException("the MQTT front door is not open");
    }
    return door;
  }

  public SocketIoFrontDoor socketIo() {
    SocketIoFrontDoor door = socketIo;
    if (door == null) {
      throw new IllegalStateException("the Socket.IO front door is not open");
    }
    return door;
  }

  public boolean hasMqtt() {
    return mqtt != null;
  }

  public boolean hasSocketIo() {
    return socketIo != null;
  }

  /** Closes the front doors (every live session ends), then the REST simulator. Idempotent. */
  @Override
  public void close() {
    try {
      if (mqtt != null) {
        mqtt.close();
      }
    } finally {
      try {
        if (socketIo != null) {
          socketIo.close();
        }
      } finally {
        rest.close();
      }
    }
  }

  // --- wiring

  /** A REST drop removed {@code c} from the listing: close the session behind it, if it is ours. */
  private void dropped(Connection c) {
    Protocol protocol = Protocol.fromWire(c.protocol());
    boolean kicked = false;
    if (protocol == Protocol.mqtt && mqtt != null) {
      kicked = mqtt.kick(c.userid());
    } else if (protocol == Protocol.socketio && socketIo != null) {
      kicked = socketIo.kick(c.sid());
    }
    if (!kicked) {
      log.debug("drop of a connection no front door holds userid={} sid={}", c.userid(), c.sid());
    }
  }

  private void fromMqtt(StreamMessage m) {
    SocketIoFrontDoor door = socketIo;
    if (door != null) {
      door.deliver(Objects.requireNonNull(m));
    }
  }

  private void fromSocketIo(StreamMessage m) {
    MqttFrontDoor door = mqtt;
    if (door != null) {
      door.deliver(m);
    }
  }
}
