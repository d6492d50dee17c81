package io.cpol.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrontProxyAuthenticatorTest {
  private static final TestPki.Issued CA = TestPki.ca("front-proxy-ca");

  private static FrontProxySettings settings(List<String> allowed) {
    return FrontProxySettings.fromConfigMap(
        Map.of(
            "requestheader-client-ca-file", CA.pem(),
            "requestheader-allowed-names", toJson(allowed),
            "requestheader-username-headers", "[\"X-Remote-User\"]",
            "requestheader-group-headers", "[\"X-Remote-Group\"]",
            "requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]"));
  }

  private static String toJson(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").toList().toString().replace(" ", "");
  }

  private static FrontProxyAuthenticator.Outcome authenticate(
      FrontProxySettings s, X509Certificate certificate, Map<String, List<String>> headers) {
    return new FrontProxyAuthenticator(() -> s, Date::new)
        .authenticate(certificate == null ? null : new X509Certificate[] {certificate}, headers);
  }

  @Test
  void takesUserGroupsAndDecodedExtrasFromTheHeaders() {
    FrontProxyAuthenticator.Outcome outcome =
        authenticate(
            settings(List.of("front-proxy-client")),
            TestPki.client(CA, "front-proxy-client").certificate(),
            Map.of(
                "X-remote-user", List.of("", "alice"),
                "X-Remote-Group", List.of("dev", "ops"),
                "X-Remote-Extra-Acme.com%2Fproject", List.of("p1", "p2")));

    assertThat(outcome.refusal()).isNull();
    assertThat(outcome.user().name()).isEqualTo("alice");
    assertThat(outcome.user().groups()).containsExactly("dev", "ops", "system:authenticated");
    assertThat(outcome.user().extra()).isEqualTo(Map.of("acme.com/project", List.of("p1", "p2")));
  }

  @Test
  void refusesWhatKubeApiserverRefuses() {
    Map<String, List<String>> alice = Map.of("X-Remote-User", List.of("alice"));
    X509Certificate proxy = TestPki.client(CA, "front-proxy-client").certificate();

    assertThat(authenticate(settings(List.of()), null, alice).refusal())
        .isEqualTo("no client certificate");
    assertThat(authenticate(FrontProxySettings.NONE, proxy, alice).refusal())
        .startsWith("no front-proxy CA");
    assertThat(
            authenticate(
                    settings(List.of()),
                    TestPki.client(TestPki.ca("front-proxy-ca"), "front-proxy-client")
                        .certificate(),
                    alice)
                .refusal())
        .startsWith("client certificate does not chain to the front-proxy CA");
    assertThat(authenticate(settings(List.of("aggregator")), proxy, alice).refusal())
        .contains("not in requestheader-allowed-names");
    assertThat(
            authenticate(
                    settings(List.of()),
                    TestPki.server(CA, "front-proxy-client").certificate(),
                    alice)
                .refusal())
        .as("a serving certificate of the same CA")
        .isEqualTo("client certificate is not for client authentication");
    assertThat(authenticate(settings(List.of()), proxy, Map.of()).refusal()).startsWith("no user");
    assertThat(authenticate(settings(List.of()), proxy, alice).user().name())
        .as("no allowed names: any name the CA signed")
        .isEqualTo("alice");
  }
}
