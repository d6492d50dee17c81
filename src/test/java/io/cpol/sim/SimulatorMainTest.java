package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.sim.SimulatorMain.Options;
import io.cpol.tools.CommandLines;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone command line: flags, defaults, seeding and the banner. */
class SimulatorMainTest {

  @Test
  void defaultsAreTheDemoAccountAndToken() {
    Options o = Options.parse();

    assertThat(o.port()).isEqualTo(8080);
    assertThat(o.host()).isEqualTo("127.0.0.1");
    assertThat(o.accounts())
        .singleElement()
        .isEqualTo(new SimulatorMain.Account("demo", "demo-api-key", "demo-secret-key"));
    assertThat(o.tokens())
        .singleElement()
        .isEqualTo(
            new SimulatorMain.Token(
                "iamtkn_demo_token", List.of("admin:connection:read", "admin:connection:write")));
    assertThat(o.skew()).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void parsesEveryFlag() {
    Options o =
        Options.parse(
            "--port",
            "0",
            "--host=127.0.0.1",
            "--account",
            "a:ka:sa",
            "--account",
            "b:kb:sb",
            "--token",
            "iamtkn_r:admin:connection:read",
            "--token",
            "iamtkn_all",
            "--generate",
            "12",
            "--seed",
            "7",
            "--skew",
            "90s",
            "--seed-file",
            "x.json");

    assertThat(o.port()).isZero();
    assertThat(o.accounts()).hasSize(2);
    assertThat(o.tokens().get(0))
        .isEqualTo(new SimulatorMain.Token("iamtkn_r", List.of("admin:connection:read")));
    assertThat(o.tokens().get(1))
        .isEqualTo(
            new SimulatorMain.Token(
                "iamtkn_all", List.of("admin:connection:read", "admin:connection:write")));
    assertThat(o.generate()).isEqualTo(12);
    assertThat(o.seed()).isEqualTo(7);
    assertThat(o.skew()).isEqualTo(Duration.ofSeconds(90));
    assertThat(o.seedFile()).isEqualTo(Path.of("x.json"));
  }

  @Test
  void durationsInSeveralSpellings() {
    assertThat(SimulatorMain.duration("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(SimulatorMain.duration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(SimulatorMain.duration("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(SimulatorMain.duration("45")).isEqualTo(Duration.ofSeconds(45));
    assertThat(SimulatorMain.duration("PT15M")).isEqualTo(Duration.ofMinutes(15));
    assertThatThrownBy(() -> SimulatorMain.duration("soon"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badFlagsAreRejected() {
    assertThatThrownBy(() -> Options.parse("--nope", "1")).hasMessageContaining("Unknown option");
    assertThatThrownBy(() -> Options.parse("--account", "only:two"))
        .hasMessageContaining("owner:apiKey:secretKey");
    assertThatThrownBy(() -> Options.parse("--port")).hasMessageContaining("Missing required");
    assertThatThrownBy(() -> Options.parse("--generate", "many")).hasMessageContaining("many");
    assertThatThrownBy(() -> Options.parse("--generate", "-1")).hasMessageContaining("negative");
  }

  @Test
  void helpListsEveryFlag() {
    assertThatThrownBy(() -> Options.parse("--help"))
        .isInstanceOf(CommandLines.HelpRequested.class)
        .hasMessageContaining("Usage: bin/simulator")
        .hasMessageContainingAll(
            "--port",
            "--host",
            "--account",
            "--token",
            "--seed-file",
            "--generate",
            "--seed",
            "--skew",
            "--mqtt-port",
            "--socketio-port");
  }

  @Test
  void seedsFromFileAndGeneratorAndPrintsAUsableBanner(@TempDir Path dir) throws Exception {
    Path seed = dir.resolve("connections.json");
    Files.writeString(seed, "[{\"userid\":\"from-file\",\"protocol\":\"mqtt\"}]");
    Options o = Options.parse("--port", "0", "--generate", "25", "--seed-file", seed.toString());

    try (BeebotteSimulator sim = o.build()) {
      o.seed(sim);
      sim.start();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      SimulatorMain.printBanner(new PrintStream(out, true, StandardCharsets.UTF_8), sim, o);
      String banner = out.toString(StandardCharsets.UTF_8);

      assertThat(sim.connections()).hasSize(26);
      assertThat(banner)
          .contains("listening on " + sim.baseUrl())
          .contains("connections: 26")
          .contains(
              "curl -s -H 'X-Auth-Token: iamtkn_demo_token' " + sim.baseUrl() + "/v1/connections");
      assertThat(new TokenClient(sim, "iamtkn_demo_token").list("/v1/connections")).hasSize(26);
    }
  }

  @Test
  void frontDoorsAreOffUnlessAskedForAndTheBannerSaysWhereTheyListen() throws Exception {
    assertThat(Options.parse().live()).isFalse();
    assertThat(Options.parse().mqttPort()).isEqualTo(LiveSimulator.OFF);
    assertThatThrownBy(() -> Options.parse("--mqtt-port", "70000"))
        .hasMessageContaining("a port from 0 to 65535");
    Options o = Options.parse("--port", "0", "--mqtt-port", "0", "--socketio-port", "0");
    assertThat(o.live()).isTrue();

    try (LiveSimulator live = LiveSimulator.start(o.build(), o.mqttPort(), o.socketIoPort())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      SimulatorMain.printFrontDoors(new PrintStream(out, true, StandardCharsets.UTF_8), live, o);

      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains("MQTT front door on tcp://127.0.0.1:" + live.mqttPort())
          .contains(
              "mosquitto_sub -h 127.0.0.1 -p "
                  + live.mqttPort()
                  + " -i device-42 -u demo-secret-key")
          .contains("Socket.IO front door on http://127.0.0.1:" + live.socketIoPort());
      assertThat(live.mqttPort()).isPositive().isNotEqualTo(live.socketIoPort());
    }
  }
}
