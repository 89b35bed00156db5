//! Reading one entry of the scenario format: `{"type": "create_topic", "name": "orders",
//! "partitions": 3, "replication_factor": 3}`, and the configs and policies inside entries.
//!
//! The format is serde's internally tagged form of [`Command`] and [`ClockEntry`]: the
//! variant's snake_case name under `"type"`, its fields beside it, absent fields taking their
//! defaults. Writing is `to_json.rs`'s. Reading is done here, field by field, with
//! [`FromJson`]: serde's derived readers (a tagged enum of 29 variants buffers each entry
//! and carries two visitors per variant, every config struct its own visitor) were about a
//! tenth of the page's download. A property test checks that this reader and the derived
//! one agree on every command; the tests below check every field of every config and
//! policy, each one also left out.

use serde_json::Value;

use super::{ClockEntry, Entry};
use crate::broker::consumer::{ConsumerConfig, FailureRule};
use crate::broker::dead_letter::{Backoff, ErrorPolicy, Tolerance};
use crate::broker::producer::ProducerConfig;
use crate::broker::topic::TopicConfig;
use crate::broker::{ClusterConfig, Command, Node};
use crate::json::{self, invalid_type, unknown_variant, FromJson};

/// The entry that `value` describes, or what is wrong with it, naming the entry's type and
/// the field.
pub(super) fn entry_from_value(value: &Value) -> Result<Entry, String> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| "an entry needs a \"type\" string".to_string())?;
    let f = Fields {
        kind,
        fields: json::Fields::of(value, "an entry")?,
    };
    let command = match kind {
        "step" => {
            return Ok(Entry::Clock(ClockEntry::Step {
                count: f.required("count")?,
            }))
        }
        "run_until_idle" => return Ok(Entry::Clock(ClockEntry::RunUntilIdle)),
        "create_topic" => Command::CreateTopic {
            name: f.required("name")?,
            partitions: f.required("partitions")?,
            replication_factor: f.required("replication_factor")?,
            configs: f.or_default("configs")?,
        },
        "delete_topic" => Command::DeleteTopic {
            name: f.required("name")?,
        },
        "alter_topic_config" => Command::AlterTopicConfig {
            name: f.required("name")?,
            configs: f.required("configs")?,
        },
        "add_producer" => Command::AddProducer {
            config: f.or_default("config")?,
        },
        "produce" => Command::Produce {
            producer: f.or("producer", 1)?,
            topic: f.required("topic")?,
            key: f.or_default("key")?,
            value: f.or_default("value")?,
            headers: f.or_default("headers")?,
            partition: f.or_default("partition")?,
            count: f.or("count", 1)?,
        },
        "add_broker" => Command::AddBroker,
        "crash_broker" => Command::CrashBroker {
            broker: f.required("broker")?,
        },
        "restart_broker" => Command::RestartBroker {
            broker: f.required("broker")?,
        },
        "crash_controller" => Command::CrashController {
            controller: f.required("controller")?,
        },
        "restart_controller" => Command::RestartController {
            controller: f.required("controller")?,
        },
        "cut_link" => Command::CutLink {
            a: f.required("a")?,
            b: f.required("b")?,
        },
        "heal_link" => Command::HealLink {
            a: f.required("a")?,
            b: f.required("b")?,
        },
        "set_link_latency" => Command::SetLinkLatency {
            a: f.required("a")?,
            b: f.required("b")?,
            latency_ms: f.required("latency_ms")?,
        },
        "elect_preferred_leader" => Command::ElectPreferredLeader {
            topic: f.required("topic")?,
            partition: f.required("partition")?,
        },
        "advance_clock" => Command::AdvanceClock {
            ms: f.required("ms")?,
        },
        "add_consumer" => Command::AddConsumer {
            config: f.or_default("config")?,
        },
        "subscribe" => Command::Subscribe {
            consumer: f.required("consumer")?,
            topics: f.required("topics")?,
        },
        "assign" => Command::Assign {
            consumer: f.required("consumer")?,
            partitions: f.required("partitions")?,
        },
        "poll" => Command::Poll {
            consumer: f.required("consumer")?,
        },
        "seek" => Command::Seek {
            consumer: f.required("consumer")?,
            topic: f.required("topic")?,
            partition: f.required("partition")?,
            offset: f.required("offset")?,
        },
        "commit" => Command::Commit {
            consumer: f.required("consumer")?,
            sync: f.or("sync", true)?,
        },
        "close_consumer" => Command::CloseConsumer {
            consumer: f.required("consumer")?,
        },
        "crash_consumer" => Command::CrashConsumer {
            consumer: f.required("consumer")?,
        },
        "restart_consumer" => Command::RestartConsumer {
            consumer: f.required("consumer")?,
        },
        // serde reads an absent `Option` field as `None` even without a default.
        "set_failure_rule" => Command::SetFailureRule {
            consumer: f.required("consumer")?,
            rule: f.or_default("rule")?,
        },
        "mark_poison" => Command::MarkPoison {
            topic: f.required("topic")?,
            partition: f.required("partition")?,
            offset: f.required("offset")?,
        },
        "set_error_handling" => Command::SetErrorHandling {
            group: f.required("group")?,
            policy: f.required("policy")?,
        },
        "delete_group" => Command::DeleteGroup {
            group: f.required("group")?,
        },
        "redrive" => Command::Redrive {
            topic: f.required("topic")?,
        },
        _ => return Err(format!("unknown command type \"{kind}\"")),
    };
    Ok(Entry::Command(command))
}

/// The fields of one entry; errors name the entry's type and the field.
struct Fields<'a> {
    kind: &'a str,
    fields: json::Fields<'a>,
}

impl Fields<'_> {
    fn required<T: FromJson>(&self, name: &str) -> Result<T, String> {
        self.fields.required(name).map_err(|e| self.in_entry(e))
    }

    fn or<T: FromJson>(&self, name: &str, default: T) -> Result<T, String> {
        self.fields.or(name, default).map_err(|e| self.in_entry(e))
    }

    /// `create_topic: error`.
    #[inline(never)]
    fn in_entry(&self, error: String) -> String {
        format!("{}: {error}", self.kind)
    }

    fn or_default<T: FromJson + Default>(&self, name: &str) -> Result<T, String> {
        self.or(name, T::default())
    }
}

impl FromJson for Node {
    /// `{"kind": "broker", "id": 1}` (serde's adjacently tagged form).
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "adjacently tagged enum Node")?;
        let kind: String = fields.required("kind")?;
        let node: fn(u32) -> Node = match kind.as_str() {
            "controller" => Node::Controller,
            "broker" => Node::Broker,
            "producer" => Node::Producer,
            "consumer" => Node::Consumer,
            _ => {
                let known = ["controller", "broker", "producer", "consumer"];
                return Err(unknown_variant(&kind, known.into_iter()));
            }
        };
        Ok(node(fields.required("id")?))
    }
}

impl FromJson for ProducerConfig {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "struct ProducerConfig")?;
        let mut config = ProducerConfig::default();
        fields.set("acks", &mut config.acks)?;
        fields.set("enable_idempotence", &mut config.enable_idempotence)?;
        fields.set("retries", &mut config.retries)?;
        fields.set("retry_backoff_ms", &mut config.retry_backoff_ms)?;
        fields.set("retry_backoff_max_ms", &mut config.retry_backoff_max_ms)?;
        fields.set("request_timeout_ms", &mut config.request_timeout_ms)?;
        fields.set("delivery_timeout_ms", &mut config.delivery_timeout_ms)?;
        fields.set("null_key_partitioner", &mut config.null_key_partitioner)?;
        fields.set("batch_size", &mut config.batch_size)?;
        Ok(config)
    }
}

impl FromJson for ConsumerConfig {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "struct ConsumerConfig")?;
        let mut config = ConsumerConfig::default();
        fields.set("group_id", &mut config.group_id)?;
        fields.set("group_instance_id", &mut config.group_instance_id)?;
        fields.set("auto_offset_reset", &mut config.auto_offset_reset)?;
        fields.set("enable_auto_commit", &mut config.enable_auto_commit)?;
        fields.set(
            "auto_commit_interval_ms",
            &mut config.auto_commit_interval_ms,
        )?;
        fields.set("max_poll_records", &mut config.max_poll_records)?;
        fields.set(
            "max_partition_fetch_bytes",
            &mut config.max_partition_fetch_bytes,
        )?;
        fields.set("session_timeout_ms", &mut config.session_timeout_ms)?;
        fields.set("heartbeat_interval_ms", &mut config.heartbeat_interval_ms)?;
        fields.set("max_poll_interval_ms", &mut config.max_poll_interval_ms)?;
        fields.set(
            "partition_assignment_strategy",
            &mut config.partition_assignment_strategy,
        )?;
        fields.set("retry_backoff_ms", &mut config.retry_backoff_ms)?;
        fields.set("retry_backoff_max_ms", &mut config.retry_backoff_max_ms)?;
        fields.set("request_timeout_ms", &mut config.request_timeout_ms)?;
        Ok(config)
    }
}

impl FromJson for FailureRule {
    /// `{"value_contains": "boom"}` or `{"every_nth": 3}` (serde's externally tagged form).
    fn from_json(value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .filter(|o| o.len() == 1)
            .ok_or_else(|| invalid_type(value, "enum FailureRule"))?;
        let (name, inner) = object.iter().next().expect("one entry");
        match name.as_str() {
            "value_contains" => String::from_json(inner).map(FailureRule::ValueContains),
            "every_nth" => u32::from_json(inner).map(FailureRule::EveryNth),
            _ => Err(unknown_variant(
                name,
                ["value_contains", "every_nth"].into_iter(),
            )),
        }
    }
}

impl FromJson for Backoff {
    /// `{"type": "fixed", "delay_ms": 1000}` or `{"type": "exponential", ...}`.
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "internally tagged enum Backoff")?;
        Ok(match fields.tag(&["fixed", "exponential"])? {
            "fixed" => Backoff::Fixed {
                delay_ms: fields.or("delay_ms", 1_000)?,
            },
            _ => Backoff::Exponential {
                initial_ms: fields.or("initial_ms", 1_000)?,
                multiplier: fields.or("multiplier", 2)?,
                max_ms: fields.or("max_ms", 30_000)?,
            },
        })
    }
}

impl FromJson for ErrorPolicy {
    /// `{"type": "spring", "attempts": 3, ...}`; absent fields take the defaults the
    /// derived reader gives them (see `dead_letter.rs`).
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "internally tagged enum ErrorPolicy")?;
        Ok(match fields.tag(&["log_and_skip", "spring", "connect"])? {
            "log_and_skip" => ErrorPolicy::LogAndSkip,
            "spring" => ErrorPolicy::Spring {
                attempts: fields.or("attempts", 3)?,
                backoff: fields.or("backoff", Backoff::default())?,
                dlt_suffix: fields.or("dlt_suffix", "-dlt".to_string())?,
            },
            _ => ErrorPolicy::Connect {
                tolerance: fields.or("tolerance", Tolerance::default())?,
                dlq_topic: fields.or("dlq_topic", None)?,
                context_headers: fields.or("context_headers", false)?,
                dlq_replication_factor: fields.or("dlq_replication_factor", 3)?,
            },
        })
    }
}

impl FromJson for TopicConfig {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "struct TopicConfig")?;
        let mut config = TopicConfig::default();
        fields.set("min_insync_replicas", &mut config.min_insync_replicas)?;
        fields.set("retention_ms", &mut config.retention_ms)?;
        fields.set("retention_bytes", &mut config.retention_bytes)?;
        fields.set("segment_bytes", &mut config.segment_bytes)?;
        fields.set("segment_ms", &mut config.segment_ms)?;
        fields.set("cleanup_policy", &mut config.cleanup_policy)?;
        fields.set("max_message_bytes", &mut config.max_message_bytes)?;
        fields.set(
            "unclean_leader_election_enable",
            &mut config.unclean_leader_election_enable,
        )?;
        fields.set("delete_retention_ms", &mut config.delete_retention_ms)?;
        Ok(config)
    }
}

impl FromJson for ClusterConfig {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = json::Fields::of(value, "struct ClusterConfig")?;
        let mut config = ClusterConfig::default();
        fields.set("brokers", &mut config.brokers)?;
        fields.set("controller_mode", &mut config.controller_mode)?;
        fields.set("controller_nodes", &mut config.controller_nodes)?;
        fields.set(
            "broker_session_timeout_ms",
            &mut config.broker_session_timeout_ms,
        )?;
        fields.set(
            "replica_lag_time_max_ms",
            &mut config.replica_lag_time_max_ms,
        )?;
        fields.set(
            "controller_quorum_election_timeout_ms",
            &mut config.controller_quorum_election_timeout_ms,
        )?;
        fields.set(
            "max_records_per_partition",
            &mut config.max_records_per_partition,
        )?;
        fields.set("topic_defaults", &mut config.topic_defaults)?;
        fields.set(
            "offsets_topic_num_partitions",
            &mut config.offsets_topic_num_partitions,
        )?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::assignor::Strategy;
    use crate::broker::consumer::AutoOffsetReset;
    use crate::broker::controller::ControllerMode;
    use crate::broker::partitioner::NullKeyStrategy;
    use crate::broker::producer::Acks;
    use crate::broker::topic::CleanupPolicy;
    use serde_json::json;

    fn read(value: Value) -> Result<Entry, String> {
        entry_from_value(&value)
    }

    /// Every path to an object field in `value` (never a `"type"` tag).
    fn field_paths(value: &Value, at: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
        if let Some(object) = value.as_object() {
            for (key, inner) in object {
                at.push(key.clone());
                if key != "type" {
                    found.push(at.clone());
                }
                field_paths(inner, at, found);
                at.pop();
            }
        }
    }

    /// `original` written by serde is read back the same by hand; and with each one of its
    /// fields left out in turn, at any depth, both readers give the same value or both
    /// refuse it. Values far from the defaults make a field read under a wrong name, or a
    /// wrong default, show.
    fn agrees_on_every_field<T>(original: T)
    where
        T: FromJson + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let written = serde_json::to_value(&original).unwrap();
        assert_eq!(T::from_json(&written).as_ref(), Ok(&original));
        let mut paths = Vec::new();
        field_paths(&written, &mut Vec::new(), &mut paths);
        assert!(!paths.is_empty());
        for path in paths {
            let mut shortened = written.clone();
            let mut object = &mut shortened;
            for key in &path[..path.len() - 1] {
                object = object.get_mut(key).unwrap();
            }
            object
                .as_object_mut()
                .unwrap()
                .remove(&path[path.len() - 1]);
            let derived = serde_json::from_value::<T>(shortened.clone()).ok();
            assert_eq!(T::from_json(&shortened).ok(), derived, "without {path:?}");
        }
    }

    #[test]
    fn configs_and_policies_read_as_serdes_derived_reader_reads_them() {
        agrees_on_every_field(ProducerConfig {
            acks: Acks::Leader,
            enable_idempotence: Some(false),
            retries: 7,
            retry_backoff_ms: 11,
            retry_backoff_max_ms: 13,
            request_timeout_ms: 17,
            delivery_timeout_ms: 19,
            null_key_partitioner: NullKeyStrategy::RoundRobin,
            batch_size: 23,
        });
        agrees_on_every_field(ConsumerConfig {
            group_id: Some("g".into()),
            group_instance_id: Some("i".into()),
            auto_offset_reset: AutoOffsetReset::Earliest,
            enable_auto_commit: Some(false),
            auto_commit_interval_ms: 3,
            max_poll_records: 5,
            max_partition_fetch_bytes: 7,
            session_timeout_ms: 11,
            heartbeat_interval_ms: 13,
            max_poll_interval_ms: 17,
            partition_assignment_strategy: vec![Strategy::Sticky, Strategy::RoundRobin],
            retry_backoff_ms: 19,
            retry_backoff_max_ms: 23,
            request_timeout_ms: 29,
        });
        agrees_on_every_field(ClusterConfig {
            brokers: 5,
            controller_mode: ControllerMode::Zookeeper,
            controller_nodes: 5,
            broker_session_timeout_ms: Some(3),
            replica_lag_time_max_ms: 7,
            controller_quorum_election_timeout_ms: 11,
            max_records_per_partition: 13,
            topic_defaults: TopicConfig {
                min_insync_replicas: 2,
                retention_ms: -1,
                retention_bytes: 17,
                segment_bytes: 19,
                segment_ms: 23,
                cleanup_policy: CleanupPolicy::CompactDelete,
                max_message_bytes: 29,
                unclean_leader_election_enable: true,
                delete_retention_ms: 31,
            },
            offsets_topic_num_partitions: 37,
        });
        agrees_on_every_field(ErrorPolicy::Spring {
            attempts: 5,
            backoff: Backoff::Exponential {
                initial_ms: 7,
                multiplier: 3,
                max_ms: 11,
            },
            dlt_suffix: ".DLT".into(),
        });
        agrees_on_every_field(ErrorPolicy::Spring {
            attempts: 2,
            backoff: Backoff::Fixed { delay_ms: 5 },
            dlt_suffix: "-dlt".into(),
        });
        agrees_on_every_field(ErrorPolicy::Connect {
            tolerance: Tolerance::All,
            dlq_topic: Some("dlq".into()),
            context_headers: true,
            dlq_replication_factor: 1,
        });
        agrees_on_every_field(FailureRule::EveryNth(4));
        agrees_on_every_field(FailureRule::ValueContains("boom".into()));
        agrees_on_every_field(Node::Consumer(3));
        let strategies = vec![Strategy::CooperativeSticky, Strategy::Range];
        assert_eq!(
            Vec::<Strategy>::from_json(&serde_json::to_value(&strategies).unwrap()),
            Ok(strategies)
        );
    }

    #[test]
    fn bad_configs_are_refused_naming_the_field() {
        assert_eq!(
            read(json!({"type": "add_producer", "config": {"acks": "2"}})),
            Err("add_producer: field `config`: field `acks`: unknown variant `2`, expected one of `0`, `1`, `all`".into())
        );
        assert_eq!(
            read(json!({"type": "set_error_handling", "group": "g", "policy": {"attempts": 3}})),
            Err("set_error_handling: field `policy`: missing field `type`".into())
        );
        assert_eq!(
            read(json!({"type": "cut_link", "a": {"kind": "zookeeper", "id": 1}, "b": {"kind": "broker", "id": 1}})),
            Err("cut_link: field `a`: unknown variant `zookeeper`, expected one of `controller`, `broker`, `producer`, `consumer`".into())
        );
        assert_eq!(
            ClusterConfig::from_json(&json!({"brokers": 1.5})),
            Err("field `brokers`: invalid type: floating point `1.5`, expected u32".into())
        );
    }

    #[test]
    fn absent_fields_take_the_formats_defaults() {
        assert_eq!(
            read(json!({"type": "produce", "topic": "orders"})),
            Ok(Entry::Command(Command::Produce {
                producer: 1,
                topic: "orders".into(),
                key: None,
                value: None,
                headers: vec![],
                partition: None,
                count: 1,
            }))
        );
        assert_eq!(
            read(json!({"type": "commit", "consumer": 2})),
            Ok(Entry::Command(Command::Commit {
                consumer: 2,
                sync: true
            }))
        );
        assert_eq!(
            read(json!({"type": "set_failure_rule", "consumer": 1})),
            Ok(Entry::Command(Command::SetFailureRule {
                consumer: 1,
                rule: None
            }))
        );
        assert_eq!(
            read(json!({"type": "run_until_idle"})),
            Ok(Entry::Clock(ClockEntry::RunUntilIdle))
        );
    }

    #[test]
    fn problems_name_the_entry_type_and_the_field() {
        assert_eq!(
            read(json!({"type": "teleport"})),
            Err("unknown command type \"teleport\"".into())
        );
        assert_eq!(
            read(json!({"type": "create_topic", "name": "t", "partitions": 1})),
            Err("create_topic: missing field `replication_factor`".into())
        );
        assert_eq!(
            read(
                json!({"type": "create_topic", "name": "t", "partitions": "three",
                "replication_factor": 1})
            ),
            Err(
                "create_topic: field `partitions`: invalid type: string \"three\", expected u32"
                    .into()
            )
        );
        assert_eq!(
            read(json!({"type": "step", "count": -1})),
            Err("step: field `count`: invalid value: integer `-1`, expected u64".into())
        );
        assert_eq!(
            read(json!({"kind": "poll"})),
            Err("an entry needs a \"type\" string".into())
        );
        assert_eq!(
            read(json!(["poll"])),
            Err("an entry needs a \"type\" string".into())
        );
    }
}
