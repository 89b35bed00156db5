//! Names for the nodes of the simulated cluster and the partitions they hold.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Kafka's `broker.id` / `node.id`. The playground numbers brokers from 1.
pub type BrokerId = u32;

/// Every place a request can start or end. Ordered, so it can key a `BTreeMap`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Node {
    /// A KRaft controller voter (`process.roles=controller`), or a ZooKeeper server in ZooKeeper mode.
    Controller(u32),
    Broker(BrokerId),
    Producer(u32),
    Consumer(u32),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Controller(id) => write!(f, "controller {id}"),
            Node::Broker(id) => write!(f, "broker {id}"),
            Node::Producer(id) => write!(f, "producer {id}"),
            Node::Consumer(id) => write!(f, "consumer {id}"),
        }
    }
}

/// A topic partition, written `orders-1` as Kafka's `TopicPartition.toString` does.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}
