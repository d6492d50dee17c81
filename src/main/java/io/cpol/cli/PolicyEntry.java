package io.cpol.cli;

import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.Enforcement;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One ConnectionPolicy as the operator takes it: compiled by the operator's own compiler, or the
 * field-path problems that make the operator refuse it.
 *
 * @param compiled null when the spec is invalid
 * @param problems the compiler's problems when invalid, else empty
 */
record PolicyEntry(ConnectionPolicy policy, CompiledPolicy compiled, List<String> problems) {
  /**
   * The operator's order within an account (namespace, name, uid): who a shared drop counts for.
   */
  static final Comparator<PolicyEntry> ACCOUNT_ORDER =
      Comparator.comparing(PolicyEntry::namespace)
          .thenComparing(PolicyEntry::name)
          .thenComparing(e -> Objects.requireNonNullElse(e.policy.getMetadata().getUid(), ""));

  static PolicyEntry of(ConnectionPolicy policy) {
    if (policy.getSpec() == null) {
      return new PolicyEntry(policy, null, List.of("spec: required"));
    }
    try {
      return new PolicyEntry(policy, CompiledPolicy.compile(policy.getSpec()), List.of());
    } catch (InvalidSpecException e) {
      return new PolicyEntry(policy, null, e.problems());
    }
  }

  String namespace() {
    return policy.getMetadata().getNamespace();
  }

  String name() {
    return policy.getMetadata().getName();
  }

  /** {@code ns/name}. */
  String qualifiedName() {
    return namespace() + "/" + name();
  }

  boolean valid() {
    return compiled != null;
  }

  /** Whether the operator lists and evaluates for it: valid and not suspended. */
  boolean enforcedByOperator() {
    return compiled != null && !compiled.suspend();
  }

  boolean dryRun() {
    return compiled != null && compiled.enforcement() == Enforcement.DryRun;
  }

  /** What the operator reported as the endpoint it listed, when it has synced. */
  String reportedEndpoint() {
    return policy.getStatus() == null ? null : policy.getStatus().getEndpoint();
  }

  /** Whether the spec names its endpoint (else the operator's default applies). */
  boolean namesEndpoint() {
    return policy.getSpec() != null
        && policy.getSpec().getEndpoint() != null
        && !policy.getSpec().getEndpoint().isBlank();
  }
}
