package io.cpol;

import io.cpol.live.LabelSelector;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kubernetes label selector of {@code WATCH_LABEL_SELECTOR}: the shard of ConnectionPolicies
 * this operator enforces. Checked with the API server's grammar when the operator starts, so a typo
 * is a clear start-up error instead of an informer that never syncs.
 *
 * @param expression the selector in a canonical spelling (requirements as given, blanks and {@code
 *     ==} normalised), as sent to the API server
 */
public record WatchLabelSelector(String expression) {
  private static final String NAME = "[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
  private static final String PREFIX =
      "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*";
  private static final String KEY = "(?<key>(?:" + PREFIX + "/)?" + NAME + ")";
  private static final Pattern EXISTS = Pattern.compile("(?<not>!?)\\s*" + KEY);
  private static final Pattern EQUALITY =
      Pattern.compile(KEY + "\\s*(?<op>==|=|!=)\\s*(?<value>" + NAME + ")?");
  private static final Pattern SET =
      Pattern.compile(KEY + "\\s+(?<op>in|notin)\\s*\\((?<values>[^()]*)\\)");
  private static final Pattern ORDER =
      Pattern.compile(KEY + "\\s*(?<op>[<>])\\s*(?<value>-?[0-9]+)");
  private static final Pattern VALUE = Pattern.compile(NAME);
  private static final int MAX_LEASE_NAME = 63;

  /**
   * The selector in {@code text}, or null when it is blank (every policy).
   *
   * @throws IllegalArgumentException naming the requirement that is not valid selector syntax
   */
  public static WatchLabelSelector parse(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    List<String> requirements = new ArrayList<>();
    for (String requirement : LabelSelector.splitTopLevel(text)) {
      requirements.add(canonical(requirement.trim(), text));
    }
    return new WatchLabelSelector(String.join(",", requirements));
  }

  /**
   * The Lease this shard elects its leader on: {@code base}, a readable form of the selector and a
   * hash of it, at most 63 characters, so shards never share a Lease (which would leave all but one
   * shard idle), even shards whose selectors read alike ({@code shard=a}, {@code shard!=a}).
   */
  public String leaseName(String base) {
    String hash = HexFormat.of().formatHex(sha256(expression)).substring(0, 8);
    String readable =
        expression.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    String prefix = readable.isEmpty() ? base : base + "-" + readable;
    if (prefix.length() > MAX_LEASE_NAME - hash.length() - 1) {
      prefix = prefix.substring(0, MAX_LEASE_NAME - hash.length() - 1).replaceAll("-+$", "");
    }
    return prefix + "-" + hash;
  }

  @Override
  public String toString() {
    return expression;
  }

  private static String canonical(String requirement, String whole) {
    Matcher m;
    if ((m = EXISTS.matcher(requirement)).matches()) {
      return m.group("not") + m.group("key");
    }
    if ((m = EQUALITY.matcher(requirement)).matches()) {
      String operator = m.group("op").equals("!=") ? "!=" : "=";
      return m.group("key") + operator + (m.group("value") == null ? "" : m.group("value"));
    }
    if ((m = SET.matcher(requirement)).matches()) {
      List<String> values = new ArrayList<>();
      for (String value : m.group("values").split(",", -1)) {
        if (!VALUE.matcher(value.trim()).matches()) {
          throw invalid(requirement, whole, "`" + value.trim() + "` is not a label value");
        }
        values.add(value.trim());
      }
      return m.group("key") + " " + m.group("op") + " (" + String.join(",", values) + ")";
    }
    if ((m = ORDER.matcher(requirement)).matches()) {
      return m.group("key") + m.group("op") + m.group("value");
    }
    throw invalid(requirement, whole, null);
  }

  private static IllegalArgumentException invalid(String requirement, String whole, String why) {
    return new IllegalArgumentException(
        "WATCH_LABEL_SELECTOR `"
            + whole
            + "`: `"
            + requirement
            + "` is not a label selector requirement"
            + (why == null ? "" : " (" + why + ")")
            + "; expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b),"
            + " separated by commas");
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
