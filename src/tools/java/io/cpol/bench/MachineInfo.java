package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The machine and JVM the numbers were taken on, read from /proc and the running JVM. */
final class MachineInfo {
  private MachineInfo() {}

  static ObjectNode machine() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    List<String> cpuinfo = lines("/proc/cpuinfo");
    node.put("cpuModel", field(cpuinfo, "model name"));
    node.put(
        "cpuThreadsInCpuinfo", cpuinfo.stream().filter(l -> l.startsWith("processor")).count());
    node.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    String memTotal = field(lines("/proc/meminfo"), "MemTotal");
    node.put("memTotalMiB", memTotal == null ? -1 : kibToMib(memTotal));
    node.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    node.put("arch", System.getProperty("os.arch"));
    return node;
  }

  static ObjectNode jdk() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("version", System.getProperty("java.version"));
    node.put(
        "vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
    node.put("vendor", System.getProperty("java.vendor"));
    node.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    ArrayNode gcs = node.putArray("garbageCollectors");
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcs.add(gc.getName());
    }
    ArrayNode args = node.putArray("jvmArguments");
    ManagementFactory.getRuntimeMXBean().getInputArguments().forEach(args::add);
    return node;
  }

  /** The 1, 5 and 15 minute load averages: how busy the machine was besides us. */
  static String loadAverage() {
    List<String> loadavg = lines("/proc/loadavg");
    if (loadavg.isEmpty()) {
      return "unknown";
    }
    String[] parts = loadavg.get(0).split("\\s+");
    return parts[0] + " " + parts[1] + " " + parts[2];
  }

  /** One line for the table header. */
  static String summary(ObjectNode machine, ObjectNode jdk) {
    return machine.path("cpuModel").asText()
        + ", "
        + machine.path("availableProcessors").asInt()
        + " cores, "
        + machine.path("memTotalMiB").asLong()
        + " MiB RAM; JDK "
        + jdk.path("version").asText()
        + " ("
        + jdk.path("vm").asText()
        + ", "
        + gcNames(jdk)
        + ")";
  }

  private static String gcNames(ObjectNode jdk) {
    StringBuilder sb = new StringBuilder();
    jdk.path("garbageCollectors")
        .forEach(gc -> sb.append(sb.length() == 0 ? "" : " + ").append(gc.asText()));
    return sb.toString();
  }

  private static List<String> lines(String path) {
    try {
      return Files.readAllLines(Path.of(path));
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String field(List<String> lines, String name) {
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  private static long kibToMib(String value) {
    return Long.parseLong(value.replace("kB", "").trim()) / 1024;
  }
}
