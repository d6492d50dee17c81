package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.sim.BeebotteSimulator.Account;
import io.cpol.sim.mqtt.MqttCredentials;
import io.cpol.sim.socketio.SubscribeRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The front doors' pure parts: client addresses, MQTT logins, the subscription string. */
class FrontDoorPartsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void clientAddressesAreWrittenAsNodeWritesThem() throws Exception {
    assertThat(ClientIp.of(InetAddress.getByName("203.0.113.7"))).isEqualTo("::ffff:203.0.113.7");
    assertThat(ClientIp.of(InetAddress.getByName("::1"))).isEqualTo("::1");
    assertThat(ClientIp.of(InetAddress.getByName("2001:db8:0:0:1:0:0:1")))
        .isEqualTo("2001:db8::1:0:0:1");
    assertThat(ClientIp.compress("fe80:0:0:0:0:0:0:5%eth0")).isEqualTo("fe80::5");
    assertThat(ClientIp.of(InetAddress.getByName("2001:db8:1:2:3:4:5:6")))
        .isEqualTo("2001:db8:1:2:3:4:5:6");
  }

  @Test
  void mqttLoginsFollowTheUsername() {
    Account acme = new Account("acme", "acme-api", "acme-secret");
    Account other = new Account("other", "other-api", "other-secret");
    MqttCredentials credentials =
        new MqttCredentials(
            List.of(acme, other),
            t ->
                t.equals("token_x") || t.equals("iamtkn_y")
                    ? Optional.of(other)
                    : Optional.empty());
    // base64(HMAC-SHA1("acme-secret", "kitchen")), computed with openssl.
    String signed = "kitchen:vW+m1jRHKpTNHAx9EkZrnbYBjqM=";

    assertThat(credentials.authenticate("acme-secret", null)).contains(acme);
    assertThat(credentials.authenticate("other-secret", new byte[0])).contains(other);
    assertThat(credentials.authenticate("token:token_x", null)).contains(other);
    assertThat(credentials.authenticate("token_x", null)).contains(other);
    assertThat(credentials.authenticate("iamtkn_y", null)).contains(other);
    assertThat(credentials.authenticate("acme-api", bytes(signed))).contains(acme);

    assertThat(credentials.authenticate("token:token_z", null)).isEmpty();
    assertThat(credentials.authenticate("token_z", null)).isEmpty();
    assertThat(credentials.authenticate("acme-api", null)).isEmpty();
    assertThat(credentials.authenticate("acme-api", bytes("kitchen:" + "A".repeat(28)))).isEmpty();
    assertThat(credentials.authenticate("other-api", bytes(signed))).isEmpty();
    assertThat(credentials.authenticate("", null)).isEmpty();
    assertThat(credentials.authenticate(null, null)).isEmpty();
  }

  @Test
  void theSubscriptionStringIsTheOfficialClientsOne() throws Exception {
    SubscribeRequest r =
        SubscribeRequest.from(
            JSON.readTree(
                "{\"channel\":\"home\",\"resource\":\"lamp\",\"ttl\":0,\"read\":true,"
                    + "\"write\":true,\"userinfo\":{\"userid\":\"u1\",\"username\":\"bob\"},"
                    + "\"sid\":\"S\",\"sig\":\"k:x\"}"));

    assertThat(r.needsAuthentication()).isTrue();
    assertThat(r.stringToSign("SID"))
        .isEqualTo("SID:home.lamp:ttl=0:read=true:write=true:userid=u1");

    SubscribeRequest open = SubscribeRequest.from(JSON.readTree("{\"channel\":\"news\"}"));
    assertThat(open.resource()).isEqualTo("*");
    assertThat(open.read()).isTrue();
    assertThat(open.write()).isFalse();
    assertThat(open.needsAuthentication()).isFalse();
    assertThat(open.stringToSign("S")).isEqualTo("S:news.*:ttl=0:read=true:write=false");
    assertThat(
            SubscribeRequest.from(JSON.readTree("{\"channel\":\"private-x\"}"))
                .needsAuthentication())
        .isTrue();
    assertThat(
            SubscribeRequest.from(JSON.readTree("{\"channel\":\"presence-x\"}"))
                .needsAuthentication())
        .isTrue();
    assertThatThrownBy(() -> SubscribeRequest.from(JSON.readTree("{\"resource\":\"r\"}")))
        .hasMessageContaining("channel");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
