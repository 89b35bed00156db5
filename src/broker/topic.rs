//! Topics: their names, their configs, and where their replicas go.
//!
//! A topic is a named, partitioned log. Its name must pass the same checks as in Kafka
//! (`org.apache.kafka.common.internals.Topic.validate`): 1 to 249 characters from
//! `[a-zA-Z0-9._-]`, not `.` or `..`. Because metric names turn `.` into `_`, two topics that
//! differ only there (`my.topic`, `my_topic`) collide and the second is refused.
//!
//! Each partition gets `replication.factor` replicas, placed by Kafka's rack-unaware
//! assignment (`AdminUtils.assignReplicasToBrokersRackUnaware`): leaders round-robin over
//! the brokers from a random start, followers shifted so the load spreads evenly.

use serde::{Deserialize, Serialize};

use super::error::BrokerError;
use super::ids::BrokerId;
use super::sorted_map::{sorted_unique, SortedMap};

/// `Topic.MAX_NAME_LENGTH`.
pub const MAX_TOPIC_NAME_LENGTH: usize = 249;

/// Checks a topic name exactly as `Topic.validate` does, with Kafka's messages.
///
/// ```
/// use kafka_playground::broker::topic::validate_topic_name;
/// assert!(validate_topic_name("orders").is_ok());
/// assert!(validate_topic_name("..").is_err());
/// assert!(validate_topic_name("bad name").is_err());
/// ```
pub fn validate_topic_name(topic: &str) -> Result<(), BrokerError> {
    let invalid = |reason: String| BrokerError::InvalidTopicException {
        topic: topic.to_string(),
        reason,
    };
    if topic.is_empty() {
        return Err(invalid("Topic name is illegal, it can't be empty".into()));
    }
    if topic == "." || topic == ".." {
        return Err(invalid("Topic name cannot be \".\" or \"..\"".into()));
    }
    // Java's String.length counts UTF-16 units; every legal name is ASCII, so for any
    // name that gets past the character check below the two counts agree.
    if topic.encode_utf16().count() > MAX_TOPIC_NAME_LENGTH {
        return Err(invalid(format!(
            "Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LENGTH} characters, topic name: {topic}"
        )));
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return Err(invalid(format!(
            "Topic name \"{topic}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        )));
    }
    Ok(())
}

/// `Topic.unifyCollisionChars`: the name metrics would see.
pub fn unify_collision_chars(topic: &str) -> String {
    topic.replace('.', "_")
}

/// `Topic.hasCollision`: true when the two names differ but look the same to metrics.
pub fn topics_collide(a: &str, b: &str) -> bool {
    a != b && unify_collision_chars(a) == unify_collision_chars(b)
}

/// `cleanup.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CleanupPolicy {
    #[default]
    Delete,
    Compact,
    /// `compact,delete`: compacted, and old segments are also deleted by retention.
    CompactDelete,
}

impl CleanupPolicy {
    pub fn kafka_value(self) -> &'static str {
        match self {
            CleanupPolicy::Delete => "delete",
            CleanupPolicy::Compact => "compact",
            CleanupPolicy::CompactDelete => "compact,delete",
        }
    }
    pub fn deletes(self) -> bool {
        matches!(self, CleanupPolicy::Delete | CleanupPolicy::CompactDelete)
    }
    pub fn compacts(self) -> bool {
        matches!(self, CleanupPolicy::Compact | CleanupPolicy::CompactDelete)
    }
}

/// The per-topic configs the playground models, with Kafka's defaults
/// (`org.apache.kafka.common.config.TopicConfig`, `ServerLogConfigs`). Times are in ticks,
/// and one tick is one millisecond, so the numbers are Kafka's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicConfig {
    /// `min.insync.replicas`, default 1.
    pub min_insync_replicas: u32,
    /// `retention.ms`, default 7 days; -1 keeps records forever.
    pub retention_ms: i64,
    /// `retention.bytes`, default -1 (no size limit).
    pub retention_bytes: i64,
    /// `segment.bytes`, default 1 GiB.
    pub segment_bytes: u64,
    /// `segment.ms`, default 7 days.
    pub segment_ms: u64,
    /// `cleanup.policy`, default delete.
    pub cleanup_policy: CleanupPolicy,
    /// `max.message.bytes`, default 1048588 (1 MiB plus the record batch overhead).
    pub max_message_bytes: u64,
    /// `unclean.leader.election.enable`, default false.
    pub unclean_leader_election_enable: bool,
    /// `delete.retention.ms`: how long a tombstone survives compaction, default 1 day.
    pub delete_retention_ms: u64,
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            min_insync_replicas: 1,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            cleanup_policy: CleanupPolicy::Delete,
            max_message_bytes: 1_048_588,
            unclean_leader_election_enable: false,
            delete_retention_ms: 86_400_000,
        }
    }
}

/// The config names the playground accepts, as `kafka-topics.sh --config` spells them.
pub const TOPIC_CONFIG_NAMES: [&str; 9] = [
    "cleanup.policy",
    "delete.retention.ms",
    "max.message.bytes",
    "min.insync.replicas",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.ms",
    "unclean.leader.election.enable",
];

impl TopicConfig {
    /// Applies `name=value` overrides on top of `self`, all or nothing.
    pub fn with_overrides(
        &self,
        overrides: &SortedMap<String, String>,
    ) -> Result<TopicConfig, BrokerError> {
        let mut config = self.clone();
        for (name, value) in overrides {
            config.set(name, value)?;
        }
        Ok(config)
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), BrokerError> {
        let invalid = |reason: &str| BrokerError::InvalidConfig {
            name: name.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let int = |min: i64| -> Result<i64, BrokerError> {
            let parsed: i64 = value
                .trim()
                .parse()
                .map_err(|_| invalid("not a whole number"))?;
            if parsed < min {
                return Err(invalid(&format!("the value must be at least {min}")));
            }
            Ok(parsed)
        };
        match name {
            "min.insync.replicas" => {
                self.min_insync_replicas = int(1)?.min(i64::from(u32::MAX)) as u32
            }
            "retention.ms" => self.retention_ms = int(-1)?,
            "retention.bytes" => self.retention_bytes = int(-1)?,
            // LegacyRecord.RECORD_OVERHEAD_V0 is Kafka's lower bound for segment.bytes.
            "segment.bytes" => self.segment_bytes = int(14)? as u64,
            "segment.ms" => self.segment_ms = int(1)? as u64,
            "max.message.bytes" => self.max_message_bytes = int(0)? as u64,
            "delete.retention.ms" => self.delete_retention_ms = int(0)? as u64,
            "unclean.leader.election.enable" => {
                self.unclean_leader_election_enable = match value.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid("expected true or false")),
                }
            }
            "cleanup.policy" => {
                let parts = sorted_unique(value.split(',').map(str::trim));
                self.cleanup_policy = match parts.as_slice() {
                    ["delete"] => CleanupPolicy::Delete,
                    ["compact"] => CleanupPolicy::Compact,
                    ["compact", "delete"] => CleanupPolicy::CompactDelete,
                    _ => return Err(invalid("expected delete, compact, or compact,delete")),
                }
            }
            _ => {
                return Err(invalid(&format!(
                    "unknown topic config; the playground knows {}",
                    TOPIC_CONFIG_NAMES.join(", ")
                )))
            }
        }
        Ok(())
    }

    /// Re-checks every value (for configs that arrive whole, from a file).
    pub fn validate(&self) -> Result<(), BrokerError> {
        let described = self.describe();
        TopicConfig::default()
            .with_overrides(&described)
            .map(|_| ())
    }

    /// The configs as Kafka names and values, for `describe` and the inspector.
    pub fn describe(&self) -> SortedMap<String, String> {
        let mut configs = SortedMap::new();
        configs.extend([
            (
                "cleanup.policy".into(),
                self.cleanup_policy.kafka_value().into(),
            ),
            (
                "delete.retention.ms".into(),
                self.delete_retention_ms.to_string(),
            ),
            (
                "max.message.bytes".into(),
                self.max_message_bytes.to_string(),
            ),
            (
                "min.insync.replicas".into(),
                self.min_insync_replicas.to_string(),
            ),
            ("retention.bytes".into(), self.retention_bytes.to_string()),
            ("retention.ms".into(), self.retention_ms.to_string()),
            ("segment.bytes".into(), self.segment_bytes.to_string()),
            ("segment.ms".into(), self.segment_ms.to_string()),
            (
                "unclean.leader.election.enable".into(),
                self.unclean_leader_election_enable.to_string(),
            ),
        ]);
        configs
    }
}

/// Kafka's rack-unaware replica assignment (`AdminUtils.assignReplicasToBrokersRackUnaware`).
///
/// `start_index` and `replica_shift` are the two random draws Kafka makes (pass the same
/// value Kafka's tests pass as `fixedStartIndex` to reproduce them). The first replica of
/// partition `p` is broker `(p + start_index) % n`; the others follow at a shift that grows
/// by one every `n` partitions, so that no two brokers always share the same partitions.
///
/// ```
/// use kafka_playground::broker::topic::assign_replicas_rack_unaware;
/// let a = assign_replicas_rack_unaware(&[0, 1, 2, 3, 4], 10, 3, 0, 0);
/// assert_eq!(a[5], vec![0, 2, 3]);
/// ```
pub fn assign_replicas_rack_unaware(
    brokers: &[BrokerId],
    partitions: u32,
    replication_factor: u32,
    start_index: usize,
    replica_shift: usize,
) -> Vec<Vec<BrokerId>> {
    let n = brokers.len();
    assert!(
        n > 0 && replication_factor as usize <= n,
        "validated by the caller"
    );
    let mut next_replica_shift = replica_shift;
    (0..partitions as usize)
        .map(|partition| {
            if partition > 0 && partition % n == 0 {
                next_replica_shift += 1;
            }
            let first = (partition + start_index) % n;
            let mut replicas = vec![brokers[first]];
            for j in 0..replication_factor as usize - 1 {
                let shift = 1 + (next_replica_shift + j) % (n - 1);
                replicas.push(brokers[(first + shift) % n]);
            }
            replicas
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_names_pass() {
        for name in [
            "orders",
            "a",
            "my.topic",
            "my_topic",
            "A-1.b_2",
            &"x".repeat(249),
        ] {
            assert!(validate_topic_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn illegal_names_fail_with_kafkas_reason() {
        let reason = |name: &str| match validate_topic_name(name) {
            Err(BrokerError::InvalidTopicException { reason, .. }) => reason,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(reason(""), "Topic name is illegal, it can't be empty");
        assert_eq!(reason("."), "Topic name cannot be \".\" or \"..\"");
        assert_eq!(reason(".."), "Topic name cannot be \".\" or \"..\"");
        assert!(reason(&"x".repeat(250)).contains("can't be longer than 249 characters"));
        for bad in ["with space", "slash/", "ümlaut", "star*", "tab\t"] {
            assert!(
                reason(bad).contains("a character other than ASCII alphanumerics"),
                "{bad}"
            );
        }
        // "..." is legal in Kafka: only "." and ".." are reserved.
        assert!(validate_topic_name("...").is_ok());
    }

    #[test]
    fn dot_and_underscore_collide() {
        assert!(topics_collide("my.topic", "my_topic"));
        assert!(topics_collide("a_b.c", "a.b_c"));
        assert!(!topics_collide("my.topic", "my.topic"));
        assert!(!topics_collide("mytopic", "my_topic"));
    }

    /// `ReplicationUtilsTest`/`AdminRackAwareTest.testReplicaAssignment` in Kafka: 5 brokers,
    /// 10 partitions, RF 3, fixed start index 0.
    #[test]
    fn rack_unaware_assignment_matches_kafkas_test() {
        let expected: Vec<Vec<u32>> = vec![
            vec![0, 1, 2],
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 4, 0],
            vec![4, 0, 1],
            vec![0, 2, 3],
            vec![1, 3, 4],
            vec![2, 4, 0],
            vec![3, 0, 1],
            vec![4, 1, 2],
        ];
        assert_eq!(
            assign_replicas_rack_unaware(&[0, 1, 2, 3, 4], 10, 3, 0, 0),
            expected
        );
    }

    #[test]
    fn every_partition_gets_distinct_brokers() {
        for n in 1..=9u32 {
            let brokers: Vec<u32> = (1..=n).collect();
            for rf in 1..=n {
                for start in 0..n as usize {
                    for parts in assign_replicas_rack_unaware(&brokers, 20, rf, start, start) {
                        let mut sorted = parts.clone();
                        sorted.sort_unstable();
                        sorted.dedup();
                        assert_eq!(sorted.len(), rf as usize, "{parts:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn config_overrides_are_all_or_nothing() {
        let base = TopicConfig::default();
        let good = SortedMap::from([
            ("min.insync.replicas".to_string(), "2".to_string()),
            ("cleanup.policy".to_string(), "delete,compact".to_string()),
        ]);
        let config = base.with_overrides(&good).unwrap();
        assert_eq!(config.min_insync_replicas, 2);
        assert_eq!(config.cleanup_policy, CleanupPolicy::CompactDelete);

        let bad = SortedMap::from([
            ("min.insync.replicas".to_string(), "2".to_string()),
            ("retention.ms".to_string(), "soon".to_string()),
        ]);
        assert!(matches!(
            base.with_overrides(&bad),
            Err(BrokerError::InvalidConfig { .. })
        ));
        let unknown = SortedMap::from([("colour".to_string(), "blue".to_string())]);
        assert!(base.with_overrides(&unknown).is_err());
        assert!(base
            .with_overrides(&SortedMap::from([(
                "min.insync.replicas".to_string(),
                "0".to_string()
            )]))
            .is_err());
    }
}
