package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.beebotte.Protocol;
import io.cpol.sim.BeebotteSimulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sandbox's console: one line per drop call, its target as sent, the sessions it closed. */
class DropLinesTest {
  private static Connection socketio(String userid, String sid) {
    return new Connection(
        userid, sid, "socketio", userid, "::ffff:10.0.0.1", null, null, List.of());
  }

  private static Connection mqtt(String userid) {
    return new Connection(userid, userid, "mqtt", userid, "::ffff:10.0.0.2", null, null, List.of());
  }

  @Test
  void oneLinePerCallWithTheSessionsItClosed() {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    List<List<Connection>> calls = new ArrayList<>();
    try (BeebotteSimulator sim =
            BeebotteSimulator.builder()
                .host("127.0.0.1")
                .port(0)
                .account("sandbox", "k", "s")
                .build()
                .start();
        BeebotteClient client =
            new OkHttpBeebotteClient(
                BeebotteClientConfig.builder(new Credentials.Keys("k", "s"))
                    .baseUrl(sim.baseUrl())
                    .build())) {
      sim.addConnections(
          List.of(
              socketio("app-7", "sid-a"),
              socketio("app-7", "sid-b"),
              mqtt("app-7"),
              mqtt("device-0042"),
              socketio("app-8", "sid-c")));
      DropLines.follow(sim, new PrintStream(console, true, StandardCharsets.UTF_8), calls::add);

      client.drop(DropTarget.userOnProtocol("app-7", Protocol.socketio));
      client.drop(DropTarget.user("device-0042"));
      client.drop(new DropTarget("app-8", Protocol.socketio, "sid-c"));
      client.drop(DropTarget.user("nobody"));
    }

    List<String> lines = console.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0))
        .matches(
            "\\d\\d:\\d\\d(:\\d\\d)?  DELETE /v1/connections/drop/app-7\\?protocol=socketio"
                + "  closed 2 socketio sessions of app-7: sid-a, sid-b");
    assertThat(lines.get(1))
        .as("the bare ? the client sends is not printed")
        .endsWith(
            "  DELETE /v1/connections/drop/device-0042  closed 1 mqtt session of device-0042");
    assertThat(lines.get(2))
        .endsWith(
            "  DELETE /v1/connections/drop/app-8?sid=sid-c&protocol=socketio"
                + "  closed 1 socketio session of app-8: sid-c");
    assertThat(calls).extracting(List::size).containsExactly(2, 1, 1);
  }
}
