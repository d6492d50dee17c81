package io.cpol.live;

import io.cpol.enforce.CompiledPolicy;

/** One policy of an account, as the engine enforces it. */
public record ListedPolicy(String namespace, String name, CompiledPolicy compiled) {}
