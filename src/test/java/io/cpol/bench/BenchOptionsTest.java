package io.cpol.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.tools.CommandLines;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** bin/benchmark's flags: each mode's defaults, flags over them, --help, refused values. */
class BenchOptionsTest {
  @Test
  void fullAndQuickModesHaveTheirOwnDefaults() {
    BenchOptions full = BenchOptions.parse();
    BenchOptions quick = BenchOptions.parse("--quick");

    assertThat(full.sizes()).containsExactly(1_000, 10_000, 100_000);
    assertThat(quick.sizes()).containsExactly(200, 1000);
    assertThat(full.runs()).isEqualTo(30);
    assertThat(quick.runs()).isEqualTo(3);
    assertThat(full.appearIntervals())
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(5));
    assertThat(full.sections()).containsExactlyElementsOf(BenchOptions.ALL_SECTIONS);
    assertThat(full.out()).isEqualTo(Path.of("target/benchmarks/results.json"));
  }

  @Test
  void flagsOverrideTheModesDefaults() {
    BenchOptions o =
        BenchOptions.parse(
            "--quick",
            "--sizes=100_000,5",
            "--rules",
            "7",
            "--runs=4",
            "--warmup=0",
            "--latency-runs=2",
            "--appear-samples=9",
            "--appear-intervals=2s,1m",
            "--policies=3",
            "--sections=sync,jmh,decode",
            "--no-jmh",
            "--out=x.json");

    assertThat(o.sizes()).containsExactly(100_000, 5);
    assertThat(o.largestSize()).isEqualTo(100_000);
    assertThat(o.rules()).containsExactly(7);
    assertThat(o.runs()).isEqualTo(4);
    assertThat(o.warmup()).isZero();
    assertThat(o.latencyRuns()).isEqualTo(2);
    assertThat(o.appearSamples()).isEqualTo(9);
    assertThat(o.appearIntervals()).containsExactly(Duration.ofSeconds(2), Duration.ofMinutes(1));
    assertThat(o.policies()).isEqualTo(3);
    assertThat(o.sections()).containsExactly("sync", "decode");
    assertThat(o.runs("jmh")).isFalse();
    assertThat(o.out()).isEqualTo(Path.of("x.json"));
  }

  @Test
  void helpAndWrongValues() {
    assertThatThrownBy(() -> BenchOptions.parse("--help"))
        .isInstanceOf(CommandLines.HelpRequested.class)
        .hasMessageContainingAll("Usage: bin/benchmark", "--sections", "--no-jmh", "--quick");
    assertThatThrownBy(() -> BenchOptions.parse("--sections=sync,nope"))
        .hasMessageContaining("unknown section nope");
    assertThatThrownBy(() -> BenchOptions.parse("--runs=0")).hasMessageContaining("at least 1");
    assertThatThrownBy(() -> BenchOptions.parse("--what=1")).hasMessageContaining("--what");
  }
}
