//! What can go wrong, in Kafka's words.
//!
//! Each variant is named after the Kafka error code (`org.apache.kafka.common.protocol.Errors`)
//! or exception it stands for, and carries the values a learner needs to see why. A command
//! that returns an error has changed nothing.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::ids::{BrokerId, Node};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error")]
pub enum BrokerError {
    /// `INVALID_TOPIC_EXCEPTION`: the name breaks `org.apache.kafka.common.internals.Topic`'s rules.
    InvalidTopicException { topic: String, reason: String },
    /// `TOPIC_ALREADY_EXISTS`.
    TopicAlreadyExists { topic: String },
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    UnknownTopicOrPartition {
        topic: String,
        partition: Option<u32>,
    },
    /// `INVALID_PARTITIONS`: partition count outside 1..=max.
    InvalidPartitions { requested: u32, max: u32 },
    /// `INVALID_REPLICATION_FACTOR`: more replicas than live brokers, or fewer than one.
    InvalidReplicationFactor { requested: u32, live_brokers: u32 },
    /// `INVALID_CONFIG`: a topic or cluster config value Kafka would refuse.
    InvalidConfig {
        name: String,
        value: String,
        reason: String,
    },
    /// `POLICY_VIOLATION` stands in for the playground's own bounds (topic count, broker count).
    PolicyViolation { reason: String },
    /// `MESSAGE_TOO_LARGE` / `RecordTooLargeException`: the record is bigger than `max.message.bytes`.
    RecordTooLarge {
        size_bytes: u64,
        max_message_bytes: u64,
    },
    /// `NOT_ENOUGH_REPLICAS`: acks=all and the ISR is smaller than `min.insync.replicas`.
    NotEnoughReplicas {
        topic: String,
        partition: u32,
        isr_size: u32,
        min_insync_replicas: u32,
    },
    /// `NOT_LEADER_OR_FOLLOWER`: the request reached a broker that does not lead the partition.
    NotLeaderOrFollower {
        topic: String,
        partition: u32,
        broker: BrokerId,
    },
    /// `OFFSET_OUT_OF_RANGE`: a read below the log start offset or above the log end offset.
    OffsetOutOfRange {
        topic: String,
        partition: u32,
        offset: u64,
        log_start_offset: u64,
        log_end_offset: u64,
    },
    /// `BROKER_NOT_AVAILABLE`: the broker is unknown, or not in the state the command needs.
    BrokerNotAvailable { broker: BrokerId, reason: String },
    /// A node id that is not part of this cluster (a fault command aimed at nothing).
    UnknownNode { node: Node },
    /// `UNKNOWN_PRODUCER_ID`-like: a produce command names a producer that was never added.
    UnknownProducer { producer: u32 },
    /// The playground's bound on records kept per partition was reached (`POLICY_VIOLATION`).
    LogFull {
        topic: String,
        partition: u32,
        max_records: u64,
    },
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER`: an idempotent producer's sequence skipped ahead.
    OutOfOrderSequence {
        topic: String,
        partition: u32,
        expected: i32,
        received: i32,
    },
    /// `NETWORK_EXCEPTION`: the connection to the broker broke (it crashed) before an answer came.
    NetworkException { broker: BrokerId },
    /// `REQUEST_TIMED_OUT`: no answer within `request.timeout.ms`.
    RequestTimedOut { topic: String, partition: u32 },
    /// `LEADER_NOT_AVAILABLE`: the partition has no leader right now.
    LeaderNotAvailable { topic: String, partition: u32 },
    /// `NOT_CONTROLLER`: no active controller (the quorum is lost), so metadata cannot change.
    NotController,
    /// `PREFERRED_LEADER_NOT_AVAILABLE`: the preferred replica is not in the ISR or not live.
    PreferredLeaderNotAvailable {
        topic: String,
        partition: u32,
        preferred: BrokerId,
    },
    /// `ELECTION_NOT_NEEDED`: the preferred replica already leads.
    ElectionNotNeeded { topic: String, partition: u32 },
    /// `COORDINATOR_NOT_AVAILABLE`: the group's offsets partition has no leader.
    CoordinatorNotAvailable { group: String },
    /// `NOT_COORDINATOR`: the broker does not (or no longer) coordinate the group.
    NotCoordinator { group: String, broker: BrokerId },
    /// `MEMBER_ID_REQUIRED` (KIP-394): join again with this member id.
    MemberIdRequired { member_id: String },
    /// `UNKNOWN_MEMBER_ID`: the group does not know this member (any more).
    UnknownMemberId { group: String, member_id: String },
    /// `ILLEGAL_GENERATION`: the member's generation is not the group's.
    IllegalGeneration {
        group: String,
        generation: i32,
        current: i32,
    },
    /// `REBALANCE_IN_PROGRESS`: the group is rebalancing; rejoin.
    RebalanceInProgress { group: String },
    /// `INCONSISTENT_GROUP_PROTOCOL`: no assignor is supported by every member.
    InconsistentGroupProtocol { group: String },
    /// `INVALID_GROUP_ID`: missing, empty or too long.
    InvalidGroupId { group: String },
    /// `NoOffsetForPartitionException`: no committed offset and `auto.offset.reset=none`.
    NoOffsetForPartition { topic: String, partition: u32 },
    /// `NON_EMPTY_GROUP`: a group with members cannot be deleted.
    NonEmptyGroup { group: String },
    /// `GROUP_ID_NOT_FOUND`: the coordinator has no such group.
    GroupIdNotFound { group: String },
    /// A command names a consumer that was never added.
    UnknownConsumer { consumer: u32 },
    /// Java's `IllegalStateException` from the consumer API (e.g. seek on an unassigned partition).
    IllegalState { reason: String },
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BrokerError::*;
        match self {
            InvalidTopicException { reason, .. } => write!(f, "InvalidTopicException: {reason}"),
            TopicAlreadyExists { topic } => write!(f, "TopicAlreadyExists: topic '{topic}' already exists"),
            UnknownTopicOrPartition { topic, partition: None } => {
                write!(f, "UnknownTopicOrPartition: there is no topic '{topic}'")
            }
            UnknownTopicOrPartition { topic, partition: Some(p) } => {
                write!(f, "UnknownTopicOrPartition: topic '{topic}' has no partition {p}")
            }
            InvalidPartitions { requested, max } => write!(
                f,
                "InvalidPartitions: a topic needs between 1 and {max} partitions, not {requested}"
            ),
            InvalidReplicationFactor { requested, live_brokers } => write!(
                f,
                "InvalidReplicationFactor: replication factor {requested} needs {requested} live brokers, \
                 but only {live_brokers} are available"
            ),
            InvalidConfig { name, value, reason } => {
                write!(f, "InvalidConfig: {name}={value} is not valid: {reason}")
            }
            PolicyViolation { reason } => write!(f, "PolicyViolation: {reason}"),
            RecordTooLarge { size_bytes, max_message_bytes } => write!(
                f,
                "RecordTooLarge: the record is {size_bytes} bytes, more than max.message.bytes={max_message_bytes}"
            ),
            NotEnoughReplicas { topic, partition, isr_size, min_insync_replicas } => write!(
                f,
                "NotEnoughReplicas: {topic}-{partition} has {isr_size} in-sync replicas, \
                 fewer than min.insync.replicas={min_insync_replicas}"
            ),
            NotLeaderOrFollower { topic, partition, broker } => write!(
                f,
                "NotLeaderOrFollower: broker {broker} is not the leader of {topic}-{partition}"
            ),
            OffsetOutOfRange { topic, partition, offset, log_start_offset, log_end_offset } => write!(
                f,
                "OffsetOutOfRange: offset {offset} is outside {topic}-{partition}'s log \
                 [{log_start_offset}, {log_end_offset})"
            ),
            BrokerNotAvailable { broker, reason } => write!(f, "BrokerNotAvailable: broker {broker} {reason}"),
            UnknownNode { node } => write!(f, "UnknownNode: there is no {node} in this cluster"),
            UnknownProducer { producer } => write!(f, "UnknownProducer: there is no producer {producer}"),
            OutOfOrderSequence { topic, partition, expected, received } => write!(
                f,
                "OutOfOrderSequence: {topic}-{partition} expected sequence {expected} but got {received}"
            ),
            NetworkException { broker } => write!(
                f,
                "NetworkException: the connection to broker {broker} was closed before a response was received"
            ),
            RequestTimedOut { topic, partition } => {
                write!(f, "RequestTimedOut: no answer for {topic}-{partition} within request.timeout.ms")
            }
            LeaderNotAvailable { topic, partition } => {
                write!(f, "LeaderNotAvailable: {topic}-{partition} has no leader right now")
            }
            NotController => write!(f, "NotController: there is no active controller, so the cluster metadata cannot change"),
            PreferredLeaderNotAvailable { topic, partition, preferred } => write!(
                f,
                "PreferredLeaderNotAvailable: broker {preferred}, the preferred leader of {topic}-{partition}, is not a live in-sync replica"
            ),
            ElectionNotNeeded { topic, partition } => {
                write!(f, "ElectionNotNeeded: the preferred replica already leads {topic}-{partition}")
            }
            CoordinatorNotAvailable { group } => write!(
                f,
                "CoordinatorNotAvailable: the coordinator of group {group} is not available"
            ),
            NotCoordinator { group, broker } => {
                write!(f, "NotCoordinator: broker {broker} is not the coordinator of group {group}")
            }
            MemberIdRequired { member_id } => write!(
                f,
                "MemberIdRequired: join again with member id {member_id}"
            ),
            UnknownMemberId { group, member_id } => write!(
                f,
                "UnknownMemberId: group {group} has no member '{member_id}'"
            ),
            IllegalGeneration { group, generation, current } => write!(
                f,
                "IllegalGeneration: generation {generation} is not group {group}'s current generation {current}"
            ),
            RebalanceInProgress { group } => {
                write!(f, "RebalanceInProgress: group {group} is rebalancing")
            }
            InconsistentGroupProtocol { group } => write!(
                f,
                "InconsistentGroupProtocol: the member supports none of the assignors of group {group}'s members"
            ),
            InvalidGroupId { group } if group.is_empty() => write!(
                f,
                "InvalidGroupId: this needs a consumer with a group.id"
            ),
            InvalidGroupId { group } => write!(
                f,
                "InvalidGroupId: '{group}' is not a valid group.id (1 to 249 characters)"
            ),
            NoOffsetForPartition { topic, partition } => write!(
                f,
                "NoOffsetForPartition: undefined offset with no reset policy for partition {topic}-{partition}"
            ),
            NonEmptyGroup { group } => write!(
                f,
                "NonEmptyGroup: group {group} still has members; they must leave before it is deleted"
            ),
            GroupIdNotFound { group } => write!(f, "GroupIdNotFound: there is no group {group}"),
            UnknownConsumer { consumer } => write!(f, "UnknownConsumer: there is no consumer {consumer}"),
            IllegalState { reason } => write!(f, "IllegalStateException: {reason}"),
            LogFull { topic, partition, max_records } => write!(
                f,
                "PolicyViolation: {topic}-{partition} already keeps {max_records} records, the playground's limit"
            ),
        }
    }
}

impl std::error::Error for BrokerError {}

impl BrokerError {
    /// Kafka's error name alone (`NotEnoughReplicas`), for compact labels in the diagram.
    pub fn kafka_name(&self) -> &'static str {
        use BrokerError::*;
        match self {
            InvalidTopicException { .. } => "InvalidTopicException",
            TopicAlreadyExists { .. } => "TopicAlreadyExists",
            UnknownTopicOrPartition { .. } => "UnknownTopicOrPartition",
            InvalidPartitions { .. } => "InvalidPartitions",
            InvalidReplicationFactor { .. } => "InvalidReplicationFactor",
            InvalidConfig { .. } => "InvalidConfig",
            PolicyViolation { .. } | LogFull { .. } => "PolicyViolation",
            RecordTooLarge { .. } => "RecordTooLarge",
            NotEnoughReplicas { .. } => "NotEnoughReplicas",
            NotLeaderOrFollower { .. } => "NotLeaderOrFollower",
            OffsetOutOfRange { .. } => "OffsetOutOfRange",
            BrokerNotAvailable { .. } => "BrokerNotAvailable",
            UnknownNode { .. } => "UnknownNode",
            UnknownProducer { .. } => "UnknownProducerId",
            OutOfOrderSequence { .. } => "OutOfOrderSequence",
            NetworkException { .. } => "NetworkException",
            RequestTimedOut { .. } => "RequestTimedOut",
            LeaderNotAvailable { .. } => "LeaderNotAvailable",
            NotController => "NotController",
            PreferredLeaderNotAvailable { .. } => "PreferredLeaderNotAvailable",
            ElectionNotNeeded { .. } => "ElectionNotNeeded",
            CoordinatorNotAvailable { .. } => "CoordinatorNotAvailable",
            NotCoordinator { .. } => "NotCoordinator",
            MemberIdRequired { .. } => "MemberIdRequired",
            UnknownMemberId { .. } => "UnknownMemberId",
            IllegalGeneration { .. } => "IllegalGeneration",
            RebalanceInProgress { .. } => "RebalanceInProgress",
            InconsistentGroupProtocol { .. } => "InconsistentGroupProtocol",
            InvalidGroupId { .. } => "InvalidGroupId",
            NoOffsetForPartition { .. } => "NoOffsetForPartition",
            NonEmptyGroup { .. } => "NonEmptyGroup",
            GroupIdNotFound { .. } => "GroupIdNotFound",
            UnknownConsumer { .. } => "UnknownConsumer",
            IllegalState { .. } => "IllegalStateException",
        }
    }

    /// Errors a Kafka producer retries on its own (`RetriableException` subclasses).
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            BrokerError::NotEnoughReplicas { .. }
                | BrokerError::NotLeaderOrFollower { .. }
                | BrokerError::BrokerNotAvailable { .. }
                | BrokerError::OutOfOrderSequence { .. }
                | BrokerError::RequestTimedOut { .. }
                | BrokerError::NetworkException { .. }
                | BrokerError::LeaderNotAvailable { .. }
                | BrokerError::CoordinatorNotAvailable { .. }
                | BrokerError::NotCoordinator { .. }
        )
    }
}
