package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicy;
import java.util.Optional;

/**
 * The policies as the operator's informer sees them right now, so that work started for one
 * generation of a policy can stop the moment the policy is deleted or its spec changes (suspend and
 * DryRun are spec changes too).
 */
interface PolicyDirectory {
  /** The policy, if it still exists with this uid and generation. */
  Optional<ConnectionPolicy> current(PolicyRef ref, long generation);

  /** Whether a policy with this uid still exists, whatever its generation. */
  boolean exists(PolicyRef ref);
}
