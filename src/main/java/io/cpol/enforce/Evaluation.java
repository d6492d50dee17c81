package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import java.util.List;

/**
 * A policy's verdicts on one listing of an account's connections.
 *
 * @param observed the listing, in the order Beebotte returned it
 * @param verdicts one per observed connection, same order
 * @param denied the denied connections with their rules, in listing order
 * @param allowedByException connections a deny rule matched but an allow rule kept
 */
public record Evaluation(
    List<Connection> observed,
    List<Verdict> verdicts,
    List<DeniedConnection> denied,
    int allowedByException) {
  public Evaluation {
    observed = List.copyOf(observed);
    verdicts = List.copyOf(verdicts);
    denied = List.copyOf(denied);
    if (observed.size() != verdicts.size()) {
      throw new IllegalArgumentException(
          observed.size() + " connections but " + verdicts.size() + " verdicts");
    }
  }

  /** How many connections were observed. */
  public int connected() {
    return observed.size();
  }

  /** How many observed connections the policy denies. */
  public int deniedCount() {
    return denied.size();
  }
}
