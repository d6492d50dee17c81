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
 */
public record SessionsApiSettings(
    String bindAddress,
    int port,
    Path tlsDirectory,
    List<String> hosts,
    Duration tlsReloadEvery,
    Duration frontProxyRefreshEvery) {
  /** The Service the APIService points at ({@code deploy/}). */
  public static final String SERVICE = "beebotte-sessions";

  public SessionsApiSettings {
    hosts = List.copyOf(hosts);
  }

  /** The names a generated certificate covers for the Service in {@code namespace}. */
  public static List<String> serviceHosts(String namespace) {
    String service = SERVICE + "." + namespace;
    return List.of(
        service + ".svc", service + ".svc.cluster.local", service, "localhost", "127.0.0.1");
  }
}
