package io.cpol.bench;

import io.cpol.tools.CommandLines;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * What to run and how much. Full mode is the grid (1k/10k/100k connections × 10/100/1,000
 * rules, 30 runs per cell); {@code --quick} is a smoke run at small sizes that finishes in seconds.
 * A flag not given takes the default of the mode.
 */
@Command(
    name = "bin/benchmark",
    sortOptions = false,
    usageHelpWidth = 100,
    description =
        "Runs the benchmark suite (BENCHMARKS.md) and writes its results as JSON. Defaults are"
            + " the full grid's; --quick's are in brackets.")
final class BenchOptions {
  @Mixin private CommandLines.Help help;

  static final List<String> ALL_SECTIONS =
      List.of(
          "sync",
          "decode",
          "drops",
          "bulk",
          "revocation",
          "jmh",
          "operator",
          "footprint",
          "sessions");

  @Option(names = "--quick", description = "A smoke run at small sizes, in seconds.")
  private boolean quick;

  @Option(
      names = "--sizes",
      split = ",",
      paramLabel = "N",
      converter = CommandLines.Positive.class,
      description = "Listing sizes (default: 1000,10000,100000 [200,1000]).")
  private List<Integer> sizes;

  @Option(
      names = "--rules",
      split = ",",
      paramLabel = "N",
      converter = CommandLines.Positive.class,
      description = "Rule counts (default: 10,100,1000).")
  private List<Integer> rules;

  @Option(
      names = "--runs",
      paramLabel = "N",
      converter = CommandLines.Positive.class,
      description = "Measured runs per cell (default: 30 [3]).")
  private Integer runs;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      description = "Warm-up runs per cell (default: 10 [1]).")
  private Integer warmup;

  @Option(
      names = "--latency-runs",
      paramLabel = "N",
      converter = CommandLines.Positive.class,
      description = "Runs of the latency measurements (default: 50 [3]).")
  private Integer latencyRuns;

  @Option(
      names = "--appear-samples",
      paramLabel = "N",
      converter = CommandLines.Positive.class,
      description = "Samples of the appear-to-drop latency (default: 20 [2]).")
  private Integer appearSamples;

  @Option(
      names = "--appear-intervals",
      split = ",",
      paramLabel = "DURATION",
      converter = CommandLines.GoDurationConverter.class,
      description = "Policy intervals of the appear-to-drop section (default: 1s,5s [1s]).")
  private List<Duration> appearIntervals;

  @Option(
      names = "--policies",
      paramLabel = "N",
      converter = CommandLines.Positive.class,
      description = "Policies of the end-to-end sections (default: 100 [5]).")
  private Integer policies;

  @Option(
      names = "--sections",
      split = ",",
      paramLabel = "SECTION",
      converter = Section.class,
      description =
          "Sections to run (default: all of sync,decode,drops,bulk,revocation,jmh,"
              + "operator,footprint,sessions).")
  private Set<String> sections = new LinkedHashSet<>(ALL_SECTIONS);

  @Option(names = "--no-jmh", description = "Leave out the JMH section.")
  private boolean noJmh;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Results file (default: target/benchmarks/results.json).")
  private Path out = Path.of("target/benchmarks/results.json");

  private BenchOptions() {}

  /**
   * Parses {@code --flag=value} and {@code --flag value}.
   *
   * @throws CommandLines.HelpRequested for --help
   * @throws IllegalArgumentException with a message for the user
   */
  static BenchOptions parse(String... args) {
    return CommandLines.parse(new BenchOptions(), args);
  }

  static BenchOptions parseOrExit(String... args) {
    return CommandLines.parseOrExit("benchmark", new BenchOptions(), args);
  }

  boolean quick() {
    return quick;
  }

  List<Integer> sizes() {
    return sizes != null ? sizes : quick ? List.of(200, 1000) : List.of(1_000, 10_000, 100_000);
  }

  List<Integer> rules() {
    return rules != null ? rules : List.of(10, 100, 1000);
  }

  int warmup() {
    return warmup != null ? warmup : quick ? 1 : 10;
  }

  int runs() {
    return runs != null ? runs : quick ? 3 : 30;
  }

  int latencyRuns() {
    return latencyRuns != null ? latencyRuns : quick ? 3 : 50;
  }

  int appearSamples() {
    return appearSamples != null ? appearSamples : quick ? 2 : 20;
  }

  List<Duration> appearIntervals() {
    if (appearIntervals != null) {
      return appearIntervals;
    }
    return quick
        ? List.of(Duration.ofSeconds(1))
        : List.of(Duration.ofSeconds(1), Duration.ofSeconds(5));
  }

  int policies() {
    return policies != null ? policies : quick ? 5 : 100;
  }

  int callsConnections() {
    return quick ? 200 : 10_000;
  }

  Duration callsInterval() {
    return Duration.ofSeconds(quick ? 1 : 2);
  }

  int callsIntervals() {
    return quick ? 2 : 5;
  }

  Duration footprintInterval() {
    return Duration.ofSeconds(quick ? 1 : 10);
  }

  int footprintIntervals() {
    return quick ? 2 : 3;
  }

  boolean jmh() {
    return !noJmh;
  }

  Set<String> sections() {
    Set<String> chosen = new LinkedHashSet<>(sections);
    if (noJmh) {
      chosen.remove("jmh");
    }
    return chosen;
  }

  Path out() {
    return out;
  }

  int largestSize() {
    return sizes().stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  int largestRules() {
    return rules().stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  boolean runs(String section) {
    return sections().contains(section);
  }

  /** One of {@link #ALL_SECTIONS}. */
  static final class Section implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String name = value.trim();
      if (!ALL_SECTIONS.contains(name)) {
        throw new TypeConversionException("unknown section " + name + "; known: " + ALL_SECTIONS);
      }
      return name;
    }
  }
}
