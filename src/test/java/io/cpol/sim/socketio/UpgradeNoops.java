package io.cpol.sim.socketio;

import com.corundumstudio.socketio.Transport;
import com.corundumstudio.socketio.handler.ClientHead;
import com.corundumstudio.socketio.handler.EncoderHandler;
import com.corundumstudio.socketio.messages.PacketsMessage;
import com.corundumstudio.socketio.protocol.Packet;
import com.corundumstudio.socketio.protocol.PacketType;
import com.corundumstudio.socketio.transport.PollingTransport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.CharsetUtil;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers, with a {@code noop} packet, every long-polling request that arrives while its session
 * upgrades to websocket, as the Engine.IO server does; netty-socketio 2.0.13 answers only the one
 * pending at the probe.
 *
 * <p>The upgrade: the client probes the websocket ({@code 2probe}), the server answers {@code
 * 3probe} and sends a {@code noop} on polling to end the pending poll; the client pauses polling,
 * which waits for its poll in flight to complete, then sends {@code 5} (upgrade) on the websocket,
 * and only then sends what it buffered meanwhile. When the poll that receives the {@code noop}
 * completes before the client has read {@code 3probe}, the client polls again, then pauses and
 * waits for that poll. netty-socketio completes a poll only when it has something to send, so the
 * client waits for good: no upgrade, its messages never sent, until the upgrade timeout (10 s)
 * closes the session. The Engine.IO server sends a {@code noop} to polling every 100 ms while
 * upgrading; this handler answers each poll of an upgrading session as soon as it is bound.
 */
@ChannelHandler.Sharable
final class UpgradeNoops extends ChannelInboundHandlerAdapter {
  /** The session a websocket channel probed for. */
  private static final AttributeKey<UUID> PROBED = AttributeKey.valueOf("io.cpol.sim.probed");

  /** Sessions probed on a websocket and not yet upgraded. */
  private final Map<UUID, ClientHead> upgrading = new ConcurrentHashMap<>();

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof PacketsMessage m && m.getTransport() == Transport.WEBSOCKET) {
      ClientHead client = m.getClient();
      if (is(m.getContent(), "2probe")) {
        ctx.channel().attr(PROBED).set(client.getSessionId());
        upgrading.put(client.getSessionId(), client);
      } else if (is(m.getContent(), "5")) {
        upgrading.remove(client.getSessionId());
      }
      ctx.fireChannelRead(msg);
      return;
    }
    ClientHead polled = msg instanceof FullHttpRequest req ? upgradingPoller(req) : null;
    // The polling transport binds the poll here, answering it at once if packets are queued.
    ctx.fireChannelRead(msg);
    if (polled != null && ctx.channel().attr(EncoderHandler.WRITE_ONCE).get() == null) {
      polled.send(new Packet(PacketType.NOOP, polled.getEngineIOVersion()), Transport.POLLING);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    UUID probed = ctx.channel().attr(PROBED).get();
    if (probed != null) {
      upgrading.remove(probed);
    }
    super.channelInactive(ctx);
  }

  /** The upgrading session {@code req} polls for, or null. */
  private ClientHead upgradingPoller(FullHttpRequest req) {
    if (!HttpMethod.GET.equals(req.method()) || upgrading.isEmpty()) {
      return null;
    }
    Map<String, List<String>> params = new QueryStringDecoder(req.uri()).parameters();
    List<String> transport = params.get("transport");
    List<String> sid = params.get("sid");
    if (transport == null
        || !PollingTransport.NAME.equals(transport.get(0))
        || sid == null
        || params.containsKey("disconnect")) {
      return null;
    }
    try {
      return upgrading.get(UUID.fromString(sid.get(0)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean is(ByteBuf content, String packet) {
    return content.readableBytes() == packet.length()
        && content
            .toString(content.readerIndex(), packet.length(), CharsetUtil.UTF_8)
            .equals(packet);
  }
}
