package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/** Evaluates a compiled policy against a whole listing of an account's connections. */
public final class PolicyEvaluation {
  /** Below this many connections, splitting the work costs more than it saves. */
  private static final int PARALLEL_THRESHOLD = 16_384;

  private static final int CHUNK = 4096;

  private PolicyEvaluation() {}

  /**
   * The verdict on every observed connection at instant {@code now}. Large listings are split
   * across the common fork-join pool; the result does not depend on how.
   */
  public static Evaluation evaluate(CompiledPolicy policy, List<Connection> observed, Instant now) {
    Verdict[] verdicts = new Verdict[observed.size()];
    if (verdicts.length < PARALLEL_THRESHOLD) {
      evaluateRange(policy, observed, now, verdicts, 0, verdicts.length);
    } else {
      IntStream.range(0, (verdicts.length + CHUNK - 1) / CHUNK)
          .parallel()
          .forEach(
              chunk ->
                  evaluateRange(
                      policy,
                      observed,
                      now,
                      verdicts,
                      chunk * CHUNK,
                      Math.min(verdicts.length, (chunk + 1) * CHUNK)));
    }
    List<DeniedConnection> denied = new ArrayList<>();
    int allowedByException = 0;
    for (int i = 0; i < verdicts.length; i++) {
      if (verdicts[i].denied()) {
        denied.add(new DeniedConnection(observed.get(i), verdicts[i].rule()));
      } else if (verdicts[i].overriddenByAllow()) {
        allowedByException++;
      }
    }
    return new Evaluation(observed, Arrays.asList(verdicts), denied, allowedByException);
  }

  private static void evaluateRange(
      CompiledPolicy policy,
      List<Connection> observed,
      Instant now,
      Verdict[] verdicts,
      int from,
      int to) {
    EvaluationScratch scratch = new EvaluationScratch();
    for (int i = from; i < to; i++) {
      verdicts[i] = policy.evaluate(observed.get(i), now, scratch);
    }
  }
}
