package io.cpol.live;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates for the server's tests: CAs, front-proxy client certificates, serving ones. */
final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  /** A certificate, its keys, and the CA that signed it (itself for a CA). */
  record Issued(X509Certificate certificate, KeyPair keys, Issued issuer) {
    String pem() {
      return PemCodec.encode(certificate);
    }
  }

  private TestPki() {}

  static Issued ca(String commonName) {
    return issue(null, commonName, true, null, (String[]) null);
  }

  static Issued client(Issued ca, String commonName) {
    return issue(ca, commonName, false, KeyPurposeId.id_kp_clientAuth);
  }

  static Issued server(Issued ca, String... hosts) {
    return issue(ca, hosts[0], false, KeyPurposeId.id_kp_serverAuth, hosts);
  }

  /** Writes {@code tls.crt} and {@code tls.key} as a TLS Secret volume holds them. */
  static void writeTlsFiles(Path directory, Issued serving) throws Exception {
    Files.createDirectories(directory);
    Path crt = directory.resolve("tls.crt.tmp");
    Path key = directory.resolve("tls.key.tmp");
    Files.writeString(crt, serving.pem(), StandardCharsets.US_ASCII);
    // PKCS#8, as cert-manager writes with privateKey.encoding PKCS8.
    Files.writeString(
        key,
        PemCodec.encode(
            new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(
                serving.keys().getPrivate(), null)),
        StandardCharsets.US_ASCII);
    Files.move(
        crt, directory.resolve("tls.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.move(
        key, directory.resolve("tls.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** A client's TLS: presenting {@code client} (none when null), trusting {@code trusted} CAs. */
  static SSLContext clientContext(Issued client, X509Certificate... trusted) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (int i = 0; i < trusted.length; i++) {
      trust.setCertificateEntry("ca" + i, trusted[i]);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    if (client != null) {
      keys.setKeyEntry(
          "client",
          client.keys().getPrivate(),
          new char[0],
          new X509Certificate[] {client.certificate()});
    }
    kmf.init(keys, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  private static Issued issue(
      Issued ca, String commonName, boolean isCa, KeyPurposeId usage, String... hosts) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      Instant now = Instant.now();
      X500Name subject = new X500Name("CN=" + commonName);
      X500Name issuer =
          ca == null ? subject : new X500Name(ca.certificate().getSubjectX500Principal().getName());
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(1))),
              subject,
              keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      if (usage != null) {
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage));
      }
      if (hosts != null && hosts.length > 0) {
        GeneralName[] names = new GeneralName[hosts.length];
        for (int i = 0; i < hosts.length; i++) {
          names[i] =
              new GeneralName(
                  hosts[i].matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName,
                  hosts[i]);
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      KeyPair signer = ca == null ? keys : ca.keys();
      X509Certificate certificate =
          new JcaX509CertificateConverter()
              .getCertificate(
                  builder.build(
                      new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
      return new Issued(certificate, keys, ca);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
