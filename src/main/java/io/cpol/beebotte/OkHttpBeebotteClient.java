package io.cpol.beebotte;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.cpol.beebotte.BeebotteException.Kind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Okio;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place every call to Beebotte goes through: signing, timeouts, retries, error mapping,
 * streaming decode and metrics. Thread-safe; share one instance per account.
 */
public final class OkHttpBeebotteClient implements BeebotteClient {

  private static final Logger log = LoggerFactory.getLogger(OkHttpBeebotteClient.class);

  /** Error bodies are a line of JSON; anything longer is a proxy page not worth reading. */
  private static final long ERROR_BODY_LIMIT = 64 * 1024;

  /** Seconds-valued Retry-After beyond a day is nonsense; capping keeps the arithmetic safe. */
  private static final long MAX_RETRY_AFTER_SECONDS = 86_400;

  private enum Endpoint {
    LIST("list"),
    DROP("drop");

    final String tag;

    Endpoint(String tag) {
      this.tag = tag;
    }
  }

  /** Turns a 2xx response into the call's result; IOExceptions count as transient failures. */
  @FunctionalInterface
  private interface SuccessHandler<T> {
    T handle(Response response) throws IOException;
  }

  private final Credentials credentials;

  /** Why the credentials cannot be sent (see {@link Credentials#flaw}), or null. */
  private final String credentialsFlaw;

  private final Redactor redactor;
  private final RetryPolicy retry;
  private final String userAgent;
  private final HttpUrl baseUrl;
  private final String pathPrefix;
  private final OkHttpClient http;
  private final Clock clock;
  private final Sleeper sleeper;
  private final DoubleSupplier jitter;
  private final JsonFactory jsonFactory;
  private final ConnectionListDecoder decoder;
  private final MeterRegistry meters;
  private final String endpointLabelPrefix;
  private final Counter skippedElements;
  private final AtomicInteger lastSkipped = new AtomicInteger();

  /** A client on the system clock that really sleeps between retries. */
  public OkHttpBeebotteClient(BeebotteClientConfig config) {
    this(config, Clock.systemUTC(), Sleeper.system());
  }

  /**
   * @param clock stamps the signed Date header and measures the retry budget
   * @param sleeper waits between retries
   */
  public OkHttpBeebotteClient(BeebotteClientConfig config, Clock clock, Sleeper sleeper) {
    this(config, clock, sleeper, () -> ThreadLocalRandom.current().nextDouble());
  }

  /** For tests that need the back-off jitter to be predictable. */
  OkHttpBeebotteClient(
      BeebotteClientConfig config, Clock clock, Sleeper sleeper, DoubleSupplier jitter) {
    this.credentials = config.credentials();
    this.credentialsFlaw = flawOf(credentials);
    this.redactor = Redactor.of(credentials);
    this.retry = config.retry();
    this.userAgent = config.userAgent();
    this.baseUrl = HttpUrl.get(config.baseUrl());
    String basePath = baseUrl.encodedPath();
    this.pathPrefix =
        basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.jitter = Objects.requireNonNull(jitter, "jitter");
    this.jsonFactory = quietJsonFactory();
    this.decoder = new ConnectionListDecoder(jsonFactory);
    this.meters = config.meterRegistry();
    this.endpointLabelPrefix = config.endpointLabelPrefix();
    // Registered up front, so that an alert on it has a series at zero to start from.
    this.skippedElements =
        meters == null
            ? null
            : Counter.builder("beebotte.listing.skipped.elements")
                .description("Listing elements skipped: not an object, or no usable userid")
                .register(meters);
    this.http =
        new OkHttpClient.Builder()
            .connectTimeout(config.connectTimeout())
            .readTimeout(config.readTimeout())
            .writeTimeout(config.readTimeout())
            .callTimeout(config.callTimeout())
            // A redirect would replay a signature made for another target; surface it instead.
            .followRedirects(false)
            .followSslRedirects(false)
            // Retries happen in one place (below) so they are bounded, logged and counted.
            .retryOnConnectionFailure(false)
            // Shorter than common server keep-alives, so pooled connections are rarely stale.
            .connectionPool(new ConnectionPool(4, 30, TimeUnit.SECONDS))
            .build();
  }

  @Override
  public ConnectionListing list(ConnectionFilter filter) {
    Objects.requireNonNull(filter, "filter");
    return execute(Endpoint.LIST, "GET", RequestTarget.list(filter), this::decodeListing);
  }

  @Override
  public void drop(DropTarget target) {
    Objects.requireNonNull(target, "target");
    execute(Endpoint.DROP, "DELETE", RequestTarget.drop(target), OkHttpBeebotteClient::drainDrop);
  }

  @Override
  public void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  private ConnectionListing decodeListing(Response response) throws IOException {
    ConnectionListing listing = decoder.listing(response.body().byteStream());
    int before = lastSkipped.getAndSet(listing.skipped());
    if (listing.skipped() != before) {
      // Said when it changes, not at every listing of the same account.
      log.warn(
          "beebotte listing at {}: {} elements skipped (not an object, or no usable userid)",
          baseUrl,
          listing.skipped());
    }
    if (skippedElements != null && listing.skipped() > 0) {
      skippedElements.increment(listing.skipped());
    }
    return listing;
  }

  private static Void drainDrop(Response response) {
    try {
      // Reading to the end lets the connection go back to the pool.
      response.body().source().readAll(Okio.blackhole());
    } catch (IOException e) {
      // The 2xx status already says the drop happened; a broken body does not undo it.
      log.debug("ignoring unreadable body of a successful drop: {}", e.toString());
    }
    return null;
  }

  private <T> T execute(
      Endpoint endpoint, String method, String apiTarget, SuccessHandler<T> handler) {
    HttpUrl url = urlFor(apiTarget);
    String wireTarget = wireTarget(url);
    if (credentialsFlaw != null) {
      // OkHttp would refuse the header with the value in its message; say why without it.
      throw new BeebotteException(
          Kind.AUTHENTICATION,
          0,
          0,
          method + " " + wireTarget + ": the credentials cannot be sent: " + credentialsFlaw,
          null,
          null);
    }
    Instant start = clock.instant();
    for (int attempt = 1; ; attempt++) {
      BeebotteException failure;
      try {
        return attempt(endpoint, method, url, wireTarget, attempt, handler);
      } catch (BeebotteException e) {
        failure = e;
      }
      Duration delay = retryDelay(failure, attempt, Duration.between(start, clock.instant()));
      if (delay == null) {
        throw attempt == 1 ? failure : gaveUp(failure, attempt);
      }
      if (meters != null) {
        Counter.builder("beebotte.api.retries")
            .description("Beebotte API attempts that are retried")
            .tag("endpoint", endpointLabelPrefix + endpoint.tag)
            .register(meters)
            .increment();
      }
      log.warn(
          "beebotte {} {} failed on attempt {}/{} ({}), retrying in {} ms",
          method,
          endpoint.tag,
          attempt,
          retry.maxAttempts(),
          failure.getMessage(),
          delay.toMillis());
      try {
        sleeper.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure.addSuppressed(e);
        throw failure;
      }
    }
  }

  /** The pause before the next attempt, or null when this failure is final. */
  private Duration retryDelay(BeebotteException failure, int attempt, Duration elapsed) {
    if (!failure.retryable()
        || attempt >= retry.maxAttempts()
        || Thread.currentThread().isInterrupted()) {
      return null;
    }
    Duration delay =
        failure.retryAfter() != null
            ? failure.retryAfter()
            : retry.backoff(attempt, jitter.getAsDouble());
    // Waiting past the budget only to try once more would break the caller's time bound; a
    // Retry-After longer than the budget is left to the caller, who gets it in the exception.
    if (elapsed.plus(delay).compareTo(retry.maxTotalTime()) > 0) {
      return null;
    }
    return delay;
  }

  private static BeebotteException gaveUp(BeebotteException last, int attempts) {
    return new BeebotteException(
        last.kind(),
        last.httpStatus(),
        last.code(),
        last.getMessage() + " (gave up after " + attempts + " attempts)",
        last.retryAfter(),
        last);
  }

  private <T> T attempt(
      Endpoint endpoint,
      String method,
      HttpUrl url,
      String wireTarget,
      int attempt,
      SuccessHandler<T> handler) {
    Request request = sign(new Request.Builder().url(url), method, wireTarget).build();
    Redactor redact = redactor.forRequest(request.header("Authorization"));
    long startNanos = System.nanoTime();
    int status = 0;
    boolean success = false;
    try (Response response = http.newCall(request).execute()) {
      status = response.code();
      if (!response.isSuccessful()) {
        throw errorFor(method, wireTarget, response, redact);
      }
      T result = handler.handle(response);
      success = true;
      return result;
    } catch (IOException e) {
      String what = status == 0 ? "I/O error" : "unreadable response body (HTTP " + status + ")";
      throw new BeebotteException(
          Kind.TRANSIENT,
          status,
          0,
          method + " " + wireTarget + ": " + what + ": " + redact.redact(oneLine(e)),
          null,
          redact.redact(e));
    } finally {
      long nanos = System.nanoTime() - startNanos;
      String statusTag = status == 0 ? "io_error" : Integer.toString(status);
      record(endpoint, statusTag, success, nanos);
      if (log.isDebugEnabled()) {
        log.debug(
            "beebotte {} {} {} -> {} in {} ms (attempt {}/{})",
            method,
            endpoint.tag,
            wireTarget,
            statusTag,
            TimeUnit.NANOSECONDS.toMillis(nanos),
            attempt,
            retry.maxAttempts());
      }
    }
  }

  private Request.Builder sign(Request.Builder request, String method, String wireTarget) {
    request.header("User-Agent", userAgent).header("Accept", "application/json");
    if (method.equals("DELETE")) {
      // No body and so no Content-Type: the signed string has empty MD5 and type lines.
      request.delete();
    } else {
      request.get();
    }
    if (credentials instanceof Credentials.Keys keys) {
      String date = RequestSigner.httpDate(clock.instant());
      request
          .header("Date", date)
          .header(
              "Authorization",
              RequestSigner.authorization(
                  keys.apiKey(), keys.secretKey(), method, "", "", date, wireTarget));
    } else if (credentials instanceof Credentials.Token token) {
      request.header("X-Auth-Token", token.token());
    }
    return request;
  }

  private BeebotteException errorFor(
      String method, String wireTarget, Response response, Redactor redact) {
    int status = response.code();
    ErrorBody body = ErrorBody.parse(jsonFactory, response.body().byteStream(), ERROR_BODY_LIMIT);
    Kind kind = classify(status, body.code());
    Duration retryAfter =
        kind.retryable() ? parseRetryAfter(response.header("Retry-After"), clock.instant()) : null;
    StringBuilder message =
        new StringBuilder(method).append(' ').append(wireTarget).append(": HTTP ").append(status);
    if (body.code() != 0) {
      message.append(", Beebotte code ").append(body.code());
    }
    if (body.message() != null) {
      message.append(": ").append(redact.redact(body.message()));
    }
    if (status >= 300 && status < 400 && response.header("Location") != null) {
      message
          .append(" (redirect to ")
          .append(redact.redact(response.header("Location")))
          .append(')');
    }
    return new BeebotteException(kind, status, body.code(), message.toString(), retryAfter, null);
  }

  private static String flawOf(Credentials credentials) {
    if (credentials instanceof Credentials.Keys keys) {
      String apiKey = Credentials.flaw(keys.apiKey());
      String secretKey = Credentials.flaw(keys.secretKey());
      return apiKey != null
          ? "the apiKey " + apiKey
          : secretKey == null ? null : "the secretKey " + secretKey;
    }
    String token = Credentials.flaw(((Credentials.Token) credentials).token());
    return token == null ? null : "the token " + token;
  }

  /** No token previews in Jackson's messages: what they quote could be an echo cut in half. */
  static JsonFactory quietJsonFactory() {
    return JsonFactory.builder()
        .errorReportConfiguration(
            ErrorReportConfiguration.builder()
                .maxErrorTokenLength(0)
                .maxRawContentLength(0)
                .build())
        .build();
  }

  /** Maps an HTTP status and Beebotte error code to what the caller can do about it. */
  static Kind classify(int status, int code) {
    if (status >= 500 || status == 408) {
      return Kind.TRANSIENT;
    }
    if (code == 1101 || code == 1102 || status == 401 || status == 403) {
      return Kind.AUTHENTICATION;
    }
    if (status == 404) {
      return Kind.NOT_FOUND;
    }
    if (status == 429) {
      return Kind.RATE_LIMITED;
    }
    return Kind.BAD_REQUEST;
  }

  /** Retry-After as delta-seconds or HTTP-date; null when absent or unreadable. */
  static Duration parseRetryAfter(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      long seconds =
          v.length() > 6
              ? MAX_RETRY_AFTER_SECONDS
              : Math.min(Long.parseLong(v), MAX_RETRY_AFTER_SECONDS);
      return Duration.ofSeconds(seconds);
    }
    Instant at = RequestSigner.parseHttpDate(v);
    if (at == null) {
      return null;
    }
    Duration until = Duration.between(now, at);
    return until.isNegative() ? Duration.ZERO : until;
  }

  private HttpUrl urlFor(String apiTarget) {
    int q = apiTarget.indexOf('?');
    String path = pathPrefix + (q < 0 ? apiTarget : apiTarget.substring(0, q));
    String query = q < 0 ? null : apiTarget.substring(q + 1);
    HttpUrl url = baseUrl.newBuilder().encodedPath(path).encodedQuery(query).build();
    String intended = pathPrefix + apiTarget;
    if (!wireTarget(url).equals(intended)) {
      // OkHttp resolves "." and ".." segments (also when percent-encoded), so such a userid would
      // silently address another endpoint; refuse rather than list or drop the wrong thing.
      throw new BeebotteException(
          Kind.BAD_REQUEST,
          0,
          0,
          "request target "
              + intended
              + " cannot be sent unchanged (would be "
              + wireTarget(url)
              + ")",
          null,
          null);
    }
    return url;
  }

  /** What OkHttp puts on the request line, which is what must be signed. */
  private static String wireTarget(HttpUrl url) {
    String query = url.encodedQuery();
    return query == null ? url.encodedPath() : url.encodedPath() + '?' + query;
  }

  private void record(Endpoint endpoint, String status, boolean success, long nanos) {
    if (meters == null) {
      return;
    }
    Timer.builder("beebotte.api.calls")
        .description("Beebotte API HTTP attempts")
        .tag("endpoint", endpointLabelPrefix + endpoint.tag)
        .tag("status", status)
        .tag("outcome", success ? "success" : "failure")
        .publishPercentileHistogram(true)
        .register(meters)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Jackson's messages span lines (source location); log lines should not. */
  private static String oneLine(IOException e) {
    String message = e.getMessage();
    if (e instanceof JsonProcessingException json) {
      message = json.getOriginalMessage();
      if (json.getLocation() != null) {
        message += " (at byte " + json.getLocation().getByteOffset() + ")";
      }
    }
    String text = e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    return text.replace('\n', ' ').replace('\r', ' ');
  }
}
