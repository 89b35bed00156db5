//! Commands: everything that can happen to the cluster from outside.
//!
//! A learner's click, a lesson step, an imported file and a fault are all one of these, so a
//! session is just a seed, a config and the list of commands applied to it. Each command is
//! checked first; a command that fails changes nothing.

use super::sorted_map::SortedMap;
use serde::{Deserialize, Serialize};

use super::consumer::{ConsumerConfig, FailureRule};
use super::dead_letter::ErrorPolicy;
use super::ids::{BrokerId, Node};
use super::producer::ProducerConfig;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// `kafka-topics.sh --create --topic NAME --partitions N --replication-factor R --config k=v`.
    CreateTopic {
        name: String,
        partitions: u32,
        replication_factor: u32,
        #[serde(default)]
        configs: SortedMap<String, String>,
    },
    DeleteTopic {
        name: String,
    },
    /// `kafka-configs.sh --alter --entity-type topics --add-config k=v`.
    AlterTopicConfig {
        name: String,
        configs: SortedMap<String, String>,
    },
    /// Starts a producer client; its id is the next free number from 1.
    AddProducer {
        #[serde(default)]
        config: ProducerConfig,
    },
    /// `producer.send(new ProducerRecord(topic, partition, key, value, headers))`.
    Produce {
        #[serde(default = "first_producer")]
        producer: u32,
        topic: String,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        value: Option<String>,
        #[serde(default)]
        headers: Vec<(String, String)>,
        #[serde(default)]
        partition: Option<u32>,
        /// Send this many copies (a burst); they are batched per partition.
        #[serde(default = "one_record")]
        count: u32,
    },
    /// Starts one more broker (the next id). It registers with the controller and holds no
    /// partitions until a new topic places replicas on it: Kafka never moves existing
    /// partitions by itself (that is `kafka-reassign-partitions.sh`).
    AddBroker,
    /// Kills a broker process: in-flight requests to it are lost, its disk survives.
    CrashBroker {
        broker: BrokerId,
    },
    /// Starts a crashed broker again; it registers with the controller and catches up.
    RestartBroker {
        broker: BrokerId,
    },
    /// Kills a KRaft controller voter (or a ZooKeeper server in ZooKeeper mode).
    CrashController {
        controller: u32,
    },
    RestartController {
        controller: u32,
    },
    /// Cuts the network link between two nodes: messages either way are lost until healed.
    CutLink {
        a: Node,
        b: Node,
    },
    HealLink {
        a: Node,
        b: Node,
    },
    /// Sets one link's one-way latency, e.g. to make a follower slow.
    SetLinkLatency {
        a: Node,
        b: Node,
        latency_ms: u64,
    },
    /// `kafka-leader-election.sh --election-type PREFERRED`.
    ElectPreferredLeader {
        topic: String,
        partition: u32,
    },
    /// Lets time pass: everything due in the next `ms` ticks happens, then retention and
    /// compaction run as the log cleaner would.
    AdvanceClock {
        ms: u64,
    },
    /// Starts a `KafkaConsumer`; its id is the next free number from 1.
    AddConsumer {
        #[serde(default)]
        config: ConsumerConfig,
    },
    /// `consumer.subscribe(topics)`: group management shares the partitions out.
    Subscribe {
        consumer: u32,
        topics: Vec<String>,
    },
    /// `consumer.assign(partitions)`: the consumer picks its partitions itself.
    Assign {
        consumer: u32,
        partitions: Vec<(String, u32)>,
    },
    /// `consumer.poll()`: fetch, then process what comes back.
    Poll {
        consumer: u32,
    },
    /// `consumer.seek(partition, offset)`.
    Seek {
        consumer: u32,
        topic: String,
        partition: u32,
        offset: u64,
    },
    /// `commitSync()` (default) or `commitAsync()` of the current positions.
    Commit {
        consumer: u32,
        #[serde(default = "yes")]
        sync: bool,
    },
    /// `consumer.close()`: commit (with auto commit), LeaveGroup.
    CloseConsumer {
        consumer: u32,
    },
    /// Kills a consumer process: no LeaveGroup, no commit.
    CrashConsumer {
        consumer: u32,
    },
    /// Starts a crashed consumer again, as a new process with the same config.
    RestartConsumer {
        consumer: u32,
    },
    /// Makes the consumer's processing fail by rule (or never, with `null`).
    SetFailureRule {
        consumer: u32,
        rule: Option<FailureRule>,
    },
    /// Marks one record as poison: processing it always fails.
    MarkPoison {
        topic: String,
        partition: u32,
        offset: u64,
    },
    /// Gives a group an error-handling policy (Spring retry topics + DLT, or Connect's).
    SetErrorHandling {
        group: String,
        policy: ErrorPolicy,
    },
    /// `kafka-consumer-groups.sh --delete --group G`: only a group without members.
    DeleteGroup {
        group: String,
    },
    /// Re-publishes a dead letter topic's records to the topics they came from.
    Redrive {
        topic: String,
    },
}

impl Command {
    /// The command's `"type"` in the scenario format (serde's snake_case variant name).
    pub fn type_name(&self) -> &'static str {
        match self {
            Command::CreateTopic { .. } => "create_topic",
            Command::DeleteTopic { .. } => "delete_topic",
            Command::AlterTopicConfig { .. } => "alter_topic_config",
            Command::AddProducer { .. } => "add_producer",
            Command::Produce { .. } => "produce",
            Command::AddBroker => "add_broker",
            Command::CrashBroker { .. } => "crash_broker",
            Command::RestartBroker { .. } => "restart_broker",
            Command::CrashController { .. } => "crash_controller",
            Command::RestartController { .. } => "restart_controller",
            Command::CutLink { .. } => "cut_link",
            Command::HealLink { .. } => "heal_link",
            Command::SetLinkLatency { .. } => "set_link_latency",
            Command::ElectPreferredLeader { .. } => "elect_preferred_leader",
            Command::AdvanceClock { .. } => "advance_clock",
            Command::AddConsumer { .. } => "add_consumer",
            Command::Subscribe { .. } => "subscribe",
            Command::Assign { .. } => "assign",
            Command::Poll { .. } => "poll",
            Command::Seek { .. } => "seek",
            Command::Commit { .. } => "commit",
            Command::CloseConsumer { .. } => "close_consumer",
            Command::CrashConsumer { .. } => "crash_consumer",
            Command::RestartConsumer { .. } => "restart_consumer",
            Command::SetFailureRule { .. } => "set_failure_rule",
            Command::MarkPoison { .. } => "mark_poison",
            Command::SetErrorHandling { .. } => "set_error_handling",
            Command::DeleteGroup { .. } => "delete_group",
            Command::Redrive { .. } => "redrive",
        }
    }
}

fn yes() -> bool {
    true
}

fn first_producer() -> u32 {
    1
}

fn one_record() -> u32 {
    1
}
