package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Closing a device whose reconnect is in progress: Paho refuses to close a client while it connects
 * ("Connect already in progress (32110)"), which ended bin/benchmark's revocation section with an
 * exception, so no targets were printed and the JVM never exited. A bare TCP server plays the
 * broker: it accepts the first connection with a CONNACK and then closes it, and answers no later
 * CONNECT, so the device's reconnect hangs until it is closed.
 */
class ReconnectingMqttDeviceTest {
  /** MQTT 3.1.1 CONNACK: accepted, no session present. */
  private static final byte[] CONNACK = {0x20, 0x02, 0x00, 0x00};

  @ParameterizedTest
  @EnumSource(ReconnectingMqttDevice.Style.class)
  void closingWhileAReconnectIsInProgressLetsGoWithoutThrowing(ReconnectingMqttDevice.Style style)
      throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Socket socket = server.accept();
                    accepted.add(socket);
                    if (accepted.size() == 1) {
                      socket.getOutputStream().write(CONNACK);
                      socket.getOutputStream().flush();
                    }
                  }
                } catch (IOException e) {
                  // The server closed: the test is over.
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      ReconnectingMqttDevice device =
          ReconnectingMqttDevice.start(
              "tcp://127.0.0.1:" + server.getLocalPort(),
              "device-closing",
              "secret",
              style,
              Duration.ofMillis(50));
      assertThat(device.connected()).isTrue();

      accepted.get(0).close();
      // Paho's automatic reconnect waits 1 s after a loss, the device's own loop 50 ms.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (accepted.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(accepted).as("the device reconnects").hasSizeGreaterThanOrEqualTo(2);
      Socket hanging = accepted.get(1);
      hanging.setSoTimeout(5_000);
      InputStream in = hanging.getInputStream();
      // The CONNECT arrives: from here the client is connecting and waits for a CONNACK.
      assertThat(in.read()).isEqualTo(0x10);

      long start = System.nanoTime();
      assertThatCode(device::close).doesNotThrowAnyException();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(device.connected()).isFalse();
      // The client let the hanging connection go.
      assertThat(drainsToEnd(in)).as("the connection in progress is closed").isTrue();
      Thread.sleep(1_500);
      assertThat(accepted).as("no reconnect after close").hasSize(2);
    } finally {
      for (Socket socket : accepted) {
        socket.close();
      }
    }
  }

  private static boolean drainsToEnd(InputStream in) throws IOException {
    try {
      while (in.read() >= 0) {
        // The rest of the CONNECT.
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      // Reset by the client: let go as well.
      return true;
    }
  }
}
