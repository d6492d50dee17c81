package io.cpol.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A real MQTT device (Paho) that keeps coming back as revoked devices do, and keeps a log of when
 * it was connected: either reconnecting a fixed delay after every disconnect (as Beebotte's
 * official Node.js client does, 1 s), or with Paho's own automatic reconnect.
 */
public final class ReconnectingMqttDevice implements AutoCloseable {
  /** How the device comes back. */
  public enum Style {
    /** Its own loop: connect again a fixed delay after each disconnect. */
    FIXED_DELAY,
    /** Paho's automatic reconnect (1 s after a loss, doubling after failed attempts). */
    PAHO_AUTOMATIC
  }

  /** One connected stretch: from the CONNACK to the loss (null while connected). */
  public record Stretch(Instant connected, Instant lost) {}

  private final MqttClient client;
  private final MqttConnectOptions options;
  private final Duration delay;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Stretch> stretches = new ArrayList<>();
  private Instant connectedAt;
  private Thread loop;

  private ReconnectingMqttDevice(
      String uri, String clientId, String username, Style style, Duration delay)
      throws MqttException {
    this.client = new MqttClient(uri, clientId, new MemoryPersistence());
    this.client.setTimeToWait(10_000);
    this.delay = delay;
    this.options = new MqttConnectOptions();
    options.setCleanSession(true);
    options.setAutomaticReconnect(style == Style.PAHO_AUTOMATIC);
    options.setConnectionTimeout(10);
    options.setKeepAliveInterval(30);
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setUserName(username);
    client.setCallback(new Recorder());
  }

  /**
   * Connects now and keeps reconnecting until closed.
   *
   * @param username the MQTT username (the account's secret key, as Beebotte's clients send it)
   * @param delay how long after a disconnect it connects again ({@link Style#FIXED_DELAY} only)
   */
  public static ReconnectingMqttDevice start(
      String uri, String clientId, String username, Style style, Duration delay)
      throws MqttException {
    ReconnectingMqttDevice device =
        new ReconnectingMqttDevice(uri, clientId, username, style, delay);
    device.client.connect(device.options);
    if (style == Style.FIXED_DELAY) {
      device.loop = new Thread(device::reconnectLoop, "device-" + clientId);
      device.loop.setDaemon(true);
      device.loop.start();
    }
    return device;
  }

  private void reconnectLoop() {
    while (!closed.get()) {
      try {
        synchronized (this) {
          while (connectedAt != null && !closed.get()) {
            wait();
          }
        }
        Thread.sleep(delay.toMillis());
        if (!closed.get() && !client.isConnected()) {
          client.connect(options);
        }
      } catch (InterruptedException e) {
        return;
      } catch (MqttException | RuntimeException e) {
        // Refused, timed out, or the client still closing the last connection: try again after
        // the same delay.
      }
    }
  }

  /** Every connected stretch so far, the current one with no end. */
  public synchronized List<Stretch> stretches() {
    List<Stretch> all = new ArrayList<>(stretches);
    if (connectedAt != null) {
      all.add(new Stretch(connectedAt, null));
    }
    return all;
  }

  /** How many times the device lost its connection. */
  public synchronized int losses() {
    return stretches.size();
  }

  /** The share of [from, to) during which the device was connected. */
  public synchronized double exposure(Instant from, Instant to) {
    long connected = 0;
    for (Stretch s : stretches()) {
      Instant start = s.connected().isBefore(from) ? from : s.connected();
      Instant end = s.lost() == null || s.lost().isAfter(to) ? to : s.lost();
      if (end.isAfter(start)) {
        connected += Duration.between(start, end).toNanos();
      }
    }
    return connected / (double) Duration.between(from, to).toNanos();
  }

  public boolean connected() {
    return client.isConnected();
  }

  @Override
  public void close() throws MqttException {
    closed.set(true);
    synchronized (this) {
      notifyAll();
    }
    if (loop != null) {
      loop.interrupt();
    }
    try {
      if (client.isConnected()) {
        client.disconnect(0);
      }
    } catch (MqttException e) {
      // Already going away.
    }
    client.close(true);
  }

  private final class Recorder implements MqttCallbackExtended {
    @Override
    public void connectComplete(boolean reconnect, String serverUri) {
      synchronized (ReconnectingMqttDevice.this) {
        connectedAt = Instant.now();
      }
    }

    @Override
    public void connectionLost(Throwable cause) {
      synchronized (ReconnectingMqttDevice.this) {
        if (connectedAt != null) {
          stretches.add(new Stretch(connectedAt, Instant.now()));
          connectedAt = null;
        }
        ReconnectingMqttDevice.this.notifyAll();
      }
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {}

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {}
  }
}
