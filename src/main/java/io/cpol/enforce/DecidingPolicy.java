package io.cpol.enforce;

import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * Which policy's verdict a session is shown with when several policies evaluated it: the first
 * enforcing policy (in account order) that denies it, else the first dry-run one that denies it,
 * else the first whose allow exception kept it. The plugin ({@code kubectl beebotte sessions}) and
 * the live sessions API both decide through here, so they never disagree.
 */
public final class DecidingPolicy {
  private DecidingPolicy() {}

  /**
   * @param count how many policies evaluated the session, in account order
   * @param verdict policy {@code k}'s verdict on the session
   * @param dryRun whether policy {@code k} only reports (DryRun)
   * @return the index of the deciding policy, or -1 when no rule of any of them matched
   */
  public static int of(int count, IntFunction<Verdict> verdict, IntPredicate dryRun) {
    int wouldDrop = -1;
    int kept = -1;
    for (int k = 0; k < count; k++) {
      Verdict v = verdict.apply(k);
      if (v.rule() == null) {
        continue;
      }
      if (v.denied()) {
        if (!dryRun.test(k)) {
          return k;
        }
        if (wouldDrop < 0) {
          wouldDrop = k;
        }
      } else if (kept < 0) {
        kept = k;
      }
    }
    return wouldDrop >= 0 ? wouldDrop : kept;
  }
}
