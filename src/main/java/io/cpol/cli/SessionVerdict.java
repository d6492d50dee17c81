package io.cpol.cli;

import java.util.Locale;

/** The verdicts status reports, and the plugin's {@code --verdict} names for them. */
enum SessionVerdict {
  Allowed("allowed"),
  Denied("denied"),
  Dropped("dropped"),
  WouldDrop("would-drop");

  private final String flag;

  SessionVerdict(String flag) {
    this.flag = flag;
  }

  String flag() {
    return flag;
  }

  /** A {@code --verdict} value, or a status verdict ("WouldDrop"); null when neither. */
  static SessionVerdict parse(String value) {
    for (SessionVerdict v : values()) {
      if (v.flag.equals(value.toLowerCase(Locale.ROOT)) || v.name().equals(value)) {
        return v;
      }
    }
    return null;
  }
}
