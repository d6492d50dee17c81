package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark suite behind {@code bin/benchmark} (see BENCHMARKS.md): prints tables as it goes,
 * then the targets with PASS/MISS, and writes everything to {@code target/benchmarks/results.json}.
 */
public final class BenchmarkMain {
  /** Held so that the setting sticks: java.util.logging keeps loggers only weakly. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private static final String EVENT_PROCESSOR =
      "io.javaoperatorsdk.operator.processing.event.EventProcessor";

  private BenchmarkMain() {}

  public static void main(String[] args) {
    BenchOptions options = BenchOptions.parseOrExit(args);
    int status = 1;
    try {
      Results results = run(options, System.out);
      boolean allPass = results.targets().stream().allMatch(Results.Target::pass);
      System.out.println();
      System.out.println(
          (allPass ? "All targets hold." : "Some targets were missed.")
              + " Results: "
              + options.out().toAbsolutePath());
      status = 0;
    } catch (Throwable e) {
      e.printStackTrace();
    } finally {
      // Nothing may keep the JVM alive, whatever happened: a library's non-daemon thread (Paho's
      // reconnect timer outlives its client) would otherwise hold it forever.
      System.exit(status);
    }
  }

  /** Runs the sections the options name and writes the JSON file; returns what it found. */
  static Results run(BenchOptions options, PrintStream out) throws Exception {
    // The mock API server logs every request at INFO; the tables are what matters here.
    MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    // Deleting a policy while its sync writes status makes JOSDK log the failed patch with a stack
    // trace; the end-to-end sections delete policies between runs, so that is expected here.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(EVENT_PROCESSOR))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    Results results = new Results(out);
    Instant started = Instant.now();
    ObjectNode root = results.root();
    root.put("mode", options.quick() ? "quick" : "full");
    root.put("startedAt", started.toString());
    root.put("loadAverageAtStart", MachineInfo.loadAverage());
    ObjectNode machine = MachineInfo.machine();
    ObjectNode jdk = MachineInfo.jdk();
    root.set("machine", machine);
    root.set("jdk", jdk);
    ObjectNode settings = root.putObject("settings");
    options.sizes().forEach(settings.putArray("connections")::add);
    options.rules().forEach(settings.putArray("rules")::add);
    settings.put("warmupRuns", options.warmup());
    settings.put("measuredRuns", options.runs());
    settings.put("latencyRuns", options.latencyRuns());
    settings.put("appearSamples", options.appearSamples());
    ArrayNode intervals = settings.putArray("appearIntervalsSeconds");
    options.appearIntervals().forEach(i -> intervals.add(i.toSeconds()));
    settings.put("policies", options.policies());
    options.sections().forEach(settings.putArray("sections")::add);
    results.print(
        "Benchmarks (%s): %s", options.quick() ? "quick smoke run" : "full", options.sections());
    results.print("Machine: %s", MachineInfo.summary(machine, jdk));
    results.print("Load average at start: %s", MachineInfo.loadAverage());

    List<String> done = new ArrayList<>();
    if (options.runs("sync")
        || options.runs("decode")
        || options.runs("drops")
        || options.runs("footprint")) {
      try (ListingServer server = ListingServer.start(options.sizes())) {
        section(
            options,
            results,
            done,
            "sync",
            () -> new SyncCostSection(options, server, results).run());
        section(
            options,
            results,
            done,
            "decode",
            () -> new DecodeSection(options, server, results).run());
        section(
            options,
            results,
            done,
            "drops",
            () -> new DropCallsSection(options, server, results).run());
        section(
            options,
            results,
            done,
            "footprint",
            () -> new FootprintSection(options, server, results).run());
      }
    }
    section(
        options, results, done, "bulk", () -> new BulkRevocationSection(options, results).run());
    section(
        options, results, done, "revocation", () -> new RevocationSection(options, results).run());
    section(options, results, done, "operator", () -> new OperatorSection(options, results).run());
    section(
        options, results, done, "sessions", () -> new SessionsApiSection(options, results).run());
    section(options, results, done, "jmh", () -> new JmhSection(options, results).run());
    results.printTargets();
    if (options.quick()) {
      results.print(
          "Quick run: the sizes are too small and the runs too few for the targets to mean"
              + " anything; it only shows that every section works.");
    }
    root.put("loadAverageAtEnd", MachineInfo.loadAverage());
    root.put("durationSeconds", Duration.between(started, Instant.now()).toSeconds());
    done.forEach(root.putArray("sectionsRun")::add);
    results.write(options.out());
    results.print(
        "Load average at end: %s; took %d s",
        MachineInfo.loadAverage(), Duration.between(started, Instant.now()).toSeconds());
    return results;
  }

  /** A section's body. */
  @FunctionalInterface
  interface Section {
    void run() throws Exception;
  }

  /** Runs one section if the options name it; a failure is a MISS with its reason, not the end. */
  static void section(
      BenchOptions options, Results results, List<String> done, String name, Section section) {
    if (!options.runs(name)) {
      return;
    }
    long start = System.nanoTime();
    try {
      section.run();
      done.add(name);
    } catch (Exception | LinkageError | AssertionError e) {
      // One section's failure must not cost the others their run or the targets their printing.
      String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
      results.print("Section %s failed: %s", name, reason);
      e.printStackTrace(System.out);
      results.target("section " + name + " completes", "no failure", "failed: " + reason, false);
      results.root().withArray("sectionsFailed").add(name);
    }
    results.print("(section %s took %.0f s)", name, (System.nanoTime() - start) / 1e9);
  }
}
