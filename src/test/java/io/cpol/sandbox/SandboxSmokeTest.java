package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "run it" path, {@code bin/sandbox --once}, in-process on free ports. */
class SandboxSmokeTest {

  @Test
  void onceAppliesTheSamplesAndReportsWhatEachOneDid(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");

    String out = runOnce(kubeconfig);

    assertTheSummary(out, kubeconfig);
    assertThat(Files.readString(kubeconfig))
        .contains("server: http://127.0.0.1:")
        .contains("namespace: sandbox");
  }

  /**
   * Runs {@code bin/sandbox --once} in-process on free ports with the given extra flags, and
   * returns what it printed once it exited 0.
   */
  static String runOnce(Path kubeconfig, String... flags) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--once",
                "--k8s-port=0",
                "--beebotte-port=0",
                "--metrics-port=0",
                "--sessions-port=0",
                "--mqtt-port=0",
                "--socketio-port=0",
                "--connections=200",
                "--seed=42",
                "--kubeconfig=" + kubeconfig));
    args.addAll(List.of(flags));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int exit =
        Sandbox.run(
            SandboxOptions.parse(args.toArray(String[]::new)),
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            new CountDownLatch(1));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(out).isZero();
    return out;
  }

  /**
   * What {@code --once} prints whatever serves the Kubernetes API: the policies as kubectl shows
   * them, what each dropped or would drop and why, and the commands to try.
   */
  static void assertTheSummary(String out, Path kubeconfig) {
    assertThat(out)
        .containsPattern(line("NAME +MODE +CONNECTED +DENIED +DROPPED +READY +LAST SYNC +AGE"))
        .containsPattern(line("block-socketio +Enforce +\\d+ +\\d+ +\\d+ +True +\\S+ +\\S+"))
        .containsPattern(line("dryrun-contractors +DryRun +\\d+ +\\d+ +0 +True +\\S+ +\\S+"))
        .containsPattern(line("revoke-device +Enforce +\\d+ +1 +1 +True +\\S+ +\\S+"))
        .contains("All 3 policies converged")
        .containsPattern(
            "(?m)^  Front doors +MQTT tcp://127.0.0.1:\\d+ +Socket.IO http://127.0.0.1:\\d+ ");
    // What was dropped, by which policy and rule.
    assertThat(out).containsPattern(line("revoke-device +deny\\[0\\] +mqtt +1 +device-0042"));
    assertThat(count(out, "block-socketio +deny\\[0\\] +socketio +(\\d+) +\\S.*")).isBetween(1, 50);
    // The dry run reports the contractors and drops none of them.
    assertThat(count(out, "dryrun-contractors +deny\\[0\\] +mqtt +(\\d+) +contractor-.*"))
        .isGreaterThanOrEqualTo(2);
    assertThat(section(out, "Dropped:", "Would drop")).doesNotContain("dryrun-contractors");
    // ops-admin's Socket.IO session survives block-socketio thanks to its allow rule.
    assertThat(out)
        .containsPattern(
            line("block-socketio +allow\\[0\\] +socketio +ops-admin +ops-admin-console-7Qx2"));
    assertThat(out)
        .contains("kubectl --kubeconfig " + kubeconfig + " get cpol -A")
        .contains("X-Auth-Token: iamtkn_sandbox");
  }

  private static String section(String out, String from, String to) {
    int start = out.indexOf(from);
    int end = out.indexOf(to, start);
    assertThat(start).as("%s in%n%s", from, out).isNotNegative();
    assertThat(end).as("%s in%n%s", to, out).isGreaterThan(start);
    return out.substring(start, end);
  }

  private static String line(String regex) {
    return "(?m)^ +" + regex + "$";
  }

  /** The number captured by {@code regex}'s only group on the one line it matches. */
  private static int count(String out, String regex) {
    Matcher m = Pattern.compile(line(regex)).matcher(out);
    assertThat(m.find()).as("a line matching %s in%n%s", regex, out).isTrue();
    return Integer.parseInt(m.group(1));
  }
}
