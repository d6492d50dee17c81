package io.cpol.sim;

import io.cpol.beebotte.Connection;
import io.cpol.tools.CommandLines;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Runs the Beebotte simulator as a standalone process until interrupted; see docs/simulator.md. */
public final class SimulatorMain {
  static final Account DEMO_ACCOUNT = new Account("demo", "demo-api-key", "demo-secret-key");
  static final Token DEMO_TOKEN =
      new Token("iamtkn_demo_token", List.of(Authenticator.READ, Authenticator.WRITE));
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

  private SimulatorMain() {}

  /** An account the simulator knows, from {@code --account owner:apiKey:secretKey}. */
  record Account(String owner, String apiKey, String secretKey) {}

  /** An IAM token bound to the first account, from {@code --token TOKEN[:right,right]}. */
  record Token(String token, List<String> rights) {}

  /** The parsed command line. */
  @Command(
      name = "bin/simulator",
      sortOptions = false,
      usageHelpWidth = 100,
      description =
          "Runs the Beebotte simulator until Ctrl-C: Beebotte's connection API over HTTP, and on"
              + " request its MQTT and Socket.IO front doors (docs/simulator.md).")
  static final class Options {
    @Mixin private CommandLines.Help help;

    @Option(
        names = "--port",
        paramLabel = "PORT",
        converter = CommandLines.Port.class,
        description = "REST port (default: 8080); 0 = any free port.")
    private int port = 8080;

    @Option(
        names = "--host",
        paramLabel = "HOST",
        description = "Address to listen on (default: 127.0.0.1).")
    private String host = "127.0.0.1";

    @Option(
        names = "--account",
        paramLabel = "OWNER:APIKEY:SECRETKEY",
        converter = AccountConverter.class,
        description =
            "Repeatable; the first is the default account"
                + " (default: demo:demo-api-key:demo-secret-key).")
    private List<Account> accounts = new ArrayList<>();

    @Option(
        names = "--token",
        paramLabel = "TOKEN[:RIGHT,RIGHT]",
        converter = TokenConverter.class,
        description =
            "Repeatable, bound to the first account; rights default to"
                + " admin:connection:read,admin:connection:write (default: iamtkn_demo_token).")
    private List<Token> tokens = new ArrayList<>();

    @Option(
        names = "--seed-file",
        paramLabel = "FILE",
        description = "A JSON array of connections in Beebotte's wire format.")
    private Path seedFile;

    @Option(
        names = "--generate",
        paramLabel = "N",
        description = "N generated connections (ConnectionGenerator) for the first account.")
    private int generate;

    @Option(names = "--seed", paramLabel = "S", description = "Generator seed (default: 42).")
    private long seed = 42;

    @Option(
        names = "--skew",
        paramLabel = "DURATION",
        converter = SkewConverter.class,
        description = "Allowed Date skew of signed requests: 90s, 15m, 1h, 500ms or PT15M.")
    private Duration skew = Duration.ofMinutes(15);

    @Option(
        names = "--mqtt-port",
        paramLabel = "PORT",
        converter = CommandLines.Port.class,
        description = "Open the MQTT front door (live sessions, kicked by drops); 0 = any port.")
    private int mqttPort = LiveSimulator.OFF;

    @Option(
        names = "--socketio-port",
        paramLabel = "PORT",
        converter = CommandLines.Port.class,
        description = "Open the Socket.IO front door likewise; both are off unless given.")
    private int socketIoPort = LiveSimulator.OFF;

    /**
     * Parses the command line.
     *
     * @throws CommandLines.HelpRequested for --help
     * @throws IllegalArgumentException with a message for the user
     */
    static Options parse(String... args) {
      Options o = CommandLines.parse(new Options(), args);
      if (o.generate < 0) {
        throw new IllegalArgumentException("--generate must not be negative");
      }
      if (o.accounts.isEmpty()) {
        o.accounts.add(DEMO_ACCOUNT);
      }
      if (o.tokens.isEmpty()) {
        o.tokens.add(DEMO_TOKEN);
      }
      return o;
    }

    String host() {
      return host;
    }

    int port() {
      return port;
    }

    List<Account> accounts() {
      return accounts;
    }

    List<Token> tokens() {
      return tokens;
    }

    Path seedFile() {
      return seedFile;
    }

    int generate() {
      return generate;
    }

    long seed() {
      return seed;
    }

    Duration skew() {
      return skew;
    }

    int mqttPort() {
      return mqttPort;
    }

    int socketIoPort() {
      return socketIoPort;
    }

    BeebotteSimulator build() {
      BeebotteSimulator.Builder b =
          BeebotteSimulator.builder().host(host).port(port).dateSkew(skew);
      for (Account a : accounts) {
        b.account(a.owner(), a.apiKey(), a.secretKey());
      }
      for (Token t : tokens) {
        b.token(t.token(), t.rights().toArray(String[]::new));
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

  static final class AccountConverter implements ITypeConverter<Account> {
    @Override
    public Account convert(String value) {
      String[] parts = value.split(":", -1);
      if (parts.length != 3 || Arrays.stream(parts).anyMatch(String::isEmpty)) {
        throw new TypeConversionException("--account wants owner:apiKey:secretKey, not " + value);
      }
      return new Account(parts[0], parts[1], parts[2]);
    }
  }

  static final class TokenConverter implements ITypeConverter<Token> {
    @Override
    public Token convert(String value) {
      int colon = value.indexOf(':');
      String token = colon < 0 ? value : value.substring(0, colon);
      if (token.isEmpty()) {
        throw new TypeConversionException("--token wants TOKEN[:right,right], not " + value);
      }
      return colon < 0
          ? new Token(token, DEMO_TOKEN.rights())
          : new Token(token, List.of(value.substring(colon + 1).split(",")));
    }
  }

  static final class SkewConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return duration(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
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

  /** What a person needs to start using the running simulator. */
  static void printBanner(PrintStream out, BeebotteSimulator sim, Options options) {
    String base = sim.baseUrl();
    out.println("Beebotte simulator listening on " + base);
    for (Account a : options.accounts()) {
      out.printf("  account %s  apiKey=%s  secretKey=%s%n", a.owner(), a.apiKey(), a.secretKey());
    }
    for (Token t : options.tokens()) {
      out.printf(
          "  token   %s  (%s: %s)%n",
          t.token(), options.accounts().get(0).owner(), String.join(", ", t.rights()));
    }
    out.println("  connections: " + sim.connections().size());
    out.println("Try:");
    out.printf(
        "  curl -s -H 'X-Auth-Token: %s' %s/v1/connections | head -c 300%n",
        options.tokens().get(0).token(), base);
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
          host, live.mqttPort(), options.accounts().get(0).secretKey());
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
    } catch (CommandLines.HelpRequested help) {
      System.out.print(help.getMessage());
      System.exit(0);
      return;
    } catch (IllegalArgumentException e) {
      System.err.println(
          "simulator: " + e.getMessage() + " (bin/simulator --help lists the flags)");
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
