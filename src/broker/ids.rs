//! Names for the nodes of the simulated cluster and the partitions they hold.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

use crate::json::{Fields, FromJson, Object, ToJson};

/// Kafka's `broker.id` / `node.id`. The playground numbers brokers from 1.
pub type BrokerId = u32;

/// Broker ids written as Kafka's tools and logs write a replica list: `[1, 2, 3]`.
pub fn broker_list(ids: &[BrokerId]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!("[{}]", ids.join(", "))
}

/// Every place a request can start or end. Ordered, so it can key a `BTreeMap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

/// `{"topic": "orders", "partition": 1}`, as the coordinator's group records hold it.
impl ToJson for TopicPartition {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("topic", &self.topic)
            .field("partition", &self.partition)
            .end();
    }
}

impl FromJson for TopicPartition {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = Fields::of(value, "struct TopicPartition")?;
        Ok(TopicPartition {
            topic: fields.required("topic")?,
            partition: fields.required("partition")?,
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_lists_read_as_replica_lists_do() {
        assert_eq!(broker_list(&[1, 2, 3]), "[1, 2, 3]");
        assert_eq!(broker_list(&[]), "[]");
        assert_eq!(broker_list(&[7]), format!("{:?}", vec![7u32]));
    }
}
