//! Writing the scenario format by hand: the same compact JSON that serde's derives for the
//! core's types write (`{"type":"create_topic","name":"orders",...}`), byte for byte, from
//! a handful of shared helpers instead of one generated serializer per type. Tests compare
//! the two writers on every command.

use super::{ClockEntry, Entry};
use crate::broker::consumer::{AutoOffsetReset, ConsumerConfig, FailureRule};
use crate::broker::controller::ControllerMode;
use crate::broker::dead_letter::{Backoff, ErrorPolicy, Tolerance};
use crate::broker::partitioner::NullKeyStrategy;
use crate::broker::producer::{Acks, ProducerConfig};
use crate::broker::topic::{CleanupPolicy, TopicConfig};
use crate::broker::{ClusterConfig, Command, Node};
use crate::json::{named_json, Named, Object, ToJson};

// The names the unit variants have in the scenario format (serde's renames).
named_json!(
    Acks,
    NullKeyStrategy,
    AutoOffsetReset,
    Tolerance,
    ControllerMode,
    CleanupPolicy,
);

impl Named for Acks {
    const ALL: &'static [Self] = &[Acks::None, Acks::Leader, Acks::All];
    fn json_name(self) -> &'static str {
        self.kafka_value()
    }
}

impl Named for NullKeyStrategy {
    const ALL: &'static [Self] = &[NullKeyStrategy::Sticky, NullKeyStrategy::RoundRobin];
    fn json_name(self) -> &'static str {
        match self {
            NullKeyStrategy::Sticky => "sticky",
            NullKeyStrategy::RoundRobin => "round_robin",
        }
    }
}

impl Named for AutoOffsetReset {
    const ALL: &'static [Self] = &[
        AutoOffsetReset::Earliest,
        AutoOffsetReset::Latest,
        AutoOffsetReset::None,
    ];
    fn json_name(self) -> &'static str {
        self.name()
    }
}

impl Named for Tolerance {
    const ALL: &'static [Self] = &[Tolerance::None, Tolerance::All];
    fn json_name(self) -> &'static str {
        match self {
            Tolerance::None => "none",
            Tolerance::All => "all",
        }
    }
}

impl Named for ControllerMode {
    const ALL: &'static [Self] = &[ControllerMode::Kraft, ControllerMode::Zookeeper];
    fn json_name(self) -> &'static str {
        match self {
            ControllerMode::Kraft => "kraft",
            ControllerMode::Zookeeper => "zookeeper",
        }
    }
}

impl Named for CleanupPolicy {
    const ALL: &'static [Self] = &[
        CleanupPolicy::Delete,
        CleanupPolicy::Compact,
        CleanupPolicy::CompactDelete,
    ];
    fn json_name(self) -> &'static str {
        match self {
            CleanupPolicy::Delete => "delete",
            CleanupPolicy::Compact => "compact",
            CleanupPolicy::CompactDelete => "compact_delete",
        }
    }
}

impl ToJson for Node {
    fn write_json(&self, out: &mut String) {
        let (kind, id) = match self {
            Node::Controller(id) => ("controller", id),
            Node::Broker(id) => ("broker", id),
            Node::Producer(id) => ("producer", id),
            Node::Consumer(id) => ("consumer", id),
        };
        Object::new(out).field("kind", kind).field("id", id).end();
    }
}

impl ToJson for ProducerConfig {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("acks", &self.acks)
            .field("enable_idempotence", &self.enable_idempotence)
            .field("retries", &self.retries)
            .field("retry_backoff_ms", &self.retry_backoff_ms)
            .field("retry_backoff_max_ms", &self.retry_backoff_max_ms)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("delivery_timeout_ms", &self.delivery_timeout_ms)
            .field("null_key_partitioner", &self.null_key_partitioner)
            .field("batch_size", &self.batch_size)
            .end();
    }
}

impl ToJson for ConsumerConfig {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("group_id", &self.group_id)
            .field("group_instance_id", &self.group_instance_id)
            .field("auto_offset_reset", &self.auto_offset_reset)
            .field("enable_auto_commit", &self.enable_auto_commit)
            .field("auto_commit_interval_ms", &self.auto_commit_interval_ms)
            .field("max_poll_records", &self.max_poll_records)
            .field("max_partition_fetch_bytes", &self.max_partition_fetch_bytes)
            .field("session_timeout_ms", &self.session_timeout_ms)
            .field("heartbeat_interval_ms", &self.heartbeat_interval_ms)
            .field("max_poll_interval_ms", &self.max_poll_interval_ms)
            .field(
                "partition_assignment_strategy",
                &self.partition_assignment_strategy,
            )
            .field("retry_backoff_ms", &self.retry_backoff_ms)
            .field("retry_backoff_max_ms", &self.retry_backoff_max_ms)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .end();
    }
}

impl ToJson for FailureRule {
    fn write_json(&self, out: &mut String) {
        match self {
            FailureRule::ValueContains(text) => {
                Object::new(out).field("value_contains", text).end()
            }
            FailureRule::EveryNth(n) => Object::new(out).field("every_nth", n).end(),
        }
    }
}

impl ToJson for Backoff {
    fn write_json(&self, out: &mut String) {
        match self {
            Backoff::Fixed { delay_ms } => Object::tagged(out, "fixed")
                .field("delay_ms", delay_ms)
                .end(),
            Backoff::Exponential {
                initial_ms,
                multiplier,
                max_ms,
            } => Object::tagged(out, "exponential")
                .field("initial_ms", initial_ms)
                .field("multiplier", multiplier)
                .field("max_ms", max_ms)
                .end(),
        }
    }
}

impl ToJson for ErrorPolicy {
    fn write_json(&self, out: &mut String) {
        match self {
            ErrorPolicy::LogAndSkip => Object::tagged(out, "log_and_skip").end(),
            ErrorPolicy::Spring {
                attempts,
                backoff,
                dlt_suffix,
            } => Object::tagged(out, "spring")
                .field("attempts", attempts)
                .field("backoff", backoff)
                .field("dlt_suffix", dlt_suffix)
                .end(),
            ErrorPolicy::Connect {
                tolerance,
                dlq_topic,
                context_headers,
                dlq_replication_factor,
            } => Object::tagged(out, "connect")
                .field("tolerance", tolerance)
                .field("dlq_topic", dlq_topic)
                .field("context_headers", context_headers)
                .field("dlq_replication_factor", dlq_replication_factor)
                .end(),
        }
    }
}

impl ToJson for TopicConfig {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("min_insync_replicas", &self.min_insync_replicas)
            .field("retention_ms", &self.retention_ms)
            .field("retention_bytes", &self.retention_bytes)
            .field("segment_bytes", &self.segment_bytes)
            .field("segment_ms", &self.segment_ms)
            .field("cleanup_policy", &self.cleanup_policy)
            .field("max_message_bytes", &self.max_message_bytes)
            .field(
                "unclean_leader_election_enable",
                &self.unclean_leader_election_enable,
            )
            .field("delete_retention_ms", &self.delete_retention_ms)
            .end();
    }
}

impl ToJson for ClusterConfig {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("brokers", &self.brokers)
            .field("controller_mode", &self.controller_mode)
            .field("controller_nodes", &self.controller_nodes)
            .field("broker_session_timeout_ms", &self.broker_session_timeout_ms)
            .field("replica_lag_time_max_ms", &self.replica_lag_time_max_ms)
            .field(
                "controller_quorum_election_timeout_ms",
                &self.controller_quorum_election_timeout_ms,
            )
            .field("max_records_per_partition", &self.max_records_per_partition)
            .field("topic_defaults", &self.topic_defaults)
            .field(
                "offsets_topic_num_partitions",
                &self.offsets_topic_num_partitions,
            )
            .end();
    }
}

impl ToJson for Command {
    fn write_json(&self, out: &mut String) {
        let object = Object::tagged(out, self.type_name());
        match self {
            Command::CreateTopic {
                name,
                partitions,
                replication_factor,
                configs,
            } => object
                .field("name", name)
                .field("partitions", partitions)
                .field("replication_factor", replication_factor)
                .field("configs", configs),
            Command::DeleteTopic { name } => object.field("name", name),
            Command::AlterTopicConfig { name, configs } => {
                object.field("name", name).field("configs", configs)
            }
            Command::AddProducer { config } => object.field("config", config),
            Command::Produce {
                producer,
                topic,
                key,
                value,
                headers,
                partition,
                count,
            } => object
                .field("producer", producer)
                .field("topic", topic)
                .field("key", key)
                .field("value", value)
                .field("headers", headers)
                .field("partition", partition)
                .field("count", count),
            Command::AddBroker => object,
            Command::CrashBroker { broker } | Command::RestartBroker { broker } => {
                object.field("broker", broker)
            }
            Command::CrashController { controller } | Command::RestartController { controller } => {
                object.field("controller", controller)
            }
            Command::CutLink { a, b } | Command::HealLink { a, b } => {
                object.field("a", a).field("b", b)
            }
            Command::SetLinkLatency { a, b, latency_ms } => object
                .field("a", a)
                .field("b", b)
                .field("latency_ms", latency_ms),
            Command::ElectPreferredLeader { topic, partition } => {
                object.field("topic", topic).field("partition", partition)
            }
            Command::AdvanceClock { ms } => object.field("ms", ms),
            Command::AddConsumer { config } => object.field("config", config),
            Command::Subscribe { consumer, topics } => {
                object.field("consumer", consumer).field("topics", topics)
            }
            Command::Assign {
                consumer,
                partitions,
            } => object
                .field("consumer", consumer)
                .field("partitions", partitions),
            Command::Poll { consumer }
            | Command::CloseConsumer { consumer }
            | Command::CrashConsumer { consumer }
            | Command::RestartConsumer { consumer } => object.field("consumer", consumer),
            Command::Seek {
                consumer,
                topic,
                partition,
                offset,
            } => object
                .field("consumer", consumer)
                .field("topic", topic)
                .field("partition", partition)
                .field("offset", offset),
            Command::Commit { consumer, sync } => {
                object.field("consumer", consumer).field("sync", sync)
            }
            Command::SetFailureRule { consumer, rule } => {
                object.field("consumer", consumer).field("rule", rule)
            }
            Command::MarkPoison {
                topic,
                partition,
                offset,
            } => object
                .field("topic", topic)
                .field("partition", partition)
                .field("offset", offset),
            Command::SetErrorHandling { group, policy } => {
                object.field("group", group).field("policy", policy)
            }
            Command::DeleteGroup { group } => object.field("group", group),
            Command::Redrive { topic } => object.field("topic", topic),
        }
        .end();
    }
}

impl ToJson for ClockEntry {
    fn write_json(&self, out: &mut String) {
        match self {
            ClockEntry::Step { count } => Object::tagged(out, "step").field("count", count).end(),
            ClockEntry::RunUntilIdle => Object::tagged(out, "run_until_idle").end(),
        }
    }
}

impl ToJson for Entry {
    fn write_json(&self, out: &mut String) {
        match self {
            Entry::Command(command) => command.write_json(out),
            Entry::Clock(clock) => clock.write_json(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::assignor::Strategy;

    #[test]
    fn configs_and_policies_are_written_as_serde_writes_them() {
        fn same<T: ToJson + serde::Serialize>(value: &T) {
            assert_eq!(
                value.to_json_string(),
                serde_json::to_string(value).unwrap()
            );
        }
        same(&ClusterConfig::default());
        same(&ClusterConfig {
            controller_mode: ControllerMode::Zookeeper,
            broker_session_timeout_ms: Some(3),
            topic_defaults: TopicConfig {
                retention_ms: -1,
                cleanup_policy: CleanupPolicy::CompactDelete,
                ..TopicConfig::default()
            },
            ..ClusterConfig::default()
        });
        same(&ProducerConfig {
            acks: Acks::None,
            enable_idempotence: Some(false),
            null_key_partitioner: NullKeyStrategy::RoundRobin,
            ..ProducerConfig::default()
        });
        same(&ConsumerConfig {
            group_id: Some("g \"1\"".into()),
            auto_offset_reset: AutoOffsetReset::Earliest,
            partition_assignment_strategy: vec![Strategy::Sticky, Strategy::RoundRobin],
            ..ConsumerConfig::default()
        });
        same(&ErrorPolicy::LogAndSkip);
        same(&ErrorPolicy::Spring {
            attempts: 4,
            backoff: Backoff::Exponential {
                initial_ms: 1,
                multiplier: 2,
                max_ms: 3,
            },
            dlt_suffix: ".DLT".into(),
        });
        same(&ErrorPolicy::Connect {
            tolerance: Tolerance::All,
            dlq_topic: Some("dlq".into()),
            context_headers: true,
            dlq_replication_factor: 1,
        });
        same(&Entry::Clock(ClockEntry::Step { count: 3 }));
        same(&Entry::Clock(ClockEntry::RunUntilIdle));
    }
}
