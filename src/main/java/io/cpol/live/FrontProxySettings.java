package io.cpol.live;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The front proxy's settings as kube-apiserver publishes them in ConfigMap {@code
 * kube-system/extension-apiserver-authentication}: the CA its client certificate chains to, the
 * names that certificate may have (empty: any), and the headers carrying the user.
 *
 * @param anchors empty when the ConfigMap names no front-proxy CA: then no request authenticates
 */
record FrontProxySettings(
    Set<TrustAnchor> anchors,
    List<String> allowedNames,
    List<String> usernameHeaders,
    List<String> groupHeaders,
    List<String> extraHeaderPrefixes) {
  static final String NAMESPACE = "kube-system";
  static final String NAME = "extension-apiserver-authentication";

  static final FrontProxySettings NONE =
      new FrontProxySettings(Set.of(), List.of(), List.of(), List.of(), List.of());

  private static final ObjectMapper JSON = new ObjectMapper();

  FrontProxySettings {
    anchors = Set.copyOf(anchors);
    allowedNames = List.copyOf(allowedNames);
    usernameHeaders = List.copyOf(usernameHeaders);
    groupHeaders = List.copyOf(groupHeaders);
    extraHeaderPrefixes = List.copyOf(extraHeaderPrefixes);
  }

  /**
   * Reads the ConfigMap's data.
   *
   * @throws IllegalArgumentException naming the key that is malformed
   */
  static FrontProxySettings fromConfigMap(Map<String, String> data) {
    if (data == null) {
      return NONE;
    }
    String ca = data.get("requestheader-client-ca-file");
    Set<TrustAnchor> anchors = new LinkedHashSet<>();
    if (ca != null && !ca.isBlank()) {
      for (X509Certificate certificate : PemCodec.certificates(ca)) {
        anchors.add(new TrustAnchor(certificate, null));
      }
    }
    return new FrontProxySettings(
        anchors,
        list(data, "requestheader-allowed-names"),
        list(data, "requestheader-username-headers"),
        list(data, "requestheader-group-headers"),
        list(data, "requestheader-extra-headers-prefix"));
  }

  /** Equal settings (TrustAnchor has no equals of its own). */
  boolean sameAs(FrontProxySettings other) {
    return java.util.Set.copyOf(caCertificates())
            .equals(java.util.Set.copyOf(other.caCertificates()))
        && allowedNames.equals(other.allowedNames)
        && usernameHeaders.equals(other.usernameHeaders)
        && groupHeaders.equals(other.groupHeaders)
        && extraHeaderPrefixes.equals(other.extraHeaderPrefixes);
  }

  /** The CA certificates themselves. */
  List<X509Certificate> caCertificates() {
    return anchors.stream().map(TrustAnchor::getTrustedCert).toList();
  }

  private static List<String> list(Map<String, String> data, String key) {
    String value = data.get(key);
    if (value == null || value.isBlank()) {
      return List.of();
    }
    try {
      return JSON.readValue(value, new TypeReference<List<String>>() {});
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(key + " is not a JSON list of strings: " + value);
    }
  }
}
