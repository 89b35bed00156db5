//! Partition assignors: how a consumer group's leader shares partitions among members.
//!
//! In Kafka's classic group protocol one member (the group leader) computes the assignment
//! on the client with the `partition.assignment.strategy` all members support. The members
//! are first put in Kafka's order (`AbstractPartitionAssignor.MemberInfo.compareTo`): static
//! members (with a `group.instance.id`) first, by instance id, then the others by member id,
//! compared as Java compares strings.
//!
//! * **range** (`RangeAssignor`): topic by topic, the members subscribed to it each get a
//!   contiguous range; the first `partitions % members` members get one extra.
//! * **roundrobin** (`RoundRobinAssignor`): all partitions of all subscribed topics, sorted
//!   by topic and partition, dealt out one by one to the members in turn, skipping members
//!   not subscribed to the partition's topic.
//! * **sticky** (`StickyAssignor`): as balanced as possible (no partition could move to a
//!   member with at least two fewer partitions), and otherwise keeps every member's partitions
//!   where they were. A partition claimed by several members goes to the claim with the
//!   highest generation; claims tied at the highest generation are all ignored
//!   (`AbstractStickyAssignor`, KAFKA-12984).
//! * **cooperative-sticky** (`CooperativeStickyAssignor`, KIP-429): the sticky target, except
//!   that a partition changing owner is withheld this round; its old owner revokes it, and
//!   the follow-up rebalance hands it to the new owner.
//!
//! ```
//! use kafka_playground::broker::assignor::{range_assign, Member};
//! let topics = [("orders".to_string(), 3)].into();
//! let members = [Member::new("c1", &["orders"]), Member::new("c2", &["orders"])];
//! let assignment = range_assign(&topics, &members);
//! assert_eq!(assignment["c1"].len(), 2); // orders-0, orders-1
//! assert_eq!(assignment["c2"].len(), 1); // orders-2
//! ```

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

use super::ids::TopicPartition;
use super::sorted_map::{sorted_unique, sorted_unique_by, SortedMap, SortedSet};
use crate::json::{named_json, Named};

/// One member's part of a JoinGroup: who it is and what it subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<String>,
    /// Partitions the member owns now (sticky assignors only).
    pub owned: Vec<TopicPartition>,
    /// The generation in which it got them (sticky assignors only).
    pub generation: Option<i32>,
}

impl Member {
    pub fn new(member_id: &str, topics: &[&str]) -> Self {
        Self {
            member_id: member_id.to_string(),
            group_instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned: Vec::new(),
            generation: None,
        }
    }

    pub fn owning(mut self, owned: &[(&str, u32)], generation: i32) -> Self {
        self.owned = owned
            .iter()
            .map(|(t, p)| TopicPartition::new(*t, *p))
            .collect();
        self.generation = Some(generation);
        self
    }

    pub fn with_instance_id(mut self, group_instance_id: &str) -> Self {
        self.group_instance_id = Some(group_instance_id.to_string());
        self
    }

    fn subscribes_to(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| t == topic)
    }
}

/// Member id → the partitions it gets, in the order the assignor handed them out.
pub type Assignment = SortedMap<String, Vec<TopicPartition>>;

/// Java's `String.compareTo`: by UTF-16 code units, which differs from Rust's byte order
/// for characters above U+FFFF against U+E000..U+FFFF.
pub fn java_string_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `MemberInfo.compareTo`: static members first, by `group.instance.id`, then member ids.
pub fn member_order(a: &Member, b: &Member) -> Ordering {
    match (&a.group_instance_id, &b.group_instance_id) {
        (Some(x), Some(y)) => java_string_order(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java_string_order(&a.member_id, &b.member_id),
    }
}

/// The members in [`member_order`], member ids breaking ties (a group has no two members
/// with one `group.instance.id`, so there are none).
fn sorted(members: &[Member]) -> Vec<&Member> {
    sorted_unique_by(members.iter(), |a, b| {
        member_order(a, b).then_with(|| a.member_id.cmp(&b.member_id))
    })
}

fn empty_assignment(members: &[Member]) -> Assignment {
    SortedMap::from_iter(members.iter().map(|m| (m.member_id.clone(), Vec::new())))
}

/// Kafka's `RangeAssignor` (without rack awareness). Topics missing from
/// `partitions_per_topic` are skipped, as Kafka skips topics with no metadata.
pub fn range_assign(
    partitions_per_topic: &SortedMap<String, u32>,
    members: &[Member],
) -> Assignment {
    let mut assignment = empty_assignment(members);
    let members = sorted(members);
    for (topic, &partitions) in partitions_per_topic {
        let subscribed: Vec<&&Member> = members.iter().filter(|m| m.subscribes_to(topic)).collect();
        if subscribed.is_empty() {
            continue;
        }
        let per_member = partitions / subscribed.len() as u32;
        let with_extra = partitions % subscribed.len() as u32;
        for (i, member) in subscribed.iter().enumerate() {
            let i = i as u32;
            let start = per_member * i + i.min(with_extra);
            let length = per_member + u32::from(i < with_extra);
            let owned = assignment
                .get_mut(&member.member_id)
                .expect("every member has an entry");
            owned.extend((start..start + length).map(|p| TopicPartition::new(topic.clone(), p)));
        }
    }
    assignment
}

/// Kafka's `RoundRobinAssignor`.
pub fn round_robin_assign(
    partitions_per_topic: &SortedMap<String, u32>,
    members: &[Member],
) -> Assignment {
    let mut assignment = empty_assignment(members);
    let members = sorted(members);
    if members.is_empty() {
        return assignment;
    }
    let mut next = 0;
    for (topic, &partitions) in partitions_per_topic {
        if !members.iter().any(|m| m.subscribes_to(topic)) {
            continue;
        }
        for partition in 0..partitions {
            // The circular iterator moves on until it finds a subscriber.
            while !members[next % members.len()].subscribes_to(topic) {
                next += 1;
            }
            let member = members[next % members.len()];
            next += 1;
            assignment
                .get_mut(&member.member_id)
                .expect("every member has an entry")
                .push(TopicPartition::new(topic.clone(), partition));
        }
    }
    assignment
}

/// The owned partitions each member may keep: still existing, still subscribed, and not
/// contested (the highest generation wins; a tie at the highest generation voids the claims).
fn valid_owned(
    partitions_per_topic: &SortedMap<String, u32>,
    members: &[&Member],
) -> SortedMap<String, Vec<TopicPartition>> {
    let mut claims: SortedMap<&TopicPartition, Vec<(i32, &str)>> = SortedMap::new();
    for member in members {
        for tp in &member.owned {
            let exists = partitions_per_topic
                .get(&tp.topic)
                .is_some_and(|&n| tp.partition < n);
            if exists && member.subscribes_to(&tp.topic) {
                claims
                    .entry(tp)
                    .or_default()
                    .push((member.generation.unwrap_or(-1), &member.member_id));
            }
        }
    }
    let mut kept: SortedMap<String, Vec<TopicPartition>> =
        SortedMap::from_iter(members.iter().map(|m| (m.member_id.clone(), Vec::new())));
    for (tp, claimants) in claims {
        // One claim per member: ordering them loses none.
        let claimants = sorted_unique(claimants);
        let (best_generation, best_member) = claimants[claimants.len() - 1];
        let tied = claimants
            .iter()
            .filter(|(g, _)| *g == best_generation)
            .count()
            > 1;
        if !tied {
            kept.get_mut(best_member)
                .expect("a member")
                .push(tp.clone());
        }
    }
    kept
}

/// Kafka's `StickyAssignor`: balanced first, sticky second.
pub fn sticky_assign(
    partitions_per_topic: &SortedMap<String, u32>,
    members: &[Member],
) -> Assignment {
    let members = sorted(members);
    let mut assignment = valid_owned(partitions_per_topic, &members);
    let subscribers = |tp: &TopicPartition| -> Vec<&str> {
        members
            .iter()
            .filter(|m| m.subscribes_to(&tp.topic))
            .map(|m| m.member_id.as_str())
            .collect()
    };
    // Kafka's `allSubscriptionsEqual` compares the subscriptions as sets.
    let all_equal = members
        .windows(2)
        .all(|w| sorted_unique(w[0].topics.iter()) == sorted_unique(w[1].topics.iter()));
    if all_equal && !members.is_empty() {
        // `constrainedAssign`: quotas are known up front.
        let total: u32 = partitions_per_topic
            .iter()
            .filter(|(t, _)| members[0].subscribes_to(t))
            .map(|(_, &n)| n)
            .sum();
        let n = members.len() as u32;
        let (min_quota, mut at_max_left) = (total / n, total % n);
        for member in &members {
            let owned = assignment.get_mut(&member.member_id).expect("a member");
            *owned = sorted_unique(std::mem::take(owned));
            let keep = if owned.len() as u32 > min_quota && at_max_left > 0 {
                at_max_left -= 1;
                min_quota + 1
            } else {
                min_quota
            };
            owned.truncate(keep as usize);
        }
    }
    // Unassigned partitions, in topic and partition order, go to the eligible member with
    // the fewest partitions (ties: Kafka's member order).
    let taken: SortedSet<TopicPartition> = assignment.values().flatten().cloned().collect();
    for (topic, &partitions) in partitions_per_topic {
        for partition in 0..partitions {
            let tp = TopicPartition::new(topic.clone(), partition);
            if taken.contains(&tp) {
                continue;
            }
            let eligible = subscribers(&tp);
            if let Some(target) = eligible
                .iter()
                .min_by_key(|m| assignment[**m].len())
                .copied()
            {
                assignment.get_mut(target).expect("a member").push(tp);
            }
        }
    }
    // Balance: move a partition from a member to an eligible one with at least two fewer,
    // until no such move exists (`isBalanced`). Each move lowers the sum of squared sizes,
    // so this ends.
    loop {
        let mut best: Option<(String, String, usize)> = None;
        for from in &members {
            let from_count = assignment[&from.member_id].len();
            for (index, tp) in assignment[&from.member_id].iter().enumerate().rev() {
                for to in subscribers(tp) {
                    let gain = from_count as i64 - assignment[to].len() as i64;
                    if gain >= 2
                        && best.as_ref().is_none_or(|(f, t, _)| {
                            gain > assignment[f].len() as i64 - assignment[t].len() as i64
                        })
                    {
                        best = Some((from.member_id.clone(), to.to_string(), index));
                    }
                }
            }
        }
        let Some((from, to, index)) = best else { break };
        let tp = assignment.get_mut(&from).expect("a member").remove(index);
        assignment.get_mut(&to).expect("a member").push(tp);
    }
    for owned in assignment.values_mut() {
        *owned = sorted_unique(std::mem::take(owned));
    }
    assignment
}

/// Kafka's `CooperativeStickyAssignor`: returns this round's assignment, with partitions
/// that change owner withheld, and the partitions each member must revoke.
pub fn cooperative_sticky_assign(
    partitions_per_topic: &SortedMap<String, u32>,
    members: &[Member],
) -> (Assignment, Assignment) {
    let target = sticky_assign(partitions_per_topic, members);
    let owners: SortedMap<&TopicPartition, &str> = SortedMap::from_iter(
        members
            .iter()
            .flat_map(|m| m.owned.iter().map(move |tp| (tp, m.member_id.as_str()))),
    );
    let mut revoking: Assignment = SortedMap::new();
    let mut assignment = target.clone();
    for (member, partitions) in &target {
        for tp in partitions {
            if let Some(&owner) = owners.get(tp) {
                if owner != member {
                    // Moves only after its owner gave it up: not in this round.
                    assignment
                        .get_mut(member)
                        .expect("a member")
                        .retain(|p| p != tp);
                    revoking
                        .entry(owner.to_string())
                        .or_default()
                        .push(tp.clone());
                }
            }
        }
    }
    // An owned partition that no longer exists or is no longer subscribed is revoked too.
    for member in members {
        for tp in &member.owned {
            let kept = target
                .get(&member.member_id)
                .is_some_and(|p| p.contains(tp));
            let moved = revoking
                .get(&member.member_id)
                .is_some_and(|p| p.contains(tp));
            if !kept && !moved {
                revoking
                    .entry(member.member_id.clone())
                    .or_default()
                    .push(tp.clone());
            }
        }
    }
    for partitions in revoking.values_mut() {
        *partitions = sorted_unique(std::mem::take(partitions));
    }
    (assignment, revoking)
}

/// The `partition.assignment.strategy` names Kafka uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    #[serde(rename = "range")]
    Range,
    #[serde(rename = "roundrobin")]
    RoundRobin,
    #[serde(rename = "sticky")]
    Sticky,
    #[serde(rename = "cooperative-sticky")]
    CooperativeSticky,
}

/// The name in `partition.assignment.strategy`, in the scenario format and in the group
/// records the coordinator stores.
impl Named for Strategy {
    const ALL: &'static [Self] = &[
        Strategy::Range,
        Strategy::RoundRobin,
        Strategy::Sticky,
        Strategy::CooperativeSticky,
    ];
    fn json_name(self) -> &'static str {
        self.name()
    }
}

named_json!(Strategy);

impl Strategy {
    /// The name in `partition.assignment.strategy`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Range => "range",
            Strategy::RoundRobin => "roundrobin",
            Strategy::Sticky => "sticky",
            Strategy::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Runs the strategy; the second map (partitions to revoke) is empty except for
    /// cooperative-sticky.
    pub fn assign(
        self,
        partitions_per_topic: &SortedMap<String, u32>,
        members: &[Member],
    ) -> (Assignment, Assignment) {
        match self {
            Strategy::Range => (
                range_assign(partitions_per_topic, members),
                SortedMap::new(),
            ),
            Strategy::RoundRobin => (
                round_robin_assign(partitions_per_topic, members),
                SortedMap::new(),
            ),
            Strategy::Sticky => (
                sticky_assign(partitions_per_topic, members),
                SortedMap::new(),
            ),
            Strategy::CooperativeSticky => cooperative_sticky_assign(partitions_per_topic, members),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(list: &[(&str, u32)]) -> SortedMap<String, u32> {
        list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
        list.iter()
            .map(|(t, p)| TopicPartition::new(*t, *p))
            .collect()
    }

    // Cases from Kafka's RangeAssignorTest.

    #[test]
    fn range_one_consumer_no_topic() {
        let assignment = range_assign(&topics(&[]), &[Member::new("c", &[])]);
        assert_eq!(assignment["c"], vec![]);
    }

    #[test]
    fn range_only_assigns_partitions_from_subscribed_topics() {
        let assignment = range_assign(
            &topics(&[("topic", 3), ("other", 3)]),
            &[Member::new("c", &["topic"])],
        );
        assert_eq!(
            assignment["c"],
            tps(&[("topic", 0), ("topic", 1), ("topic", 2)])
        );
    }

    #[test]
    fn range_two_consumers_one_topic_one_partition() {
        let members = [
            Member::new("consumer1", &["topic"]),
            Member::new("consumer2", &["topic"]),
        ];
        let assignment = range_assign(&topics(&[("topic", 1)]), &members);
        assert_eq!(assignment["consumer1"], tps(&[("topic", 0)]));
        assert_eq!(assignment["consumer2"], vec![]);
    }

    #[test]
    fn range_multiple_consumers_mixed_topics() {
        let members = [
            Member::new("consumer1", &["topic1"]),
            Member::new("consumer2", &["topic1", "topic2"]),
            Member::new("consumer3", &["topic1"]),
        ];
        let assignment = range_assign(&topics(&[("topic1", 3), ("topic2", 2)]), &members);
        assert_eq!(assignment["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(
            assignment["consumer2"],
            tps(&[("topic1", 1), ("topic2", 0), ("topic2", 1)])
        );
        assert_eq!(assignment["consumer3"], tps(&[("topic1", 2)]));
    }

    #[test]
    fn range_two_consumers_two_topics_six_partitions() {
        let members = [
            Member::new("consumer1", &["topic1", "topic2"]),
            Member::new("consumer2", &["topic1", "topic2"]),
        ];
        let assignment = range_assign(&topics(&[("topic1", 3), ("topic2", 3)]), &members);
        assert_eq!(
            assignment["consumer1"],
            tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)])
        );
        assert_eq!(
            assignment["consumer2"],
            tps(&[("topic1", 2), ("topic2", 2)])
        );
    }

    /// `testStaticMemberRangeAssignmentPersistent`-style: static members sort by instance id,
    /// whatever their (random) member ids, so the assignment survives rejoins.
    #[test]
    fn range_orders_static_members_by_instance_id_first() {
        let members = [
            Member::new("zz-member", &["t"]).with_instance_id("instance-1"),
            Member::new("aa-member", &["t"]).with_instance_id("instance-2"),
            Member::new("dynamic", &["t"]),
        ];
        let assignment = range_assign(&topics(&[("t", 5)]), &members);
        assert_eq!(assignment["zz-member"], tps(&[("t", 0), ("t", 1)]));
        assert_eq!(assignment["aa-member"], tps(&[("t", 2), ("t", 3)]));
        assert_eq!(assignment["dynamic"], tps(&[("t", 4)]));
    }

    // Cases from Kafka's RoundRobinAssignorTest.

    #[test]
    fn round_robin_two_consumers_two_topics_six_partitions() {
        let members = [
            Member::new("consumer1", &["topic1", "topic2"]),
            Member::new("consumer2", &["topic1", "topic2"]),
        ];
        let assignment = round_robin_assign(&topics(&[("topic1", 3), ("topic2", 3)]), &members);
        assert_eq!(
            assignment["consumer1"],
            tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)])
        );
        assert_eq!(
            assignment["consumer2"],
            tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)])
        );
    }

    #[test]
    fn round_robin_multiple_consumers_mixed_topics() {
        let members = [
            Member::new("consumer1", &["topic1"]),
            Member::new("consumer2", &["topic1", "topic2"]),
            Member::new("consumer3", &["topic1"]),
        ];
        let assignment = round_robin_assign(&topics(&[("topic1", 3), ("topic2", 2)]), &members);
        assert_eq!(assignment["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(
            assignment["consumer2"],
            tps(&[("topic1", 1), ("topic2", 0), ("topic2", 1)])
        );
        assert_eq!(assignment["consumer3"], tps(&[("topic1", 2)]));
    }

    #[test]
    fn round_robin_skips_topics_nobody_subscribes_to() {
        let assignment =
            round_robin_assign(&topics(&[("a", 2), ("b", 2)]), &[Member::new("c", &["b"])]);
        assert_eq!(assignment["c"], tps(&[("b", 0), ("b", 1)]));
    }

    // Cases after Kafka's StickyAssignorTest / CooperativeStickyAssignorTest.

    #[test]
    fn sticky_adding_a_member_moves_only_what_balance_needs() {
        let members = [
            Member::new("c1", &["t"]).owning(&[("t", 0), ("t", 1), ("t", 2)], 1),
            Member::new("c2", &["t"]),
        ];
        let assignment = sticky_assign(&topics(&[("t", 3)]), &members);
        assert_eq!(assignment["c1"], tps(&[("t", 0), ("t", 1)]));
        assert_eq!(assignment["c2"], tps(&[("t", 2)]));
    }

    #[test]
    fn sticky_removing_a_member_keeps_the_others_partitions() {
        let members = [Member::new("c1", &["t"]).owning(&[("t", 0)], 1)];
        let assignment = sticky_assign(&topics(&[("t", 3)]), &members);
        assert_eq!(assignment["c1"], tps(&[("t", 0), ("t", 1), ("t", 2)]));
    }

    #[test]
    fn sticky_prefers_the_highest_generation_and_voids_ties() {
        let members = [
            Member::new("c1", &["t"]).owning(&[("t", 0), ("t", 1)], 1),
            Member::new("c2", &["t"]).owning(&[("t", 0)], 2),
        ];
        let assignment = sticky_assign(&topics(&[("t", 2)]), &members);
        assert_eq!(
            assignment["c2"],
            tps(&[("t", 0)]),
            "generation 2 beats generation 1"
        );
        assert_eq!(assignment["c1"], tps(&[("t", 1)]));
        let owned = valid_owned(
            &topics(&[("t", 2)]),
            &[
                &Member::new("a", &["t"]).owning(&[("t", 0)], 3),
                &Member::new("b", &["t"]).owning(&[("t", 0)], 3),
            ],
        );
        assert!(
            owned.values().all(Vec::is_empty),
            "two claims in one generation: no owner"
        );
    }

    #[test]
    fn sticky_balances_members_with_different_subscriptions() {
        let members = [
            Member::new("c1", &["a", "b"]).owning(&[("a", 0), ("a", 1), ("a", 2), ("b", 0)], 1),
            Member::new("c2", &["a"]),
            Member::new("c3", &["b"]),
        ];
        let assignment = sticky_assign(&topics(&[("a", 3), ("b", 2)]), &members);
        let counts: Vec<usize> = ["c1", "c2", "c3"]
            .iter()
            .map(|m| assignment[*m].len())
            .collect();
        assert!(
            counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
            "{assignment:?}"
        );
        assert!(
            assignment["c1"]
                .iter()
                .all(|tp| members[0].owned.contains(tp)),
            "c1 only keeps what it had"
        );
    }

    #[test]
    fn cooperative_sticky_withholds_moving_partitions_for_a_second_round() {
        let six: Vec<(&str, u32)> = (0..6).map(|p| ("t", p)).collect();
        let members = [
            Member::new("c1", &["t"]).owning(&six, 1),
            Member::new("c2", &["t"]),
        ];
        let (first, revoking) = cooperative_sticky_assign(&topics(&[("t", 6)]), &members);
        assert_eq!(first["c1"], tps(&[("t", 0), ("t", 1), ("t", 2)]));
        assert_eq!(first["c2"], vec![], "nothing moves until c1 has revoked");
        assert_eq!(revoking["c1"], tps(&[("t", 3), ("t", 4), ("t", 5)]));
        // The follow-up rebalance: c1 owns only what it kept.
        let members = [
            Member::new("c1", &["t"]).owning(&six[..3], 2),
            Member::new("c2", &["t"]).owning(&[], 2),
        ];
        let (second, revoking) = cooperative_sticky_assign(&topics(&[("t", 6)]), &members);
        assert_eq!(second["c2"], tps(&[("t", 3), ("t", 4), ("t", 5)]));
        assert!(revoking.is_empty());
    }

    #[test]
    fn java_order_compares_utf16_code_units() {
        // U+FF5E (one unit 0xFF5E) sorts after U+1F600 (surrogates 0xD83D...) in Java,
        // though its UTF-8 bytes sort before.
        assert_eq!(
            java_string_order("\u{ff5e}", "\u{1f600}"),
            Ordering::Greater
        );
        assert!("\u{ff5e}" < "\u{1f600}");
        assert_eq!(
            java_string_order("consumer-10", "consumer-9"),
            Ordering::Less
        );
    }
}
