package io.cpol.beebotte;

import java.time.Duration;

/** A failed call to Beebotte, classified so callers know whether trying again can help. */
public class BeebotteException extends RuntimeException {

  /** What went wrong, as far as the caller's next move is concerned. */
  public enum Kind {
    /** Bad key, bad signature, clock skew, missing rights (400/1101, 401, 403, 405/1102). */
    AUTHENTICATION(false),
    /** The request itself is wrong (other 400s). */
    BAD_REQUEST(false),
    /** 404. */
    NOT_FOUND(false),
    /** 429; see {@link #retryAfter()}. */
    RATE_LIMITED(true),
    /** 5xx, timeouts, resets, unreadable bodies. */
    TRANSIENT(true);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final Kind kind;
  private final int httpStatus;
  private final int code;
  private final Duration retryAfter;

  /**
   * @param httpStatus the HTTP status, or 0 when no response was received
   * @param code Beebotte's error code from the body, or 0 when there was none
   * @param retryAfter the server's Retry-After, or null
   */
  public BeebotteException(
      Kind kind, int httpStatus, int code, String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.httpStatus = httpStatus;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int code() {
    return code;
  }

  /** The server's Retry-After, or null. */
  public Duration retryAfter() {
    return retryAfter;
  }

  public boolean retryable() {
    return kind.retryable();
  }
}
