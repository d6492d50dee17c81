package io.cpol;

import io.cpol.policy.SpecConstraints;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Operator settings, from flags ({@code --http-port=8080}) over environment variables ({@code
 * HTTP_PORT}) over defaults. Every setting is listed in the README.
 *
 * @param watchNamespaces namespaces to watch; empty means all
 * @param watchLabelSelector the shard: only policies with matching labels; null means all
 * @param httpPort port of /healthz, /readyz and /metrics; 0 picks a free one
 * @param httpBindAddress the address that port listens on; null means every interface
 * @param leaderElection whether replicas elect a leader on a Lease
 * @param leaseName the Lease's name; with a watch label selector, the configured name with the
 *     shard's suffix ({@link WatchLabelSelector#leaseName})
 * @param leaseNamespace the Lease's namespace; null means the operator's own
 * @param identity this replica's name in the Lease
 * @param logFormat text or json
 * @param defaultEndpoint the Beebotte API for policies that name none
 * @param statusHeartbeat how far lastSyncTime may lag the last successful sync before an otherwise
 *     unchanged status is written again
 * @param beebotteMaxAttempts attempts per Beebotte call, for transient failures and 429s
 * @param beebotteRetryBudget no retry of a Beebotte call starts later than this after its first
 *     attempt
 * @param dropConcurrency drop calls in flight at once per Beebotte account
 * @param watchCallsPerSecond the reconnect watch's calls per second per account; 0 turns it off
 * @param sessionsApiPort the HTTPS port of the live sessions API ({@code live.beebotte.io}); 0
 *     turns it off
 * @param sessionsApiBindAddress the address that port listens on; null means every interface
 * @param sessionsApiTlsDirectory where tls.crt and tls.key are mounted; without them a self-signed
 *     certificate is made at start (for the sessions Service in {@code podNamespace})
 * @param podName this replica's pod ({@code POD_NAME}, from the downward API), which carries the
 *     sessions Service's serving label while it leads; null when unset
 * @param podNamespace that pod's namespace ({@code POD_NAMESPACE}); null when unset, and then no
 *     pod is labelled (outside a pod, {@code --pod-name} only names the replica in the Lease)
 */
public record OperatorConfig(
    Set<String> watchNamespaces,
    WatchLabelSelector watchLabelSelector,
    int httpPort,
    String httpBindAddress,
    boolean leaderElection,
    String leaseName,
    String leaseNamespace,
    String identity,
    String logFormat,
    String defaultEndpoint,
    Duration statusHeartbeat,
    int beebotteMaxAttempts,
    Duration beebotteRetryBudget,
    int dropConcurrency,
    double watchCallsPerSecond,
    int sessionsApiPort,
    String sessionsApiBindAddress,
    java.nio.file.Path sessionsApiTlsDirectory,
    String podName,
    String podNamespace) {

  static final String DEFAULT_SESSIONS_TLS_DIR = "/etc/beebotte/sessions-tls";

  static final String DEFAULT_ENDPOINT = SpecConstraints.DEFAULT_ENDPOINT;

  public OperatorConfig {
    watchNamespaces = Set.copyOf(watchNamespaces);
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      throw new IllegalArgumentException("LOG_FORMAT must be text or json, not " + logFormat);
    }
    if (watchCallsPerSecond < 0 || watchCallsPerSecond > 1000) {
      throw new IllegalArgumentException(
          "WATCH_CALLS_PER_SECOND must be between 0 (off) and 1000, not " + watchCallsPerSecond);
    }
    if (dropConcurrency < 1 || dropConcurrency > 64) {
      throw new IllegalArgumentException(
          "DROP_CONCURRENCY must be between 1 and 64, not " + dropConcurrency);
    }
    if (sessionsApiPort < 0 || sessionsApiPort > 65535) {
      throw new IllegalArgumentException(
          "SESSIONS_API_PORT must be between 0 (off) and 65535, not " + sessionsApiPort);
    }
    if (!defaultEndpoint.matches(SpecConstraints.ENDPOINT)) {
      throw new IllegalArgumentException(
          "DEFAULT_ENDPOINT is not an http(s) URL: " + defaultEndpoint);
    }
  }

  /** Reads flags and environment; throws IllegalArgumentException naming the bad setting. */
  public static OperatorConfig from(String[] args, Map<String, String> env) {
    Map<String, String> settings = new HashMap<>(env);
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException(
            "unknown argument " + arg + " (flags look like --http-port=8080)");
      }
      String flag = arg.substring(2, arg.indexOf('='));
      settings.put(flag.toUpperCase().replace('-', '_'), arg.substring(arg.indexOf('=') + 1));
    }
    Set<String> namespaces = new LinkedHashSet<>();
    Arrays.stream(settings.getOrDefault("WATCH_NAMESPACES", "").split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .forEach(namespaces::add);
    WatchLabelSelector shard = WatchLabelSelector.parse(settings.get("WATCH_LABEL_SELECTOR"));
    String leaseName =
        settings.getOrDefault("LEADER_ELECTION_LEASE_NAME", "beebotte-connection-operator");
    return new OperatorConfig(
        namespaces,
        shard,
        integer(settings, "HTTP_PORT", 8080),
        address(settings, "HTTP_BIND_ADDRESS"),
        bool(settings, "LEADER_ELECTION", false),
        shard == null ? leaseName : shard.leaseName(leaseName),
        blankToNull(settings.get("LEADER_ELECTION_NAMESPACE")),
        settings.getOrDefault("POD_NAME", hostname()),
        settings.getOrDefault("LOG_FORMAT", "text"),
        settings.getOrDefault("DEFAULT_ENDPOINT", DEFAULT_ENDPOINT),
        duration(settings, "STATUS_HEARTBEAT", Duration.ofSeconds(10)),
        integer(settings, "BEEBOTTE_MAX_ATTEMPTS", 4),
        duration(settings, "BEEBOTTE_RETRY_BUDGET", Duration.ofSeconds(10)),
        integer(settings, "DROP_CONCURRENCY", 8),
        decimal(settings, "WATCH_CALLS_PER_SECOND", 5),
        integer(settings, "SESSIONS_API_PORT", 8443),
        address(settings, "SESSIONS_API_BIND_ADDRESS"),
        java.nio.file.Path.of(
            settings.getOrDefault("SESSIONS_API_TLS_DIR", DEFAULT_SESSIONS_TLS_DIR).trim()),
        blankToNull(settings.get("POD_NAME")),
        blankToNull(settings.get("POD_NAMESPACE")));
  }

  private static int integer(Map<String, String> s, String key, int dflt) {
    String v = s.get(key);
    try {
      return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, not " + v);
    }
  }

  private static double decimal(Map<String, String> s, String key, double dflt) {
    String v = s.get(key);
    try {
      return v == null || v.isBlank() ? dflt : Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, not " + v);
    }
  }

  private static boolean bool(Map<String, String> s, String key, boolean dflt) {
    String v = s.get(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    return switch (v.trim().toLowerCase()) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException(key + " must be true or false, not " + v);
    };
  }

  private static Duration duration(Map<String, String> s, String key, Duration dflt) {
    String v = s.get(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return io.cpol.enforce.GoDuration.parse(v.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage());
    }
  }

  /** An IP address (or a host name resolved once, at start), or null when unset. */
  private static String address(Map<String, String> s, String key) {
    String v = blankToNull(s.get(key));
    if (v != null) {
      try {
        InetAddress.getByName(v);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            key + " must be an IP address like 127.0.0.1 or ::1, not " + v);
      }
    }
    return v;
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static String hostname() {
    String host = System.getenv("HOSTNAME");
    return host == null || host.isBlank() ? "beebotte-connection-operator" : host;
  }
}
