package io.cpol.live;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A serving certificate chain (leaf first) and its private key.
 *
 * @param caPem the CA that signed it, as PEM, when this process generated it (for the APIService's
 *     caBundle); null for a certificate read from files
 */
record ServingCredentials(List<X509Certificate> chain, PrivateKey key, String caPem) {
  ServingCredentials {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate");
    }
  }

  /** Reads the {@code tls.crt} and {@code tls.key} texts of a Kubernetes TLS Secret. */
  static ServingCredentials fromPem(String certificates, String key) {
    return new ServingCredentials(
        PemCodec.certificates(certificates), PemCodec.privateKey(key), null);
  }
}
