package io.cpol.sim;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ends the Netty event loops an embedded server keeps in private fields without Netty's default
 * two-second quiet period, so a test that stops a broker does not wait for nothing. The servers'
 * own stop methods run afterwards and find the loops already terminated.
 */
public final class QuickStop {
  private QuickStop() {}

  /**
   * Shuts down the {@link EventLoopGroup}s held in {@code fields} of {@code holder} (a dotted path
   * follows a field into the object it holds); a field that is not there is skipped.
   */
  public static void eventLoops(Object holder, String... fields) {
    List<Future<?>> terminations = new ArrayList<>();
    for (String path : fields) {
      Object value = holder;
      try {
        for (String name : path.split("\\.")) {
          value = field(value.getClass(), name).get(value);
          if (value == null) {
            break;
          }
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        continue;
      }
      if (value instanceof EventLoopGroup group) {
        terminations.add(group.shutdownGracefully(0, 5, TimeUnit.SECONDS));
      }
    }
    for (Future<?> f : terminations) {
      f.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(type.getName() + "." + name);
  }
}
