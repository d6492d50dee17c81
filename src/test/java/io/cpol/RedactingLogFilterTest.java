package io.cpol;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.read.ListAppender;
import io.cpol.beebotte.Redactor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every log event, whoever logs it, reaches the appenders without the credentials the operator's
 * redactor knows: in its message, its arguments and every message of its exception chain, in the
 * text and JSON formats alike.
 */
class RedactingLogFilterTest {
  private static final String TOKEN = "iamtkn_\"quoted\"_0123456789";

  private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final Redactor redactor = new Redactor();
  private final RedactingLogFilter filter = new RedactingLogFilter(redactor);
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private final ByteArrayOutputStream json = new ByteArrayOutputStream();
  private final OutputStreamAppender<ILoggingEvent> jsonOutput = output(json, jsonEncoder());
  private LogCapture text;

  /** As a library would log: a logger this code does not own. */
  private final Logger library = context.getLogger("okhttp3.SomeLibrary");

  @BeforeEach
  void attach() {
    events.start();
    library.addAppender(events);
    library.addAppender(jsonOutput);
    text = LogCapture.start();
    filter.attach();
  }

  @AfterEach
  void detach() {
    filter.detach();
    library.detachAppender(events);
    library.detachAppender(jsonOutput);
    text.close();
  }

  @Test
  void aLineWithAKnownValueReachesEveryAppenderScrubbed() {
    redactor.remember(List.of(TOKEN));
    IllegalStateException cause = new IllegalStateException("wrapped " + TOKEN);
    cause.addSuppressed(new RuntimeException("suppressed " + TOKEN));

    library.warn(
        "Unexpected char 0xfeff at 0 in X-Auth-Token value: {}",
        TOKEN,
        new IllegalArgumentException("value: " + TOKEN, cause));

    ILoggingEvent event = events.list.get(0);
    assertThat(event.getFormattedMessage())
        .isEqualTo("Unexpected char 0xfeff at 0 in X-Auth-Token value: ***");
    String trace = ThrowableProxyUtil.asString(event.getThrowableProxy());
    assertThat(trace)
        .contains(
            "java.lang.IllegalArgumentException: value: ***",
            "Caused by: java.lang.IllegalStateException: wrapped ***",
            "Suppressed: java.lang.RuntimeException: suppressed ***",
            "at io.cpol.RedactingLogFilterTest")
        .doesNotContain(TOKEN);
    assertThat(text.text()).contains("X-Auth-Token value: ***").doesNotContain(TOKEN);
    assertThat(written(json)).contains("X-Auth-Token value: ***").doesNotContain("quoted");
  }

  @Test
  void aValueOnlyInTheExceptionIsTakenOutToo() {
    redactor.remember(List.of(TOKEN));

    library.error("call failed", new RuntimeException(new RuntimeException("echo " + TOKEN)));

    assertThat(events.list).singleElement();
    assertThat(ThrowableProxyUtil.asString(events.list.get(0).getThrowableProxy()))
        .contains("echo ***")
        .doesNotContain(TOKEN);
  }

  /** Logback scrubs whole messages, so a value's line breaks (and other bytes) change nothing. */
  @Test
  void aValueSpanningLinesIsTakenOutOfMessageAndException() {
    String value = "\uFEFFiamtkn_first_half\u0000\r\nsecond_half_\uFFFD_0123456789";
    redactor.remember(List.of(value));

    library.warn("refused {}", value, new IllegalStateException("echo " + value));

    assertThat(events.list.get(0).getFormattedMessage()).isEqualTo("refused ***");
    for (String written :
        List.of(
            ThrowableProxyUtil.asString(events.list.get(0).getThrowableProxy()),
            text.text(),
            written(json))) {
      assertThat(written).doesNotContain("first_half", "second_half");
    }
  }

  @Test
  void otherLinesAreLeftToLogbackAsTheyAre() {
    redactor.remember(List.of(TOKEN));

    library.warn("listing at {} failed: {}", "http://127.0.0.1", "HTTP 503");
    library.debug("not enabled {}", TOKEN);

    assertThat(events.list).singleElement().isInstanceOf(LoggingEvent.class);
    assertThat(events.list.get(0).getFormattedMessage())
        .isEqualTo("listing at http://127.0.0.1 failed: HTTP 503");
  }

  @Test
  void aDetachedFilterNoLongerSeesEvents() {
    filter.detach();
    assertThat(context.getTurboFilterList()).doesNotContain(filter);
  }

  private static String written(ByteArrayOutputStream out) {
    return out.toString(StandardCharsets.UTF_8);
  }

  private OutputStreamAppender<ILoggingEvent> output(
      ByteArrayOutputStream out, Encoder<ILoggingEvent> encoder) {
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(out);
    appender.start();
    return appender;
  }

  /** As logback-json.xml configures it. */
  private JsonEncoder jsonEncoder() {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithFormattedMessage(true);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithContext(false);
    encoder.start();
    return encoder;
  }
}
