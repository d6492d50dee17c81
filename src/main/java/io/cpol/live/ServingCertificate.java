package io.cpol.live;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate the sessions API serves: {@code tls.crt} and {@code tls.key} of a directory (a
 * Secret volume, re-read when its files change, so a renewed certificate is served from the next
 * handshake on, without a restart), or, when the directory has none, one generated at start.
 */
final class ServingCertificate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServingCertificate.class);
  static final String CERTIFICATE_FILE = "tls.crt";
  static final String KEY_FILE = "tls.key";

  private record FileContents(byte[] certificate, byte[] key) {
    boolean same(FileContents other) {
      return other != null
          && Arrays.equals(certificate, other.certificate)
          && Arrays.equals(key, other.key);
    }
  }

  /** The current credentials and the ones before, by alias: a handshake asks for both by alias. */
  private record Generations(
      String alias, ServingCredentials current, String previousAlias, ServingCredentials previous) {
    ServingCredentials byAlias(String alias) {
      return alias.equals(this.alias) ? current : alias.equals(previousAlias) ? previous : null;
    }
  }

  private final AtomicReference<Generations> served = new AtomicReference<>();
  private long generation;
  private final Path directory;
  private final ScheduledExecutorService reloader;
  private FileContents loaded;

  private ServingCertificate(Path directory, ServingCredentials initial, FileContents loaded) {
    this.directory = directory;
    this.loaded = loaded;
    this.served.set(new Generations("g0", initial, null, null));
    this.reloader =
        directory == null
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "sessions-api-tls-reload");
                  t.setDaemon(true);
                  return t;
                });
  }

  /**
   * The files of {@code directory}, checked every {@code reloadEvery}; when it holds no {@code
   * tls.crt}, a self-signed certificate for {@code hosts}.
   *
   * @throws IllegalArgumentException when the files are there but unreadable: serving another
   *     certificate than the one configured would hide the mistake
   */
  static ServingCertificate start(
      Path directory, List<String> hosts, Duration reloadEvery, Clock clock) {
    if (directory != null && Files.exists(directory.resolve(CERTIFICATE_FILE))) {
      FileContents files = read(directory);
      ServingCertificate served = new ServingCertificate(directory, parse(files), files);
      long millis = Math.max(1, reloadEvery.toMillis());
      served.reloader.scheduleWithFixedDelay(
          served::reloadQuietly, millis, millis, TimeUnit.MILLISECONDS);
      log.info("sessions API serves the certificate of {}", directory);
      return served;
    }
    log.info(
        "sessions API: no {} in {}; serving a self-signed certificate for {}",
        CERTIFICATE_FILE,
        directory,
        hosts);
    return new ServingCertificate(null, SelfSignedCertificates.generate(hosts, clock), null);
  }

  /** The CA of a generated certificate as PEM (for the APIService's caBundle); null otherwise. */
  String generatedCaPem() {
    return served.get().current().caPem();
  }

  /** The certificate served from the next handshake on. */
  X509Certificate leaf() {
    return served.get().current().chain().get(0);
  }

  X509ExtendedKeyManager keyManager() {
    return new CurrentKeyManager();
  }

  /** Re-reads the files; returns whether a new certificate is now served. */
  synchronized boolean reload() {
    FileContents files = read(directory);
    if (files.same(loaded)) {
      return false;
    }
    ServingCredentials renewed = parse(files);
    Generations before = served.get();
    served.set(new Generations("g" + ++generation, renewed, before.alias(), before.current()));
    loaded = files;
    log.info(
        "sessions API: serving the renewed certificate of {} (valid until {})",
        directory,
        leaf().getNotAfter().toInstant());
    return true;
  }

  private void reloadQuietly() {
    try {
      reload();
    } catch (RuntimeException e) {
      // A Secret volume is swapped by symlink; a half-written pair must not stop serving the last.
      log.warn("sessions API: keeping the current certificate: {}", e.getMessage());
    }
  }

  private static FileContents read(Path directory) {
    try {
      return new FileContents(
          Files.readAllBytes(directory.resolve(CERTIFICATE_FILE)),
          Files.readAllBytes(directory.resolve(KEY_FILE)));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(directory + " has no " + e.getFile());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + directory + ": " + e.getMessage());
    }
  }

  private static ServingCredentials parse(FileContents files) {
    ServingCredentials credentials =
        ServingCredentials.fromPem(
            new String(files.certificate(), java.nio.charset.StandardCharsets.US_ASCII),
            new String(files.key(), java.nio.charset.StandardCharsets.US_ASCII));
    if (!credentials
        .chain()
        .get(0)
        .getPublicKey()
        .getAlgorithm()
        .equals(credentials.key().getAlgorithm())) {
      throw new IllegalArgumentException(
          CERTIFICATE_FILE + " and " + KEY_FILE + " do not hold the same kind of key");
    }
    return credentials;
  }

  @Override
  public void close() {
    if (reloader != null) {
      reloader.shutdownNow();
    }
  }

  /** Hands every handshake the certificate current when it chose its alias. */
  private final class CurrentKeyManager extends X509ExtendedKeyManager {
    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return chooseServerAlias(keyType, issuers, (Socket) null);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      Generations now = served.get();
      return now.current().key().getAlgorithm().equals(keyType) ? now.alias() : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      String alias = chooseServerAlias(keyType, issuers, (Socket) null);
      return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      ServingCredentials credentials = served.get().byAlias(alias);
      return credentials == null ? null : credentials.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      ServingCredentials credentials = served.get().byAlias(alias);
      return credentials == null ? null : credentials.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }
}
