//! Producers: the client side of writing.
//!
//! A Kafka producer picks the partition itself (see `partitioner.rs`), sends the record to
//! that partition's leader, and waits as long as `acks` says:
//! * `acks=0` — not at all: no answer comes, a lost record is never noticed;
//! * `acks=1` — until the leader has appended it (lost if the leader dies before a follower
//!   copies it);
//! * `acks=all` (the default since Kafka 3.0) — until every in-sync replica has it, i.e. the
//!   high watermark has passed it; refused with `NotEnoughReplicas` while the ISR is smaller
//!   than `min.insync.replicas`.
//!
//! Retriable errors are retried after `retry.backoff.ms` until `delivery.timeout.ms` runs out.
//! With `enable.idempotence=true` (default since 3.0) each record carries the producer id
//! and a per-partition sequence number, so a retry of a record the leader already appended
//! is recognised and not appended twice.

use serde::{Deserialize, Serialize};
use std::rc::Rc;

use super::cluster::{Cluster, MAX_RECORDS_PER_SEND, MAX_REQUEST_SIZE_BYTES};
use super::error::BrokerError;
use super::event::EventKind;
use super::ids::TopicPartition;
use super::ids::{BrokerId, Node};
use super::log::Record;
use super::log::RECORD_BATCH_OVERHEAD_BYTES;
use super::network::QueueKey;
use super::network::{Payload, Timer};
use super::partition::{CoordinatorWaiter, ParkedProduce, ProducerStateEntry, ReplicaRole};
use super::partitioner::explain_key_partition;
use super::partitioner::NullKeyStrategy;
use super::sorted_map::SortedMap;

/// `acks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Acks {
    #[serde(rename = "0")]
    None,
    #[serde(rename = "1")]
    Leader,
    #[default]
    #[serde(rename = "all")]
    All,
}

impl Acks {
    pub fn kafka_value(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

/// Producer configs, with the defaults of Kafka's Java client (3.x / 4.x).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProducerConfig {
    /// `acks`, default `all`.
    pub acks: Acks,
    /// `enable.idempotence`. Unset means Kafka's default: on, unless `acks` is not `all`, in
    /// which case Kafka (≥ 3.2) quietly turns it off. Set to true with acks 0 or 1 is a
    /// config error (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`).
    pub enable_idempotence: Option<bool>,
    /// `retries`, default `Integer.MAX_VALUE`: retry until `delivery.timeout.ms`.
    pub retries: u32,
    /// `retry.backoff.ms`, default 100.
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms`, default 1000: retries back off exponentially up to it (KIP-580).
    pub retry_backoff_max_ms: u64,
    /// `request.timeout.ms`, default 30000.
    pub request_timeout_ms: u64,
    /// `delivery.timeout.ms`, default 120000.
    pub delivery_timeout_ms: u64,
    /// Null-key records: the built-in sticky partitioner, or `RoundRobinPartitioner`.
    pub null_key_partitioner: NullKeyStrategy,
    /// `batch.size`, default 16384: records for one partition travel together in batches
    /// of up to this many bytes, and the sticky partitioner moves on after a full batch.
    pub batch_size: u64,
}

impl ProducerConfig {
    /// Whether the producer is idempotent, after Kafka's defaulting rule.
    pub fn idempotent(&self) -> bool {
        self.enable_idempotence.unwrap_or(self.acks == Acks::All)
    }

    pub fn validate(&self) -> Result<(), BrokerError> {
        let invalid = |name: &str, value: String, reason: &str| BrokerError::InvalidConfig {
            name: name.into(),
            value,
            reason: reason.into(),
        };
        if self.enable_idempotence == Some(true) && self.acks != Acks::All {
            return Err(invalid(
                "acks",
                self.acks.kafka_value().into(),
                "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
            ));
        }
        if self.delivery_timeout_ms < self.request_timeout_ms {
            return Err(invalid(
                "delivery.timeout.ms",
                self.delivery_timeout_ms.to_string(),
                "should be equal to or larger than linger.ms + request.timeout.ms",
            ));
        }
        if self.request_timeout_ms == 0 || self.request_timeout_ms > 3_600_000 {
            return Err(invalid(
                "request.timeout.ms",
                self.request_timeout_ms.to_string(),
                "must be 1 to 3600000",
            ));
        }
        if self.retry_backoff_ms == 0 || self.retry_backoff_max_ms > 3_600_000 {
            return Err(invalid(
                "retry.backoff.ms",
                self.retry_backoff_ms.to_string(),
                "retry.backoff.ms must be at least 1 and retry.backoff.max.ms at most 3600000",
            ));
        }
        Ok(())
    }
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            acks: Acks::All,
            enable_idempotence: None,
            retries: i32::MAX as u32,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            null_key_partitioner: NullKeyStrategy::Sticky,
            batch_size: 16_384,
        }
    }
}

/// One batch of records for one partition that the producer is responsible for until it is
/// acknowledged or fails (`ProducerBatch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSend {
    pub partition: TopicPartition,
    /// Shared with the requests that carry it (and with timeline snapshots): a batch
    /// never changes once made.
    pub records: Rc<[Record]>,
    pub attempt: u32,
    pub first_sent_tick: u64,
    /// The correlation id of the current attempt's request; answers to older attempts are
    /// recognised by their id and ignored.
    pub correlation_id: u64,
    /// The request-timeout timer of the current attempt.
    pub timeout_timer: Option<QueueKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    pub id: u32,
    pub config: ProducerConfig,
    /// The producer id a broker would hand out on `InitProducerId` (idempotent producers only).
    pub producer_id: Option<u64>,
    pub producer_epoch: u16,
    pub next_sequence: SortedMap<TopicPartition, i32>,
    /// Sticky partitioner state per topic: (current partition, bytes sent to it).
    pub sticky: SortedMap<String, (u32, u64)>,
    pub round_robin_counter: SortedMap<String, u32>,
    /// request id → record waiting for its answer or its retry. Ids only grow, so a new
    /// send goes at the end; answers mostly remove from the front.
    pub pending: SortedMap<u64, PendingSend>,
    /// The producer's metadata cache: who leads each partition, as of its last refresh.
    /// It can be stale; a `NotLeaderOrFollower` answer makes the producer refresh it.
    pub leader_cache: SortedMap<TopicPartition, Option<super::ids::BrokerId>>,
    pub acknowledged: u64,
    pub failed: u64,
}

/// KIP-580's exponential backoff without its ±20% jitter: `retry.backoff.ms * 2^(n-1)` for
/// the n-th retry, capped at `retry.backoff.max.ms`.
///
/// ```
/// use kafka_playground::broker::producer::retry_backoff_ms;
/// assert_eq!([1, 2, 3, 4, 5].map(|n| retry_backoff_ms(100, 1000, n)), [100, 200, 400, 800, 1000]);
/// ```
pub fn retry_backoff_ms(base_ms: u64, max_ms: u64, retry: u32) -> u64 {
    let doublings = retry.saturating_sub(1).min(32);
    base_ms
        .saturating_mul(1u64 << doublings)
        .min(max_ms.max(base_ms))
}

impl Producer {
    pub fn new(id: u32, config: ProducerConfig) -> Self {
        let producer_id = config.idempotent().then_some(1000 + u64::from(id));
        Self {
            id,
            config,
            producer_id,
            producer_epoch: 0,
            next_sequence: SortedMap::new(),
            sticky: SortedMap::new(),
            round_robin_counter: SortedMap::new(),
            pending: SortedMap::new(),
            leader_cache: SortedMap::new(),
            acknowledged: 0,
            failed: 0,
        }
    }

    /// The record whose current attempt carries this correlation id.
    pub fn pending_by_correlation(&self, correlation_id: u64) -> Option<u64> {
        self.pending
            .iter()
            .find(|(_, pending)| pending.correlation_id == correlation_id)
            .map(|(&record_id, _)| record_id)
    }

    /// Takes the next sequence number for a partition (idempotent producers), else -1
    /// (`RecordBatch.NO_SEQUENCE`).
    pub fn take_sequence(&mut self, partition: &TopicPartition) -> i32 {
        if self.producer_id.is_none() {
            return -1;
        }
        let next = self.next_sequence.entry(partition.clone()).or_insert(0);
        let sequence = *next;
        *next = next.wrapping_add(1) & i32::MAX;
        sequence
    }

    /// The partition for a record without a key: round-robin, or sticky (KIP-480, KIP-794)
    /// with the next partition drawn at random once `batch.size` bytes went to the current one.
    pub fn partition_for_null_key(
        &mut self,
        topic: &str,
        partition_count: u32,
        record_bytes: u64,
        draw: impl FnOnce(u32) -> u32,
    ) -> u32 {
        match self.config.null_key_partitioner {
            NullKeyStrategy::RoundRobin => {
                let counter = self
                    .round_robin_counter
                    .entry(topic.to_string())
                    .or_insert(0);
                let partition = *counter % partition_count;
                *counter = counter.wrapping_add(1);
                partition
            }
            NullKeyStrategy::Sticky => {
                let batch = self.config.batch_size.max(1);
                let entry = self
                    .sticky
                    .entry(topic.to_string())
                    .or_insert((u32::MAX, batch));
                if entry.1 >= batch || entry.0 >= partition_count {
                    // KIP-480: switch to another partition when the batch is complete.
                    let previous = entry.0;
                    let mut next = draw(partition_count);
                    if partition_count > 1 && next == previous {
                        next = (next + 1) % partition_count;
                    }
                    *entry = (next, 0);
                }
                entry.1 += record_bytes;
                entry.0
            }
        }
    }
}

/// The offsets of an appended batch: answered with the first, committed with the last.
#[derive(Debug, Clone, Copy)]
struct CommittedWhen {
    base_offset: u64,
    last_offset: u64,
}

/// "offset 7" or "offsets 7 to 101".
pub(crate) fn describe_offsets(first: u64, last: u64) -> String {
    if first == last {
        format!("offset {first}")
    } else {
        format!("offsets {first} to {last}")
    }
}

// ----- the produce path inside the cluster ------------------------------------------------

/// "the record" or "the batch of 12 records", for narration.
fn describe_batch(count: usize) -> String {
    if count == 1 {
        "the record".to_string()
    } else {
        format!("the batch of {count} records")
    }
}

impl Cluster {
    /// `producer.send` for `count` copies of one record (a burst when `count` > 1). Records
    /// are grouped per partition into batches of up to `batch.size` bytes, as Kafka's
    /// `RecordAccumulator` does, and each batch is one produce request.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn produce(
        &mut self,
        producer_id: u32,
        topic: String,
        key: Option<String>,
        value: Option<String>,
        headers: Vec<(String, String)>,
        partition: Option<u32>,
        count: u32,
    ) -> Result<(), BrokerError> {
        if !self.producers.contains_key(&producer_id) {
            return Err(BrokerError::UnknownProducer {
                producer: producer_id,
            });
        }
        if !(1..=MAX_RECORDS_PER_SEND).contains(&count) {
            return Err(BrokerError::PolicyViolation {
                reason: format!("a send carries 1 to {MAX_RECORDS_PER_SEND} records, not {count}"),
            });
        }
        let partition_count = self
            .topics
            .get(&topic)
            .map(|t| t.partitions.len() as u32)
            .ok_or_else(|| BrokerError::UnknownTopicOrPartition {
                topic: topic.clone(),
                partition: None,
            })?;
        if let Some(p) = partition {
            if p >= partition_count {
                return Err(BrokerError::UnknownTopicOrPartition {
                    topic,
                    partition: Some(p),
                });
            }
        }
        let size_bytes = Record::size_of(key.as_deref(), value.as_deref(), &headers);
        if size_bytes > MAX_REQUEST_SIZE_BYTES {
            return Err(BrokerError::RecordTooLarge {
                size_bytes,
                max_message_bytes: MAX_REQUEST_SIZE_BYTES,
            });
        }
        let keyed_choice = match (partition, key.as_deref()) {
            (Some(p), _) => Some((p, format!("partition {p} was given explicitly"))),
            (None, Some(k)) => Some(explain_key_partition(k, partition_count)),
            (None, None) => None,
        };
        let now = self.tick;
        // (partition, records, how the partition was chosen) in the order batches open.
        let mut batches: Vec<(u32, Vec<Record>, u64, String)> = Vec::new();
        for _ in 0..count {
            let (chosen, how_chosen) = match &keyed_choice {
                Some((p, how)) => (*p, how.clone()),
                None => {
                    let rng = &mut self.partitioner_rng;
                    let producer = self.producers.get_mut(&producer_id).expect("checked");
                    let p =
                        producer.partition_for_null_key(&topic, partition_count, size_bytes, |n| {
                            rng.below(u64::from(n)) as u32
                        });
                    let how = match producer.config.null_key_partitioner {
                        NullKeyStrategy::Sticky => {
                            format!("no key: the sticky partitioner's current partition is {p}")
                        }
                        NullKeyStrategy::RoundRobin => {
                            format!("no key: round-robin gives partition {p}")
                        }
                    };
                    (p, how)
                }
            };
            let producer = self.producers.get_mut(&producer_id).expect("checked");
            let batch_size = producer.config.batch_size;
            let tp = TopicPartition::new(topic.clone(), chosen);
            let record = Record {
                offset: 0,
                timestamp: now,
                key: key.clone(),
                value: value.clone(),
                headers: headers.clone(),
                producer_id: producer.producer_id,
                producer_epoch: producer.producer_epoch,
                sequence: producer.take_sequence(&tp),
                leader_epoch: 0,
            };
            let record_bytes = size_bytes - RECORD_BATCH_OVERHEAD_BYTES;
            match batches.iter_mut().rev().find(|(p, ..)| *p == chosen) {
                Some((_, records, bytes, _)) if *bytes + record_bytes <= batch_size => {
                    records.push(record);
                    *bytes += record_bytes;
                }
                _ => batches.push((chosen, vec![record], size_bytes, how_chosen)),
            }
        }
        for (chosen, records, _, how_chosen) in batches {
            let tp = TopicPartition::new(topic.clone(), chosen);
            let request_id = self.next_request_id();
            let records_in_batch = records.len() as u32;
            let producer = self.producers.get_mut(&producer_id).expect("checked");
            producer.pending.insert(
                request_id,
                PendingSend {
                    partition: tp.clone(),
                    records: records.into(),
                    attempt: 1,
                    first_sent_tick: now,
                    correlation_id: 0,
                    timeout_timer: None,
                },
            );
            let text = if records_in_batch == 1 {
                format!("producer {producer_id} sends a record to {tp} ({how_chosen})")
            } else {
                format!("producer {producer_id} sends a batch of {records_in_batch} records to {tp} ({how_chosen})")
            };
            self.emit(
                EventKind::RecordSent {
                    producer: producer_id,
                    partition: tp.clone(),
                    key: key.clone(),
                    how_chosen,
                    count: records_in_batch,
                },
                text,
            );
            self.producer_send_attempt(producer_id, request_id);
        }
        Ok(())
    }

    /// Sends (or re-sends) a pending record to the leader the producer believes in.
    fn producer_send_attempt(&mut self, producer_id: u32, request_id: u64) {
        let Some(producer) = self.producers.get(&producer_id) else {
            return;
        };
        let Some(pending) = producer.pending.get(&request_id) else {
            return;
        };
        let tp = pending.partition.clone();
        let cached = producer.leader_cache.get(&tp).copied();
        let leader = match cached {
            Some(leader) => leader,
            None => {
                // A metadata request: the producer learns the current leader.
                let leader = self.partition_metadata(&tp).and_then(|m| m.leader);
                self.producers
                    .get_mut(&producer_id)
                    .expect("known")
                    .leader_cache
                    .insert(tp.clone(), leader);
                let text = match leader {
                    Some(l) => format!(
                        "producer {producer_id} refreshes its metadata: broker {l} leads {tp}"
                    ),
                    None => {
                        format!("producer {producer_id} refreshes its metadata: {tp} has no leader")
                    }
                };
                self.emit(
                    EventKind::MetadataRefreshed {
                        producer: producer_id,
                        partition: tp.clone(),
                        leader,
                    },
                    text,
                );
                leader
            }
        };
        let Some(leader) = leader else {
            let error = if self.topics.contains_key(&tp.topic) {
                BrokerError::LeaderNotAvailable {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                }
            } else {
                BrokerError::UnknownTopicOrPartition {
                    topic: tp.topic.clone(),
                    partition: Some(tp.partition),
                }
            };
            self.producer_attempt_failed(producer_id, request_id, error);
            return;
        };
        let producer = self.producers.get(&producer_id).expect("known");
        let acks = producer.config.acks;
        let request_timeout_ms = producer.config.request_timeout_ms;
        let records = producer.pending[&request_id].records.clone();
        let correlation_id = self.next_request_id();
        if let Some(pending) = self
            .producers
            .get_mut(&producer_id)
            .and_then(|p| p.pending.get_mut(&request_id))
        {
            pending.correlation_id = correlation_id;
        }
        self.send(
            Node::Producer(producer_id),
            Node::Broker(leader),
            Payload::ProduceRequest {
                partition: tp.clone(),
                records,
                acks,
                request_id: correlation_id,
            },
        );
        if acks == Acks::None {
            // Fire and forget: the producer counts it as sent and never hears back.
            let producer = self.producers.get_mut(&producer_id).expect("known");
            let done = producer.pending.remove(&request_id).expect("pending");
            producer.acknowledged += done.records.len() as u64;
            let what = describe_batch(done.records.len());
            self.emit(
                EventKind::ProduceAcknowledged {
                    producer: producer_id,
                    partition: tp.clone(),
                    offset: None,
                    count: done.records.len() as u32,
                    key: done.records[0].key.clone(),
                    sequence: done.records[0].sequence,
                },
                format!("producer {producer_id} considers {what} to {tp} done at once (acks=0): no answer will come"),
            );
            return;
        }
        let timer = self.set_timer(
            Node::Producer(producer_id),
            request_timeout_ms,
            Timer::ProducerRequestTimeout {
                producer: producer_id,
                request_id: correlation_id,
            },
        );
        if let Some(pending) = self
            .producers
            .get_mut(&producer_id)
            .and_then(|p| p.pending.get_mut(&request_id))
        {
            pending.timeout_timer = Some(timer);
        }
    }

    pub(crate) fn producer_handle_response(
        &mut self,
        producer_id: u32,
        partition: TopicPartition,
        correlation_id: u64,
        result: Result<u64, BrokerError>,
    ) {
        let Some(producer) = self.producers.get_mut(&producer_id) else {
            return;
        };
        let Some(request_id) = producer.pending_by_correlation(correlation_id) else {
            return; // an answer to an earlier attempt, already given up on
        };
        let pending = &producer.pending[&request_id];
        if let Some(timer) = pending.timeout_timer {
            self.network.cancel(timer);
        }
        match result {
            Ok(offset) => {
                let producer = self.producers.get_mut(&producer_id).expect("known");
                let done = producer.pending.remove(&request_id).expect("pending");
                let count = done.records.len() as u32;
                producer.acknowledged += u64::from(count);
                let text = if count == 1 {
                    format!("producer {producer_id}'s record is acknowledged: {partition} offset {offset}")
                } else {
                    format!(
                        "producer {producer_id}'s batch of {count} records is acknowledged: {partition} offsets {offset} to {}",
                        offset + u64::from(count) - 1
                    )
                };
                self.emit(
                    EventKind::ProduceAcknowledged {
                        producer: producer_id,
                        partition: partition.clone(),
                        offset: Some(offset),
                        count,
                        key: done.records[0].key.clone(),
                        sequence: done.records[0].sequence,
                    },
                    text,
                );
            }
            Err(error) => self.producer_attempt_failed(producer_id, request_id, error),
        }
    }

    /// Retry after `retry.backoff.ms` if the error is retriable and time remains, else fail.
    pub(crate) fn producer_attempt_failed(
        &mut self,
        producer_id: u32,
        request_id: u64,
        error: BrokerError,
    ) {
        let now = self.tick;
        let Some(producer) = self.producers.get_mut(&producer_id) else {
            return;
        };
        let config = producer.config.clone();
        let Some(pending) = producer.pending.get_mut(&request_id) else {
            return;
        };
        if let Some(timer) = pending.timeout_timer.take() {
            self.network.cancel(timer);
        }
        // This attempt is over: a late answer to it must not count as the next one's.
        pending.correlation_id = 0;
        let partition = pending.partition.clone();
        // These mean "your idea of the leader may be wrong": refresh metadata first
        // (`Sender.completeBatch` → `metadata.requestUpdate()`).
        if matches!(
            error,
            BrokerError::NotLeaderOrFollower { .. }
                | BrokerError::RequestTimedOut { .. }
                | BrokerError::LeaderNotAvailable { .. }
                | BrokerError::NetworkException { .. }
        ) {
            producer.leader_cache.remove(&partition);
        }
        let retry = pending.attempt;
        let backoff = retry_backoff_ms(config.retry_backoff_ms, config.retry_backoff_max_ms, retry);
        let elapsed = now.saturating_sub(pending.first_sent_tick) + backoff;
        let can_retry =
            error.is_retriable() && retry <= config.retries && elapsed < config.delivery_timeout_ms;
        if can_retry {
            pending.attempt += 1;
            self.emit(
                EventKind::ProduceRetryScheduled {
                    producer: producer_id,
                    partition: partition.clone(),
                    error: error.kafka_name().to_string(),
                    attempt: retry + 1,
                },
                format!(
                    "producer {producer_id} got {} for {partition} and retries in {backoff} ms (retry {retry}, retry.backoff.ms doubling up to retry.backoff.max.ms)",
                    error.kafka_name(),
                ),
            );
            self.set_timer(
                Node::Producer(producer_id),
                backoff,
                Timer::ProducerRetry {
                    producer: producer_id,
                    request_id,
                },
            );
        } else {
            producer.pending.remove(&request_id);
            producer.failed += 1;
            let why = if error.is_retriable() {
                " (delivery.timeout.ms ran out)"
            } else {
                ""
            };
            self.emit(
                EventKind::ProduceFailed {
                    producer: producer_id,
                    partition: partition.clone(),
                    error: error.kafka_name().to_string(),
                },
                format!("producer {producer_id}'s record to {partition} fails: {error}{why}"),
            );
        }
    }

    pub(crate) fn producer_retry(&mut self, producer_id: u32, request_id: u64) {
        if self
            .producers
            .get(&producer_id)
            .is_some_and(|p| p.pending.contains_key(&request_id))
        {
            self.producer_send_attempt(producer_id, request_id);
        }
    }

    pub(crate) fn producer_request_timed_out(&mut self, producer_id: u32, correlation_id: u64) {
        let Some(producer) = self.producers.get(&producer_id) else {
            return;
        };
        let Some(request_id) = producer.pending_by_correlation(correlation_id) else {
            return;
        };
        let pending = &producer.pending[&request_id];
        let partition = pending.partition.clone();
        self.emit(
            EventKind::TimerFired { node: Node::Producer(producer_id), label: "request.timeout.ms over".into() },
            format!("producer {producer_id} heard nothing about its record to {partition} within request.timeout.ms"),
        );
        self.producer_attempt_failed(
            producer_id,
            request_id,
            BrokerError::RequestTimedOut {
                topic: partition.topic.clone(),
                partition: partition.partition,
            },
        );
    }

    /// A leader receives a batch: checks it (leadership, size, ISR, bounds, idempotent
    /// sequence), appends it, and answers as `acks` says.
    pub(crate) fn leader_handle_produce(
        &mut self,
        broker: BrokerId,
        producer: u32,
        partition: TopicPartition,
        records: Rc<[Record]>,
        acks: Acks,
        request_id: u64,
    ) {
        let config = self.topic_config(&partition.topic);
        let max_records = self.config.max_records_per_partition;
        let request_timeout_ms = self
            .producers
            .get(&producer)
            .map_or(30_000, |p| p.config.request_timeout_ms);
        let now = self.tick;
        let topic_exists = self.topics.contains_key(&partition.topic);
        let (topic, index) = (partition.topic.clone(), partition.partition);
        let respond = |cluster: &mut Cluster, result: Result<u64, BrokerError>| {
            if acks != Acks::None {
                cluster.send(
                    Node::Broker(broker),
                    Node::Producer(producer),
                    Payload::ProduceResponse {
                        partition: partition.clone(),
                        request_id,
                        result,
                    },
                );
            }
        };
        let Some(first) = records.first() else { return };
        let replica = self.replica_mut(broker, &partition);
        let Some(replica) = replica.filter(|r| r.is_leader() && topic_exists) else {
            let error = if topic_exists {
                BrokerError::NotLeaderOrFollower {
                    topic,
                    partition: index,
                    broker,
                }
            } else {
                BrokerError::UnknownTopicOrPartition {
                    topic,
                    partition: Some(index),
                }
            };
            respond(self, Err(error));
            return;
        };
        let size_bytes = RECORD_BATCH_OVERHEAD_BYTES
            + records
                .iter()
                .map(|r| r.size_in_bytes() - RECORD_BATCH_OVERHEAD_BYTES)
                .sum::<u64>();
        if size_bytes > config.max_message_bytes {
            let error = BrokerError::RecordTooLarge {
                size_bytes,
                max_message_bytes: config.max_message_bytes,
            };
            respond(self, Err(error));
            return;
        }
        let isr_size = replica.isr.len() as u32;
        if acks == Acks::All && isr_size < config.min_insync_replicas {
            let min_insync_replicas = config.min_insync_replicas;
            respond(
                self,
                Err(BrokerError::NotEnoughReplicas {
                    topic,
                    partition: index,
                    isr_size,
                    min_insync_replicas,
                }),
            );
            return;
        }
        if (replica.log.record_count() + records.len()) as u64 > max_records {
            respond(
                self,
                Err(BrokerError::LogFull {
                    topic,
                    partition: index,
                    max_records,
                }),
            );
            return;
        }
        // Idempotence: `ProducerStateManager` checks the batch's sequence range against the
        // last sequence it appended for this producer.
        let base_sequence = first.sequence;
        let (first_producer_id, producer_epoch) = (first.producer_id, first.producer_epoch);
        let last_sequence = base_sequence.wrapping_add(records.len() as i32 - 1);
        if let Some(producer_id) = first.producer_id {
            let state = replica.producer_states.get(&producer_id).copied();
            let expected = state
                .filter(|s| s.producer_epoch == first.producer_epoch)
                .map_or(0, |s| s.last_sequence.wrapping_add(1));
            if state.is_some_and(|s| {
                s.producer_epoch == first.producer_epoch && last_sequence <= s.last_sequence
            }) {
                let state = state.expect("checked");
                let base_offset = replica
                    .log
                    .offset_of_sequence(producer_id, base_sequence)
                    .unwrap_or(state.last_offset + 1 - records.len() as u64);
                let last_offset = base_offset + records.len() as u64 - 1;
                self.emit(
                    EventKind::DuplicateDiscarded { broker, partition: partition.clone(), offset: base_offset },
                    format!(
                        "broker {broker} already has producer id {producer_id} sequence {base_sequence} at offset {base_offset}: the retry is a duplicate and is not appended again"
                    ),
                );
                let committed = CommittedWhen {
                    base_offset,
                    last_offset,
                };
                self.leader_respond_when_committed(
                    broker,
                    producer,
                    &partition,
                    request_id,
                    committed,
                    acks,
                    request_timeout_ms,
                );
                return;
            }
            // A log that lost its producer state to retention accepts any sequence, as Kafka
            // does for an unknown producer id.
            let unknown_after_retention = state.is_none() && replica.log.log_start_offset() > 0;
            if base_sequence != expected && !unknown_after_retention {
                let error = BrokerError::OutOfOrderSequence {
                    topic,
                    partition: index,
                    expected,
                    received: base_sequence,
                };
                respond(self, Err(error));
                return;
            }
        }
        let leader_epoch = replica.leader_epoch;
        let count = records.len() as u64;
        let mut base_offset = None;
        for record in records.iter() {
            let offset =
                Rc::make_mut(&mut replica.log).append_as_leader(record, leader_epoch, now, &config);
            base_offset.get_or_insert(offset);
        }
        let base_offset = base_offset.expect("a batch has records");
        let last_offset = base_offset + count - 1;
        if let Some(producer_id) = first_producer_id {
            replica.producer_states.insert(
                producer_id,
                ProducerStateEntry {
                    producer_epoch,
                    last_sequence,
                    last_offset,
                },
            );
        }
        let high_watermark = replica.high_watermark;
        let in_sync_followers: Vec<BrokerId> = replica
            .isr
            .iter()
            .copied()
            .filter(|&b| b != broker)
            .collect();
        self.records_written += count;
        let offsets = describe_offsets(base_offset, last_offset);
        let text = if in_sync_followers.is_empty() {
            format!(
                "broker {broker} appends {offsets} to {partition} (leader epoch {leader_epoch})"
            )
        } else {
            format!(
                "broker {broker} appends {offsets} to {partition}; the high watermark stays at {high_watermark} until {} ha{} {}",
                in_sync_followers.iter().map(|b| format!("broker {b}")).collect::<Vec<_>>().join(" and "),
                if in_sync_followers.len() == 1 { "s" } else { "ve" },
                if count == 1 { "it" } else { "them" },
            )
        };
        self.emit(
            EventKind::RecordAppended {
                broker,
                partition: partition.clone(),
                offset: base_offset,
                last_offset,
                leader_epoch,
                as_leader: true,
            },
            text,
        );
        let committed = CommittedWhen {
            base_offset,
            last_offset,
        };
        self.leader_respond_when_committed(
            broker,
            producer,
            &partition,
            request_id,
            committed,
            acks,
            request_timeout_ms,
        );
        self.leader_after_append(broker, &partition);
    }

    /// acks=1 answers now; acks=all waits in the produce purgatory until the high watermark
    /// passes the batch's last offset. Either way the answer carries the base offset.
    #[allow(clippy::too_many_arguments)]
    fn leader_respond_when_committed(
        &mut self,
        broker: BrokerId,
        producer: u32,
        partition: &TopicPartition,
        request_id: u64,
        committed: CommittedWhen,
        acks: Acks,
        request_timeout_ms: u64,
    ) {
        match acks {
            Acks::None => {}
            Acks::Leader => self.send(
                Node::Broker(broker),
                Node::Producer(producer),
                Payload::ProduceResponse {
                    partition: partition.clone(),
                    request_id,
                    result: Ok(committed.base_offset),
                },
            ),
            Acks::All => {
                let timeout_timer = self.set_timer(
                    Node::Broker(broker),
                    request_timeout_ms,
                    Timer::ProducePurgatoryTimeout {
                        broker,
                        partition: partition.clone(),
                        request_id,
                        producer,
                    },
                );
                if let Some(ReplicaRole::Leader {
                    parked_produces, ..
                }) = self.replica_mut(broker, partition).map(|r| &mut r.role)
                {
                    super::partition::park_in_offset_order(
                        parked_produces,
                        ParkedProduce {
                            producer,
                            request_id,
                            offset: committed.base_offset,
                            last_offset: committed.last_offset,
                            acks,
                            timeout_timer,
                            waiter: None,
                        },
                    );
                }
                self.leader_complete_parked_produces(broker, partition);
            }
        }
    }

    pub(crate) fn leader_complete_parked_produces(
        &mut self,
        broker: BrokerId,
        partition: &TopicPartition,
    ) {
        let Some(replica) = self.replica_mut(broker, partition) else {
            return;
        };
        let high_watermark = replica.high_watermark;
        let ReplicaRole::Leader {
            parked_produces, ..
        } = &mut replica.role
        else {
            return;
        };
        // Parked in order of their last offset, so the answerable ones are a prefix.
        let ready = parked_produces.partition_point(|p| p.last_offset < high_watermark);
        let done: Vec<ParkedProduce> = parked_produces.drain(..ready).collect();
        for parked in done {
            self.network.cancel(parked.timeout_timer);
            let offset = parked.offset;
            self.answer_parked(broker, partition, parked, Ok(offset));
        }
    }

    /// Answers a request that waited in the produce purgatory: a produce, or an offset
    /// commit of the group coordinator (whose committed offsets count from now on).
    pub(crate) fn answer_parked(
        &mut self,
        broker: BrokerId,
        partition: &TopicPartition,
        parked: ParkedProduce,
        result: Result<u64, BrokerError>,
    ) {
        match parked.waiter {
            None => self.send(
                Node::Broker(broker),
                Node::Producer(parked.producer),
                Payload::ProduceResponse {
                    partition: partition.clone(),
                    request_id: parked.request_id,
                    result,
                },
            ),
            Some(CoordinatorWaiter::Commit(commit)) => self.coordinator_answer_commit(
                broker,
                commit,
                parked.request_id,
                result.map(|_| ()),
            ),
            Some(CoordinatorWaiter::GroupSync { group, generation }) => {
                self.coordinator_finish_sync(broker, &group, generation, result.is_ok())
            }
        }
    }

    pub(crate) fn leader_produce_purgatory_timeout(
        &mut self,
        broker: BrokerId,
        partition: TopicPartition,
        request_id: u64,
        producer: u32,
    ) {
        let Some(ReplicaRole::Leader {
            parked_produces, ..
        }) = self.replica_mut(broker, &partition).map(|r| &mut r.role)
        else {
            return;
        };
        // Request ids are unique in the cluster; the producer is checked for clarity.
        let Some(index) = parked_produces
            .iter()
            .position(|p| p.request_id == request_id && p.producer == producer)
        else {
            return;
        };
        let parked = parked_produces.remove(index);
        self.emit(
            EventKind::TimerFired { node: Node::Broker(broker), label: format!("produce purgatory timeout {partition}") },
            format!("broker {broker} gives up waiting for the in-sync replicas of {partition}: the high watermark did not pass the record in time"),
        );
        let error = BrokerError::RequestTimedOut {
            topic: partition.topic.clone(),
            partition: partition.partition,
        };
        self.answer_parked(broker, &partition, parked, Err(error));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotence_follows_kafkas_defaulting_rule() {
        let with = |acks, enable_idempotence| ProducerConfig {
            acks,
            enable_idempotence,
            ..Default::default()
        };
        assert!(with(Acks::All, None).idempotent());
        assert!(
            !with(Acks::Leader, None).idempotent(),
            "quietly off for acks=1"
        );
        assert!(
            with(Acks::Leader, Some(true)).validate().is_err(),
            "explicitly on with acks=1 is refused"
        );
        assert!(with(Acks::None, Some(false)).validate().is_ok());
    }

    #[test]
    fn round_robin_cycles_through_partitions() {
        let config = ProducerConfig {
            null_key_partitioner: NullKeyStrategy::RoundRobin,
            ..Default::default()
        };
        let mut producer = Producer::new(1, config);
        let picks: Vec<u32> = (0..5)
            .map(|_| producer.partition_for_null_key("t", 3, 100, |_| 0))
            .collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1]);
    }

    #[test]
    fn sticky_stays_for_a_batch_then_moves_to_another_partition() {
        let config = ProducerConfig {
            batch_size: 200,
            ..Default::default()
        };
        let mut producer = Producer::new(1, config);
        let picks: Vec<u32> = (0..6)
            .map(|_| producer.partition_for_null_key("t", 3, 100, |_| 1))
            .collect();
        // The draw always says 1; the second batch must not stay on 1.
        assert_eq!(picks, vec![1, 1, 2, 2, 1, 1]);
    }

    #[test]
    fn sequences_count_per_partition_only_when_idempotent() {
        let mut producer = Producer::new(1, ProducerConfig::default());
        let p0 = TopicPartition::new("t", 0);
        let p1 = TopicPartition::new("t", 1);
        assert_eq!(producer.take_sequence(&p0), 0);
        assert_eq!(producer.take_sequence(&p0), 1);
        assert_eq!(producer.take_sequence(&p1), 0);
        let mut plain = Producer::new(
            2,
            ProducerConfig {
                enable_idempotence: Some(false),
                ..Default::default()
            },
        );
        assert_eq!(plain.take_sequence(&p0), -1);
    }
}
