package io.cpol.live;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The aggregated API server of {@code live.beebotte.io/v1alpha1}: HTTPS on its own port, serving
 * the sessions of a {@link SessionSource} to the Kubernetes API server's front proxy (kube-
 * aggregator), which kubectl and every other client reach it through.
 */
public final class SessionsApiServer implements AutoCloseable {
  /** Events a watch may have waiting before it is ended (the client then lists again). */
  static final int WATCH_QUEUE = 10_000;

  /** Like kube-apiserver's --min-request-timeout: a watch without timeoutSeconds lasts this. */
  static final Duration DEFAULT_WATCH_TIMEOUT = Duration.ofMinutes(30);

  static final Duration BOOKMARK_EVERY = Duration.ofMinutes(1);

  static {
    // The JDK server writes headers and body separately; with Nagle's algorithm on, a small
    // answer waits for the client's delayed ACK (40 ms a request, 8 s over 200 pages). Read once,
    // when the first JDK HTTP server starts: the operator starts this one before its other one.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpsServer server;
  private final ServingCertificate certificate;
  private final FrontProxySettingsSource frontProxy;
  private final ExecutorService executor;

  private SessionsApiServer(
      HttpsServer server,
      ServingCertificate certificate,
      FrontProxySettingsSource frontProxy,
      ExecutorService executor) {
    this.server = server;
    this.certificate = certificate;
    this.frontProxy = frontProxy;
    this.executor = executor;
  }

  /**
   * Starts serving.
   *
   * @param leader whether this replica holds the listings; a standby answers 503 for sessions
   * @param kubernetes reads the front proxy's ConfigMap and asks SubjectAccessReviews
   */
  public static SessionsApiServer start(
      SessionsApiSettings settings,
      SessionSource source,
      BooleanSupplier leader,
      KubernetesClient kubernetes,
      Clock clock)
      throws IOException {
    ServingCertificate certificate =
        ServingCertificate.start(
            settings.tlsDirectory(), settings.hosts(), settings.tlsReloadEvery(), clock);
    FrontProxySettingsSource frontProxy =
        new FrontProxySettingsSource(kubernetes, settings.frontProxyRefreshEvery());
    SessionsApiHandler handler =
        new SessionsApiHandler(
            new FrontProxyAuthenticator(frontProxy, () -> Date.from(clock.instant())),
            new AccessReviewer(kubernetes, clock),
            leader,
            new SessionResponses(
                source,
                clock,
                WATCH_QUEUE,
                DEFAULT_WATCH_TIMEOUT,
                BOOKMARK_EVERY,
                settings.minPageSize()));
    HttpsServer server =
        HttpsServer.create(
            settings.bindAddress() == null
                ? new InetSocketAddress(settings.port())
                : new InetSocketAddress(settings.bindAddress(), settings.port()),
            0);
    server.setHttpsConfigurator(new ClientCertificateConfigurator(tls(certificate)));
    server.createContext("/", handler);
    // Every watch holds a thread for its life; lists and discovery come and go.
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        new ThreadPoolExecutor(
            0,
            512,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "sessions-api-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
    return new SessionsApiServer(server, certificate, frontProxy, executor);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * The CA of the self-signed certificate, PEM: what the APIService's caBundle must hold; null when
   * the certificate comes from the TLS directory (cert-manager's CA injector fills caBundle then).
   */
  public String generatedCaPem() {
    return certificate.generatedCaPem();
  }

  /** Re-reads the front proxy's ConfigMap now rather than at the next period. */
  void refreshFrontProxy() {
    frontProxy.refresh();
  }

  /** Re-reads the certificate files now; returns whether a renewed one is served. */
  boolean reloadCertificate() {
    return certificate.reload();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    frontProxy.close();
    certificate.close();
  }

  private static SSLContext tls(ServingCertificate certificate) throws IOException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          new javax.net.ssl.KeyManager[] {certificate.keyManager()},
          new TrustManager[] {new AnyClientCertificate()},
          null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS for the sessions API", e);
    }
  }

  /** Asks every client for a certificate; whoever sends none is refused by the handler (401). */
  private static final class ClientCertificateConfigurator extends HttpsConfigurator {
    ClientCertificateConfigurator(SSLContext context) {
      super(context);
    }

    @Override
    public void configure(HttpsParameters params) {
      SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
      parameters.setWantClientAuth(true);
      parameters.setApplicationProtocols(new String[] {"http/1.1"});
      params.setSSLParameters(parameters);
    }
  }

  /**
   * Takes any client certificate during the handshake: which CA a certificate must chain to comes
   * from a ConfigMap that changes while the server runs, so {@link FrontProxyAuthenticator} checks
   * it per request, and a certificate of another CA gets a 401 Status as from kube-apiserver rather
   * than a handshake failure. Names no acceptable issuers, so clients send whatever they hold.
   */
  private static final class AnyClientCertificate extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("a server only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      throw new UnsupportedOperationException("a server only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      throw new UnsupportedOperationException("a server only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
