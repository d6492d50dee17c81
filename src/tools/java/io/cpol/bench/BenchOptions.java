package io.cpol.bench;

import io.cpol.enforce.GoDuration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What to run and how much. Full mode is the grid (1k/10k/100k connections × 10/100/1,000
 * rules, 30 runs per cell); {@code --quick} is a smoke run at small sizes that finishes in seconds.
 */
record BenchOptions(
    boolean quick,
    List<Integer> sizes,
    List<Integer> rules,
    int warmup,
    int runs,
    int latencyRuns,
    int appearSamples,
    List<Duration> appearIntervals,
    int policies,
    int callsConnections,
    Duration callsInterval,
    int callsIntervals,
    Duration footprintInterval,
    int footprintIntervals,
    boolean jmh,
    Set<String> sections,
    Path out) {

  static final List<String> ALL_SECTIONS =
      List.of("sync", "decode", "drops", "bulk", "revocation", "jmh", "operator", "footprint");

  static final String USAGE =
      """
      bin/benchmark [--quick] [--sizes=1000,10000,100000] [--rules=10,100,1000] [--runs=30]
                    [--warmup=10] [--latency-runs=50] [--appear-samples=20]
                    [--appear-intervals=1s,5s] [--policies=100] [--sections=%s]
                    [--no-jmh] [--out=target/benchmarks/results.json]
      """
          .formatted(String.join(",", ALL_SECTIONS));

  static BenchOptions parse(String... args) {
    boolean quick = Arrays.asList(args).contains("--quick");
    List<Integer> sizes = quick ? List.of(200, 1000) : List.of(1_000, 10_000, 100_000);
    List<Integer> rules = List.of(10, 100, 1000);
    int warmup = quick ? 1 : 10;
    int runs = quick ? 3 : 30;
    int latencyRuns = quick ? 3 : 50;
    int appearSamples = quick ? 2 : 20;
    List<Duration> appearIntervals =
        quick
            ? List.of(Duration.ofSeconds(1))
            : List.of(Duration.ofSeconds(1), Duration.ofSeconds(5));
    int policies = quick ? 5 : 100;
    int callsConnections = quick ? 200 : 10_000;
    Duration callsInterval = Duration.ofSeconds(quick ? 1 : 2);
    int callsIntervals = quick ? 2 : 5;
    Duration footprintInterval = Duration.ofSeconds(quick ? 1 : 10);
    int footprintIntervals = quick ? 2 : 3;
    boolean jmh = true;
    Set<String> sections = new LinkedHashSet<>(ALL_SECTIONS);
    Path out = Path.of("target/benchmarks/results.json");
    for (String arg : args) {
      if (arg.equals("--quick")) {
        continue;
      }
      if (arg.equals("--no-jmh")) {
        jmh = false;
        continue;
      }
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new IllegalArgumentException(USAGE);
      }
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("unknown argument " + arg + "\n" + USAGE);
      }
      String name = arg.substring(2, eq);
      String value = arg.substring(eq + 1);
      switch (name) {
        case "sizes" -> sizes = ints(value);
        case "rules" -> rules = ints(value);
        case "runs" -> runs = positive(name, value);
        case "warmup" -> warmup = Integer.parseInt(value);
        case "latency-runs" -> latencyRuns = positive(name, value);
        case "appear-samples" -> appearSamples = positive(name, value);
        case "appear-intervals" -> appearIntervals = durations(value);
        case "policies" -> policies = positive(name, value);
        case "sections" -> sections = sections(value);
        case "out" -> out = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
      }
    }
    if (!jmh) {
      sections.remove("jmh");
    }
    return new BenchOptions(
        quick,
        sizes,
        rules,
        warmup,
        runs,
        latencyRuns,
        appearSamples,
        appearIntervals,
        policies,
        callsConnections,
        callsInterval,
        callsIntervals,
        footprintInterval,
        footprintIntervals,
        jmh,
        sections,
        out);
  }

  int largestSize() {
    return sizes.stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  int largestRules() {
    return rules.stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  boolean runs(String section) {
    return sections.contains(section);
  }

  private static List<Integer> ints(String value) {
    List<Integer> out = new ArrayList<>();
    for (String part : value.split(",")) {
      out.add(positive("list entry", part.trim().replace("_", "")));
    }
    return List.copyOf(out);
  }

  private static List<Duration> durations(String value) {
    return Arrays.stream(value.split(",")).map(s -> GoDuration.parse(s.trim())).toList();
  }

  private static Set<String> sections(String value) {
    Set<String> out = new LinkedHashSet<>();
    for (String s : value.split(",")) {
      if (!ALL_SECTIONS.contains(s.trim())) {
        throw new IllegalArgumentException("unknown section " + s + "; known: " + ALL_SECTIONS);
      }
      out.add(s.trim());
    }
    return out;
  }

  private static int positive(String name, String value) {
    int n = Integer.parseInt(value);
    if (n < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
    return n;
  }
}
