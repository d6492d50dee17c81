package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.testing.OperatorHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.logging.Handler;
import org.junit.jupiter.api.Test;

/**
 * What reaches the operator process's output without a logback logger: {@code java.util.logging}
 * (OkHttp's platform logger, the JDK's HttpClient) and plain writes to {@code System.out} and
 * {@code System.err} (a library's {@code printStackTrace}, a stray {@code println}). Once the
 * operator has read a Secret, none of them shows its values.
 */
class ProcessOutputScrubbedTest {
  private static final String POLICY =
      """
      apiVersion: beebotte.io/v1alpha1
      kind: ConnectionPolicy
      metadata: {name: p}
      spec:
        credentialsRef: {name: beebotte-account}
        deny:
        - userids: [uid-1]
      """;

  @Test
  void javaUtilLoggingPassesTheScrubber() {
    try (LogCapture logs = LogCapture.start();
        OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      h.apply(POLICY);
      h.awaitCondition("p", "Ready", "True", "Synced");

      // As OkHttp's platform logger and the JDK's HttpClient log: through java.util.logging.
      java.util.logging.Logger.getLogger("okhttp3.OkHttpClient")
          .warning("A connection to the endpoint was leaked; it carried " + SECRET_KEY);
      java.util.logging.Logger.getLogger("jdk.internal.httpclient.debug")
          .severe("request failed, header X-Auth-Token: " + API_KEY);

      assertThat(logs.text())
          .as("JUL records reach logback, scrubbed")
          .contains("A connection to the endpoint was leaked; it carried ")
          .contains("request failed, header X-Auth-Token: ")
          .doesNotContain(SECRET_KEY)
          .doesNotContain(API_KEY);
      Handler[] handlers = java.util.logging.Logger.getLogger("").getHandlers();
      assertThat(Arrays.stream(handlers).map(handler -> handler.getClass().getName()))
          .as("JUL's root handlers: none writes elsewhere (its console handler prints to stderr)")
          .containsOnly("org.slf4j.bridge.SLF4JBridgeHandler");
    }
  }

  @Test
  void standardOutputAndErrorAreScrubbed() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    Charset charset = Charset.defaultCharset();
    ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(outBytes, true, charset));
    System.setErr(new PrintStream(errBytes, true, charset));
    try (OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      h.apply(POLICY);
      h.awaitCondition("p", "Ready", "True", "Synced");

      System.out.println("a stray println: " + SECRET_KEY);
      // A value written in two pieces is still one line.
      System.out.print("in pieces: " + SECRET_KEY.substring(0, 7));
      System.out.flush();
      System.out.print(SECRET_KEY.substring(7) + " and after\n");
      new IllegalStateException("refused with " + API_KEY).printStackTrace();
      System.out.flush();
      System.err.flush();
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    String written = outBytes.toString(charset);
    String errors = errBytes.toString(charset);
    assertThat(written)
        .contains("a stray println: ")
        .contains("in pieces: ")
        .contains(" and after")
        .doesNotContain(SECRET_KEY)
        .doesNotContain(SECRET_KEY.substring(7));
    assertThat(errors)
        .contains("java.lang.IllegalStateException: refused with ")
        .doesNotContain(API_KEY);
  }
}
