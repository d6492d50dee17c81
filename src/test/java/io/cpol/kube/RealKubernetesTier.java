package io.cpol.kube;

import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class of the real API server tier when bin/kube-binaries has built the binaries;
 * elsewhere it is skipped with one line naming that command, except in CI ({@code CI=true}), where
 * a missing binary fails the tier instead of skipping it.
 */
public final class RealKubernetesTier implements ExecutionCondition {
  /** The built binaries; fails (never skips) under CI=true when they are missing. */
  public static Optional<KubeBinaries> binaries() {
    Optional<KubeBinaries> found = KubeBinaries.find();
    if (found.isEmpty() && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "CI=true and the real API server tier has no binaries in "
              + KubeBinaries.testDirectory()
              + ": .ci/run must run "
              + KubeBinaries.BUILD_COMMAND
              + " first");
    }
    return found;
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return binaries().isPresent()
        ? ConditionEvaluationResult.enabled("kube-apiserver " + KubeBinaries.pinnedVersion())
        : ConditionEvaluationResult.disabled(
            "real API server tier skipped: no kube-apiserver "
                + KubeBinaries.pinnedVersion()
                + " in "
                + KubeBinaries.testDirectory()
                + "; build it with "
                + KubeBinaries.BUILD_COMMAND);
  }
}
