package io.cpol.sim;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A message published by a live client on {@code channel/resource}, handed from one front door to
 * the other so subscribers on both protocols receive it.
 *
 * @param owner the account of the publishing client
 * @param data what the client published (for MQTT, the payload's {@code data} field when the
 *     payload is a JSON object carrying one, else the whole JSON payload, else its text)
 */
public record StreamMessage(String owner, String channel, String resource, JsonNode data) {}
