package io.cpol.reconciler;

import io.cpol.beebotte.Credentials;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.policy.Enforcement;
import java.time.Duration;
import java.util.Objects;

/**
 * What the account engine needs to enforce one generation of one policy: its compiled rules, the
 * credentials from its Secret, and the account lane (endpoint + credentials) they address.
 */
record PolicyRegistration(
    PolicyRef ref,
    long generation,
    CompiledPolicy rules,
    Credentials credentials,
    AccountKey lane) {
  PolicyRegistration {
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(lane, "lane");
  }

  boolean dryRun() {
    return rules.enforcement() == Enforcement.DryRun;
  }

  Duration interval() {
    return rules.interval();
  }

  /** Same policy generation on the same lane: re-registering it changes nothing. */
  boolean sameAs(PolicyRegistration other) {
    return other != null
        && ref.equals(other.ref)
        && generation == other.generation
        && lane.equals(other.lane)
        && credentials.equals(other.credentials);
  }
}
