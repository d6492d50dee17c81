package io.cpol.live;

import java.util.List;

/**
 * One page of a list.
 *
 * @param resourceVersion the store version the whole list (every page) is consistent with
 * @param continueToken null on the last page
 * @param remaining how many matching items follow this page (metadata.remainingItemCount)
 */
public record SessionPage(
    List<Session> items, String resourceVersion, String continueToken, long remaining) {}
