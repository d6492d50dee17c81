package io.cpol.sandbox;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Keeps the console for the sandbox's own output: the logs of its API server and simulator go to
 * {@code sandbox.log} next to the kubeconfig (or stay on the console with {@code --verbose}),
 * errors are also said on the console, and the mock API server's per-request java.util.logging
 * lines are silenced. The operator, in its own process, logs to {@code operator.log} ({@link
 * OperatorProcess}).
 */
final class SandboxLogging {
  // java.util.logging holds loggers weakly; a configured level must keep its logger alive.
  private static final List<java.util.logging.Logger> QUIETED =
      List.of(
          java.util.logging.Logger.getLogger("io.fabric8.mockwebserver"),
          java.util.logging.Logger.getLogger("io.vertx"),
          java.util.logging.Logger.getLogger("io.netty"));

  private SandboxLogging() {}

  /** Where the operator's logs go, or empty when they stay on the console. */
  static Optional<Path> configure(SandboxOptions options) {
    QUIETED.forEach(l -> l.setLevel(java.util.logging.Level.WARNING));
    Path log = options.kubeconfig().toAbsolutePath().resolveSibling("sandbox.log");
    if (options.verbose()) {
      return Optional.empty();
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> file = new FileAppender<>();
    file.setContext(context);
    file.setName("sandbox-log");
    file.setFile(log.toString());
    file.setAppend(false);
    file.setEncoder(encoder);
    file.start();
    // A failure of any part is said on the console too, not only in the log.
    ch.qos.logback.core.ConsoleAppender<ILoggingEvent> errors =
        new ch.qos.logback.core.ConsoleAppender<>();
    errors.setContext(context);
    errors.setTarget("System.err");
    ch.qos.logback.classic.filter.ThresholdFilter onlyErrors =
        new ch.qos.logback.classic.filter.ThresholdFilter();
    onlyErrors.setLevel("ERROR");
    onlyErrors.start();
    errors.addFilter(onlyErrors);
    PatternLayoutEncoder brief = new PatternLayoutEncoder();
    brief.setContext(context);
    brief.setPattern("sandbox: %logger{0}: %msg%n");
    brief.start();
    errors.setEncoder(brief);
    errors.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(file);
    root.addAppender(errors);
    context.getLogger("io.cpol").setLevel(Level.INFO);
    return Optional.of(log);
  }
}
