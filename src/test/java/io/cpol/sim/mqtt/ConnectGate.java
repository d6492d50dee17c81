package io.cpol.sim.mqtt;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds back what a client sends after its CONNECT until Moquette 0.17 has finished accepting the
 * connection, so a SUBSCRIBE sent right after the CONNACK (or, as MQTT 3.1.1 allows, right after
 * the CONNECT) is served instead of getting the client disconnected.
 *
 * <p>Moquette handles a SUBSCRIBE on the Netty thread and drops the connection unless the
 * connection is marked connected. That mark is set by a listener on the CONNACK write, which the
 * session loop adds after the write was handed to Netty: when the write completes first, the
 * listener runs later as a task of the channel's event loop, and a SUBSCRIBE read in between closes
 * the connection of a client that was just accepted. The same listener then replaces the pipeline's
 * {@code idleStateHandler} (the connect timeout) by the keep-alive timeout, after the mark is set;
 * this gate's stand-in for the connect timeout opens the gate when it is removed.
 */
final class ConnectGate extends ChannelInboundHandlerAdapter {
  /** Moquette's names: its connect timeout, and its protocol handler. */
  private static final String IDLE = "idleStateHandler";

  private static final String MOQUETTE = "handler";

  private static final Logger log = LoggerFactory.getLogger(ConnectGate.class);

  private final Queue<Object> held = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private boolean connectSeen;
  private boolean open;
  private boolean discarded;

  private ConnectGate() {}

  /**
   * For the broker's server channel: puts a gate into the pipeline of every accepted connection,
   * after Moquette has set that pipeline up and before anything is read.
   */
  @ChannelHandler.Sharable
  static final class Installer extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel child) {
        // Before Netty's acceptor, next in line, adds Moquette's initializer and registers the
        // child: handlers added ahead of the registration are set up in order, during it.
        child.pipeline().addLast(new Initializer());
      }
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * Waits for the registration event: by then every initializer added before the registration has
   * run, Moquette's included, and the channel has not been read from yet.
   */
  private static final class Initializer extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
      ChannelPipeline p = ctx.pipeline();
      if (p.get(IDLE) instanceof IdleStateHandler connectTimeout && p.get(MOQUETTE) != null) {
        ConnectGate gate = new ConnectGate();
        p.replace(IDLE, IDLE, new ConnectTimeout(connectTimeout.getReaderIdleTimeInMillis(), gate));
        p.addBefore(MOQUETTE, "connectGate", gate);
      } else {
        log.warn("mqtt connection without Moquette's pipeline, not gated: {}", p.names());
      }
      ctx.fireChannelRegistered();
      p.remove(this);
    }
  }

  /** Moquette's connect timeout, which also tells the gate when Moquette removes it. */
  private static final class ConnectTimeout extends IdleStateHandler {
    private final ConnectGate gate;

    ConnectTimeout(long readerIdleMillis, ConnectGate gate) {
      super(readerIdleMillis, 0, 0, TimeUnit.MILLISECONDS);
      this.gate = gate;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
      super.handlerRemoved(ctx);
      gate.open();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (discarded) {
      ReferenceCountUtil.release(msg);
    } else if (!connectSeen) {
      connectSeen = true;
      ctx.fireChannelRead(msg);
    } else if (open && held.isEmpty()) {
      ctx.fireChannelRead(msg);
    } else {
      held.add(msg);
    }
  }

  /** On the event loop, inside Moquette's CONNACK listener: hand on what was held, after it. */
  private void open() {
    if (open || discarded) {
      return;
    }
    open = true;
    if (!held.isEmpty()) {
      ctx.executor().execute(this::release);
    }
  }

  private void release() {
    while (!discarded && !held.isEmpty()) {
      ctx.fireChannelRead(held.poll());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    discard();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    discard();
  }

  private void discard() {
    discarded = true;
    for (Object m; (m = held.poll()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }
}
