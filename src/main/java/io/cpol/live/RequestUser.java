package io.cpol.live;

import java.util.List;
import java.util.Map;

/** Who a request is from, as the front proxy's headers name them. */
record RequestUser(String name, List<String> groups, Map<String, List<String>> extra) {
  RequestUser {
    groups = List.copyOf(groups);
    extra = Map.copyOf(extra);
  }
}
