package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Beebotte's official Node.js client (npm beebotte 1.7.0), unchanged, against the simulator: every
 * connection call signs, lists and drops as the real service expects, a non-ASCII userid (sent as a
 * raw latin1 byte) included. Runs when Node.js and the client are installed ({@code npm ci} in
 * src/test/node/official-client, which .ci/run does).
 */
class OfficialNodeClientTest {
  private static final Path DIR = Path.of("src/test/node/official-client");

  @Test
  void officialClientListsAndDropsUnchanged() throws Exception {
    assumeTrue(
        Files.isDirectory(DIR.resolve("node_modules/beebotte")),
        "official client not installed: run npm ci in " + DIR);
    try (BeebotteSimulator sim =
        BeebotteSimulator.builder().account("acme", "acme-key", "acme-secret").build().start()) {
      sim.addConnections(
          List.of(
              new Connection(
                  "uid-1",
                  "sid-a",
                  "socketio",
                  "uid-1",
                  "::ffff:203.0.113.7",
                  null,
                  "ann",
                  List.of(new Subscription("billing", "*", true, false))),
              new Connection(
                  "uid-1",
                  "sid-b",
                  "socketio",
                  "uid-1",
                  "::ffff:203.0.113.8",
                  null,
                  null,
                  List.of()),
              new Connection(
                  "uid-1", "uid-1", "mqtt", "uid-1", "::ffff:203.0.113.9", null, null, List.of()),
              new Connection(
                  "capteur-é",
                  "capteur-é",
                  "mqtt",
                  "capteur-é",
                  "::ffff:203.0.113.11",
                  null,
                  null,
                  List.of()),
              new Connection(
                  "uid-2",
                  "uid-2",
                  "mqtt",
                  "uid-2",
                  "::ffff:203.0.113.10",
                  null,
                  null,
                  List.of())));

      Process node =
          new ProcessBuilder(
                  "node",
                  "check.js",
                  String.valueOf(sim.port()),
                  "acme-key",
                  "acme-secret",
                  "uid-1",
                  "sid-a")
              .directory(DIR.toFile())
              .redirectErrorStream(true)
              .start();
      String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();

      assertThat(node.exitValue()).as(output).isZero();
      assertThat(output)
          .contains(
              "count: 5",
              "drop-session: true",
              "drop-user: true",
              "sensor-count: 1",
              "drop-sensor: true",
              "bad-secret: error",
              "1101");
      assertThat(sim.requests())
          .extracting(RecordedCall::method, RecordedCall::rawTarget, RecordedCall::status)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("GET", "/v1/connections", 200),
              org.assertj.core.groups.Tuple.tuple("GET", "/v1/connections?protocol=socketio", 200),
              org.assertj.core.groups.Tuple.tuple("GET", "/v1/connections/uid-1?", 200),
              org.assertj.core.groups.Tuple.tuple("GET", "/v1/connections/uid-1?sid=sid-a", 200),
              org.assertj.core.groups.Tuple.tuple(
                  "DELETE", "/v1/connections/drop/uid-1?sid=sid-a&protocol=socketio", 200),
              org.assertj.core.groups.Tuple.tuple("DELETE", "/v1/connections/drop/uid-1?", 200),
              // The byte 0xE9 on the request line, one char per byte, signed as Node signs it.
              org.assertj.core.groups.Tuple.tuple("GET", "/v1/connections/capteur-\u00e9?", 200),
              org.assertj.core.groups.Tuple.tuple(
                  "DELETE", "/v1/connections/drop/capteur-\u00e9?", 200),
              org.assertj.core.groups.Tuple.tuple("GET", "/v1/connections", 400));
      assertThat(sim.connections()).extracting(Connection::userid).containsExactly("uid-2");
    } catch (IOException e) {
      assumeTrue(false, "node is not installed: " + e.getMessage());
    }
  }
}
