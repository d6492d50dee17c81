package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 layer: keep-alive, pipelining, request bodies, and what it does with bad input. */
class SimHttpServerTest {
  static final Map<String, String> TOKEN = Map.of("X-Auth-Token", "iamtkn_rw");
  private BeebotteSimulator sim;

  @BeforeEach
  void start() {
    sim =
        BeebotteSimulator.builder()
            .account("acme", "k", "s")
            .token("iamtkn_rw", Authenticator.READ, Authenticator.WRITE)
            .build()
            .start();
    sim.addConnections(ConnectionGenerator.generate(20, 3, null));
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  @Test
  void manySequentialRequestsShareOneConnection() throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      for (int i = 0; i < 2_000; i++) {
        RawHttp.Response r = http.exchange("GET", "/v1/connections?protocol=mqtt", TOKEN);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Connection")).isEqualTo("keep-alive");
      }
    }
    assertThat(sim.acceptedConnections()).isEqualTo(1);
    assertThat(sim.requests()).hasSize(2_000);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw(
          "GET /v1/connections/nobody HTTP/1.1\r\nHost: x\r\nX-Auth-Token: iamtkn_rw\r\n\r\n"
              + "DELETE /v1/connections/drop/nobody? HTTP/1.1\r\nHost: x\r\nX-Auth-Token: iamtkn_rw\r\n\r\n"
              + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");

      assertThat(http.read(false).text()).isEqualTo("[]");
      assertThat(http.read(false).text()).isEqualTo("true");
      assertThat(http.read(false).status()).isEqualTo(404);
    }
    assertThat(sim.requests())
        .extracting(RecordedCall::rawTarget)
        .containsExactly("/v1/connections/nobody", "/v1/connections/drop/nobody?", "/nowhere");
  }

  @Test
  void smallBodiesCarryAContentLength() throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      RawHttp.Response r = http.exchange("GET", "/v1/connections", TOKEN);
      assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(r.body().length));
      assertThat(r.header("Transfer-Encoding")).isNull();
      assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
      assertThat(r.header("Date")).endsWith(" GMT");
      assertThat(r.json()).hasSize(20);
    }
  }

  @Test
  void connectionCloseAndHttp10AreHonoured() throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw(
          "GET /v1/connections HTTP/1.1\r\nX-Auth-Token: iamtkn_rw\r\nConnection: close\r\n\r\n");
      RawHttp.Response r = http.read(false);
      assertThat(r.header("Connection")).isEqualTo("close");
      assertThat(r.json()).hasSize(20);
      assertThat(http.closedByServer()).isTrue();
    }
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw("GET /v1/connections HTTP/1.0\r\nX-Auth-Token: iamtkn_rw\r\n\r\n");
      assertThat(http.read(false).json()).hasSize(20);
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void chunkedRequestBodyAndExpectContinueAreUnderstood() throws IOException {
    String body =
        "[{\"userid\":\"chunky\",\"protocol\":\"mqtt\",\"clientip\":\"::ffff:203.0.113.1\"}]";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw(
          "POST /admin/connections HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              + "Expect: 100-continue\r\n\r\n"
              + Integer.toHexString(10)
              + "\r\n"
              + body.substring(0, 10)
              + "\r\n"
              + Integer.toHexString(bytes.length - 10)
              + "\r\n"
              + body.substring(10)
              + "\r\n0\r\n\r\n");
      RawHttp.Response r = http.read(false);
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      assertThat(r.json().get("added").asInt()).isEqualTo(1);
    }
    assertThat(sim.connections()).anySatisfy(c -> assertThat(c.userid()).isEqualTo("chunky"));
  }

  @Test
  void garbageIsA400AndTheConnectionCloses() throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw("HELLO\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(400);
      assertThat(http.closedByServer()).isTrue();
    }
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw("GET http://example.com/v1/connections HTTP/1.1\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(400);
    }
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw("GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n");
      assertThat(http.read(false).status()).isEqualTo(413);
    }
  }

  @Test
  void bareLineFeedsAndLeadingBlankLinesAreTolerated() throws IOException {
    try (RawHttp http = new RawHttp(sim.port())) {
      http.sendRaw("\r\nGET /v1/connections/nobody HTTP/1.1\nX-Auth-Token: iamtkn_rw\n\n");
      RawHttp.Response r = http.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("[]");
    }
  }

  @Test
  void closeDisconnectsIdleKeepAliveClients() throws IOException {
    try (Socket idle = new Socket("127.0.0.1", sim.port())) {
      idle.getOutputStream()
          .write("GET /admin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      idle.setSoTimeout(10_000);
      // Read the whole response, then wait on the idle connection until close() ends it.
      RawHttp.Response ignored = readOne(idle);
      assertThat(ignored.status()).isEqualTo(200);
      sim.close();
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
    }
  }

  private static RawHttp.Response readOne(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      head.append((char) in.read());
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return new RawHttp.Response(Integer.parseInt(head.substring(9, 12)), Map.of(), body);
  }
}
