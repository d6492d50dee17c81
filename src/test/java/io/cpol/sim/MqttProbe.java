package io.cpol.sim;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** A real MQTT client (Paho) that records what happens to it: messages and lost connections. */
final class MqttProbe implements AutoCloseable {
  /** A message as received: topic and payload text. */
  record Received(String topic, String payload) {}

  final MqttClient client;
  final AtomicInteger connectionsLost = new AtomicInteger();
  final List<Received> received = new CopyOnWriteArrayList<>();

  private MqttProbe(MqttClient client) {
    this.client = client;
  }

  /**
   * Connects with a clean session and no automatic reconnect, so a kick stays observable.
   *
   * @param password null sends none
   */
  static MqttProbe connect(String uri, String clientId, String username, String password)
      throws MqttException {
    MqttProbe probe = new MqttProbe(new MqttClient(uri, clientId, new MemoryPersistence()));
    // Paho waits forever by default, e.g. when the broker closes right after the CONNACK.
    probe.client.setTimeToWait(10_000);
    probe.client.setCallback(probe.new Recorder());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(true);
    options.setAutomaticReconnect(false);
    options.setConnectionTimeout(10);
    options.setKeepAliveInterval(30);
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    if (username != null) {
      options.setUserName(username);
    }
    if (password != null) {
      options.setPassword(password.toCharArray());
    }
    try {
      probe.client.connect(options);
    } catch (MqttException e) {
      probe.client.close(true);
      throw e;
    }
    return probe;
  }

  MqttProbe subscribe(String topic) throws MqttException {
    client.subscribe(topic, 0);
    return this;
  }

  void publish(String topic, String payload) throws MqttException {
    client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 0, false);
  }

  boolean receivedPayloadContaining(String topic, String text) {
    return received.stream().anyMatch(r -> r.topic().equals(topic) && r.payload().contains(text));
  }

  @Override
  public void close() throws MqttException {
    try {
      if (client.isConnected()) {
        client.disconnect(0);
      }
    } catch (MqttException e) {
      // Already going away.
    }
    client.close(true);
  }

  private final class Recorder implements MqttCallback {
    @Override
    public void connectionLost(Throwable cause) {
      connectionsLost.incrementAndGet();
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8)));
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {}
  }
}
