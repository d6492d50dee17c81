package io.cpol;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggerContextVO;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.cpol.beebotte.Redactor;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Marker;
import org.slf4j.bridge.SLF4JBridgeHandler;
import org.slf4j.event.KeyValuePair;

/**
 * The log end of the operator's {@link Redactor}: every event logged through logback, by this code
 * or by a library (JOSDK, Fabric8, OkHttp), is checked before any appender formats it, and one that
 * holds a credential the redactor knows, in its message or in any message of its exception chain,
 * reaches the appenders scrubbed instead. Console, JSON and test appenders alike see only the
 * scrubbed event, so no layout or encoder needs to know about credentials.
 */
public final class RedactingLogFilter extends TurboFilter {
  private final Redactor redactor;

  public RedactingLogFilter(Redactor redactor) {
    this.redactor = redactor;
    setName("redacting-log-filter");
  }

  /**
   * Starts filtering this process's log events, when logback is the logging backend, those of
   * {@code java.util.logging} included.
   */
  public void attach() {
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      setContext(context);
      start();
      context.addTurboFilter(this);
      routeJavaUtilLogging(context);
    }
  }

  /**
   * Sends {@code java.util.logging} (OkHttp's platform logger, the JDK's HttpClient) to logback, so
   * its records pass this filter too: JUL's own console handler, which would print them to stderr
   * as they are, is taken out. JUL's levels follow logback's, so a record logback would drop is not
   * even made. Once per process; it stays when the operator closes.
   */
  private static synchronized void routeJavaUtilLogging(LoggerContext context) {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
    if (context.getCopyOfListenerList().stream()
        .noneMatch(LevelChangePropagator.class::isInstance)) {
      LevelChangePropagator levels = new LevelChangePropagator();
      levels.setContext(context);
      levels.setResetJUL(true);
      levels.start();
      context.addListener(levels);
    }
  }

  /** Stops filtering: the operator that owns the redactor is closing. */
  public void detach() {
    if (getContext() instanceof LoggerContext context) {
      context.getTurboFilterList().remove(this);
    }
    stop();
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null
        || !isStarted()
        || redactor.knowsNothing()
        || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    // The event logback would build (it also takes a trailing Throwable argument as the cause).
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, level, format, t, params);
    if (marker != null) {
      event.addMarker(marker);
    }
    String message = event.getFormattedMessage();
    String scrubbed = redactor.scrub(message);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (scrubbed.equals(message) && !holdsCredential(thrown, newVisited())) {
      return FilterReply.NEUTRAL;
    }
    // Read now, on the thread that logs, as logback itself would before an appender defers it.
    event.getThreadName();
    // Handed to the appenders directly, so no other turbo filter sees it again; a second operator
    // in the same process (tests only) reads the same Secrets, so its filter knows the same values.
    logger.callAppenders(
        new ScrubbedEvent(event, scrubbed, thrown == null ? null : new ScrubbedThrowable(thrown)));
    return FilterReply.DENY;
  }

  private boolean holdsCredential(IThrowableProxy thrown, Set<IThrowableProxy> visited) {
    if (thrown == null || !visited.add(thrown)) {
      return false;
    }
    if (!Objects.equals(thrown.getMessage(), redactor.scrub(thrown.getMessage()))
        || holdsCredential(thrown.getCause(), visited)) {
      return true;
    }
    for (IThrowableProxy suppressed : thrown.getSuppressed()) {
      if (holdsCredential(suppressed, visited)) {
        return true;
      }
    }
    return false;
  }

  private static Set<IThrowableProxy> newVisited() {
    return Collections.newSetFromMap(new IdentityHashMap<>());
  }

  /** An exception as logback renders it, its messages scrubbed all the way down. */
  private final class ScrubbedThrowable implements IThrowableProxy {
    private final IThrowableProxy original;

    ScrubbedThrowable(IThrowableProxy original) {
      this.original = original;
    }

    @Override
    public String getMessage() {
      return redactor.scrub(original.getMessage());
    }

    @Override
    public String getOverridingMessage() {
      return redactor.scrub(original.getOverridingMessage());
    }

    @Override
    public String getClassName() {
      return original.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return original.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return original.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      // A cyclic proxy (logback marks the repeat) stops the chain the same way here.
      return original.getCause() == null ? null : new ScrubbedThrowable(original.getCause());
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] suppressed = original.getSuppressed();
      IThrowableProxy[] out = new IThrowableProxy[suppressed.length];
      for (int i = 0; i < suppressed.length; i++) {
        out[i] = new ScrubbedThrowable(suppressed[i]);
      }
      return out;
    }

    @Override
    public boolean isCyclic() {
      return original.isCyclic();
    }
  }

  /** The event with its message (no arguments left to format) and exception scrubbed. */
  private record ScrubbedEvent(LoggingEvent original, String message, IThrowableProxy thrown)
      implements ILoggingEvent {
    @Override
    public String getThreadName() {
      return original.getThreadName();
    }

    @Override
    public Level getLevel() {
      return original.getLevel();
    }

    @Override
    public String getMessage() {
      return message;
    }

    @Override
    public Object[] getArgumentArray() {
      return null;
    }

    @Override
    public String getFormattedMessage() {
      return message;
    }

    @Override
    public String getLoggerName() {
      return original.getLoggerName();
    }

    @Override
    public LoggerContextVO getLoggerContextVO() {
      return original.getLoggerContextVO();
    }

    @Override
    public IThrowableProxy getThrowableProxy() {
      return thrown;
    }

    @Override
    public StackTraceElement[] getCallerData() {
      return original.getCallerData();
    }

    @Override
    public boolean hasCallerData() {
      return original.hasCallerData();
    }

    @Override
    public List<Marker> getMarkerList() {
      return original.getMarkerList();
    }

    @Override
    public Map<String, String> getMDCPropertyMap() {
      return original.getMDCPropertyMap();
    }

    @Override
    @SuppressWarnings("deprecation")
    public Map<String, String> getMdc() {
      return original.getMdc();
    }

    @Override
    public long getTimeStamp() {
      return original.getTimeStamp();
    }

    @Override
    public java.time.Instant getInstant() {
      return original.getInstant();
    }

    @Override
    public int getNanoseconds() {
      return original.getNanoseconds();
    }

    @Override
    public long getSequenceNumber() {
      return original.getSequenceNumber();
    }

    @Override
    public List<KeyValuePair> getKeyValuePairs() {
      return original.getKeyValuePairs();
    }

    @Override
    public void prepareForDeferredProcessing() {
      original.prepareForDeferredProcessing();
    }
  }
}
