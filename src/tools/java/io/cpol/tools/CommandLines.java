package io.cpol.tools;

import io.cpol.enforce.GoDuration;
import io.cpol.sim.LiveSimulator;
import java.io.PrintStream;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The one way the tools read their command lines: picocli over an annotated options object, with
 * {@code --help}, {@code --flag value} and {@code --flag=value}, and the converters they share.
 */
public final class CommandLines {
  private CommandLines() {}

  /** {@code -h}/{@code --help}, mixed into every tool's command ({@code @Mixin}). */
  public static final class Help {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    private boolean help;
  }

  /** {@link #parse} was asked for {@code --help}; the message is the usage text. */
  public static final class HelpRequested extends IllegalArgumentException {
    HelpRequested(String usage) {
      super(usage);
    }
  }

  /**
   * Fills {@code options} from {@code args}.
   *
   * @throws HelpRequested for {@code --help}, carrying the usage
   * @throws IllegalArgumentException with a message for the user when the line is wrong
   */
  public static <T> T parse(T options, String... args) {
    CommandLine cli = new CommandLine(options);
    try {
      cli.parseArgs(args);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (cli.isUsageHelpRequested()) {
      throw new HelpRequested(cli.getUsageMessage(CommandLine.Help.Ansi.OFF));
    }
    return options;
  }

  /**
   * For a tool's {@code main}: the parsed options, or the usage on stdout and exit 0 for {@code
   * --help}, or the error and the usage on stderr and exit 2.
   */
  public static <T> T parseOrExit(String tool, T options, String... args) {
    try {
      return parse(options, args);
    } catch (HelpRequested help) {
      System.out.print(help.getMessage());
      System.exit(0);
    } catch (IllegalArgumentException e) {
      PrintStream err = System.err;
      err.println(tool + ": " + e.getMessage());
      err.print(new CommandLine(options).getUsageMessage(CommandLine.Help.Ansi.OFF));
      System.exit(2);
    }
    throw new AssertionError("unreachable");
  }

  /** A TCP port, 0 for any free one. */
  public static final class Port implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int port = integer(value);
      if (port < 0 || port > 65535) {
        throw new TypeConversionException("a port from 0 to 65535, not " + value);
      }
      return port;
    }
  }

  /** A simulator front door's port: a {@link Port}, or "off" ({@link LiveSimulator#OFF}). */
  public static final class FrontDoorPort implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return value.trim().equalsIgnoreCase("off") ? LiveSimulator.OFF : new Port().convert(value);
    }
  }

  /** A count from 1 up; "_" may group digits (100_000). */
  public static final class Positive implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n = integer(value.replace("_", ""));
      if (n < 1) {
        throw new TypeConversionException("at least 1, not " + value);
      }
      return n;
    }
  }

  /** A Go-style duration such as 60s, 1m30s or 500ms. */
  public static final class GoDurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return GoDuration.parse(value.trim());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("a duration like 60s or 2m, not " + value);
      }
    }
  }

  private static int integer(String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("a number, not " + value);
    }
  }
}
