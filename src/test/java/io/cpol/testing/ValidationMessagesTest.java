package io.cpol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.testing.ValidationCases.Case;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embedded API server's refusals worded as kube-apiserver 1.37 words them (each message here
 * was read from a real one by EmbeddedServerAgreementIT, which holds the whole table to it): a CEL
 * rule on an object shows no value, one on a string shows the string, Too long says bytes, and the
 * rules-not-checked cause shows a bare null.
 */
class ValidationMessagesTest {
  private static EmbeddedKubernetes kubernetes;

  @BeforeAll
  static void start() {
    kubernetes = EmbeddedKubernetes.startValidating(0);
    kubernetes
        .client()
        .namespaces()
        .resource(EmbeddedKubernetes.activeNamespace("sandbox"))
        .create();
  }

  @AfterAll
  static void stop() {
    kubernetes.close();
  }

  @Test
  void aCelRuleOnAnObjectShowsNoValue() throws Exception {
    assertThat(refusal("i01"))
        .contains(
            "spec.deny[0]: Invalid value: a rule needs at least one matcher (userids,"
                + " useridPatterns, sids, usernames, channels, clientCIDRs or protocols)");
  }

  @Test
  void aCelRuleOnAStringShowsTheString() throws Exception {
    assertThat(refusal("i28"))
        .endsWith("spec.interval: Invalid value: \"500ms\": interval must be between 1s and 24h");
  }

  @Test
  void tooLongSaysBytesAndTheSkippedRulesShowABareNull() throws Exception {
    assertThat(refusal("i12"))
        .endsWith(
            "[spec.deny[0].useridPatterns[0]: Too long: may not be more than 256 bytes, <nil>:"
                + " Invalid value: null: some validation rules were not checked because the object"
                + " was invalid; correct the existing errors to complete validation]");
    assertThat(refusal("i47"))
        .contains("metadata.annotations: Too long: may not be more than 262144 bytes, ");
  }

  /** The Status message the embedded server answers a strict create of case {@code id} with. */
  private static String refusal(String id) throws Exception {
    Case c =
        ValidationCases.all().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            kubernetes.url()
                                + "/apis/beebotte.io/v1alpha1/namespaces/sandbox/"
                                + "connectionpolicies?fieldValidation=Strict"))
                    .POST(HttpRequest.BodyPublishers.ofString(Serialization.asJson(c.object())))
                    .header("Content-Type", "application/json")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    return Serialization.unmarshal(response.body(), JsonNode.class).path("message").asText();
  }
}
