package io.cpol;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.testing.OperatorHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
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

  /**
   * A value that itself holds a line break reaches the console in two lines, neither of which holds
   * the whole value: the console still takes it out, whether a println or a stack trace writes it,
   * with {@code \n} or {@code \r\n} inside.
   */
  @Test
  void aValueSpanningLinesIsScrubbedToo() {
    String lf = "iamtkn_first_half_0123456789abcdef\nsecond_half_0123456789abcdef";
    String crlf = "iamtkn_third_part_0123456789abcdef\r\nfourth_part_0123456789abcdef";
    Console console =
        Console.capture(
            h -> {
              h.createTokenSecret("lf-account", lf);
              h.createTokenSecret("crlf-account", crlf);
              h.apply(
                  POLICY
                      .replace("name: p}", "name: lf}")
                      .replace("beebotte-account", "lf-account"));
              h.apply(
                  POLICY
                      .replace("name: p}", "name: crlf}")
                      .replace("beebotte-account", "crlf-account"));
              // Neither can be sent in a header, so both are refused; their values are known all
              // the same.
              h.awaitCondition("lf", "Ready", "False", "InvalidCredentials");
              h.awaitCondition("crlf", "Ready", "False", "InvalidCredentials");

              System.out.println("a stray println: " + lf + " and " + crlf);
              new IllegalStateException("refused with " + lf).printStackTrace();
              new IllegalStateException("refused with " + crlf).printStackTrace();
            });
    String written = console.out();
    String errors = console.err();
    assertThat(written).contains("a stray println: *** and ***");
    assertThat(errors)
        .contains("java.lang.IllegalStateException: refused with ***")
        .contains("at io.cpol.ProcessOutputScrubbedTest.aValueSpanningLinesIsScrubbedToo");
    for (String text : List.of(written, errors)) {
      assertThat(text)
          .doesNotContain("first_half")
          .doesNotContain("second_half")
          .doesNotContain("third_part")
          .doesNotContain("fourth_part");
    }
  }

  @Test
  void standardOutputAndErrorAreScrubbed() {
    Console console =
        Console.capture(
            h -> {
              h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
              h.apply(POLICY);
              h.awaitCondition("p", "Ready", "True", "Synced");

              System.out.println("a stray println: " + SECRET_KEY);
              // A value written in two pieces is still one line.
              System.out.print("in pieces: " + SECRET_KEY.substring(0, 7));
              System.out.flush();
              System.out.print(SECRET_KEY.substring(7) + " and after\n");
              new IllegalStateException("refused with " + API_KEY).printStackTrace();
            });
    String written = console.out();
    String errors = console.err();
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

  /** What an operator's run wrote to System.out and System.err. */
  private record Console(String out, String err) {
    /** Runs an operator while the process's console streams are captured. */
    static Console capture(Consumer<OperatorHarness> run) {
      PrintStream out = System.out;
      PrintStream err = System.err;
      Charset charset = Charset.defaultCharset();
      ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
      ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
      System.setOut(new PrintStream(outBytes, true, charset));
      System.setErr(new PrintStream(errBytes, true, charset));
      try (OperatorHarness h = OperatorHarness.start()) {
        run.accept(h);
        System.out.flush();
        System.err.flush();
      } finally {
        System.setOut(out);
        System.setErr(err);
      }
      return new Console(outBytes.toString(charset), errBytes.toString(charset));
    }
  }
}
