package io.cpol.sandbox;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import io.cpol.ConnectionPolicyOperator;
import io.cpol.OperatorConfig;
import io.cpol.policy.ConnectionPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The operator in a process of its own, as in its pod: the sandbox starts this main, so whatever
 * stops the operator (an informer's fatal error calls {@code System.exit}) stops this process only,
 * while the sandbox's API server and simulator keep serving and the sandbox says why and restarts
 * it, as Kubernetes restarts a crashed container.
 *
 * <p>Arguments: kubeconfig, metrics port, log file ("-" for the console). It loads the operator's
 * classes, then waits for the default endpoint (the simulator) as the first line of its standard
 * input: the sandbox starts this JVM first and sends the line once the simulator listens. Prints
 * {@code READY <port>} once the operator is ready; exits when its standard input closes (the
 * sandbox is gone). Errors also go to standard error, one line each, for the sandbox's console.
 */
public final class OperatorProcess {
  static final String READY = "READY ";

  private OperatorProcess() {}

  public static void main(String[] args) throws Exception {
    File kubeconfig = new File(args[0]);
    String metricsPort = args[1];
    configureLogging(args[2]);
    warmUp();
    String defaultEndpoint = firstLine();
    Thread watchdog =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // The sandbox never writes; end of input means it is gone.
                }
              } catch (IOException e) {
                // Same: the pipe is gone.
              }
              System.exit(0);
            },
            "sandbox-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    OperatorConfig config =
        OperatorConfig.from(
            new String[] {
              "--http-port=" + metricsPort,
              "--http-bind-address=127.0.0.1",
              "--default-endpoint=" + defaultEndpoint,
              "--leader-election=false",
              "--pod-name=sandbox-operator",
              "--sessions-api-port=" + args[3],
              "--sessions-api-bind-address=127.0.0.1",
              "--sessions-api-tls-dir=" + args[4]
            },
            Map.of());
    KubernetesClient client =
        new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
    ConnectionPolicyOperator operator = ConnectionPolicyOperator.start(config, client, null);
    Instant deadline = Instant.now().plusSeconds(60);
    while (!operator.isReady()) {
      if (Instant.now().isAfter(deadline)) {
        System.err.println("the operator did not become ready within 60 s");
        System.exit(1);
      }
      Thread.sleep(Duration.ofMillis(50).toMillis());
    }
    System.out.println(READY + operator.httpPort());
    System.out.flush();
    Thread.currentThread().join();
  }

  /**
   * Loads and initializes what {@link ConnectionPolicyOperator#start} needs first (configuration,
   * the Kubernetes client and its JSON mapping of the CR), without talking to anyone.
   */
  private static void warmUp() {
    OperatorConfig.from(new String[] {"--leader-election=false"}, Map.of());
    try (KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:1").build())
            .build()) {
      client.getKubernetesSerialization().unmarshal("{}", ConnectionPolicy.class);
      client.resources(ConnectionPolicy.class);
    }
  }

  /** The first line of standard input, read byte by byte: the rest is the watchdog's. */
  private static String firstLine() throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = System.in.read()) >= 0 && b != '\n') {
      line.append((char) b);
    }
    if (b < 0) {
      System.exit(0); // the sandbox went away before the simulator started
    }
    return line.toString().trim();
  }

  /** The log file gets everything at INFO; standard error gets errors, for the console. */
  private static void configureLogging(String file) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    if (file.equals("-")) {
      return;
    }
    context.reset();
    FileAppender<ILoggingEvent> log = new FileAppender<>();
    log.setContext(context);
    log.setName("sandbox-log");
    log.setFile(file);
    log.setAppend(true);
    log.setEncoder(encoder(context, "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n"));
    log.start();
    ConsoleAppender<ILoggingEvent> errors = new ConsoleAppender<>();
    errors.setContext(context);
    errors.setTarget("System.err");
    ThresholdFilter onlyErrors = new ThresholdFilter();
    onlyErrors.setLevel("ERROR");
    onlyErrors.start();
    errors.addFilter(onlyErrors);
    errors.setEncoder(encoder(context, "%msg%n%rootException{1}"));
    errors.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(log);
    root.addAppender(errors);
    context.getLogger("io.cpol").setLevel(Level.INFO);
  }

  private static PatternLayoutEncoder encoder(LoggerContext context, String pattern) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern);
    encoder.start();
    return encoder;
  }
}
