//! Events: what happened, hop by hop, with a sentence a learner can read.
//!
//! The core never draws anything; it reports. Every event says at which tick it happened,
//! carries the facts the diagram needs to animate it (which node sent what to whom, which
//! offset moved), and one plain sentence that explains it.

use serde::{Deserialize, Serialize};

use super::ids::{BrokerId, Node, TopicPartition};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub tick: u64,
    #[serde(flatten)]
    pub kind: EventKind,
    /// One sentence for the narration log.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A request or response left `from` and will reach `to` at `deliver_tick`.
    MessageSent {
        id: u64,
        from: Node,
        to: Node,
        label: String,
        deliver_tick: u64,
    },
    /// It arrived.
    MessageDelivered {
        id: u64,
        from: Node,
        to: Node,
        label: String,
    },
    /// It was lost: the link is cut or the receiver is down.
    MessageLost {
        id: u64,
        from: Node,
        to: Node,
        label: String,
    },
    /// A timer of `node` went off (a session timeout, a retry backoff, a lag check).
    TimerFired {
        node: Node,
        label: String,
    },
    TopicCreated {
        topic: String,
        partitions: u32,
        replication_factor: u32,
    },
    TopicDeleted {
        topic: String,
    },
    TopicConfigAltered {
        topic: String,
    },
    ProducerAdded {
        producer: u32,
        producer_id: u64,
    },
    /// A producer handed a record to its sender thread, for partition `partition`.
    RecordSent {
        producer: u32,
        partition: TopicPartition,
        key: Option<String>,
        how_chosen: String,
        /// Records in the batch (1 for a single send).
        count: u32,
    },
    /// A broker's replica appended records `offset..=last_offset`.
    RecordAppended {
        broker: BrokerId,
        partition: TopicPartition,
        offset: u64,
        last_offset: u64,
        leader_epoch: u32,
        as_leader: bool,
    },
    /// A retried record that the leader already has (idempotence); not appended again.
    DuplicateDiscarded {
        broker: BrokerId,
        partition: TopicPartition,
        offset: u64,
    },
    HighWatermarkMoved {
        broker: BrokerId,
        partition: TopicPartition,
        from: u64,
        to: u64,
    },
    ProduceAcknowledged {
        producer: u32,
        partition: TopicPartition,
        /// The batch's base offset; `None` for acks=0: the producer never learns it.
        offset: Option<u64>,
        /// Records in the batch; they have consecutive offsets and sequences.
        count: u32,
        key: Option<String>,
        /// The idempotent producer's sequence number of the record, -1 without idempotence.
        sequence: i32,
    },
    ProduceFailed {
        producer: u32,
        partition: TopicPartition,
        error: String,
    },
    ProduceRetryScheduled {
        producer: u32,
        partition: TopicPartition,
        error: String,
        attempt: u32,
    },
    MetadataRefreshed {
        producer: u32,
        partition: TopicPartition,
        leader: Option<BrokerId>,
    },
    IsrChanged {
        partition: TopicPartition,
        isr: Vec<BrokerId>,
        reason: String,
    },
    LeaderElected {
        partition: TopicPartition,
        leader: Option<BrokerId>,
        leader_epoch: u32,
        unclean: bool,
    },
    BecameLeader {
        broker: BrokerId,
        partition: TopicPartition,
        leader_epoch: u32,
    },
    BecameFollower {
        broker: BrokerId,
        partition: TopicPartition,
        leader: Option<BrokerId>,
        leader_epoch: u32,
    },
    LogTruncated {
        broker: BrokerId,
        partition: TopicPartition,
        to_offset: u64,
        records_removed: u64,
    },
    BrokerCrashed {
        broker: BrokerId,
    },
    BrokerRestarted {
        broker: BrokerId,
    },
    BrokerAdded {
        broker: BrokerId,
    },
    BrokerFenced {
        broker: BrokerId,
    },
    BrokerUnfenced {
        broker: BrokerId,
    },
    ControllerCrashed {
        controller: u32,
    },
    ControllerRestarted {
        controller: u32,
    },
    /// A new active controller: a KRaft voter, or a broker in ZooKeeper mode.
    ControllerElected {
        node: Option<Node>,
        epoch: u32,
    },
    LinkCut {
        a: Node,
        b: Node,
    },
    LinkHealed {
        a: Node,
        b: Node,
    },
    LinkLatencySet {
        a: Node,
        b: Node,
        latency_ms: u64,
    },
    SegmentsDeleted {
        broker: BrokerId,
        partition: TopicPartition,
        records_removed: u64,
        log_start_offset: u64,
    },
    LogCompacted {
        broker: BrokerId,
        partition: TopicPartition,
        records_removed: u64,
    },
    ClockAdvanced {
        to_tick: u64,
    },
    ConsumerAdded {
        consumer: u32,
        group: Option<String>,
    },
    Subscribed {
        consumer: u32,
        topics: Vec<String>,
    },
    ConsumerCrashed {
        consumer: u32,
    },
    ConsumerRestarted {
        consumer: u32,
    },
    ConsumerClosed {
        consumer: u32,
    },
    /// A consumer-side error or notice, by Kafka's name.
    ConsumerError {
        consumer: u32,
        error: String,
    },
    CoordinatorFound {
        consumer: u32,
        group: String,
        broker: BrokerId,
    },
    /// A broker loaded groups from a `__consumer_offsets` partition it now leads.
    CoordinatorLoaded {
        broker: BrokerId,
        partition: TopicPartition,
        groups: Vec<String>,
    },
    RejoinStarted {
        consumer: u32,
        group: String,
    },
    MemberJoined {
        group: String,
        member_id: String,
        consumer: u32,
    },
    MemberRemoved {
        group: String,
        member_id: String,
        reason: String,
    },
    /// The group moved to `state` (`Empty`, `PreparingRebalance`, `CompletingRebalance`,
    /// `Stable`, `Dead`).
    GroupStateChanged {
        group: String,
        state: String,
        generation: i32,
    },
    /// A member got its JoinGroup answer; the leader computes the assignment.
    JoinedGroup {
        consumer: u32,
        group: String,
        generation: i32,
        leader: bool,
    },
    AssignmentChanged {
        consumer: u32,
        generation: i32,
        assigned: Vec<TopicPartition>,
        revoked: Vec<TopicPartition>,
    },
    PartitionsRevoked {
        consumer: u32,
        partitions: Vec<TopicPartition>,
    },
    PositionSet {
        consumer: u32,
        partition: TopicPartition,
        offset: u64,
        reason: String,
    },
    PositionReset {
        consumer: u32,
        partition: TopicPartition,
        reset: String,
    },
    PollStarted {
        consumer: u32,
    },
    PollReturned {
        consumer: u32,
        records: u32,
    },
    PartitionPaused {
        consumer: u32,
        partition: TopicPartition,
        until_tick: u64,
    },
    /// The application processed a record (`ok`) or failed to.
    RecordProcessed {
        consumer: u32,
        partition: TopicPartition,
        offset: u64,
        key: Option<String>,
        generation: i32,
        member_id: String,
        ok: bool,
    },
    FailureRuleSet {
        consumer: u32,
    },
    RecordPoisoned {
        partition: TopicPartition,
        offset: u64,
    },
    FailureHandled {
        consumer: u32,
        partition: TopicPartition,
        offset: u64,
        action: String,
    },
    ErrorHandlingSet {
        group: String,
    },
    GroupDeleted {
        group: String,
    },
    ErrorTopicFailed {
        topic: String,
        error: String,
    },
    RecordsRedriven {
        topic: String,
        count: u32,
    },
    CommitStarted {
        consumer: u32,
        sync: bool,
    },
    OffsetsCommitted {
        consumer: u32,
        group: String,
        offsets: Vec<(TopicPartition, u64)>,
    },
    CommitFailed {
        consumer: u32,
        error: String,
    },
}

impl Event {
    /// `"t=12 broker 2 appended ..."`: the form golden traces and `kplay run --trace` print.
    pub fn trace_line(&self) -> String {
        format!("t={} {}", self.tick, self.text)
    }
}
