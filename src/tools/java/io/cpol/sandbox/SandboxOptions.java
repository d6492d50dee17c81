package io.cpol.sandbox;

import io.cpol.sim.LiveSimulator;
import io.cpol.tools.CommandLines;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The sandbox's command line. Ports are fixed by default so the printed commands and the kubeconfig
 * stay the same from run to run; 0 picks a free port.
 */
@Command(
    name = "bin/sandbox",
    sortOptions = false,
    usageHelpWidth = 100,
    description =
        "Runs the operator against an embedded Kubernetes API and the Beebotte simulator, with"
            + " the sample policies applied, and prints what it did (docs/sandbox.md).")
final class SandboxOptions {
  @Mixin private CommandLines.Help help;

  @Option(
      names = "--once",
      description = "Exit 0 after the first converged sync (non-zero on failure or timeout).")
  private boolean once;

  @Option(
      names = "--kube",
      paramLabel = "embedded|real",
      converter = KubeConverter.class,
      description =
          "The Kubernetes API: embedded (default; Fabric8's mock server with the CRD's schema and"
              + " CEL rules, nothing to install) or real (etcd and kube-apiserver built by"
              + " bin/kube-binaries, on loopback).")
  private Kube kube = Kube.EMBEDDED;

  @Option(
      names = "--connections",
      paramLabel = "N",
      converter = Count.class,
      description = "Generated live connections, besides the hand-picked ones (default: 200).")
  private int connections = 200;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Generator seed (default: 42): same seed, same connections.")
  private long seed = 42;

  @Option(
      names = "--kubeconfig",
      paramLabel = "PATH",
      description = "Where to write the kubeconfig (default: target/sandbox/kubeconfig).")
  private Path kubeconfig = Path.of("target/sandbox/kubeconfig");

  @Option(
      names = "--k8s-port",
      paramLabel = "PORT",
      converter = CommandLines.Port.class,
      description = "The Kubernetes API (default: 16443); 0 = any free port.")
  private int k8sPort = 16443;

  @Option(
      names = "--beebotte-port",
      paramLabel = "PORT",
      converter = CommandLines.Port.class,
      description = "Beebotte REST simulator (default: 18080); 0 = any free port.")
  private int beebottePort = 18080;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      converter = CommandLines.Port.class,
      description = "The operator's /metrics, /healthz, /readyz (default: 18082); 0 = any.")
  private int metricsPort = 18082;

  @Option(
      names = "--sessions-port",
      paramLabel = "PORT",
      converter = CommandLines.Port.class,
      description =
          "The operator's sessions API (live.beebotte.io, behind kubectl get sessions;"
              + " default: 18443); 0 = any free port.")
  private int sessionsPort = 18443;

  @Option(
      names = "--mqtt-port",
      paramLabel = "PORT",
      converter = CommandLines.FrontDoorPort.class,
      description = "The simulator's MQTT front door (default: 11883); off = none.")
  private int mqttPort = 11883;

  @Option(
      names = "--socketio-port",
      paramLabel = "PORT",
      converter = CommandLines.FrontDoorPort.class,
      description = "The simulator's Socket.IO front door (default: 18081); off = none.")
  private int socketioPort = 18081;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = CommandLines.GoDurationConverter.class,
      description = "How long --once waits for every policy to converge (default: 60s).")
  private Duration timeout = Duration.ofSeconds(60);

  @Option(
      names = "--verbose",
      description = "Operator logs on the console instead of target/sandbox/sandbox.log.")
  private boolean verbose;

  private SandboxOptions() {}

  /**
   * Parses {@code --flag value} and {@code --flag=value}.
   *
   * @throws CommandLines.HelpRequested for --help
   * @throws IllegalArgumentException with a message for the user
   */
  static SandboxOptions parse(String... args) {
    return CommandLines.parse(new SandboxOptions(), args);
  }

  static SandboxOptions parseOrExit(String... args) {
    return CommandLines.parseOrExit("sandbox", new SandboxOptions(), args);
  }

  boolean once() {
    return once;
  }

  Kube kube() {
    return kube;
  }

  int k8sPort() {
    return k8sPort;
  }

  int beebottePort() {
    return beebottePort;
  }

  int metricsPort() {
    return metricsPort;
  }

  /**
   * The sessions API's port; 0 picks a free one here, since the APIService must name it before the
   * operator listens.
   */
  int sessionsPort() {
    if (sessionsPort == 0) {
      try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
        sessionsPort = free.getLocalPort();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return sessionsPort;
  }

  /** The MQTT front door's port; {@link LiveSimulator#OFF} for none. */
  int mqttPort() {
    return mqttPort;
  }

  /** The Socket.IO front door's port; {@link LiveSimulator#OFF} for none. */
  int socketioPort() {
    return socketioPort;
  }

  int connections() {
    return connections;
  }

  long seed() {
    return seed;
  }

  Path kubeconfig() {
    return kubeconfig;
  }

  /** The namespace the samples and the Secret go to, and the kubeconfig's default. */
  String namespace() {
    return "sandbox";
  }

  Path samples() {
    return Path.of("deploy/samples");
  }

  Duration timeout() {
    return timeout;
  }

  boolean verbose() {
    return verbose;
  }

  /** Which Kubernetes API the sandbox runs on. */
  enum Kube {
    EMBEDDED,
    REAL
  }

  /** {@code embedded} or {@code real}, in any case. */
  static final class KubeConverter implements picocli.CommandLine.ITypeConverter<Kube> {
    @Override
    public Kube convert(String value) {
      for (Kube k : Kube.values()) {
        if (k.name().equalsIgnoreCase(value.trim())) {
          return k;
        }
      }
      throw new picocli.CommandLine.TypeConversionException("embedded or real, not " + value);
    }
  }

  /** Generated connections: 0 to 1,000,000. */
  static final class Count implements picocli.CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n;
      try {
        n = Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n < 0 || n > 1_000_000) {
        throw new picocli.CommandLine.TypeConversionException(
            "between 0 and 1000000, not " + value);
      }
      return n;
    }
  }
}
