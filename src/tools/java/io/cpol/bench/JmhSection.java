package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the JMH benchmarks ({@link SyncBenchmark}, {@link DecodeBenchmark}) with the GC profiler,
 * for time per operation and bytes allocated per operation. Full mode forks one JVM per benchmark
 * (3 × 1 s warm-up, 5 × 1 s measurement); quick mode runs in this JVM, briefly.
 */
final class JmhSection {
  private final BenchOptions options;
  private final Results results;

  JmhSection(BenchOptions options, Results results) {
    this.options = options;
    this.results = results;
  }

  /** One benchmark method at one parameter combination. */
  private record Run(String benchmark, String method, Map<String, String> params) {}

  void run() throws RunnerException {
    results.heading(
        "JMH (-prof gc): average time and allocation per operation"
            + (options.quick() ? " — quick: in-process, 1 short iteration, indicative only" : ""));
    results.print(
        "%-36s %9s %6s  %16s  %12s", "benchmark", "conns", "rules", "ms/op (±99.9%)", "alloc/op");
    ArrayNode array = results.arraySection("jmh");
    int largest = options.largestSize();
    int largestRules = options.largestRules();
    List<Run> runs = new ArrayList<>();
    List<Integer> fullSyncSizes = options.quick() ? List.of(largest) : options.sizes();
    for (int size : fullSyncSizes) {
      for (int rules : options.rules()) {
        runs.add(syncRun("fullSync", size, rules));
      }
    }
    List<Integer> stepRules = options.quick() ? List.of(largestRules) : options.rules();
    for (String step : List.of("evaluate", "plan", "statusBuild")) {
      for (int rules : stepRules) {
        runs.add(syncRun(step, largest, rules));
      }
    }
    for (String method : List.of("connectionListDecoder", "plainJacksonLoop")) {
      runs.add(
          new Run(
              DecodeBenchmark.class.getName(),
              method,
              Map.of("connections", Integer.toString(largest))));
    }
    for (Run run : runs) {
      for (RunResult result : execute(run)) {
        array.add(record(run, result));
      }
    }
  }

  private static Run syncRun(String method, int size, int rules) {
    return new Run(
        SyncBenchmark.class.getName(),
        method,
        Map.of("connections", Integer.toString(size), "rules", Integer.toString(rules)));
  }

  private Collection<RunResult> execute(Run run) throws RunnerException {
    ChainedOptionsBuilder builder =
        new OptionsBuilder()
            .include("^" + run.benchmark().replace(".", "\\.") + "\\." + run.method() + "$")
            .addProfiler(GCProfiler.class)
            .shouldFailOnError(true)
            .verbosity(VerboseMode.SILENT);
    run.params().forEach(builder::param);
    if (options.quick()) {
      builder
          .forks(0)
          .warmupIterations(1)
          .warmupTime(TimeValue.milliseconds(100))
          .measurementIterations(1)
          .measurementTime(TimeValue.milliseconds(200));
    } else {
      builder
          .forks(1)
          .warmupIterations(3)
          .warmupTime(TimeValue.seconds(1))
          .measurementIterations(5)
          .measurementTime(TimeValue.seconds(1));
    }
    return new Runner(builder.build()).run();
  }

  private ObjectNode record(Run run, RunResult result) {
    Result<?> primary = result.getPrimaryResult();
    double alloc = Double.NaN;
    for (Map.Entry<String, Result> secondary : result.getSecondaryResults().entrySet()) {
      if (secondary.getKey().endsWith("gc.alloc.rate.norm")) {
        alloc = secondary.getValue().getScore();
      }
    }
    String name = simpleName(run.benchmark()) + "." + run.method();
    String connections = run.params().get("connections");
    String rules = run.params().getOrDefault("rules", "-");
    double error = primary.getScoreError();
    results.print(
        "%-36s %9s %6s  %16s  %12s",
        name,
        connections,
        rules,
        Double.isNaN(error)
            ? Results.fmt("%.3f", primary.getScore())
            : Results.fmt("%.3f ± %.3f", primary.getScore(), error),
        Double.isNaN(alloc) ? "n/a" : bytes(alloc));
    ObjectNode node = Results.JSON.createObjectNode();
    node.put("benchmark", name);
    node.put("connections", Integer.parseInt(connections));
    if (run.params().containsKey("rules")) {
      node.put("rules", Integer.parseInt(rules));
    }
    node.put("msPerOp", Samples.round(primary.getScore()));
    if (!Double.isNaN(error)) {
      node.put("msPerOpError999", Samples.round(error));
    }
    if (!Double.isNaN(alloc)) {
      node.put("bytesAllocatedPerOp", Math.round(alloc));
    }
    node.put("iterations", primary.getSampleCount());
    return node;
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  static String bytes(double bytes) {
    if (bytes >= 1024 * 1024) {
      return Results.fmt("%.1f MiB", bytes / (1024 * 1024));
    }
    if (bytes >= 1024) {
      return Results.fmt("%.1f KiB", bytes / 1024);
    }
    return Results.fmt("%.0f B", bytes);
  }
}
