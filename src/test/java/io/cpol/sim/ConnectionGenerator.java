package io.cpol.sim;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.beebotte.Subscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Deterministic, realistic-looking live connections for tests, benchmarks and the sandbox: about
 * 60% MQTT devices (sid = clientid = userid, e.g. {@code sensor-00042}, {@code gw-eu-0007}) and 40%
 * Socket.IO sessions (random 20-character sids, some users with 2-3 sessions, some usernames,
 * subscriptions to {@code telemetry}, {@code billing}, {@code alerts}..., contractors like {@code
 * contractor-xyz}); every (userid, sid) pair is unique. Same count and seed, same list.
 */
public final class ConnectionGenerator {
  private static final String[] REGIONS = {"eu", "us", "ap"};
  private static final String[] CONTRACTORS = {"xyz", "acme", "initech"};
  private static final String[] NAMES = {
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar", "peggy", "trent", "victor", "walter"
  };
  private static final String[][] CHANNELS = {
    {"telemetry", "*", "temperature", "humidity", "pressure", "battery"},
    {"billing", "invoices", "usage"},
    {"alerts", "*", "critical", "warning"},
    {"firmware", "updates", "status"},
    {"private-ops", "commands", "*"},
    {"presence-lobby", "*"}
  };
  private static final char[] ALNUM =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final char[] SID_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();

  private ConnectionGenerator() {}

  /**
   * {@code count} connections owned by {@code owner} (null: the simulator's first account when
   * added), the same for the same arguments.
   */
  public static List<Connection> generate(int count, long seed, String owner) {
    if (count < 0) {
      throw new IllegalArgumentException("negative count " + count);
    }
    return new Run(new Random(seed), owner).generate(count);
  }

  /** One generation: the random source and what has been handed out so far. */
  private static final class Run {
    private final Random rnd;
    private final String owner;
    private final Set<String> mqttUserids = new HashSet<>();
    private final Set<String> socketUserids = new HashSet<>();
    private final Set<String> sids = new HashSet<>();
    // Socket.IO users that will get more sessions, with how many more.
    private final List<String> moreSessions = new ArrayList<>();
    private final Map<String, Integer> remaining = new HashMap<>();
    private final Map<String, String> userIp = new HashMap<>();
    private final Map<String, String> userName = new HashMap<>();
    private final List<String> socketOrder = new ArrayList<>();
    private int fallback;

    Run(Random rnd, String owner) {
      this.rnd = rnd;
      this.owner = owner;
    }

    List<Connection> generate(int count) {
      List<Connection> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        out.add(rnd.nextInt(100) < 60 ? mqtt() : socketio());
      }
      return out;
    }

    private Connection mqtt() {
      String userid = null;
      for (int attempt = 0; attempt < 20 && userid == null; attempt++) {
        String candidate = mqttUserid();
        if (!mqttUserids.contains(candidate)) {
          userid = candidate;
        }
      }
      while (userid == null || mqttUserids.contains(userid)) {
        userid = "device-" + pad(fallback++, 6);
      }
      mqttUserids.add(userid);
      // An MQTT sid is its userid; reserving it keeps every (userid, sid) pair unique.
      sids.add(userid);
      return new Connection(
          userid, userid, Protocol.mqtt.wireName(), userid, ip(), owner, null, List.of());
    }

    private String mqttUserid() {
      int kind = rnd.nextInt(100);
      if (kind < 45) {
        return "sensor-" + pad(rnd.nextInt(100_000), 5);
      } else if (kind < 70) {
        return "gw-" + pick(REGIONS) + "-" + pad(rnd.nextInt(10_000), 4);
      } else if (kind < 82) {
        return "meter-" + pad(rnd.nextInt(100_000), 5);
      } else if (kind < 92) {
        // What mqtt.js makes up when a client gives no id.
        return "bbt_test-mqttjs_" + hex8(rnd.nextInt());
      } else if (kind < 96 && !socketOrder.isEmpty()) {
        // The same userid on both protocols, e.g. an app that also talks MQTT.
        return socketOrder.get(rnd.nextInt(socketOrder.size()));
      }
      return "contractor-" + pick(CONTRACTORS) + "-dev" + pad(rnd.nextInt(1000), 3);
    }

    private Connection socketio() {
      String userid;
      if (!moreSessions.isEmpty() && rnd.nextInt(100) < 40) {
        int idx = rnd.nextInt(moreSessions.size());
        userid = moreSessions.get(idx);
        int left = remaining.merge(userid, -1, Integer::sum);
        if (left == 0) {
          moreSessions.remove(idx);
          remaining.remove(userid);
        }
      } else {
        userid = newSocketUserid();
        int sessions = rnd.nextInt(100) < 75 ? 1 : 2 + rnd.nextInt(2);
        if (sessions > 1) {
          moreSessions.add(userid);
          remaining.put(userid, sessions - 1);
        }
        userIp.put(userid, ip());
        if (rnd.nextInt(100) < 50) {
          userName.put(userid, username(userid));
        }
      }
      String sid;
      do {
        sid = random(SID_CHARS, 20);
      } while (!sids.add(sid));
      return new Connection(
          userid,
          sid,
          Protocol.socketio.wireName(),
          userid,
          userIp.get(userid),
          owner,
          userName.get(userid),
          subscriptions());
    }

    private String newSocketUserid() {
      for (int attempt = 0; ; attempt++) {
        int kind = rnd.nextInt(100);
        String candidate;
        if (attempt >= 20) {
          candidate = "uid-" + random(ALNUM, 16);
        } else if (kind < 40) {
          candidate = "uid-" + random(ALNUM, 16);
        } else if (kind < 65) {
          candidate = "app-web-" + pad(rnd.nextInt(10_000), 4);
        } else if (kind < 80) {
          candidate = "dashboard-" + pad(rnd.nextInt(1000), 3);
        } else if (kind < 90) {
          candidate = "contractor-" + pick(CONTRACTORS);
          if (socketUserids.contains(candidate)) {
            candidate += "-" + pad(rnd.nextInt(1000), 3);
          }
        } else {
          candidate = "ops-console-" + pad(rnd.nextInt(100), 2);
        }
        if (socketUserids.add(candidate)) {
          socketOrder.add(candidate);
          return candidate;
        }
      }
    }

    private String username(String userid) {
      if (userid.startsWith("contractor-")) {
        return userid.substring("contractor-".length()) + "-" + pick(NAMES);
      }
      String name = pick(NAMES);
      return rnd.nextInt(100) < 30 ? name + "@example.com" : name;
    }

    private List<Subscription> subscriptions() {
      int n = rnd.nextInt(4);
      List<Subscription> subs = new ArrayList<>(n);
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < n; i++) {
        String[] channel = CHANNELS[rnd.nextInt(CHANNELS.length)];
        String resource = channel[1 + rnd.nextInt(channel.length - 1)];
        if (seen.add(channel[0] + "." + resource)) {
          boolean write = channel[0].startsWith("private-") || rnd.nextInt(100) < 20;
          subs.add(new Subscription(channel[0], resource, true, write));
        }
      }
      return subs;
    }

    private String ip() {
      int kind = rnd.nextInt(100);
      if (kind < 35) {
        return "::ffff:203.0.113." + (1 + rnd.nextInt(254));
      } else if (kind < 60) {
        return "::ffff:198.51.100." + (1 + rnd.nextInt(254));
      }
      return "::ffff:10."
          + rnd.nextInt(256)
          + "."
          + rnd.nextInt(256)
          + "."
          + (1 + rnd.nextInt(254));
    }

    // String.format costs more than everything else here put together.
    private static String pad(int n, int width) {
      String digits = Integer.toString(n);
      return digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
    }

    private static String hex8(int n) {
      String hex = Integer.toHexString(n);
      return "0".repeat(8 - hex.length()) + hex;
    }

    private String pick(String[] values) {
      return values[rnd.nextInt(values.length)];
    }

    private String random(char[] alphabet, int length) {
      char[] s = new char[length];
      for (int i = 0; i < length; i++) {
        s[i] = alphabet[rnd.nextInt(alphabet.length)];
      }
      return new String(s);
    }
  }
}
