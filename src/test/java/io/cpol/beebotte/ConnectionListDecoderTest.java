package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectionListDecoderTest {

  static final String SOCKETIO_EXAMPLE =
      """
      {
        "clientid": "uid-bCY0jGcM17MPKkd8",
        "clientip": "::ffff:203.0.113.7",
        "owner": "beebotte",
        "protocol": "socketio",
        "sid": "G-bQyzSxjW9PLYbZAxo3",
        "userid": "uid-bCY0jGcM17MPKkd8",
        "subscriptions": [{"channel": "my_channel", "resource": "my_resource", "read": true, "write": true}],
        "userinfo": {"userid": "uid-bCY0jGcM17MPKkd8", "username": "optional_username"}
      }""";

  static final String MQTT_EXAMPLE =
      """
      {"clientid": "bbt_test-mqttjs_115e84d1", "clientip": "::ffff:198.51.100.20", "owner": "beebotte",
       "protocol": "mqtt", "sid": "bbt_test-mqttjs_115e84d1", "userid": "bbt_test-mqttjs_115e84d1"}""";

  static final Connection SOCKETIO =
      new Connection(
          "uid-bCY0jGcM17MPKkd8",
          "G-bQyzSxjW9PLYbZAxo3",
          "socketio",
          "uid-bCY0jGcM17MPKkd8",
          "::ffff:203.0.113.7",
          "beebotte",
          "optional_username",
          List.of(new Subscription("my_channel", "my_resource", true, true)));

  static final Connection MQTT =
      new Connection(
          "bbt_test-mqttjs_115e84d1",
          "bbt_test-mqttjs_115e84d1",
          "mqtt",
          "bbt_test-mqttjs_115e84d1",
          "::ffff:198.51.100.20",
          "beebotte",
          null,
          List.of());

  private final ConnectionListDecoder decoder = new ConnectionListDecoder();

  private List<Connection> decode(String json) throws IOException {
    return decoder.decode(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void decodesTheDocumentedExamples() throws IOException {
    assertThat(decode("[" + SOCKETIO_EXAMPLE + "," + MQTT_EXAMPLE + "]"))
        .containsExactly(SOCKETIO, MQTT);
    assertThat(decode("[]")).isEmpty();
    assertThat(decode("  [ ]  \n")).isEmpty();
  }

  @Test
  void skipsUnknownFieldsAtEveryLevel() throws IOException {
    String json =
        """
        [{"future": {"nested": [1, {"userid": "not-this-one"}]}, "userid": "u", "sid": "s",
          "protocol": "socketio", "list": [[], {}], "n": 1.5e3, "b": false, "z": null,
          "userinfo": {"extra": [1, 2], "username": "bob", "more": {"username": "x"}},
          "subscriptions": [{"channel": "c", "ttl": 0, "resource": "r", "meta": {"read": false},
                             "read": true, "write": false}]}]""";
    assertThat(decode(json))
        .containsExactly(
            new Connection(
                "u",
                "s",
                "socketio",
                null,
                null,
                null,
                "bob",
                List.of(new Subscription("c", "r", true, false))));
  }

  @Test
  void missingOrNullOptionalFieldsAreNullOrEmpty() throws IOException {
    assertThat(decode("[{\"userid\": \"u\"}]"))
        .containsExactly(new Connection("u", null, null, null, null, null, null, List.of()));
    assertThat(decode("[{\"userid\": \"u\", \"userinfo\": null, \"subscriptions\": null}]"))
        .containsExactly(new Connection("u", null, null, null, null, null, null, List.of()));
    assertThat(
            decode("[{\"userid\": \"u\", \"subscriptions\": [{}], \"userinfo\": {}}]")
                .get(0)
                .subscriptions())
        .containsExactly(new Subscription(null, null, false, false));
  }

  @Test
  void elementsThatCannotBeToldApartAreSkippedAndCountedNotFatal() throws IOException {
    String body =
        "[1, \"x\", null, true, [{\"userid\": \"in-a-list\"}], {}, {\"userid\": null},"
            + " {\"userid\": \"\"}, {\"userid\": {\"id\": \"u\"}}, {\"userid\": [\"u\"]},"
            + MQTT_EXAMPLE
            + ", 2.5]";

    ConnectionListing listing = listing(body);

    assertThat(listing.connections()).containsExactly(MQTT);
    assertThat(listing.skipped()).isEqualTo(11);
    assertThat(listing("[" + MQTT_EXAMPLE + "]").skipped()).isZero();
    assertThat(listing("[]")).isEqualTo(new ConnectionListing(List.of(), 0));
  }

  private ConnectionListing listing(String json) throws IOException {
    return decoder.listing(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void toleratesScalarsOfAnotherType() throws IOException {
    Connection c =
        decode(
                """
                [{"userid": 42, "sid": true, "protocol": {"x": 1}, "owner": ["a"],
                  "subscriptions": [{"read": "true", "write": 1}, "junk", 7]}]""")
            .get(0);
    assertThat(c.userid()).isEqualTo("42");
    assertThat(c.sid()).isEqualTo("true");
    assertThat(c.protocol()).isNull();
    assertThat(c.owner()).isNull();
    assertThat(c.subscriptions()).containsExactly(new Subscription(null, null, true, true));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "<html>502 Bad Gateway</html>",
        "{\"error\": {\"message\": \"x\", \"code\": 1201}}",
        "null",
        "true",
        "[{\"userid\": \"u\"}",
        "[{\"userid\": \"u\"",
        "[{\"userid\": \"u",
        "[1, 2",
        "[{\"userid\": \"u\"}, \"x\"",
        "[{\"userid\": \"u\"}, [1, ",
        "[] []",
        "[] junk",
        "[{\"subscriptions\": [{\"channel\": \"c\"}"
      })
  void rejectsBodiesThatAreNotOneCompleteArray(String body) {
    assertThatThrownBy(() -> decode(body)).isInstanceOf(IOException.class);
  }

  @Test
  void leavesTheStreamOpenForItsOwner() throws IOException {
    boolean[] closed = {false};
    InputStream in =
        new ByteArrayInputStream("[]".getBytes(StandardCharsets.UTF_8)) {
          @Override
          public void close() {
            closed[0] = true;
          }
        };
    assertThat(decoder.decode(in)).isEmpty();
    assertThat(closed[0]).isFalse();
  }

  @Test
  void decodesOneHundredThousandConnections() throws IOException {
    int count = 100_000;
    ByteArrayOutputStream body = new ByteArrayOutputStream(32 << 20);
    ConnectionListings.write(count, body);
    List<Connection> connections = decoder.decode(new ByteArrayInputStream(body.toByteArray()));
    assertThat(connections).hasSize(count);
    for (int i = 0; i < count; i++) {
      if (!connections.get(i).equals(ConnectionListings.connection(i))) {
        assertThat(connections.get(i))
            .as("connection %d", i)
            .isEqualTo(ConnectionListings.connection(i));
      }
    }
  }
}
