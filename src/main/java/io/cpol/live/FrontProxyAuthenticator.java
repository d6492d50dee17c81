package io.cpol.live;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Authenticates a request as kube-apiserver's request-header authenticator does: the client
 * certificate must chain to the front-proxy CA, be meant for client authentication and (when the
 * settings name any) carry an allowed common name; the user, groups and extras then come from the
 * configured headers. Every authenticated user also gets {@code system:authenticated}, as an
 * aggregated API server's delegated authentication adds it.
 */
final class FrontProxyAuthenticator {
  static final String AUTHENTICATED_GROUP = "system:authenticated";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_USAGE = "2.5.29.37.0";

  /** The outcome: a user, or why there is none (for the log; the client only sees 401). */
  record Outcome(RequestUser user, String refusal) {
    static Outcome refused(String why) {
      return new Outcome(null, why);
    }
  }

  private final Supplier<FrontProxySettings> settings;
  private final Supplier<Date> now;

  FrontProxyAuthenticator(Supplier<FrontProxySettings> settings, Supplier<Date> now) {
    this.settings = settings;
    this.now = now;
  }

  /**
   * @param chain the client's certificates, leaf first; null or empty when it sent none
   * @param headers the request headers, looked up case-insensitively
   */
  Outcome authenticate(X509Certificate[] chain, Map<String, List<String>> headers) {
    FrontProxySettings s = settings.get();
    if (chain == null || chain.length == 0) {
      return Outcome.refused("no client certificate");
    }
    if (s.anchors().isEmpty()) {
      return Outcome.refused(
          "no front-proxy CA (requestheader-client-ca-file of "
              + FrontProxySettings.NAMESPACE
              + "/"
              + FrontProxySettings.NAME
              + ")");
    }
    String invalid = verify(chain, s);
    if (invalid != null) {
      return Outcome.refused(invalid);
    }
    String commonName = commonName(chain[0]);
    if (!s.allowedNames().isEmpty() && !s.allowedNames().contains(commonName)) {
      return Outcome.refused(
          "client certificate CN " + commonName + " is not in requestheader-allowed-names");
    }
    Map<String, List<String>> byName = lowerCase(headers);
    String user = null;
    for (String header : s.usernameHeaders()) {
      for (String value : byName.getOrDefault(header.toLowerCase(Locale.ROOT), List.of())) {
        if (!value.isEmpty()) {
          user = value;
          break;
        }
      }
      if (user != null) {
        break;
      }
    }
    if (user == null) {
      return Outcome.refused("no user in " + s.usernameHeaders());
    }
    List<String> groups = new ArrayList<>();
    for (String header : s.groupHeaders()) {
      groups.addAll(byName.getOrDefault(header.toLowerCase(Locale.ROOT), List.of()));
    }
    if (!groups.contains(AUTHENTICATED_GROUP)) {
      groups.add(AUTHENTICATED_GROUP);
    }
    Map<String, List<String>> extra = new LinkedHashMap<>();
    for (String prefix : s.extraHeaderPrefixes()) {
      String p = prefix.toLowerCase(Locale.ROOT);
      for (Map.Entry<String, List<String>> h : byName.entrySet()) {
        if (h.getKey().startsWith(p) && h.getKey().length() > p.length()) {
          String key =
              URLDecoder.decode(h.getKey().substring(p.length()), StandardCharsets.UTF_8)
                  .toLowerCase(Locale.ROOT);
          extra.computeIfAbsent(key, k -> new ArrayList<>()).addAll(h.getValue());
        }
      }
    }
    return new Outcome(new RequestUser(user, groups, extra), null);
  }

  /** Null when {@code chain} leads to one of the settings' CAs, else why not. */
  private String verify(X509Certificate[] chain, FrontProxySettings s) {
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate c : chain) {
      boolean anchor = false;
      for (TrustAnchor a : s.anchors()) {
        anchor |= a.getTrustedCert().equals(c);
      }
      if (!anchor) {
        path.add(c);
      }
    }
    if (path.isEmpty()) {
      return "the client certificate is the CA itself";
    }
    try {
      PKIXParameters parameters = new PKIXParameters(s.anchors());
      parameters.setRevocationEnabled(false);
      parameters.setDate(now.get());
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    } catch (GeneralSecurityException e) {
      return "client certificate does not chain to the front-proxy CA: " + e.getMessage();
    }
    try {
      List<String> usages = path.get(0).getExtendedKeyUsage();
      if (usages != null && !usages.contains(CLIENT_AUTH) && !usages.contains(ANY_USAGE)) {
        return "client certificate is not for client authentication";
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return "client certificate has unreadable key usages";
    }
    return null;
  }

  private static String commonName(X509Certificate certificate) {
    try {
      for (javax.naming.ldap.Rdn rdn :
          new javax.naming.ldap.LdapName(certificate.getSubjectX500Principal().getName())
              .getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (javax.naming.InvalidNameException e) {
      return "";
    }
    return "";
  }

  private static Map<String, List<String>> lowerCase(Map<String, List<String>> headers) {
    Map<String, List<String>> byName = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      if (h.getKey() != null) {
        byName
            .computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .addAll(h.getValue());
      }
    }
    return byName;
  }
}
