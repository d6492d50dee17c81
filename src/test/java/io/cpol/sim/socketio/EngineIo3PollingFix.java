package io.cpol.sim.socketio;

import com.corundumstudio.socketio.Configuration;
import com.corundumstudio.socketio.SocketIOChannelInitializer;
import com.corundumstudio.socketio.handler.EncoderHandler;
import com.corundumstudio.socketio.namespace.NamespacesHub;
import com.corundumstudio.socketio.protocol.EngineIOVersion;
import com.corundumstudio.socketio.protocol.JsonSupport;
import com.corundumstudio.socketio.protocol.Packet;
import com.corundumstudio.socketio.protocol.PacketEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import java.io.IOException;
import java.util.Queue;

/**
 * Fixes netty-socketio 2.0.13 for Engine.IO v3 long-polling clients (Beebotte's official clients,
 * socket.io-client 2.x and the Java client 1.x, start on polling).
 *
 * <p>netty-socketio writes the v4 record separator {@code 0x1e} between the packets of a binary
 * polling payload for v3 clients too, but a v3 payload is length-prefixed ({@code 0, digits, 0xff,
 * packet}) and has no separator: the client reads the {@code 0x1e} as the next packet's type byte
 * and drops everything after the first packet. The connect-time {@code getsid} event, sent in the
 * same poll as the CONNECT packet, was lost that way. This initializer swaps in an encoder that
 * separates with {@code 0x1e} for v4 only.
 *
 * <p>It also adds {@link UpgradeNoops}, which ends the polls of a session upgrading to websocket so
 * that the client can complete the upgrade.
 */
final class EngineIo3PollingFix extends SocketIOChannelInitializer {
  private final UpgradeNoops upgradeNoops = new UpgradeNoops();
  private EncoderHandler encoderHandler;

  @Override
  public void start(Configuration configuration, NamespacesHub namespacesHub) {
    super.start(configuration, namespacesHub);
    try {
      encoderHandler =
          new EncoderHandler(
              configuration, new Encoder(configuration, configuration.getJsonSupport()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void addSocketioHandlers(ChannelPipeline pipeline) {
    super.addSocketioHandlers(pipeline);
    pipeline.replace(SOCKETIO_ENCODER, SOCKETIO_ENCODER, encoderHandler);
    // Sees websocket packets before they are handled and polls before they are bound.
    pipeline.addBefore(PACKET_HANDLER, "upgradeNoops", upgradeNoops);
  }

  /** {@link PacketEncoder} with the separator only where Engine.IO v4 has one. */
  static final class Encoder extends PacketEncoder {
    Encoder(Configuration configuration, JsonSupport jsonSupport) {
      super(configuration, jsonSupport);
    }

    @Override
    public void encodePackets(
        Queue<Packet> packets, ByteBuf buffer, ByteBufAllocator allocator, int limit)
        throws IOException {
      boolean preceding = false;
      for (int i = 0; i < limit; i++) {
        Packet packet = packets.poll();
        if (packet == null) {
          break;
        }
        if (preceding && EngineIOVersion.V4.equals(packet.getEngineIOVersion())) {
          buffer.writeByte(0x1e);
        }
        encodePacket(packet, buffer, allocator, false);
        for (ByteBuf attachment : packet.getAttachments()) {
          buffer.writeByte(1);
          buffer.writeBytes(longToBytes(attachment.readableBytes() + 1));
          buffer.writeByte(0xff);
          buffer.writeByte(4);
          buffer.writeBytes(attachment);
        }
        preceding = true;
      }
    }
  }
}
