package io.cpol.live;

/**
 * One policy's verdict on one session.
 *
 * @param verdict {@code Allowed}, {@code Denied} (an enforcing policy denies it: it is dropped at
 *     the policy's next drop) or {@code WouldDrop} (a DryRun policy denies it)
 * @param policy the policy's name (its namespace is the session object's); null for the Allowed
 *     verdict no rule decided
 * @param rule the deciding rule ({@code deny[0]}, {@code allow[1]}); null when no rule matched
 */
public record PolicyVerdict(String verdict, String policy, String rule) {
  public static final String ALLOWED = "Allowed";
  public static final String DENIED = "Denied";
  public static final String WOULD_DROP = "WouldDrop";

  /** No policy's rule matched. */
  public static final PolicyVerdict NONE = new PolicyVerdict(ALLOWED, null, null);
}
