package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;

/**
 * How one planned drop call ended.
 *
 * @param failure what Beebotte (or the operator) answered when the call was not a success, or null
 * @param closedInstead the session a verify-first call found and closed, or null
 */
record CallResult(Status status, BeebotteException failure, Connection closedInstead) {
  static final CallResult DROPPED = new CallResult(Status.DROPPED, null, null);
  static final CallResult POSTPONED = new CallResult(Status.POSTPONED, null, null);
  static final CallResult CANCELLED = new CallResult(Status.CANCELLED, null, null);
  static final CallResult VERIFIED_AWAY = new CallResult(Status.VERIFIED_AWAY, null, null);

  /** How a call ended. */
  enum Status {
    /** Made and answered 2xx. */
    DROPPED,
    /** Made and refused: nothing was closed. */
    REFUSED,
    /** Made but the answer was lost or 5xx: it may or may not have closed the sessions. */
    UNKNOWN,
    /** Not made: Beebotte asked the account to slow down first. */
    POSTPONED,
    /**
     * Not made: its policy was deleted or changed, a deciding rule expired, or the engine closed.
     */
    CANCELLED,
    /** Not made: re-listing showed the session gone or no longer denied. */
    VERIFIED_AWAY
  }
}
