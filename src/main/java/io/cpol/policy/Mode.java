package io.cpol.policy;

/** What the operator does with a policy: drop, only report, or nothing at all. */
public enum Mode {
  Enforce,
  DryRun,
  Suspended;

  /**
   * The mode a spec asks for: {@code suspend} wins over {@code enforcement} (Enforce when unset).
   */
  public static Mode of(ConnectionPolicySpec spec) {
    if (spec == null) {
      return Enforce;
    }
    if (Boolean.TRUE.equals(spec.getSuspend())) {
      return Suspended;
    }
    return spec.getEnforcement() == Enforcement.DryRun ? DryRun : Enforce;
  }
}
