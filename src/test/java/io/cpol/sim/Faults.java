package io.cpol.sim;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Failure switches for the {@code /v1/} API (never the admin side). One-shot faults form a single
 * queue consumed one per request in the order they were added, so {@code failNext(2,
 * 503).rateLimitNext(1, ...)} answers 503, 503, 429, then normally. Latency applies to every
 * request until changed.
 *
 * <p>Failures, rate limits and plain resets answer before the request reaches the API: nothing is
 * authenticated, listed or dropped. Malformed JSON, slow bodies and partial-then-reset responses
 * happen to the real answer: the request is authenticated and executed (a drop drops) and only the
 * delivery is damaged.
 *
 * <p>Note that HTTP clients with automatic retries (OkHttp's retryOnConnectionFailure, the JDK
 * client on pooled connections) may consume two reset faults for what their caller sees as one
 * call.
 */
public final class Faults {

  /** What a queued fault does. */
  enum Kind {
    FAIL,
    RATE_LIMIT,
    MALFORMED_JSON,
    RESET,
    SLOW_BODY,
    ECHO,
    UNREADABLE_ELEMENTS
  }

  /**
   * One queued fault.
   *
   * @param status FAIL and ECHO
   * @param duration Retry-After for RATE_LIMIT (null: no header), pause per piece for SLOW_BODY
   * @param partial RESET only: send headers and half the body first
   */
  record Fault(Kind kind, int status, Duration duration, boolean partial) {
    /** Whether the fault answers instead of the API (the request is not executed). */
    boolean preempts() {
      return kind == Kind.FAIL
          || kind == Kind.RATE_LIMIT
          || kind == Kind.ECHO
          || (kind == Kind.RESET && !partial);
    }
  }

  /** A fault and how many more requests it applies to. */
  record Pending(Fault fault, int remaining) {}

  private final Deque<Pending> queue = new ArrayDeque<>();
  private final List<String> echoed = new ArrayList<>();
  private Duration latency = Duration.ZERO;

  Faults() {}

  /** Delays every API request by {@code delay} before anything else happens; zero turns it off. */
  public synchronized Faults latency(Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("negative latency " + delay);
    }
    latency = delay;
    return this;
  }

  /** The current per-request latency. */
  public synchronized Duration latency() {
    return latency;
  }

  /**
   * The next {@code n} requests fail with {@code status}: 500 with Beebotte's JSON error (code
   * 1201); 502 and 504 with an nginx HTML page; 503 with a plain-text proxy message; any other
   * 4xx/5xx with a JSON error.
   */
  public Faults failNext(int n, int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("failure status must be 4xx or 5xx, got " + status);
    }
    return add(n, new Fault(Kind.FAIL, status, null, false));
  }

  /**
   * The next {@code n} requests get 429 with {@code Retry-After} in whole seconds (rounded up), or
   * no Retry-After when {@code retryAfter} is null.
   */
  public Faults rateLimitNext(int n, Duration retryAfter) {
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("negative Retry-After " + retryAfter);
    }
    return add(n, new Fault(Kind.RATE_LIMIT, 429, retryAfter, false));
  }

  /** The next {@code n} requests are executed and answered with their JSON body cut in half. */
  public Faults malformedJsonNext(int n) {
    return add(n, new Fault(Kind.MALFORMED_JSON, 0, null, false));
  }

  /** The next {@code n} requests get a TCP reset and no response at all. */
  public Faults resetNext(int n) {
    return resetNext(n, false);
  }

  /**
   * The next {@code n} requests get a TCP reset; with {@code partialResponse} the request is
   * executed and the status line, headers and half the body go out first.
   */
  public Faults resetNext(int n, boolean partialResponse) {
    return add(n, new Fault(Kind.RESET, 0, null, partialResponse));
  }

  /**
   * The next {@code n} requests are executed and their body sent in up to 16 pieces, pausing {@code
   * perChunk} before each (headers go out at once).
   */
  public Faults slowBodyNext(int n, Duration perChunk) {
    Objects.requireNonNull(perChunk, "perChunk");
    if (perChunk.isNegative()) {
      throw new IllegalArgumentException("negative pause " + perChunk);
    }
    return add(n, new Fault(Kind.SLOW_BODY, 0, perChunk, false));
  }

  /**
   * The next {@code n} requests fail with {@code status} and a Beebotte JSON error whose message
   * repeats the request's credentials back (its Authorization header, the bare signature, its Date,
   * its X-Auth-Token), as a misbehaving server or a debugging proxy might. Code 1101 for 4xx, 1201
   * for 5xx.
   */
  public Faults echoCredentialsNext(int n, int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("echo status must be 4xx or 5xx, got " + status);
    }
    return add(n, new Fault(Kind.ECHO, status, null, false));
  }

  /**
   * The next {@code n} requests are executed, and a listing among them comes back with {@link
   * #UNREADABLE_ELEMENTS} ahead of its connections: elements that cannot be read as a connection
   * (other requests are answered as usual, using the fault up).
   */
  public Faults unreadableElementsNext(int n) {
    return add(n, new Fault(Kind.UNREADABLE_ELEMENTS, 0, null, false));
  }

  /**
   * What {@link #unreadableElementsNext} adds to a listing: a number, a string, null, a list, an
   * object without userid, one with a null userid, one with an empty userid.
   */
  public static final List<String> UNREADABLE_ELEMENTS =
      List.of(
          "7",
          "\"uid-7\"",
          "null",
          "[{\"userid\":\"in-a-list\"}]",
          "{\"sid\":\"s\",\"protocol\":\"mqtt\"}",
          "{\"userid\":null}",
          "{\"userid\":\"\"}");

  /** Every credential value an echo fault has repeated back so far, oldest first. */
  public synchronized List<String> echoed() {
    return List.copyOf(echoed);
  }

  synchronized void recordEcho(List<String> values) {
    echoed.addAll(values);
  }

  /** Removes every queued fault and the latency. */
  public synchronized Faults clear() {
    queue.clear();
    latency = Duration.ZERO;
    return this;
  }

  /** How many requests the queued faults will still affect. */
  public synchronized long pending() {
    long sum = 0;
    for (Pending p : queue) {
      sum += p.remaining();
    }
    return sum;
  }

  @Override
  public synchronized String toString() {
    return "Faults[latency=" + latency + ", queue=" + queue + "]";
  }

  synchronized List<Pending> queued() {
    return List.copyOf(queue);
  }

  /** Takes the fault for the next request, or null when none is queued. */
  synchronized Fault next() {
    Pending head = queue.peekFirst();
    if (head == null) {
      return null;
    }
    queue.removeFirst();
    if (head.remaining() > 1) {
      queue.addFirst(new Pending(head.fault(), head.remaining() - 1));
    }
    return head.fault();
  }

  private synchronized Faults add(int n, Fault fault) {
    if (n < 0) {
      throw new IllegalArgumentException("negative count " + n);
    }
    if (n > 0) {
      queue.addLast(new Pending(fault, n));
    }
    return this;
  }
}
