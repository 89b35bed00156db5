//! Partitions and their replicas: leader, followers, ISR, leader epoch, high watermark.
//!
//! Every partition has `replication.factor` **replicas** on different brokers. One is the
//! **leader**: it takes all writes and reads. The others are **followers**: they fetch from
//! the leader and append what they get. The **in-sync replicas** (ISR) are the leader plus
//! the followers that are caught up. The **leader epoch** grows by one with every new leader,
//! so stale leaders and stale followers can be told apart.
//!
//! The **high watermark** (HW) is the offset up to which every ISR member has the log: the
//! smallest log end offset in the ISR. Consumers only see records below it, and acks=all
//! produce requests are answered when it passes their record. Since KIP-966 the leader does
//! not move the HW while the ISR is smaller than `min.insync.replicas`
//! (`Partition.maybeIncrementLeaderHW` skips when `isUnderMinIsr`).

use super::ids::{BrokerId, TopicPartition};
use super::sorted_map::SortedMap;
use std::rc::Rc;

use super::log::PartitionLog;
use super::network::QueueKey;
use super::producer::Acks;

/// What the controller knows about a partition (the metadata log's `PartitionRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    pub isr: Vec<BrokerId>,
}

impl PartitionMetadata {
    /// The preferred leader is the first assigned replica.
    pub fn preferred_leader(&self) -> BrokerId {
        self.replicas[0]
    }
}

/// The high watermark a leader may set, or `None` to keep the current one.
///
/// ```
/// use kafka_playground::broker::partition::high_watermark_candidate;
/// // ISR {1: LEO 7, 2: LEO 5, 3: LEO 6}: everyone has offsets 0..5, so HW = 5.
/// assert_eq!(high_watermark_candidate(&[7, 5, 6], 2), Some(5));
/// // ISR shrank to the leader alone, min.insync.replicas = 2: the HW stays put (KIP-966).
/// assert_eq!(high_watermark_candidate(&[7], 2), None);
/// ```
pub fn high_watermark_candidate(
    isr_log_end_offsets: &[u64],
    min_insync_replicas: u32,
) -> Option<u64> {
    if (isr_log_end_offsets.len() as u32) < min_insync_replicas {
        return None;
    }
    isr_log_end_offsets.iter().copied().min()
}

/// The leader's view of one follower.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerState {
    /// The follower's LEO, as its last fetch offset told the leader.
    pub log_end_offset: Option<u64>,
    /// The last tick at which the follower had fetched everything the leader had
    /// (`lastCaughtUpTimeMs`).
    pub last_caught_up_tick: u64,
    /// A fetch of this follower waiting for data in the leader's fetch purgatory.
    pub parked_fetch: Option<ParkedFetch>,
    /// The high watermark this follower was last told.
    pub high_watermark_sent: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedFetch {
    pub fetch_offset: u64,
}

/// An acks=all produce waiting in the leader's produce purgatory for the HW to pass it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedProduce {
    pub producer: u32,
    pub request_id: u64,
    /// The batch's base offset, which the answer carries.
    pub offset: u64,
    /// The batch is committed once the high watermark passes this.
    pub last_offset: u64,
    pub acks: Acks,
    pub timeout_timer: QueueKey,
    /// Set when the group coordinator appended to `__consumer_offsets`: it goes on,
    /// like an acks=all produce, once replicated (`offsets.commit.required.acks=-1`).
    pub waiter: Option<CoordinatorWaiter>,
}

/// Parks a produce in the purgatory, which stays ordered by last offset (arrival order among
/// equals), so the ones the high watermark has passed are always a prefix. A retried
/// duplicate is answered with an older offset and so may go before later arrivals.
pub(crate) fn park_in_offset_order(parked: &mut Vec<ParkedProduce>, produce: ParkedProduce) {
    let at = parked.partition_point(|p| p.last_offset <= produce.last_offset);
    parked.insert(at, produce);
}

/// What the group coordinator does once its records are replicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordinatorWaiter {
    /// Answer an `OffsetCommit`.
    Commit(ParkedCommit),
    /// Make the leader's assignment of this generation effective (`Stable`) and answer
    /// the members' `SyncGroup`s.
    GroupSync { group: String, generation: i32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedCommit {
    pub consumer: u32,
    pub group: String,
    pub offsets: Vec<(TopicPartition, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaRole {
    Leader {
        followers: SortedMap<BrokerId, FollowerState>,
        parked_produces: Vec<ParkedProduce>,
        /// An `AlterPartition` is on its way to the controller; Kafka sends one at a time.
        alter_partition_pending: bool,
        /// The next ISR lag check, armed while some in-sync follower is behind.
        lag_check_timer: Option<QueueKey>,
    },
    Follower {
        leader: Option<BrokerId>,
        fetch_in_flight: bool,
    },
}

/// Last appended state of an idempotent producer on this partition (`ProducerStateEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerStateEntry {
    pub producer_epoch: u16,
    pub last_sequence: i32,
    pub last_offset: u64,
}

/// One broker's copy of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// Shared between copies of the cluster (the timeline's snapshots) until one of them
    /// changes it (`Rc::make_mut`), so going back in time does not copy every log.
    pub log: Rc<PartitionLog>,
    pub high_watermark: u64,
    /// The latest leader epoch this replica has been told about.
    pub leader_epoch: u32,
    /// The ISR as this replica last heard it (the leader keeps it current).
    pub isr: Vec<BrokerId>,
    pub replicas: Vec<BrokerId>,
    pub role: ReplicaRole,
    pub producer_states: SortedMap<u64, ProducerStateEntry>,
}

impl ReplicaRole {
    /// Timers that belong to this role and die with it (lag checks, purgatory timeouts).
    pub fn timers(&self) -> Vec<QueueKey> {
        match self {
            ReplicaRole::Leader {
                parked_produces,
                lag_check_timer,
                ..
            } => parked_produces
                .iter()
                .map(|p| p.timeout_timer)
                .chain(*lag_check_timer)
                .collect(),
            ReplicaRole::Follower { .. } => Vec::new(),
        }
    }
}

impl Replica {
    pub fn new(created_tick: u64, replicas: Vec<BrokerId>) -> Self {
        Self {
            log: Rc::new(PartitionLog::new(created_tick)),
            high_watermark: 0,
            leader_epoch: 0,
            isr: Vec::new(),
            replicas,
            role: ReplicaRole::Follower {
                leader: None,
                fetch_in_flight: false,
            },
            producer_states: SortedMap::new(),
        }
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role, ReplicaRole::Leader { .. })
    }

    /// Rebuilds the idempotent producers' state from the log, as Kafka does after
    /// truncation (`UnifiedLog.rebuildProducerState`).
    pub fn rebuild_producer_states(&mut self) {
        self.producer_states.clear();
        for record in self.log.records() {
            if let Some(producer_id) = record.producer_id {
                self.producer_states.insert(
                    producer_id,
                    ProducerStateEntry {
                        producer_epoch: record.producer_epoch,
                        last_sequence: record.sequence,
                        last_offset: record.offset,
                    },
                );
            }
        }
    }

    pub fn note_producer_append(&mut self, record: &super::log::Record) {
        if let Some(producer_id) = record.producer_id {
            self.producer_states.insert(
                producer_id,
                ProducerStateEntry {
                    producer_epoch: record.producer_epoch,
                    last_sequence: record.sequence,
                    last_offset: record.offset,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hw_is_smallest_isr_leo() {
        assert_eq!(high_watermark_candidate(&[10, 10, 10], 1), Some(10));
        assert_eq!(high_watermark_candidate(&[10, 3, 9], 1), Some(3));
        assert_eq!(high_watermark_candidate(&[4], 1), Some(4));
    }

    #[test]
    fn the_purgatory_stays_in_offset_order_so_answers_are_a_prefix() {
        let parked = |request_id: u64, last_offset: u64| ParkedProduce {
            producer: 1,
            request_id,
            offset: last_offset,
            last_offset,
            acks: Acks::All,
            timeout_timer: (0, request_id),
            waiter: None,
        };
        let mut purgatory = Vec::new();
        for (request_id, last_offset) in [(1, 4), (2, 9), (3, 2), (4, 9), (5, 6)] {
            park_in_offset_order(&mut purgatory, parked(request_id, last_offset));
        }
        let order: Vec<u64> = purgatory.iter().map(|p| p.request_id).collect();
        assert_eq!(
            order,
            [3, 1, 5, 2, 4],
            "by last offset, arrival order among equals"
        );
    }

    #[test]
    fn hw_frozen_below_min_insync_replicas() {
        assert_eq!(high_watermark_candidate(&[10, 8], 3), None);
        assert_eq!(high_watermark_candidate(&[10, 8, 9], 3), Some(8));
    }

    #[test]
    fn preferred_leader_is_first_replica() {
        let metadata = PartitionMetadata {
            replicas: vec![3, 1, 2],
            leader: Some(1),
            leader_epoch: 4,
            isr: vec![1, 3],
        };
        assert_eq!(metadata.preferred_leader(), 3);
    }
}
