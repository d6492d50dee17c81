package io.cpol.beebotte;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import okhttp3.HttpUrl;

/**
 * How to reach one Beebotte account.
 *
 * @param baseUrl scheme, host, port and optional path prefix, e.g. {@code https://api.beebotte.com}
 * @param connectTimeout TCP (and TLS) connect timeout per attempt
 * @param readTimeout longest silence while reading a response
 * @param callTimeout whole attempt, including streaming a large listing
 * @param meterRegistry where call timings go; null for no metrics
 * @param endpointLabelPrefix put before the {@code endpoint} label of this client's metrics ({@code
 *     list}, {@code drop}), e.g. {@code watch_} for the reconnect watch's calls
 */
public record BeebotteClientConfig(
    String baseUrl,
    Credentials credentials,
    Duration connectTimeout,
    Duration readTimeout,
    Duration callTimeout,
    String userAgent,
    RetryPolicy retry,
    MeterRegistry meterRegistry,
    String endpointLabelPrefix) {

  public static final String DEFAULT_BASE_URL = "https://api.beebotte.com";
  public static final String DEFAULT_USER_AGENT = "beebotte-connection-operator/" + version();

  public BeebotteClientConfig {
    Objects.requireNonNull(baseUrl, "baseUrl");
    HttpUrl parsed = HttpUrl.parse(baseUrl);
    if (parsed == null) {
      throw new IllegalArgumentException("baseUrl is not an http(s) URL: " + baseUrl);
    }
    if (parsed.encodedQuery() != null || parsed.fragment() != null) {
      throw new IllegalArgumentException("baseUrl must not have a query or fragment: " + baseUrl);
    }
    Objects.requireNonNull(credentials, "credentials");
    requirePositive(connectTimeout, "connectTimeout");
    requirePositive(readTimeout, "readTimeout");
    requirePositive(callTimeout, "callTimeout");
    Objects.requireNonNull(userAgent, "userAgent");
    Objects.requireNonNull(retry, "retry");
  }

  public static Builder builder(Credentials credentials) {
    return new Builder(credentials);
  }

  /** Builds a config from the defaults; only credentials are required. */
  public static final class Builder {
    private String baseUrl = DEFAULT_BASE_URL;
    private final Credentials credentials;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(15);
    private Duration callTimeout = Duration.ofSeconds(60);
    private String userAgent = DEFAULT_USER_AGENT;
    private RetryPolicy retry = RetryPolicy.defaults();
    private MeterRegistry meterRegistry;
    private String endpointLabelPrefix = "";

    private Builder(Credentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
    }

    public Builder baseUrl(String baseUrl) {
      this.baseUrl = baseUrl;
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    public Builder readTimeout(Duration readTimeout) {
      this.readTimeout = readTimeout;
      return this;
    }

    public Builder callTimeout(Duration callTimeout) {
      this.callTimeout = callTimeout;
      return this;
    }

    public Builder userAgent(String userAgent) {
      this.userAgent = userAgent;
      return this;
    }

    public Builder retry(RetryPolicy retry) {
      this.retry = retry;
      return this;
    }

    public Builder endpointLabelPrefix(String prefix) {
      this.endpointLabelPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    public BeebotteClientConfig build() {
      return new BeebotteClientConfig(
          baseUrl,
          credentials,
          connectTimeout,
          readTimeout,
          callTimeout,
          userAgent,
          retry,
          meterRegistry,
          endpointLabelPrefix);
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  /**
   * The artifact version from the jar's manifest or Maven's pom.properties (both present only when
   * running from the packaged jar); "dev" when running from classes, e.g. in tests.
   */
  private static String version() {
    String fromManifest = BeebotteClientConfig.class.getPackage().getImplementationVersion();
    if (fromManifest != null) {
      return fromManifest;
    }
    try (InputStream in =
        BeebotteClientConfig.class.getResourceAsStream(
            "/META-INF/maven/io.cpol/beebotte-connection-operator/pom.properties")) {
      if (in != null) {
        Properties props = new Properties();
        props.load(in);
        return props.getProperty("version", "dev");
      }
    } catch (IOException e) {
      // An unreadable pom.properties only costs the version in the User-Agent.
    }
    return "dev";
  }
}
