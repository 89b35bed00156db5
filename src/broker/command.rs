//! Commands: everything that can happen to the cluster from outside.
//!
//! A learner's click, a lesson step, an imported file and a fault are all one of these, so a
//! session is just a seed, a config and the list of commands applied to it. Each command is
//! checked first; a command that fails changes nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
        configs: BTreeMap<String, String>,
    },
    DeleteTopic {
        name: String,
    },
    /// `kafka-configs.sh --alter --entity-type topics --add-config k=v`.
    AlterTopicConfig {
        name: String,
        configs: BTreeMap<String, String>,
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
}

fn first_producer() -> u32 {
    1
}

fn one_record() -> u32 {
    1
}
