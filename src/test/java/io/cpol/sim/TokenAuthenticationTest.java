package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import io.cpol.sim.RecordedCall.AuthKind;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IAM tokens: rights gate list and drop; channel tokens, unknown tokens and no credentials fail.
 */
class TokenAuthenticationTest {
  private BeebotteSimulator sim;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("acme", "acme-key", "acme-secret")
            .account("globex", "globex-key", "globex-secret")
            .token("iamtkn_rw", Authenticator.READ, Authenticator.WRITE)
            .token("iamtkn_ro", "admin:connection:read")
            .token("iamtkn_wo", "admin:connection:write")
            .tokenFor("globex", "iamtkn_globex", "admin:connection:read")
            .build()
            .start();
    sim.addConnection(new Connection("dev-1", null, "mqtt", null, null, null, null, List.of()));
    sim.addConnection(new Connection("dev-2", null, "mqtt", null, null, "globex", null, List.of()));
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  @Test
  void readOnlyTokenListsButCannotDrop() throws Exception {
    TokenClient ro = new TokenClient(sim, "iamtkn_ro");

    assertThat(ro.list("/v1/connections")).hasSize(1);
    HttpResponse<String> drop = ro.delete("/v1/connections/drop/dev-1");

    assertError(drop, 403, 1102, "token lacks admin:connection:write");
    assertThat(sim.connections()).hasSize(2);
    assertThat(sim.drops()).isEmpty();
    RecordedCall call = sim.requests().get(1);
    assertThat(call.authKind()).isEqualTo(AuthKind.TOKEN);
    assertThat(call.account()).isNull();
    assertThat(call.endpoint()).isEqualTo(RecordedCall.EndpointKind.DROP);
  }

  @Test
  void writeOnlyTokenDropsButCannotList() throws Exception {
    TokenClient wo = new TokenClient(sim, "iamtkn_wo");

    assertError(wo.get("/v1/connections"), 403, 1102, "token lacks admin:connection:read");
    HttpResponse<String> drop = wo.delete("/v1/connections/drop/dev-1");

    assertThat(drop.statusCode()).isEqualTo(200);
    assertThat(drop.body()).isEqualTo("true");
    assertThat(sim.connections()).extracting(Connection::userid).containsExactly("dev-2");
  }

  @Test
  void tokenActsOnItsOwnAccountOnly() throws Exception {
    JsonNode globex = new TokenClient(sim, "iamtkn_globex").list("/v1/connections");
    JsonNode acme = new TokenClient(sim, "iamtkn_rw").list("/v1/connections");

    assertThat(globex).extracting(n -> n.get("userid").asText()).containsExactly("dev-2");
    assertThat(acme).extracting(n -> n.get("userid").asText()).containsExactly("dev-1");
    // Dropping globex's userid with acme's token touches nothing of globex's.
    assertThat(new TokenClient(sim, "iamtkn_rw").delete("/v1/connections/drop/dev-2").statusCode())
        .isEqualTo(200);
    assertThat(sim.connections()).hasSize(2);
    assertThat(sim.requests())
        .extracting(RecordedCall::account)
        .containsExactly("globex", "acme", "acme");
  }

  @Test
  void unknownIamTokenIsAnAuthenticationError() throws Exception {
    assertError(
        new TokenClient(sim, "iamtkn_nope").get("/v1/connections"), 400, 1101, "unknown token");
  }

  @Test
  void channelTokenIsNotAllowed() throws Exception {
    assertError(
        new TokenClient(sim, "token_abc123").get("/v1/connections"), 405, 1102, "channel tokens");
  }

  @Test
  void noCredentialsIsAnAuthenticationError() throws Exception {
    assertError(
        new TokenClient(sim, null).get("/v1/connections"), 400, 1101, "missing credentials");
    assertThat(sim.requests().get(0).authKind()).isEqualTo(AuthKind.NONE);
  }

  @Test
  void tokenIsCheckedBeforeAnAuthorizationHeader() throws Exception {
    TokenClient rw = new TokenClient(sim, "iamtkn_rw");
    HttpResponse<String> r =
        rw.http()
            .send(
                rw.request("GET", "/v1/connections").header("Authorization", "junk:junk").build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(sim.requests().get(0).authKind()).isEqualTo(AuthKind.TOKEN);
  }

  @Test
  void builderRejectsTokensOfUnknownAccountsAndMisplacedArguments() {
    assertThatThrownBy(
            () ->
                BeebotteSimulator.builder()
                    .account("acme", "k", "s")
                    .tokenFor("nobody", "iamtkn_x", Authenticator.READ)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nobody");
    // token(owner, token, rights) would silently make "acme" the token; it is refused instead.
    assertThatThrownBy(
            () -> BeebotteSimulator.builder().token("acme", "iamtkn_x", Authenticator.READ))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenFor");
    assertThatThrownBy(() -> BeebotteSimulator.builder().build())
        .isInstanceOf(IllegalStateException.class);
  }

  static void assertError(HttpResponse<String> r, int status, int code, String messagePart)
      throws IOException {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode error = RawHttp.JSON.readTree(r.body()).get("error");
    assertThat(error.get("code").asInt()).isEqualTo(code);
    assertThat(error.get("message").asText()).contains(messagePart);
  }
}
