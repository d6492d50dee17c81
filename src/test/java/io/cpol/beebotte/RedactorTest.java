package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one scrubber: what it takes out, and that what it returns never holds a value it knows. */
class RedactorTest {

  @Test
  void takesOutRememberedValuesAndTheirEncodingsLongestFirst() {
    Redactor redactor = new Redactor();
    assertThat(redactor.knowsNothing()).isTrue();
    assertThat(redactor.scrub("token iamtkn_a b")).isEqualTo("token iamtkn_a b");

    redactor.remember(List.of("iamtkn_a b", "iamtkn_a"));

    assertThat(redactor.knowsNothing()).isFalse();
    assertThat(redactor.scrub("x iamtkn_a b, y iamtkn_a+b, z iamtkn_a%20b, w iamtkn_a"))
        .isEqualTo("x ***, y ***, z ***, w ***");
    assertThat(redactor.scrub(null)).isNull();
  }

  @Test
  void aValueSharingCharactersWithTheMarkIsNeverLeftBehind() {
    Redactor redactor = new Redactor();
    redactor.remember(List.of("*", "a*b"));

    String out = redactor.scrub("a*b stars * and ** and a***b");

    assertThat(out).doesNotContain("*").doesNotContain("a*b");
  }

  @Test
  void removingCannotJoinTheRestIntoTheValueAgain() {
    Redactor redactor = new Redactor();
    redactor.remember(List.of("*ab*"));

    // Marking "*ab*" in "**ab**" leaves "****", and removing what is found again ends with "".
    assertThat(redactor.scrub("*ab*ab**")).doesNotContain("*ab*");
    assertThat(redactor.scrub("**ab**")).doesNotContain("*ab*");
  }

  @Test
  void aValueSpanningLinesIsTakenOutWholeAndItsBeginningIsKnownAtALineEnd() {
    Redactor redactor = new Redactor();
    redactor.remember(List.of("abc\r\ndef\nghi", "\n\nlater\n"));

    assertThat(redactor.scrub("x abc\r\ndef\nghi y")).isEqualTo("x *** y");
    assertThat(redactor.unfinishedAt("x abc\r\n")).isEqualTo(2);
    assertThat(redactor.unfinishedAt("x abc\r\ndef\n")).isEqualTo(2);
    assertThat(redactor.unfinishedAt("x abc\r\nzzz\n")).isEqualTo(-1);
    assertThat(redactor.unfinishedAt("x abc")).as("not at a line break").isEqualTo(-1);
    // Its beginning is only blank lines, which every text ends with; without them it goes whole.
    assertThat(redactor.unfinishedAt("x\n\n")).isEqualTo(-1);
    assertThat(redactor.scrub("one\nlater\n")).isEqualTo("one\n***\n");
  }

  @Test
  void aValueIsAlsoTakenOutAsAnAsciiConsolePrintsItUnlessLittleOfItIsAscii() {
    Redactor redactor = new Redactor();
    redactor.remember(List.of("\uFEFFiamtkn_\uFFFD_0123", "\u00e9\u00e9"));

    assertThat(redactor.scrub("token ?iamtkn_?_0123 and \u00e9\u00e9, ?? or ?"))
        .isEqualTo("token *** and ***, ?? or ?");
  }

  @Test
  void datesAreReplacedBeforeValuesSoNeitherComesBack() {
    Redactor redactor = Redactor.of(new Credentials.Token("GMT"));

    assertThat(redactor.redact("Date: Thu, 26 Nov 2026 03:05:43 GMT; token GMT"))
        .isEqualTo("Date: <date>; token ***");
  }

  @Test
  void aRequestAlsoTakesOutItsAuthorizationAndSignature() {
    Redactor request =
        Redactor.of(new Credentials.Keys("api-key", "secret-key")).forRequest("api-key:c2lnbg==");

    assertThat(request.redact("echo api-key:c2lnbg== and c2lnbg== and secret-key"))
        .isEqualTo("echo *** and *** and ***");
  }

  @Test
  void keepsTheMostRecentlyRememberedValuesUpToItsCapacity() {
    Redactor redactor = new Redactor();
    redactor.remember(List.of("value-first"));
    List<String> more = new ArrayList<>();
    for (int i = 0; i < Redactor.CAPACITY - 1; i++) {
      more.add("value-" + (100_000 + i));
    }
    redactor.remember(more);
    // Remembered again: the newest, so another value goes when the next one arrives.
    redactor.remember(List.of("value-first"));
    redactor.remember(List.of("value-last"));

    assertThat(redactor.scrub("value-first value-last value-100000 value-100001"))
        .isEqualTo("*** *** value-100000 ***");
  }
}
