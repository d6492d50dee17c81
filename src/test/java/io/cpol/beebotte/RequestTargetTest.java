package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestTargetTest {

  @Test
  void listTargets() {
    assertThat(RequestTarget.list(ConnectionFilter.all())).isEqualTo("/v1/connections");
    assertThat(RequestTarget.list(ConnectionFilter.protocol(Protocol.mqtt)))
        .isEqualTo("/v1/connections?protocol=mqtt");
    assertThat(RequestTarget.list(ConnectionFilter.user("uid-12345")))
        .isEqualTo("/v1/connections/uid-12345?");
    assertThat(RequestTarget.list(ConnectionFilter.session("uid-12345", "sid-098765")))
        .isEqualTo("/v1/connections/uid-12345?sid=sid-098765");
    assertThat(RequestTarget.list(ConnectionFilter.user("u").withProtocol(Protocol.socketio)))
        .isEqualTo("/v1/connections/u?protocol=socketio");
    assertThat(RequestTarget.list(ConnectionFilter.session("u", "s").withProtocol(Protocol.mqtt)))
        .isEqualTo("/v1/connections/u?sid=s&protocol=mqtt");
  }

  @Test
  void dropTargets() {
    assertThat(RequestTarget.drop(DropTarget.user("uid-12345")))
        .isEqualTo("/v1/connections/drop/uid-12345?");
    assertThat(RequestTarget.drop(DropTarget.userOnProtocol("uid-12345", Protocol.socketio)))
        .isEqualTo("/v1/connections/drop/uid-12345?protocol=socketio");
    assertThat(RequestTarget.drop(DropTarget.session("u", "s")))
        .isEqualTo("/v1/connections/drop/u?sid=s");
    assertThat(RequestTarget.drop(new DropTarget("uid-12345", Protocol.socketio, "sid-098765")))
        .isEqualTo("/v1/connections/drop/uid-12345?sid=sid-098765&protocol=socketio");
  }

  @Test
  void encodesEverythingButUnreservedCharacters() {
    assertThat(RequestTarget.encode("a b/c?d%e#f+g&h=i"))
        .isEqualTo("a%20b%2Fc%3Fd%25e%23f%2Bg%26h%3Di");
    assertThat(RequestTarget.encode("ü-ñ")).isEqualTo("%C3%BC-%C3%B1");
    assertThat(RequestTarget.encode("Az09-._~")).isEqualTo("Az09-._~");
    assertThat(RequestTarget.encode("x😀")).isEqualTo("x%F0%9F%98%80");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a b/c?d%e#f+g&h=i", "ü-ñ", "plain", "!*'();:@$,[]\"<>\\^`{|}"})
  void encodingRoundTripsThroughAStandardDecoder(String id) {
    // URLDecoder is form decoding ('+' is a space), the strictest reader of a query value.
    assertThat(URLDecoder.decode(RequestTarget.encode(id), StandardCharsets.UTF_8)).isEqualTo(id);
  }

  @Test
  void refusesEmptyIdentifiersThatWouldChangeTheEndpoint() {
    assertThatThrownBy(() -> RequestTarget.drop(DropTarget.user("")))
        .isInstanceOfSatisfying(
            BeebotteException.class,
            e -> assertThat(e.kind()).isEqualTo(BeebotteException.Kind.BAD_REQUEST));
    assertThatThrownBy(() -> RequestTarget.list(ConnectionFilter.session("u", "")))
        .isInstanceOf(BeebotteException.class)
        .hasMessageContaining("sid");
  }
}
