package io.cpol.reconciler;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Every log line the opening thread writes while it is open (a run on manual time does all its work
 * on that thread), stamped with a (manual) clock's time, the operator's at DEBUG; the console is
 * muted meanwhile, as a fuzz run writes thousands of lines.
 */
final class ManualTimeLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  /** One line: when (on the manual clock), at which level, and its text with any stack trace. */
  record Line(Instant at, Level level, String logger, String text) {}

  private final Clock clock;
  private final Thread owner = Thread.currentThread();
  private final List<Line> lines = new ArrayList<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Logger operator = (Logger) LoggerFactory.getLogger("io.cpol");
  private final Level operatorLevel;
  private final List<Appender<ILoggingEvent>> muted = new ArrayList<>();

  ManualTimeLog(Clock clock) {
    this.clock = clock;
    this.operatorLevel = operator.getLevel();
    setContext(root.getLoggerContext());
    setName("manual-time-log");
    start();
    root.iteratorForAppenders()
        .forEachRemaining(
            a -> {
              if (!(a instanceof ManualTimeLog)) {
                muted.add(a);
              }
            });
    muted.forEach(root::detachAppender);
    root.addAppender(this);
    operator.setLevel(Level.DEBUG);
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (Thread.currentThread() != owner) {
      return;
    }
    StringBuilder text = new StringBuilder(String.valueOf(event.getFormattedMessage()));
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      text.append('\n').append(ThrowableProxyUtil.asString(thrown));
    }
    synchronized (lines) {
      lines.add(
          new Line(clock.instant(), event.getLevel(), event.getLoggerName(), text.toString()));
    }
  }

  List<Line> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  @Override
  public void close() {
    root.detachAppender(this);
    muted.forEach(root::addAppender);
    operator.setLevel(operatorLevel);
    stop();
  }
}
