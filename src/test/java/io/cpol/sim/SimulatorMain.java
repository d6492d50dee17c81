package io.cpol.sim;

import io.cpol.beebotte.Connection;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the Beebotte simulator as a standalone process until interrupted; see docs/simulator.md. */
public final class SimulatorMain {
  static final String DEMO_ACCOUNT = "demo:demo-api-key:demo-secret-key";
  static final String DEMO_TOKEN = "iamtkn_demo_token";
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");
  private static final String USAGE =
      """
      usage: bin/simulator [--port 8080] [--host 127.0.0.1]
                           [--account owner:apiKey:secretKey]... [--token TOKEN[:right,right]]...
                           [--seed-file connections.json] [--generate N] [--seed S] [--skew 15m]
                           [--mqtt-port 1883] [--socketio-port 8081]
        --account  repeatable; default demo:demo-api-key:demo-secret-key; the first is the default
        --token    repeatable, bound to the first account; rights default to
                   admin:connection:read,admin:connection:write; default iamtkn_demo_token
        --seed-file  a JSON array of connections in Beebotte's wire format
        --generate   N generated connections (ConnectionGenerator) for the first account
        --seed       generator seed, default 42
        --skew       allowed Date skew for signed requests: 90s, 15m, 1h, 500ms or PT15M
        --mqtt-port      open the MQTT front door (live sessions, kicked by drops); 0 = free port
        --socketio-port  open the Socket.IO front door likewise; both are off unless given
      """;

  private SimulatorMain() {}

  /**
   * Parsed command line.
   *
   * @param accounts {owner, apiKey, secretKey} each
   * @param tokens {token, rights...} each
   */
  record Options(
      String host,
      int port,
      List<String[]> accounts,
      List<String[]> tokens,
      Path seedFile,
      int generate,
      long seed,
      Duration skew,
      int mqttPort,
      int socketIoPort) {

    static Options parse(String... args) {
      String host = "127.0.0.1";
      int port = 8080;
      List<String[]> accounts = new ArrayList<>();
      List<String[]> tokens = new ArrayList<>();
      Path seedFile = null;
      int generate = 0;
      long seed = 42;
      Duration skew = Duration.ofMinutes(15);
      int mqttPort = LiveSimulator.OFF;
      int socketIoPort = LiveSimulator.OFF;
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        String value;
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          value = arg.substring(eq + 1);
          arg = arg.substring(0, eq);
        } else if (arg.equals("--help") || arg.equals("-h")) {
          throw new IllegalArgumentException("");
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        switch (arg) {
          case "--host" -> host = value;
          case "--port" -> port = integer(arg, value);
          case "--account" -> {
            String[] parts = value.split(":", -1);
            if (parts.length != 3 || Arrays.stream(parts).anyMatch(String::isEmpty)) {
              throw new IllegalArgumentException("--account wants owner:apiKey:secretKey");
            }
            accounts.add(parts);
          }
          case "--token" -> {
            int colon = value.indexOf(':');
            String token = colon < 0 ? value : value.substring(0, colon);
            String[] rights =
                colon < 0
                    ? new String[] {Authenticator.READ, Authenticator.WRITE}
                    : value.substring(colon + 1).split(",");
            if (token.isEmpty()) {
              throw new IllegalArgumentException("--token wants TOKEN[:right,right]");
            }
            String[] t = new String[rights.length + 1];
            t[0] = token;
            System.arraycopy(rights, 0, t, 1, rights.length);
            tokens.add(t);
          }
          case "--seed-file" -> seedFile = Path.of(value);
          case "--generate" -> generate = integer(arg, value);
          case "--seed" -> seed = Long.parseLong(value);
          case "--skew" -> skew = duration(value);
          case "--mqtt-port" -> mqttPort = portNumber(arg, value);
          case "--socketio-port" -> socketIoPort = portNumber(arg, value);
          default -> throw new IllegalArgumentException("unknown flag " + arg);
        }
      }
      if (accounts.isEmpty()) {
        accounts.add(DEMO_ACCOUNT.split(":"));
      }
      if (tokens.isEmpty()) {
        tokens.add(new String[] {DEMO_TOKEN, Authenticator.READ, Authenticator.WRITE});
      }
      if (generate < 0 || port < 0) {
        throw new IllegalArgumentException("--generate and --port must not be negative");
      }
      return new Options(
          host, port, accounts, tokens, seedFile, generate, seed, skew, mqttPort, socketIoPort);
    }

    BeebotteSimulator build() {
      BeebotteSimulator.Builder b =
          BeebotteSimulator.builder().host(host).port(port).dateSkew(skew);
      for (String[] a : accounts) {
        b.account(a[0], a[1], a[2]);
      }
      for (String[] t : tokens) {
        b.token(t[0], Arrays.copyOfRange(t, 1, t.length));
      }
      return b.build();
    }

    /** Whether a front door (MQTT or Socket.IO) was asked for. */
    boolean live() {
      return mqttPort != LiveSimulator.OFF || socketIoPort != LiveSimulator.OFF;
    }

    /** Loads the seed file and generated connections into {@code sim}. */
    void seed(BeebotteSimulator sim) throws IOException {
      if (seedFile != null) {
        List<Connection> cs =
            WireFormat.readConnections(WireFormat.MAPPER.readTree(Files.readAllBytes(seedFile)));
        sim.addConnections(cs);
      }
      if (generate > 0) {
        sim.addConnections(ConnectionGenerator.generate(generate, seed, null));
      }
    }
  }

  static Duration duration(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(v);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      return switch (unit) {
        case "ms" -> Duration.ofMillis(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofSeconds(n);
      };
    }
    try {
      return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration: " + value + " (try 15m, 90s, PT15M)");
    }
  }

  private static int portNumber(String flag, String value) {
    int port = integer(flag, value);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + " wants a port from 0 to 65535, got " + value);
    }
    return port;
  }

  private static int integer(String flag, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " wants a number, got " + value);
    }
  }

  /** What a person needs to start using the running simulator. */
  static void printBanner(PrintStream out, BeebotteSimulator sim, Options options) {
    String base = sim.baseUrl();
    out.println("Beebotte simulator listening on " + base);
    for (String[] a : options.accounts()) {
      out.printf("  account %s  apiKey=%s  secretKey=%s%n", a[0], a[1], a[2]);
    }
    for (String[] t : options.tokens()) {
      out.printf(
          "  token   %s  (%s: %s)%n",
          t[0],
          options.accounts().get(0)[0],
          String.join(", ", Arrays.copyOfRange(t, 1, t.length)));
    }
    out.println("  connections: " + sim.connections().size());
    out.println("Try:");
    out.printf(
        "  curl -s -H 'X-Auth-Token: %s' %s/v1/connections | head -c 300%n",
        options.tokens().get(0)[0], base);
    out.println("Admin (no credentials): curl -s " + base + "/admin");
    out.flush();
  }

  /** Where the front doors listen, and how to try the MQTT one by hand. */
  static void printFrontDoors(PrintStream out, LiveSimulator live, Options options) {
    String host = live.rest().host();
    if (live.hasMqtt()) {
      out.println(
          "MQTT front door on " + live.mqttUri() + " (username: a secret key or token:TOKEN)");
      out.printf(
          "  mosquitto_sub -h %s -p %d -i device-42 -u %s -t 'demo/temperature' -v%n",
          host, live.mqttPort(), options.accounts().get(0)[2]);
    }
    if (live.hasSocketIo()) {
      out.println(
          "Socket.IO front door on "
              + live.socketIoUrl()
              + " (Engine.IO v3; query key=API_KEY or token=TOKEN, username, userid)");
    }
    out.flush();
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().isEmpty()) {
        System.err.println(e.getMessage());
      }
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    BeebotteSimulator sim;
    LiveSimulator live = null;
    try {
      sim = options.build();
      options.seed(sim);
      if (options.live()) {
        live = LiveSimulator.start(sim, options.mqttPort(), options.socketIoPort());
      } else {
        sim.start();
      }
    } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
      System.err.println("cannot start the simulator: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AutoCloseable running = live == null ? sim : live;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception e) {
                    System.err.println("stopping the simulator: " + e);
                  }
                  stopped.countDown();
                },
                "beebotte-sim-shutdown"));
    printBanner(System.out, sim, options);
    if (live != null) {
      printFrontDoors(System.out, live, options);
    }
    stopped.await();
  }
}
