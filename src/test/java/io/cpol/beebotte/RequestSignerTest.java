package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.beebotte.SignatureVectors.Vector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RequestSignerTest {

  static Stream<Vector> vectors() {
    return SignatureVectors.load().stream();
  }

  @ParameterizedTest(name = "{index}: {2} {4}")
  @MethodSource("vectors")
  void reproducesEveryOfficialClientSignature(Vector v) {
    assertThat(
            RequestSigner.authorization(
                v.apiKey(),
                v.secretKey(),
                v.method(),
                v.contentMd5(),
                v.contentType(),
                v.date(),
                v.path()))
        .isEqualTo(v.authorization());
    assertThat(
            RequestSigner.verifies(
                v.authorization(),
                v.apiKey(),
                v.secretKey(),
                v.method(),
                v.contentMd5(),
                v.contentType(),
                v.date(),
                v.path()))
        .isTrue();
  }

  @ParameterizedTest(name = "{index}: {4}")
  @MethodSource("vectors")
  void formatsDatesAsTheOfficialClientDoes(Vector v) {
    Instant parsed = RequestSigner.parseHttpDate(v.date());
    assertThat(parsed).isNotNull();
    assertThat(RequestSigner.httpDate(parsed)).isEqualTo(v.date());
  }

  @Test
  void vectorsCoverBothMethodsAndTheBareQuestionMark() {
    List<Vector> vectors = SignatureVectors.load();
    assertThat(vectors).extracting(Vector::method).contains("GET", "DELETE");
    assertThat(vectors).extracting(Vector::path).anyMatch(p -> p.endsWith("?"));
  }

  @Test
  void resourceCopyMatchesTheSharedOriginal() throws IOException {
    assumeTrue(Files.isRegularFile(SignatureVectors.SHARED), "no ../shared checkout next to repo");
    try (InputStream copy = getClass().getResourceAsStream(SignatureVectors.RESOURCE)) {
      assertThat(copy).as("src/test/resources copy").isNotNull();
      assertThat(copy.readAllBytes()).isEqualTo(Files.readAllBytes(SignatureVectors.SHARED));
    }
  }

  @Test
  void stringToSignHasOneLinePerPartAndEmptyLinesForAbsentHeaders() {
    assertThat(
            RequestSigner.stringToSign(
                "DELETE", null, "", "Thu, 26 Nov 2026 03:05:48 GMT", "/v1/connections/drop/u?"))
        .isEqualTo("DELETE\n\n\nThu, 26 Nov 2026 03:05:48 GMT\n/v1/connections/drop/u?");
  }

  @Test
  void everySignedPartChangesTheSignature() {
    Vector v = SignatureVectors.load().get(0);
    String date = v.date();
    String base = RequestSigner.signature(v.secretKey(), "GET", "", "", date, v.path());
    assertThat(RequestSigner.signature(v.secretKey() + "x", "GET", "", "", date, v.path()))
        .isNotEqualTo(base);
    assertThat(RequestSigner.signature(v.secretKey(), "DELETE", "", "", date, v.path()))
        .isNotEqualTo(base);
    assertThat(RequestSigner.signature(v.secretKey(), "GET", "md5", "", date, v.path()))
        .isNotEqualTo(base);
    assertThat(RequestSigner.signature(v.secretKey(), "GET", "", "text/plain", date, v.path()))
        .isNotEqualTo(base);
    assertThat(
            RequestSigner.signature(
                v.secretKey(), "GET", "", "", "Thu, 26 Nov 2026 03:05:44 GMT", v.path()))
        .isNotEqualTo(base);
    assertThat(RequestSigner.signature(v.secretKey(), "GET", "", "", date, v.path() + "?"))
        .isNotEqualTo(base);
  }

  @Test
  void verifyRejectsTamperedOrMissingAuthorization() {
    Vector v = SignatureVectors.load().get(1);
    String tampered = v.authorization().substring(0, v.authorization().length() - 2) + "A=";
    assertThat(
            RequestSigner.verifies(
                tampered, v.apiKey(), v.secretKey(), v.method(), "", "", v.date(), v.path()))
        .isFalse();
    assertThat(
            RequestSigner.verifies(
                null, v.apiKey(), v.secretKey(), v.method(), "", "", v.date(), v.path()))
        .isFalse();
    assertThat(
            RequestSigner.verifies(
                v.authorization(),
                "other-key",
                v.secretKey(),
                v.method(),
                "",
                "",
                v.date(),
                v.path()))
        .isFalse();
  }

  @Test
  void writesTwoDigitDaysAndTruncatesToSeconds() {
    assertThat(RequestSigner.httpDate(Instant.parse("2026-11-05T03:05:43.987Z")))
        .isEqualTo("Thu, 05 Nov 2026 03:05:43 GMT");
  }

  @Test
  void parsesOneDigitDaysAndRejectsGarbage() {
    assertThat(RequestSigner.parseHttpDate("Thu, 5 Nov 2026 03:05:43 GMT"))
        .isEqualTo(Instant.parse("2026-11-05T03:05:43Z"));
    assertThat(RequestSigner.parseHttpDate("yesterday")).isNull();
    assertThat(RequestSigner.parseHttpDate(null)).isNull();
  }
}
