package io.cpol.beebotte;

/** A channel/resource subscription of a Socket.IO session. */
public record Subscription(String channel, String resource, boolean read, boolean write) {}
