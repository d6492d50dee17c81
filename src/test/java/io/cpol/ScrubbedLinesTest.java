package io.cpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.beebotte.Redactor;
import io.cpol.testing.ManualClock;
import io.cpol.testing.ManualScheduler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A console stream scrubbed line by line: a value that spans lines goes whole, lines that only look
 * like a value's beginning go on unchanged, and nothing waits longer than {@link
 * ScrubbedLines#HOLD} for the rest of a value (on a manual clock).
 */
class ScrubbedLinesTest {
  private final Redactor redactor = new Redactor();
  private final ManualScheduler timer = new ManualScheduler(new ManualClock(Instant.EPOCH));
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();
  private final ScrubbedLines lines =
      new ScrubbedLines(
          new PrintStream(written, true, StandardCharsets.UTF_8),
          StandardCharsets.UTF_8,
          List.of(redactor),
          timer);
  private final PrintStream console = new PrintStream(lines, true, StandardCharsets.UTF_8);

  /** The value as {@code CredentialsLoader} reads it from Secret bytes (hex), a break inside. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        // "iamtkn_first_half_0123456\nsecond_half_0123"
        "69616d746b6e5f66697273745f68616c665f303132333435360a7365636f6e645f68616c665f30313233",
        // "iamtkn_first_half_0123456\r\nsecond_half_012"
        "69616d746b6e5f66697273745f68616c665f303132333435360d0a7365636f6e645f68616c665f303132",
        // "iamtkn_first_half_0123456\rsecond_half_0123": a lone \r ends no line
        "69616d746b6e5f66697273745f68616c665f303132333435360d7365636f6e645f68616c665f30313233",
        // a byte-order mark, then "iam", NUL, "tkn_fir", 0xff, "st_half\nsecon", 0xfe,
        // "_half_\r\n01234": invalid UTF-8 is read as U+FFFD
        "efbbbf69616d00746b6e5f666972ff73745f68616c660a7365636f6efe5f68616c665f0d0a3031323334"
      })
  void aValueSpanningLinesGoesWholeFromAPrintlnAndAStackTrace(String hex) {
    String value = new String(HexFormat.of().parseHex(hex), StandardCharsets.UTF_8);
    redactor.remember(List.of(value));

    console.println("before " + value + " after");
    new IllegalStateException("refused with " + value).printStackTrace(console);

    String text = text();
    assertThat(text)
        .startsWith("before *** after\njava.lang.IllegalStateException: refused with ***\n")
        .contains("\tat io.cpol.ScrubbedLinesTest.")
        .doesNotContain("first", "second", "half", "\0", "\uFFFD");
    assertThat(timer.pending()).as("nothing held").isZero();
  }

  /**
   * Java 17 takes its default charset from the locale: in a container without one it is ASCII, and
   * a value's other characters reach the console as {@code ?}.
   */
  @Test
  void onAnAsciiConsoleAValueIsFoundAsItIsPrinted() {
    ByteArrayOutputStream ascii = new ByteArrayOutputStream();
    PrintStream asciiConsole =
        new PrintStream(
            new ScrubbedLines(
                new PrintStream(ascii, true, StandardCharsets.US_ASCII),
                StandardCharsets.US_ASCII,
                List.of(redactor),
                timer),
            true,
            StandardCharsets.US_ASCII);
    redactor.remember(
        List.of("\uFEFFiamtkn_first\uFFFDhalf\u00e9\r\nsecond_\uD83D\uDE00_half_012"));

    asciiConsole.println(
        "before \uFEFFiamtkn_first\uFFFDhalf\u00e9\r\nsecond_\uD83D\uDE00_half_012 after");

    assertThat(ascii.toString(StandardCharsets.US_ASCII)).isEqualTo("before *** after\n");
  }

  @Test
  void aValueWrittenOneLineAtATimeIsHeldUntilItIsWhole() {
    redactor.remember(List.of("line-one-xx\nline-two-xx\nline-three"));

    console.print("seen\nid: line-one-xx\n");
    assertThat(text()).isEqualTo("seen\n");
    console.print("line-two-xx\n");
    assertThat(text()).isEqualTo("seen\n");
    console.print("line-three end\nnext\n");

    assertThat(text()).isEqualTo("seen\nid: *** end\nnext\n");
  }

  @Test
  void linesThatOnlyBeginLikeAValueGoOnUnchanged() {
    // A value whose first line is one character: that character is not taken out anywhere.
    redactor.remember(List.of("a\nbcdefgh-rest-of-the-token"));

    console.println("a line with a inside");
    assertThat(text()).isEqualTo("a line with a inside\n");
    console.println("ends with a");
    assertThat(text()).as("held: the next line could complete the value").endsWith("inside\n");
    console.println("bcdefgh, but not the rest");

    assertThat(text())
        .isEqualTo("a line with a inside\nends with a\nbcdefgh, but not the rest\n")
        .doesNotContain("***");
    assertThat(timer.pending()).as("the release of the held line is cancelled").isZero();
  }

  @Test
  void heldLinesGoAfterTheHoldWhenTheRestNeverComes() {
    redactor.remember(List.of("a\nbcdefgh-rest-of-the-token"));

    console.println("ends with a");
    console.print("a partial line");
    timer.advance(ScrubbedLines.HOLD.minusMillis(1));
    assertThat(text()).isEmpty();
    timer.advance(Duration.ofMillis(1));

    assertThat(text()).as("the partial line still waits for its end").isEqualTo("ends with a\n");
  }

  @Test
  void aValueBeginningWithABlankLineHoldsNoLine() {
    redactor.remember(List.of("\r\nsecret-after-a-blank-line"));

    console.println("every line ends with a blank");
    assertThat(text()).isEqualTo("every line ends with a blank\n");
    console.println("secret-after-a-blank-line two");

    assertThat(text()).isEqualTo("every line ends with a blank\n*** two\n");
  }

  @Test
  void closingWritesWhatIsLeftScrubbed() {
    redactor.remember(List.of("a\nbcdefgh-rest-of-the-token"));

    console.print("held a\nbcdefgh-rest-of-the-token, and no line break");
    console.close();

    assertThat(text()).isEqualTo("held ***, and no line break");
  }

  private String text() {
    return written.toString(StandardCharsets.UTF_8);
  }
}
