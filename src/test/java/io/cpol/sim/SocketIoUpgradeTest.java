package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The polling to websocket upgrade of an Engine.IO v3 client, step by step on the wire: a client
 * whose poll completes just before it reads the probe's answer polls once more, pauses, and waits
 * for that poll before it sends the upgrade packet and whatever it buffered while upgrading. That
 * poll must end promptly, or the client's messages stay unsent.
 */
@Timeout(30)
class SocketIoUpgradeTest {
  private static final Duration PROMPTLY = Duration.ofSeconds(3);
  private static final Pattern SID = Pattern.compile("\"sid\":\"([^\"]+)\"");

  private LiveSimulator live;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private WebSocket ws;
  private final BlockingQueue<String> wsIn = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    live =
        LiveSimulator.start(
            BeebotteSimulator.builder().account("acme", "acme-api", "acme-secret"),
            LiveSimulator.OFF,
            0);
  }

  @AfterEach
  void stop() {
    if (ws != null) {
      ws.abort();
    }
    live.close();
  }

  @Test
  void aPollThatArrivesWhileUpgradingEndsSoTheClientCanUpgradeAndSend() throws Exception {
    String base = live.socketIoUrl() + "/socket.io/?EIO=3&transport=";
    Matcher open = SID.matcher(poll(base + "polling&key=acme-api&userid=uid-up").get(0));
    assertThat(open.find()).isTrue();
    String polling = base + "polling&sid=" + open.group(1);
    List<String> connected = new ArrayList<>();
    while (connected.stream().noneMatch(p -> p.startsWith("42[\"getsid\""))) {
      connected.addAll(poll(polling));
    }
    assertThat(connected).startsWith("40");

    ws =
        http.newWebSocketBuilder()
            .buildAsync(
                URI.create(base.replace("http://", "ws://") + "websocket&sid=" + open.group(1)),
                new Collector())
            .get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    ws.sendText("2probe", true);
    assertThat(received()).isEqualTo("3probe");
    // The poll that was pending at the probe: it gets the server's noop.
    assertThat(poll(polling)).containsOnly("6");
    // The client had not read "3probe" yet, so it polled again; now it pauses and waits for this.
    assertThat(poll(polling)).containsOnly("6");

    ws.sendText("5", true);
    int subscriptions = 20;
    for (int i = 0; i < subscriptions; i++) {
      ws.sendText(
          "42[\"message\",{\"version\":1,\"channel\":\"control\",\"event\":\"subscribe\","
              + "\"data\":{\"channel\":\"weather\",\"resource\":\"r"
              + i
              + "\",\"ttl\":0,\"read\":true,\"write\":false}}]",
          true);
    }
    for (int i = 0; i < subscriptions; i++) {
      assertThat(received())
          .isEqualTo(
              "42[\"control\",{\"event\":\"subscribed\","
                  + "\"data\":{\"channel\":\"weather\",\"resource\":\"r"
                  + i
                  + "\"}}]");
    }
  }

  /** The next packet on the websocket but noops, which clients ignore. */
  private String received() throws InterruptedException {
    String packet;
    do {
      packet = wsIn.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    } while ("6".equals(packet));
    return packet;
  }

  /** One long-polling GET, which must end promptly; its v3 payload's packets. */
  private List<String> poll(String uri) throws Exception {
    HttpResponse<byte[]> response =
        http.sendAsync(
                HttpRequest.newBuilder(URI.create(uri)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray())
            .get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    return packets(response.body());
  }

  /**
   * The packets of an Engine.IO v3 binary payload: each is {@code 0} (string), its length in
   * decimal digits, {@code 0xff}, then the packet.
   */
  private static List<String> packets(byte[] payload) {
    List<String> packets = new ArrayList<>();
    int i = 0;
    while (i < payload.length) {
      assertThat(payload[i++]).as("string packet").isZero();
      int length = 0;
      while (payload[i] != (byte) 0xff) {
        length = length * 10 + payload[i++];
      }
      i++;
      // Lengths count characters; these packets are ASCII.
      packets.add(new String(payload, i, length, StandardCharsets.UTF_8));
      i += length;
    }
    return packets;
  }

  /** Queues the text messages the websocket receives. */
  private final class Collector implements WebSocket.Listener {
    private final ByteArrayOutputStream text = new ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.writeBytes(data.toString().getBytes(StandardCharsets.UTF_8));
      if (last) {
        wsIn.add(text.toString(StandardCharsets.UTF_8));
        text.reset();
      }
      webSocket.request(1);
      return null;
    }
  }
}
