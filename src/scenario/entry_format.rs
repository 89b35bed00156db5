//! Reading one entry of the scenario format: `{"type": "create_topic", "name": "orders",
//! "partitions": 3, "replication_factor": 3}`.
//!
//! The format is serde's internally tagged form of [`Command`] and [`ClockEntry`]: the
//! variant's snake_case name under `"type"`, its fields beside it, absent fields taking their
//! defaults. Writing uses the derived `Serialize`. Reading is done here, field by field:
//! serde's derived reader for a tagged enum of 29 variants first buffers each entry and then
//! carries two visitors per variant, which made it about a tenth of the page's download.
//! Field values still go through serde (`T::deserialize(&Value)`), so their rules and
//! messages are serde's. A property test checks that this reader and the derived one agree
//! on every command.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ClockEntry, Entry};
use crate::broker::Command;

/// The entry that `value` describes, or what is wrong with it, naming the entry's type and
/// the field.
pub(super) fn entry_from_value(value: &Value) -> Result<Entry, String> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| "an entry needs a \"type\" string".to_string())?;
    let object = value
        .as_object()
        .expect("an entry with a type is an object");
    let f = Fields { kind, object };
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
    object: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn required<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        match self.object.get(name) {
            Some(value) => self.parse(name, value),
            None => Err(format!("{}: missing field `{name}`", self.kind)),
        }
    }

    fn or<T: DeserializeOwned>(&self, name: &str, default: T) -> Result<T, String> {
        match self.object.get(name) {
            Some(value) => self.parse(name, value),
            None => Ok(default),
        }
    }

    fn or_default<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T, String> {
        self.or(name, T::default())
    }

    fn parse<T: DeserializeOwned>(&self, name: &str, value: &Value) -> Result<T, String> {
        T::deserialize(value).map_err(|e| format!("{}: field `{name}`: {e}", self.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<Entry, String> {
        entry_from_value(&value)
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
