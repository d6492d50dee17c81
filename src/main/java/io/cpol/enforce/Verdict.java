package io.cpol.enforce;

/**
 * What a policy decides about one connection.
 *
 * @param denied true when a deny rule matches and no allow rule does
 * @param rule {@code deny[i]} (lowest matching deny rule) when denied; {@code allow[j]} (lowest
 *     matching allow rule) when a deny rule matched but that allow rule overrode it; null when no
 *     deny rule matched
 */
public record Verdict(boolean denied, String rule) {
  /** No deny rule matched. */
  public static final Verdict NOT_DENIED = new Verdict(false, null);

  public Verdict {
    if (denied && rule == null) {
      throw new IllegalArgumentException("a denied verdict names its rule");
    }
  }

  /** True when a deny rule matched but an allow rule kept the connection. */
  public boolean overriddenByAllow() {
    return !denied && rule != null;
  }
}
