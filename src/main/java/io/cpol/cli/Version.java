package io.cpol.cli;

/** The plugin's version, from its jar's manifest ("dev" when run from classes). */
final class Version {
  private Version() {}

  static String get() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
