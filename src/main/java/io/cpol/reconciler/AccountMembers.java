package io.cpol.reconciler;

import io.cpol.live.ListedPolicy;
import io.cpol.live.ListingSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which lanes and policies one account engine has: its credential lanes, each policy's entry in the
 * {@link PassSchedule}, the owner its listings showed, and handing them over when the engine merges
 * into another or splits. It keeps lanes and policies in step (a lane no policy uses leaves, for
 * the caller to close) and tells the live sessions view of every change of policies.
 *
 * <p>Not thread-safe: its engine calls it under its one lock, the lock a pass also takes its work
 * and sets its policies' schedule under, so a pass sees the lanes and policies of one moment.
 */
final class AccountMembers {
  private final PassSchedule schedule;
  private final ListingSink listings;
  private final Object publisher;
  private final Map<AccountKey, Lane> lanes = new LinkedHashMap<>();
  private String owner;
  private boolean retired;

  /** What an engine brings to another: its lanes and its policies, with their schedules. */
  record Handover(List<Lane> lanes, List<PassSchedule.Entry> entries) {
    List<PolicyRef> policies() {
      return entries.stream().map(PassSchedule.Entry::ref).toList();
    }
  }

  /**
   * @param changed the policy is new or changed: due now
   * @param unused the lanes no policy uses any more (the caller closes them)
   */
  record Registered(boolean changed, List<Lane> unused) {}

  /**
   * @param schedule the account's schedule, which the engine's passes read
   * @param listings the live sessions view, told of every change of policies
   * @param publisher who the live view hears it from (the engine)
   */
  AccountMembers(PassSchedule schedule, ListingSink listings, Object publisher) {
    this.schedule = schedule;
    this.listings = listings;
    this.publisher = publisher;
  }

  /**
   * Adds or replaces a policy, due {@code now} when new or changed.
   *
   * @param lane the registration's lane when the account does not have it yet, else null
   */
  Registered register(PolicyRegistration registration, Lane lane, Instant now) {
    if (lane != null) {
      lanes.putIfAbsent(lane.key(), lane);
    }
    if (!lanes.containsKey(registration.lane())) {
      throw new IllegalStateException("no lane " + registration.lane() + " in " + publisher);
    }
    boolean changed = schedule.put(registration, now);
    if (changed) {
      policiesChanged();
    }
    return new Registered(changed, unusedLanes());
  }

  /** Removes a policy; returns the lanes no policy uses any more (the caller closes them). */
  List<Lane> unregister(String uid) {
    if (schedule.remove(uid)) {
      policiesChanged();
    }
    return unusedLanes();
  }

  private List<Lane> unusedLanes() {
    List<Lane> unused = new ArrayList<>();
    for (Lane lane : List.copyOf(lanes.values())) {
      if (!schedule.uses(lane.key())) {
        lanes.remove(lane.key());
        unused.add(lane);
      }
    }
    return unused;
  }

  boolean isEmpty() {
    return schedule.isEmpty();
  }

  /** Everything was handed over or closed: the engine schedules and reports nothing more. */
  boolean retired() {
    return retired;
  }

  /** The registration of a policy, or null. */
  PolicyRegistration registration(String uid) {
    return schedule.registration(uid);
  }

  /** A lane of the account, or null. */
  Lane lane(AccountKey key) {
    return lanes.get(key);
  }

  /** The lane the account is listed with: the lane of its first policy ({@link PassSchedule}). */
  Lane lister() {
    return lanes.get(schedule.primaryLane());
  }

  /** Every lane, as they are now (a pass's drops use each policy's own). */
  Map<AccountKey, Lane> lanes() {
    return Map.copyOf(lanes);
  }

  /** Hands everything over for a merge into another engine; null when already retired. */
  Handover retireForMerge() {
    if (retired) {
      return null;
    }
    retired = true;
    Handover handover = new Handover(new ArrayList<>(lanes.values()), schedule.clear());
    lanes.clear();
    return handover;
  }

  /** Takes in what a merged engine brings; returns when its first policy is due, or null. */
  Instant adopt(Handover handover) {
    handover.lanes().forEach(lane -> lanes.putIfAbsent(lane.key(), lane));
    schedule.adopt(handover.entries());
    policiesChanged();
    return schedule.next();
  }

  /**
   * Splits off every lane but the one the account is listed with, each with its policies, due
   * {@code now} wherever they go; the owner is unknown until the next listing.
   */
  List<Handover> splitOffOtherLanes(Instant now) {
    AccountKey primary = schedule.primaryLane();
    List<Handover> out = new ArrayList<>();
    for (Lane lane : List.copyOf(lanes.values())) {
      if (lane.key().equals(primary)) {
        continue;
      }
      List<PassSchedule.Entry> moving = schedule.takeLane(lane.key(), now);
      lanes.remove(lane.key());
      out.add(new Handover(List.of(lane), new ArrayList<>(moving)));
    }
    owner = null;
    policiesChanged();
    return out;
  }

  /** Retires for good: returns every lane, for the caller to close. */
  List<Lane> close() {
    retired = true;
    List<Lane> closing = new ArrayList<>(lanes.values());
    lanes.clear();
    schedule.clear();
    return closing;
  }

  /** The owner the account's listings showed, or null (not listed yet, or split since). */
  String owner() {
    return owner;
  }

  void owner(String owner) {
    this.owner = owner;
  }

  /** Tells the live sessions view which policies use the account now. */
  private void policiesChanged() {
    listings.policiesChanged(publisher, listed(schedule.registrations()));
  }

  /** The policies as the live sessions view knows them. */
  static List<ListedPolicy> listed(List<PolicyRegistration> registrations) {
    return registrations.stream()
        .map(r -> new ListedPolicy(r.ref().namespace(), r.ref().name(), r.rules()))
        .toList();
  }
}
