package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** 100,000 connections in one response; the elapsed time is printed, not asserted. */
class LargeListingTest {
  static final int COUNT = 100_000;
  private BeebotteSimulator sim;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("big", "k", "s")
            .token("iamtkn_ro", Authenticator.READ)
            .build()
            .start();
    sim.addConnections(ConnectionGenerator.generate(COUNT, 2026, null));
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  @Test
  void listsOneHundredThousandConnectionsInOneResponse() throws Exception {
    TokenClient client = new TokenClient(sim, "iamtkn_ro");
    // One warm-up so the printed time is the steady state, not class loading.
    client.get("/v1/connections?protocol=none");

    long start = System.nanoTime();
    HttpResponse<InputStream> r =
        client
            .http()
            .send(
                client.request("GET", "/v1/connections").build(),
                HttpResponse.BodyHandlers.ofInputStream());
    int objects = 0;
    Set<String> sessions = new HashSet<>();
    try (InputStream body = r.body();
        JsonParser p = RawHttp.JSON.getFactory().createParser(body)) {
      assertThat(p.nextToken()).isEqualTo(JsonToken.START_ARRAY);
      while (p.nextToken() == JsonToken.START_OBJECT) {
        String userid = null;
        String sid = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          p.nextToken();
          if (field.equals("userid")) {
            userid = p.getText();
          } else if (field.equals("sid")) {
            sid = p.getText();
          } else {
            p.skipChildren();
          }
        }
        sessions.add(userid + "\u0000" + sid);
        objects++;
      }
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("Listed and parsed %,d connections in %d ms%n", objects, elapsedMs);

    assertThat(r.statusCode()).isEqualTo(200);
    // Long bodies stream chunked instead of sitting in memory for a Content-Length.
    assertThat(r.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
    assertThat(objects).isEqualTo(COUNT);
    assertThat(sessions).hasSize(COUNT);
  }

  @Test
  void filteredLookupsAndDropsOnABigAccount() throws Exception {
    TokenClient client = new TokenClient(sim, "iamtkn_ro");
    String userid = sim.connections().get(COUNT / 2).userid();

    assertThat(client.list("/v1/connections/" + ApiSemanticsTest.pathSegment(userid)))
        .isNotEmpty()
        .allSatisfy(n -> assertThat(n.get("userid").asText()).isEqualTo(userid));
    assertThat(client.list("/v1/connections?protocol=mqtt").size())
        .isEqualTo(
            (int) sim.connections().stream().filter(c -> c.protocol().equals("mqtt")).count());
  }
}
