package io.cpol.sandbox;

import io.cpol.sim.LiveSimulator;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The sandbox's command line. Ports are fixed by default so the printed commands and the kubeconfig
 * stay the same from run to run; 0 picks a free port.
 *
 * @param once exit after the first converged sync instead of running until Ctrl-C
 * @param timeout how long {@code --once} waits for every policy to converge
 * @param mqttPort the simulator's MQTT front door; {@link LiveSimulator#OFF} for none
 * @param socketioPort the simulator's Socket.IO front door; {@link LiveSimulator#OFF} for none
 */
record SandboxOptions(
    boolean once,
    int k8sPort,
    int beebottePort,
    int metricsPort,
    int mqttPort,
    int socketioPort,
    int connections,
    long seed,
    Path kubeconfig,
    String namespace,
    Path samples,
    Duration timeout,
    boolean verbose) {

  static final String USAGE =
      """
      usage: bin/sandbox [--once] [--connections 200] [--seed 42] [--kubeconfig PATH]
                         [--k8s-port 16443] [--beebotte-port 18080] [--metrics-port 18082]
                         [--mqtt-port 11883] [--socketio-port 18081] [--timeout 60s] [--verbose]
        --once           exit 0 after the first converged sync (non-zero on failure or timeout)
        --connections    generated live connections, besides the hand-picked ones (default 200)
        --seed           generator seed (default 42): same seed, same connections
        --kubeconfig     where to write the kubeconfig (default target/sandbox/kubeconfig)
        --k8s-port       embedded Kubernetes API (default 16443); 0 = any free port
        --beebotte-port  Beebotte REST simulator (default 18080); 0 = any free port
        --metrics-port   operator's /metrics, /healthz, /readyz (default 18082); 0 = any
        --mqtt-port      simulator's MQTT front door (default 11883); off = none
        --socketio-port  simulator's Socket.IO front door (default 18081); off = none
        --timeout        how long to wait for the policies to converge (default 60s)
        --verbose        operator logs on the console instead of target/sandbox/sandbox.log
      """;

  static SandboxOptions defaults() {
    return new SandboxOptions(
        false,
        16443,
        18080,
        18082,
        11883,
        18081,
        200,
        42,
        Path.of("target/sandbox/kubeconfig"),
        "sandbox",
        Path.of("deploy/samples"),
        Duration.ofSeconds(60),
        false);
  }

  /**
   * Parses {@code --flag value} and {@code --flag=value}; throws IllegalArgumentException with a
   * message for the user (empty for --help).
   */
  static SandboxOptions parse(String... args) {
    SandboxOptions o = defaults();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.isBlank()) {
        continue;
      }
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new IllegalArgumentException("");
      }
      if (arg.equals("--once")) {
        o = o.withOnce(true);
        continue;
      }
      if (arg.equals("--verbose")) {
        o = o.withVerbose(true);
        continue;
      }
      String flag = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        flag = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      o =
          switch (flag) {
            case "--k8s-port" -> o.withPorts(port(flag, value), o.beebottePort, o.metricsPort);
            case "--beebotte-port" -> o.withPorts(o.k8sPort, port(flag, value), o.metricsPort);
            case "--metrics-port" -> o.withPorts(o.k8sPort, o.beebottePort, port(flag, value));
            case "--mqtt-port" -> o.withLivePorts(livePort(flag, value), o.socketioPort);
            case "--socketio-port" -> o.withLivePorts(o.mqttPort, livePort(flag, value));
            case "--connections" -> o.withConnections(count(flag, value), o.seed);
            case "--seed" -> o.withConnections(o.connections, number(flag, value));
            case "--kubeconfig" -> o.withKubeconfig(Path.of(value));
            case "--timeout" -> o.withTimeout(duration(flag, value));
            default -> throw new IllegalArgumentException("unknown flag " + flag);
          };
    }
    return o;
  }

  SandboxOptions withOnce(boolean once) {
    return new SandboxOptions(
        once,
        k8sPort,
        beebottePort,
        metricsPort,
        mqttPort,
        socketioPort,
        connections,
        seed,
        kubeconfig,
        namespace,
        samples,
        timeout,
        verbose);
  }

  SandboxOptions withVerbose(boolean verbose) {
    return new SandboxOptions(
        once,
        k8sPort,
        beebottePort,
        metricsPort,
        mqttPort,
        socketioPort,
        connections,
        seed,
        kubeconfig,
        namespace,
        samples,
        timeout,
        verbose);
  }

  SandboxOptions withPorts(int k8s, int beebotte, int metrics) {
    return new SandboxOptions(
        once,
        k8s,
        beebotte,
        metrics,
        mqttPort,
        socketioPort,
        connections,
        seed,
        kubeconfig,
        namespace,
        samples,
        timeout,
        verbose);
  }

  SandboxOptions withLivePorts(int mqtt, int socketio) {
    return new SandboxOptions(
        once,
        k8sPort,
        beebottePort,
        metricsPort,
        mqtt,
        socketio,
        connections,
        seed,
        kubeconfig,
        namespace,
        samples,
        timeout,
        verbose);
  }

  SandboxOptions withConnections(int count, long seed) {
    return new SandboxOptions(
        once,
        k8sPort,
        beebottePort,
        metricsPort,
        mqttPort,
        socketioPort,
        count,
        seed,
        kubeconfig,
        namespace,
        samples,
        timeout,
        verbose);
  }

  SandboxOptions withKubeconfig(Path path) {
    return new SandboxOptions(
        once,
        k8sPort,
        beebottePort,
        metricsPort,
        mqttPort,
        socketioPort,
        connections,
        seed,
        path,
        namespace,
        samples,
        timeout,
        verbose);
  }

  SandboxOptions withTimeout(Duration timeout) {
    return new SandboxOptions(
        once,
        k8sPort,
        beebottePort,
        metricsPort,
        mqttPort,
        socketioPort,
        connections,
        seed,
        kubeconfig,
        namespace,
        samples,
        timeout,
        verbose);
  }

  private static int port(String flag, String value) {
    int port = (int) number(flag, value);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + " must be a port number (0-65535), not " + value);
    }
    return port;
  }

  /** A front door's port, or {@link LiveSimulator#OFF} for "off". */
  private static int livePort(String flag, String value) {
    return value.trim().equalsIgnoreCase("off") ? LiveSimulator.OFF : port(flag, value);
  }

  private static int count(String flag, String value) {
    long n = number(flag, value);
    if (n < 0 || n > 1_000_000) {
      throw new IllegalArgumentException(flag + " must be between 0 and 1000000, not " + value);
    }
    return (int) n;
  }

  private static long number(String flag, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " wants a number, not " + value);
    }
  }

  private static Duration duration(String flag, String value) {
    try {
      return io.cpol.enforce.GoDuration.parse(value.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + " wants a duration like 60s or 2m, not " + value);
    }
  }
}
