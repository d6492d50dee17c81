package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.sim.LiveSimulator;
import io.cpol.tools.CommandLines;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** bin/sandbox's flags: defaults, both spellings of a value, --help, and refused values. */
class SandboxOptionsTest {
  @Test
  void defaultsAreTheDocumentedPorts() {
    SandboxOptions o = SandboxOptions.parse();

    assertThat(o.once()).isFalse();
    assertThat(o.verbose()).isFalse();
    assertThat(
            new int[] {
              o.k8sPort(), o.beebottePort(), o.metricsPort(), o.mqttPort(), o.socketioPort()
            })
        .containsExactly(16443, 18080, 18082, 11883, 18081);
    assertThat(o.connections()).isEqualTo(200);
    assertThat(o.seed()).isEqualTo(42);
    assertThat(o.kubeconfig()).isEqualTo(Path.of("target/sandbox/kubeconfig"));
    assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.namespace()).isEqualTo("sandbox");
  }

  @Test
  void everyFlagWithASpaceOrAnEqualsSign() {
    SandboxOptions o =
        SandboxOptions.parse(
            "--once",
            "--verbose",
            "--k8s-port=0",
            "--beebotte-port",
            "1",
            "--metrics-port=2",
            "--mqtt-port",
            "off",
            "--socketio-port=OFF",
            "--connections",
            "0",
            "--seed=7",
            "--kubeconfig",
            "x/kc",
            "--timeout=2m");

    assertThat(o.once()).isTrue();
    assertThat(o.verbose()).isTrue();
    assertThat(new int[] {o.k8sPort(), o.beebottePort(), o.metricsPort()}).containsExactly(0, 1, 2);
    assertThat(o.mqttPort()).isEqualTo(LiveSimulator.OFF);
    assertThat(o.socketioPort()).isEqualTo(LiveSimulator.OFF);
    assertThat(o.connections()).isZero();
    assertThat(o.seed()).isEqualTo(7);
    assertThat(o.kubeconfig()).isEqualTo(Path.of("x/kc"));
    assertThat(o.timeout()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void helpListsEveryFlag() {
    assertThatThrownBy(() -> SandboxOptions.parse("--help"))
        .isInstanceOf(CommandLines.HelpRequested.class)
        .hasMessageContaining("Usage: bin/sandbox")
        .hasMessageContainingAll(
            "--once",
            "--connections",
            "--seed",
            "--kubeconfig",
            "--k8s-port",
            "--beebotte-port",
            "--metrics-port",
            "--mqtt-port",
            "--socketio-port",
            "--timeout",
            "--verbose");
  }

  @Test
  void wrongValuesAreRefusedWithTheFlagAndTheReason() {
    assertThatThrownBy(() -> SandboxOptions.parse("--k8s-port", "70000"))
        .hasMessageContainingAll("--k8s-port", "a port from 0 to 65535, not 70000");
    assertThatThrownBy(() -> SandboxOptions.parse("--connections=many"))
        .hasMessageContainingAll("--connections", "between 0 and 1000000");
    assertThatThrownBy(() -> SandboxOptions.parse("--timeout", "soon"))
        .hasMessageContaining("a duration like 60s or 2m, not soon");
    assertThatThrownBy(() -> SandboxOptions.parse("--nope")).hasMessageContaining("--nope");
    assertThatThrownBy(() -> SandboxOptions.parse("--seed")).hasMessageContaining("--seed");
  }
}
