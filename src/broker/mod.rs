//! The broker core: a deterministic, simulated Kafka cluster.
//!
//! Pure Rust, no browser, no clock, no global randomness: the same seed and the same
//! [`Command`]s always give the same [`Event`]s. The page, `kplay` and the tests all drive
//! this one implementation.

pub mod assignor;
pub mod cluster;
pub mod command;
pub mod consumer;
pub mod controller;
pub mod dead_letter;
pub mod error;
pub mod event;
pub mod group;
pub mod ids;
pub mod log;
pub mod network;
pub mod partition;
pub mod partitioner;
pub mod producer;
mod replication;
pub mod rng;
pub mod sorted_map;
pub mod topic;
pub mod view;

pub use cluster::{Cluster, ClusterConfig};
pub use command::Command;
pub use error::BrokerError;
pub use event::{Event, EventKind};
pub use ids::{BrokerId, Node, TopicPartition};
pub use view::ClusterView;

/// Helpers shared by the unit tests of several concepts.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{Cluster, Command};

    /// Producer 1 sends `count` copies of `key`="v" to partition 0 of `topic`.
    pub(crate) fn produce(cluster: &mut Cluster, topic: &str, key: &str, count: u32) {
        cluster
            .apply(Command::Produce {
                producer: 1,
                topic: topic.into(),
                key: Some(key.into()),
                value: Some("v".into()),
                headers: vec![],
                partition: Some(0),
                count,
            })
            .expect("a valid produce");
    }
}
