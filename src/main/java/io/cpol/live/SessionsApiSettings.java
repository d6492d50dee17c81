package io.cpol.live;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where and how the sessions API listens.
 *
 * @param bindAddress null for every interface
 * @param port 0 for any free port
 * @param tlsDirectory holds tls.crt and tls.key; when it has none, a self-signed certificate for
 *     {@code hosts} is made at start
 * @param hosts the names a generated certificate is for (the Service's DNS names, localhost)
 * @param tlsReloadEvery how often the certificate files are checked for a renewal
 * @param frontProxyRefreshEvery how often the front proxy's ConfigMap is read again
 * @param minPageSize a list asking for fewer items per page ({@code limit}) gets pages of this many
 *     (1: as asked). Kubernetes lets a server support {@code limit} only in part; kubectl's client
 *     sends 10 requests at once and then 5 a second, so 100k sessions in its pages of 500 would
 *     take 40 s of waiting alone, in pages of 10,000 they take 10 requests.
 */
public record SessionsApiSettings(
    String bindAddress,
    int port,
    Path tlsDirectory,
    List<String> hosts,
    Duration tlsReloadEvery,
    Duration frontProxyRefreshEvery,
    int minPageSize) {
  /** The Service the APIService points at ({@code deploy/}). */
  public static final String SERVICE = "beebotte-sessions";

  /** The operator's {@link #minPageSize} unless configured: ten kubectl requests per 100k. */
  public static final int DEFAULT_MIN_PAGE_SIZE = 10_000;

  public SessionsApiSettings {
    hosts = List.copyOf(hosts);
    if (minPageSize < 1) {
      throw new IllegalArgumentException("minPageSize must be at least 1, not " + minPageSize);
    }
  }

  /** Pages as the client asks ({@link #minPageSize} 1). */
  public SessionsApiSettings(
      String bindAddress,
      int port,
      Path tlsDirectory,
      List<String> hosts,
      Duration tlsReloadEvery,
      Duration frontProxyRefreshEvery) {
    this(bindAddress, port, tlsDirectory, hosts, tlsReloadEvery, frontProxyRefreshEvery, 1);
  }

  /** The names a generated certificate covers for the Service in {@code namespace}. */
  public static List<String> serviceHosts(String namespace) {
    String service = SERVICE + "." + namespace;
    return List.of(
        service + ".svc", service + ".svc.cluster.local", service, "localhost", "127.0.0.1");
  }
}
