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
use std::collections::BTreeMap;

use super::ids::TopicPartition;

/// One member's part of a JoinGroup: who it is and what it subscribes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<String>,
}

impl Member {
    pub fn new(member_id: &str, topics: &[&str]) -> Self {
        Self {
            member_id: member_id.to_string(),
            group_instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
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
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

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

fn sorted(members: &[Member]) -> Vec<&Member> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| member_order(a, b));
    sorted
}

fn empty_assignment(members: &[Member]) -> Assignment {
    members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect()
}

/// Kafka's `RangeAssignor` (without rack awareness). Topics missing from
/// `partitions_per_topic` are skipped, as Kafka skips topics with no metadata.
pub fn range_assign(
    partitions_per_topic: &BTreeMap<String, u32>,
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
    partitions_per_topic: &BTreeMap<String, u32>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
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
