package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.Evaluation;
import io.cpol.policy.ConnectionPolicyStatus;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH: the sync steps after listing, on a listing decoded from the simulator's response, with the
 * {@link RuleMix} rule sets. Run through {@code bin/benchmark} (section {@code jmh}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SyncBenchmark {
  @Param({"100000"})
  public int connections;

  /** Deny entries in one policy, as in {@link RuleMix#onePolicy}. */
  @Param({"1000"})
  public int rules;

  private List<Connection> listing;
  private SyncPipeline pipeline;
  private Evaluation evaluation;
  private Set<Connection> closed;
  private Object syncReport;

  @Setup
  public void setUp() {
    try (ListingServer server = ListingServer.start(List.of(connections))) {
      listing = server.list(connections);
    }
    pipeline = new SyncPipeline(RuleMix.onePolicy(listing, rules, ListingServer.SEED + rules));
    evaluation = pipeline.evaluate(listing);
    closed = SyncPipeline.closedBy(pipeline.plan(evaluation));
    syncReport = pipeline.policySync(listing);
    pipeline.buildStatus(syncReport);
  }

  @Benchmark
  public Evaluation evaluate() {
    return pipeline.evaluate(listing);
  }

  @Benchmark
  public DropPlan plan() {
    return pipeline.plan(evaluation);
  }

  /** Report selection and StatusBuilder, from a finished evaluation and plan. */
  @Benchmark
  public void statusBuild(Blackhole blackhole) {
    blackhole.consume(pipeline.selectReported(evaluation, closed));
    blackhole.consume(pipeline.buildStatus(syncReport));
  }

  /** {@code PolicySync.run} + {@code StatusBuilder.synced}: everything after listing. */
  @Benchmark
  public ConnectionPolicyStatus fullSync() {
    return pipeline.fullSync(listing);
  }
}
