package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.DropPlan;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.reconciler.AccountPassPipeline;
import java.util.List;
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
  private AccountPassPipeline pipeline;
  private AccountEvaluation evaluation;
  private DropPlan plan;

  @Setup
  public void setUp() {
    try (ListingServer server = ListingServer.start(List.of(connections))) {
      listing = server.list(connections);
    }
    pipeline =
        new AccountPassPipeline(
            List.of(RuleMix.onePolicy(listing, rules, ListingServer.SEED + rules)));
    evaluation = pipeline.evaluate(listing);
    plan = pipeline.plan(evaluation);
    pipeline.fullPass(listing);
  }

  @Benchmark
  public AccountEvaluation evaluate() {
    return pipeline.evaluate(listing);
  }

  @Benchmark
  public DropPlan plan() {
    return pipeline.plan(evaluation);
  }

  /** Outcomes, report selection and StatusBuilder, from a finished evaluation and plan. */
  @Benchmark
  public void statusBuild(Blackhole blackhole) {
    blackhole.consume(pipeline.record(listing, evaluation, plan));
  }

  /** Everything after listing: evaluate, plan, record. */
  @Benchmark
  public List<ConnectionPolicyStatus> fullSync() {
    return pipeline.fullPass(listing);
  }
}
