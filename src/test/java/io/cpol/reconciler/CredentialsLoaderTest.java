package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cpol.beebotte.Credentials;
import io.cpol.reconciler.CredentialsLoader.CredentialsProblem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a Secret's bytes become: credentials, {@code CredentialsNotFound} or {@code
 * InvalidCredentials} naming the key and never quoting the value.
 */
class CredentialsLoaderTest {
  private static final String TOKEN = "iamtkn_0123456789abcdef";

  @Test
  void aTokenWithAByteOrderMarkIsRefusedNamingTheKey() {
    CredentialsProblem problem = refused(secret("token", bytes("\uFEFF" + TOKEN)));

    assertThat(problem.invalid()).isTrue();
    assertThat(problem.getMessage())
        .isEqualTo(
            "Secret iot/account: the value of key token starts with a byte-order mark (the file"
                + " was saved as UTF-8 with BOM)")
        .doesNotContain(TOKEN);
  }

  @Test
  void surroundingWhitespaceIsStrippedAsEchoAndEditorsLeaveIt() throws Exception {
    Credentials credentials = load(secret("token", bytes(" \t" + TOKEN + "\r\n")));

    assertThat(credentials).isEqualTo(new Credentials.Token(TOKEN));
  }

  @Test
  void whatAHeaderCannotCarryIsRefusedByKindNeverQuoted() {
    Map<String, String> flaws = new LinkedHashMap<>();
    flaws.put("iamtkn_one\ntwo", "holds a line break");
    flaws.put("iamtkn_one\u0000two", "holds a control character");
    flaws.put("iamtkn_one\u007Ftwo", "holds a control character");
    flaws.put("iamtkn_caf\u00E9", "holds a character outside printable ASCII");
    flaws.put("\u0001" + TOKEN, "holds a control character");
    flaws.forEach(
        (value, flaw) -> {
          CredentialsProblem problem = refused(secret("token", bytes(value)));
          assertThat(problem.invalid()).isTrue();
          assertThat(problem.getMessage())
              .isEqualTo("Secret iot/account: the value of key token " + flaw)
              .doesNotContain("one", "two", "caf");
        });
  }

  @Test
  void bytesThatAreNotUtf8AreRefused() {
    byte[] latin1 = "secret-caf\u00E9".getBytes(StandardCharsets.ISO_8859_1);

    CredentialsProblem problem =
        refused(secret("apiKey", bytes("api-key-0123"), "secretKey", latin1));

    assertThat(problem.getMessage())
        .isEqualTo(
            "Secret iot/account: the value of key secretKey holds a character outside printable"
                + " ASCII");
  }

  @Test
  void tabsAndSpacesInsideAValueAreSent() throws Exception {
    assertThat(load(secret("token", bytes("iamtkn one\ttwo"))))
        .isEqualTo(new Credentials.Token("iamtkn one\ttwo"));
  }

  @Test
  void onlyTheValuesInUseAreChecked() throws Exception {
    // No secretKey: the keys are not used, so the apiKey's mark does not matter.
    Secret secret = secret("apiKey", bytes("\uFEFFapi-key"), "token", bytes(TOKEN));

    assertThat(load(secret)).isEqualTo(new Credentials.Token(TOKEN));
  }

  @Test
  void aMissingSecretOrKeyIsNotFoundRatherThanInvalid() {
    assertThat(refused(null).invalid()).isFalse();
    CredentialsProblem blank = refused(secret("token", bytes(" \n")));
    assertThat(blank.invalid()).isFalse();
    assertThat(blank.getMessage())
        .isEqualTo(
            "Secret iot/account has neither the keys apiKey and secretKey nor the key token");
  }

  @Test
  void stringDataIsReadWhenAStoreDidNotTurnItIntoData() throws Exception {
    Secret secret =
        new SecretBuilder().withStringData(Map.of("token", "\uFEFF" + TOKEN + "\n")).build();

    assertThat(refused(secret).getMessage()).contains("key token starts with a byte-order mark");
  }

  @Test
  void theScrubberLearnsEveryValueAsStoredAsUsedAndWithoutItsMark() {
    Secret secret =
        secret(
            "apiKey", bytes("api-key-0123\n"),
            "secretKey", bytes("secret-key-4567"),
            "token", bytes("\uFEFF" + TOKEN + "\n"));

    assertThat(CredentialsLoader.values(secret))
        .contains(
            "api-key-0123\n",
            "api-key-0123",
            "secret-key-4567",
            "\uFEFF" + TOKEN + "\n",
            "\uFEFF" + TOKEN,
            TOKEN)
        .doesNotContainNull();
    assertThat(CredentialsLoader.values(null)).isEmpty();
  }

  private static Credentials load(Secret secret) throws CredentialsProblem {
    return CredentialsLoader.load("iot", "account", secret);
  }

  private static CredentialsProblem refused(Secret secret) {
    CredentialsProblem problem = catchThrowableOfType(CredentialsProblem.class, () -> load(secret));
    assertThat(problem).as("refused").isNotNull();
    return problem;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static Secret secret(String key, byte[] value) {
    return secret(Map.of(key, value));
  }

  private static Secret secret(String k1, byte[] v1, String k2, byte[] v2) {
    return secret(Map.of(k1, v1, k2, v2));
  }

  private static Secret secret(String k1, byte[] v1, String k2, byte[] v2, String k3, byte[] v3) {
    return secret(Map.of(k1, v1, k2, v2, k3, v3));
  }

  /** As an API server stores it: every value base64 in data. */
  static Secret secret(Map<String, byte[]> values) {
    Map<String, String> data = new LinkedHashMap<>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
    return new SecretBuilder().withData(data).build();
  }
}
