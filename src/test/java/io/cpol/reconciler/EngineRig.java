package io.cpol.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.ConnectionListing;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Redactor;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.live.ListingSink;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Account engines on an in-process Beebotte (one scripted behaviour per credentials) and a live
 * view of policies held in memory, for scheduling and failure tests that need no wire.
 */
final class EngineRig implements AutoCloseable {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final String ENDPOINT = "http://beebotte.test";

  /** What one credential lane's calls do; each field may be swapped by a test at any time. */
  static final class Behaviour {
    volatile String owner = "acme";
    volatile List<Connection> connections = List.of();

    /** Thrown by the next listings of the whole account while not null. */
    volatile ListingFailure failListing;

    /** Thrown by drop calls while not null. */
    volatile ListingFailure failDrop;

    /** Thrown by the reconnect watch's next looks while not null. */
    volatile ListingFailure failLook;

    /** Run at the start of every listing of the whole account (to hold a pass in its listing). */
    volatile Runnable onListing = () -> {};

    /** Run at the start of every drop call (to change a policy while a pass drops). */
    volatile Runnable onDrop = () -> {};
  }

  /** What a failing call throws (anything, as a bug or a library might), or null: it succeeds. */
  @FunctionalInterface
  interface ListingFailure {
    Throwable next();
  }

  static RuntimeException sneaky(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException(t);
  }

  /** One call the engines made. */
  record Call(Instant at, Credentials credentials, String kind, String target) {}

  final EngineRuntime runtime;
  final AccountEngines engines;
  final List<Call> calls = new CopyOnWriteArrayList<>();
  final List<PolicyRef> triggered = new CopyOnWriteArrayList<>();
  private final Map<Credentials, Behaviour> behaviours = new ConcurrentHashMap<>();
  private final Map<String, ConnectionPolicy> live = new ConcurrentHashMap<>();

  EngineRig(EngineRuntime runtime, EngineSettings settings) {
    this(runtime, settings, ListingSink.NONE);
  }

  EngineRig(EngineRuntime runtime, EngineSettings settings, ListingSink listings) {
    this.runtime = runtime;
    this.engines =
        new AccountEngines(
            this::client,
            runtime,
            new OperatorMetrics(new SimpleMeterRegistry()),
            new PolicyEvents(null, runtime.clock(), "test", new Redactor()) {
              @Override
              void normal(ConnectionPolicy policy, String reason, String message) {}

              @Override
              void warning(ConnectionPolicy policy, String reason, String message) {}
            },
            settings,
            listings);
    engines.connect(
        new PolicyDirectory() {
          @Override
          public Optional<ConnectionPolicy> current(PolicyRef ref, long generation) {
            return Optional.ofNullable(live.get(ref.uid()))
                .filter(p -> p.getMetadata().getGeneration() == generation);
          }

          @Override
          public boolean exists(PolicyRef ref) {
            return live.containsKey(ref.uid());
          }
        },
        ref -> {
          triggered.add(ref);
          // As the reconciler does: the status written holds the drops counted so far.
          engines.stored(ref, engines.ledger(ref, null).snapshot().dropped());
        });
  }

  Behaviour behaviour(Credentials credentials) {
    return behaviours.computeIfAbsent(credentials, c -> new Behaviour());
  }

  /**
   * Both credentials see one account (keys and a token of one owner): the same sessions, and a drop
   * made with either closes them for both.
   */
  void sameAccount(Credentials first, Credentials second) {
    behaviours.put(second, behaviour(first));
  }

  /** Registers policy {@code name} (generation 1) with these credentials and spec YAML. */
  PolicyRef register(String name, Credentials credentials, String specYaml) {
    return put(name, credentials, specYaml, 1);
  }

  /**
   * A user's edit of policy {@code name}'s spec, as the operator sees it: the live view holds the
   * next generation at once, and, as the reconciler then does, a suspended policy leaves its engine
   * while any other registers its new generation.
   */
  void change(String name, Credentials credentials, String specYaml) {
    put(name, credentials, specYaml, live.get("uid-" + name).getMetadata().getGeneration() + 1);
  }

  /** A user deleted the policy: gone from the live view (the reconciler unregisters it later). */
  void delete(String name) {
    live.remove("uid-" + name);
  }

  private PolicyRef put(String name, Credentials credentials, String specYaml, long generation) {
    ConnectionPolicySpec spec;
    CompiledPolicy rules;
    try {
      spec = YAML.readValue("credentialsRef: {name: s}\n" + specYaml, ConnectionPolicySpec.class);
      rules = CompiledPolicy.compile(spec);
    } catch (IOException | InvalidSpecException e) {
      throw new AssertionError(e);
    }
    PolicyRef ref = new PolicyRef("uid-" + name, "default", name);
    ConnectionPolicy policy = new ConnectionPolicy();
    policy.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("default")
            .withUid(ref.uid())
            .withGeneration(generation)
            .build());
    policy.setSpec(spec);
    live.put(ref.uid(), policy);
    if (rules.suspend()) {
      engines.unregister(ref);
    } else {
      engines.register(
          new PolicyRegistration(
              ref, generation, rules, credentials, AccountKey.of(ENDPOINT, credentials)));
    }
    return ref;
  }

  /** The latest outcome published for generation 1 of a policy. */
  PassOutcome outcome(PolicyRef ref) {
    return engines.outcome(ref, 1).orElse(null);
  }

  /** The drop calls made, with any credentials. */
  long drops() {
    return calls.stream().filter(c -> c.kind().equals("drop")).count();
  }

  /** Listings of the whole account made with these credentials. */
  List<Instant> listings(Credentials credentials) {
    List<Instant> out = new ArrayList<>();
    for (Call c : calls) {
      if (c.credentials().equals(credentials) && c.kind().equals("list-all")) {
        out.add(c.at());
      }
    }
    return out;
  }

  private BeebotteClient client(
      String endpoint, Credentials credentials, BeebotteClientFactory.Purpose purpose) {
    Behaviour b = behaviour(credentials);
    return new BeebotteClient() {
      @Override
      public ConnectionListing list(ConnectionFilter filter) {
        boolean all = filter.equals(ConnectionFilter.all());
        // The reconnect watch's looks (at one userid, or at the whole of a small account) are
        // "list"; a pass's listing is "list-all".
        boolean look = purpose == BeebotteClientFactory.Purpose.WATCH;
        calls.add(
            new Call(
                runtime.clock().instant(),
                credentials,
                all && !look ? "list-all" : "list",
                "" + filter));
        if (!look) {
          b.onListing.run();
        }
        ListingFailure failure = look ? b.failLook : b.failListing;
        Throwable thrown = failure == null ? null : failure.next();
        if (thrown != null) {
          throw sneaky(thrown);
        }
        List<Connection> out = new ArrayList<>();
        for (Connection c : b.connections) {
          Connection owned =
              new Connection(
                  c.userid(),
                  c.sid(),
                  c.protocol(),
                  c.clientid(),
                  c.clientip(),
                  b.owner,
                  c.username(),
                  c.subscriptions());
          if (all || filter.userid() == null || filter.userid().equals(c.userid())) {
            out.add(owned);
          }
        }
        return ConnectionListing.of(out);
      }

      @Override
      public void drop(DropTarget target) {
        calls.add(new Call(runtime.clock().instant(), credentials, "drop", target.toString()));
        b.onDrop.run();
        ListingFailure failure = b.failDrop;
        Throwable thrown = failure == null ? null : failure.next();
        if (thrown != null) {
          throw sneaky(thrown);
        }
        b.connections =
            b.connections.stream()
                .filter(
                    c ->
                        !(c.userid().equals(target.userid())
                            && (target.sid() == null || target.sid().equals(c.sid()))))
                .toList();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {
    engines.close();
  }
}
