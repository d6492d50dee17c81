package io.cpol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the benchmark harness from rotting: its in-JVM sections run in quick mode at tiny sizes and
 * write every section of the results file. Structure only: timings here mean nothing.
 */
class BenchmarkMainTest {
  @Test
  void quickRunWritesEverySection(@TempDir Path dir) throws Exception {
    // JMH refuses to run while another JMH holds its lock (e.g. bin/benchmark on this machine).
    System.setProperty("jmh.ignoreLock", "true");
    Path out = dir.resolve("results.json");
    BenchOptions options =
        BenchOptions.parse(
            "--quick", "--sizes=200", "--sections=sync,decode,drops,jmh", "--out=" + out);

    BenchmarkMain.run(options, new PrintStream(OutputStream.nullOutputStream()));

    JsonNode results = Results.JSON.readTree(out.toFile());
    assertThat(results.path("machine").path("availableProcessors").asInt()).isPositive();
    assertThat(results.path("jdk").path("version").asText()).isNotEmpty();
    for (String section : new String[] {"syncCost", "exactUseridScaling", "decode", "dropCalls"}) {
      assertThat(results.path(section).size()).as(section).isPositive();
    }
    assertThat(results.path("syncCost").get(0).path("steps").fieldNames())
        .toIterable()
        .containsExactly("listDecode", "evaluate", "plan", "statusBuild", "fullSyncAfterListing");
    assertThat(results.path("jmh").findValuesAsText("benchmark"))
        .contains(
            "SyncBenchmark.fullSync",
            "SyncBenchmark.evaluate",
            "SyncBenchmark.plan",
            "SyncBenchmark.statusBuild",
            "DecodeBenchmark.connectionListDecoder",
            "DecodeBenchmark.plainJacksonLoop");
    assertThat(results.path("targets").findValuesAsText("result"))
        .isNotEmpty()
        .allMatch(r -> r.equals("PASS") || r.equals("MISS"));
  }

  @Test
  void aSectionThatFailsIsAMissWithItsReasonAndTheRunGoesOn() throws Exception {
    BenchOptions options = BenchOptions.parse("--quick", "--sections=revocation,operator");
    Results results = new Results(new PrintStream(OutputStream.nullOutputStream()));
    List<String> done = new ArrayList<>();

    BenchmarkMain.section(
        options,
        results,
        done,
        "revocation",
        () -> {
          throw new IllegalStateException("Connect already in progress (32110)");
        });
    BenchmarkMain.section(options, results, done, "operator", () -> {});

    assertThat(done).containsExactly("operator");
    assertThat(results.targets())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.pass()).isFalse();
              assertThat(t.name()).contains("revocation");
              assertThat(t.measured()).contains("Connect already in progress (32110)");
            });
  }
}
