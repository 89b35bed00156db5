//! The network between nodes: requests in flight, link latency, cut links.
//!
//! Nothing in the simulated cluster calls another node directly. A node *sends* a
//! [`Payload`]; the network stamps it with a send tick and a delivery tick (send tick +
//! the link's latency) and queues it. [`Network::pop_next`] hands out the message due
//! first (ties broken by send order), and that is one hop of the simulation. A timer is a
//! message a node sends to itself, so timeouts are hops too, and can be cancelled.
//!
//! A cut link or a crashed receiver does not stop a message from being sent; it is lost on
//! arrival, which is how a real network behaves from the sender's point of view.

use std::collections::BTreeMap;

use super::error::BrokerError;
use super::group::{JoinGroupRequest, JoinGroupResult};
use super::ids::{BrokerId, Node, TopicPartition};
use super::log::Record;
use super::sorted_map::{SortedMap, SortedSet};

/// Default one-way latency of every link, in ticks (milliseconds).
pub const DEFAULT_LINK_LATENCY_MS: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Producer → leader.
    ProduceRequest {
        partition: TopicPartition,
        records: std::rc::Rc<[Record]>,
        acks: super::producer::Acks,
        request_id: u64,
    },
    /// Leader → producer. `Ok(None)` is acks=0's absent answer (never sent).
    ProduceResponse {
        partition: TopicPartition,
        request_id: u64,
        result: Result<u64, BrokerError>,
    },
    /// Follower → leader: "give me records from `fetch_offset`; the last record I have is from
    /// `last_fetched_epoch`" (KIP-595's `LastFetchedEpoch`).
    FetchRequest {
        partition: TopicPartition,
        replica: BrokerId,
        fetch_offset: u64,
        last_fetched_epoch: Option<u32>,
        leader_epoch: u32,
    },
    /// Leader → follower.
    FetchResponse(FetchResponse),
    /// Controller → broker: the partition's leader, epoch and ISR. In ZooKeeper mode this is
    /// Kafka's `LeaderAndIsr` request; in KRaft the broker reads the same facts from the
    /// metadata log (`PartitionChangeRecord`).
    LeaderAndIsr {
        partition: TopicPartition,
        leader: Option<BrokerId>,
        leader_epoch: u32,
        isr: Vec<BrokerId>,
        replicas: Vec<BrokerId>,
    },
    /// Controller → broker: forget this partition (topic deleted).
    StopReplica {
        partition: TopicPartition,
    },
    /// Leader → controller: `AlterPartition` with the ISR the leader wants.
    AlterPartition {
        partition: TopicPartition,
        leader: BrokerId,
        leader_epoch: u32,
        new_isr: Vec<BrokerId>,
        reason: String,
    },
    /// Broker → controller after a restart: `BrokerRegistration`.
    BrokerRegistration {
        broker: BrokerId,
    },
    /// Consumer → any broker: which broker coordinates this group?
    FindCoordinator {
        group: String,
    },
    FindCoordinatorResponse {
        group: String,
        result: Result<BrokerId, BrokerError>,
    },
    JoinGroup(JoinGroupRequest),
    JoinGroupResponse {
        group: String,
        result: Result<JoinGroupResult, BrokerError>,
    },
    /// Member → coordinator; the leader's carries the assignment of every member.
    SyncGroup {
        group: String,
        generation: i32,
        member_id: String,
        assignments: SortedMap<String, Vec<TopicPartition>>,
    },
    SyncGroupResponse {
        group: String,
        result: Result<Vec<TopicPartition>, BrokerError>,
    },
    Heartbeat {
        group: String,
        generation: i32,
        member_id: String,
    },
    HeartbeatResponse {
        group: String,
        error: Option<BrokerError>,
    },
    LeaveGroup {
        group: String,
        member_id: String,
    },
    OffsetCommit {
        group: String,
        generation: i32,
        member_id: String,
        offsets: Vec<(TopicPartition, u64)>,
        request_id: u64,
    },
    OffsetCommitResponse {
        group: String,
        request_id: u64,
        offsets: Vec<(TopicPartition, u64)>,
        result: Result<(), BrokerError>,
    },
    OffsetFetch {
        group: String,
        partitions: Vec<TopicPartition>,
    },
    OffsetFetchResponse {
        group: String,
        result: Result<Vec<(TopicPartition, Option<u64>)>, BrokerError>,
    },
    /// Consumer → leader: the earliest offset (log start) or the latest (high watermark).
    ListOffsets {
        partition: TopicPartition,
        earliest: bool,
    },
    ListOffsetsResponse {
        partition: TopicPartition,
        result: Result<u64, BrokerError>,
    },
    /// Consumer → leader: records from `fetch_offset`, below the high watermark.
    ConsumerFetch {
        partition: TopicPartition,
        fetch_offset: u64,
        max_bytes: u64,
    },
    ConsumerFetchResponse {
        partition: TopicPartition,
        fetch_offset: u64,
        /// The records and the leader's high watermark.
        result: Result<(Vec<Record>, u64), BrokerError>,
    },
    Timer(Timer),
}

/// Leader → follower: records, the leader's high watermark, or the place where the
/// follower's log diverged from the leader's (`DivergingEpoch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    pub partition: TopicPartition,
    pub leader_epoch: u32,
    pub records: Vec<Record>,
    pub high_watermark: u64,
    /// KIP-595's `DivergingEpoch`: the largest epoch the leader knows that is not newer than
    /// the follower's last fetched epoch, and where that epoch ends on the leader.
    pub diverging_epoch: Option<(u32, u64)>,
    pub error: Option<BrokerError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// The controller has not heard from the broker for the session timeout.
    BrokerSessionExpired { broker: BrokerId },
    /// A leader checks whether a follower has fallen behind for `replica.lag.time.max.ms`.
    IsrLagCheck { partition: TopicPartition },
    /// A producer's `retry.backoff.ms` is over.
    ProducerRetry { producer: u32, request_id: u64 },
    /// A producer gave up waiting for an answer after `request.timeout.ms`
    /// (`request_id` is the attempt's correlation id).
    ProducerRequestTimeout { producer: u32, request_id: u64 },
    /// An acks=all produce waited in the leader's purgatory for its full timeout.
    ProducePurgatoryTimeout {
        broker: BrokerId,
        partition: TopicPartition,
        request_id: u64,
        producer: u32,
    },
    /// KRaft: the voters noticed the active controller is gone (`controller.quorum.election.timeout.ms`).
    /// ZooKeeper mode: the controller broker's session expired and `/controller` is free.
    ControllerElection,
    /// A group member's `heartbeat.interval.ms` is over (a background timer).
    ConsumerHeartbeat { consumer: u32 },
    /// The coordinator heard nothing from a member for `session.timeout.ms` (background).
    MemberSessionExpired {
        broker: BrokerId,
        group: String,
        member_id: String,
    },
    /// `group.initial.rebalance.delay.ms` of a new group is over.
    InitialRebalanceDelay { broker: BrokerId, group: String },
    /// The rebalance timeout (the members' `max.poll.interval.ms`) is over.
    RebalanceTimeout { broker: BrokerId, group: String },
    /// A consumer's `retry.backoff.ms` (or request timeout) is over. Once the back-off has
    /// grown to its maximum the consumer keeps retrying in the background: a group whose
    /// coordinator cannot be reached does not keep "run until idle" busy forever.
    ConsumerRetry { consumer: u32, background: bool },
}

impl Timer {
    /// Periodic timers that run for as long as a group lives. They do not keep the
    /// network busy: "run until idle" stops when only they are left, and they fire as the
    /// clock moves on (`advance_clock`) or while other work is in flight.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            Timer::ConsumerHeartbeat { .. }
                | Timer::MemberSessionExpired { .. }
                | Timer::ConsumerRetry {
                    background: true,
                    ..
                }
        )
    }
}

impl Payload {
    pub fn is_background(&self) -> bool {
        matches!(self, Payload::Timer(timer) if timer.is_background())
    }

    /// A short label for the dot in the diagram: the Kafka API name.
    pub fn label(&self) -> String {
        match self {
            Payload::ProduceRequest { partition, .. } => format!("Produce {partition}"),
            Payload::ProduceResponse {
                partition,
                result: Ok(offset),
                ..
            } => format!("Produce response {partition} offset {offset}"),
            Payload::ProduceResponse {
                partition,
                result: Err(e),
                ..
            } => format!("Produce response {partition} {}", e.kafka_name()),
            Payload::FetchRequest {
                partition,
                fetch_offset,
                ..
            } => format!("Fetch {partition} from {fetch_offset}"),
            Payload::FetchResponse(FetchResponse {
                partition,
                records,
                diverging_epoch: Some((_, end)),
                ..
            }) if records.is_empty() => {
                format!("Fetch response {partition} diverging at {end}")
            }
            Payload::FetchResponse(FetchResponse {
                partition,
                records,
                high_watermark,
                ..
            }) => {
                format!(
                    "Fetch response {partition} {} records, HW {high_watermark}",
                    records.len()
                )
            }
            Payload::LeaderAndIsr { partition, .. } => format!("LeaderAndIsr {partition}"),
            Payload::StopReplica { partition } => format!("StopReplica {partition}"),
            Payload::AlterPartition { partition, .. } => format!("AlterPartition {partition}"),
            Payload::BrokerRegistration { broker } => format!("BrokerRegistration {broker}"),
            Payload::FindCoordinator { group } => format!("FindCoordinator {group}"),
            Payload::FindCoordinatorResponse { result: Ok(b), .. } => {
                format!("FindCoordinator response: broker {b}")
            }
            Payload::FindCoordinatorResponse { result: Err(e), .. } => {
                format!("FindCoordinator response {}", e.kafka_name())
            }
            Payload::JoinGroup(request) => format!("JoinGroup {}", request.group),
            Payload::JoinGroupResponse { result: Ok(r), .. } => {
                format!("JoinGroup response generation {}", r.generation)
            }
            Payload::JoinGroupResponse { result: Err(e), .. } => {
                format!("JoinGroup response {}", e.kafka_name())
            }
            Payload::SyncGroup { group, .. } => format!("SyncGroup {group}"),
            Payload::SyncGroupResponse { result: Ok(a), .. } => {
                format!("SyncGroup response {} partitions", a.len())
            }
            Payload::SyncGroupResponse { result: Err(e), .. } => {
                format!("SyncGroup response {}", e.kafka_name())
            }
            Payload::Heartbeat { group, .. } => format!("Heartbeat {group}"),
            Payload::HeartbeatResponse { error: None, .. } => "Heartbeat response".to_string(),
            Payload::HeartbeatResponse { error: Some(e), .. } => {
                format!("Heartbeat response {}", e.kafka_name())
            }
            Payload::LeaveGroup { group, .. } => format!("LeaveGroup {group}"),
            Payload::OffsetCommit { group, .. } => format!("OffsetCommit {group}"),
            Payload::OffsetCommitResponse { result: Ok(()), .. } => {
                "OffsetCommit response".to_string()
            }
            Payload::OffsetCommitResponse { result: Err(e), .. } => {
                format!("OffsetCommit response {}", e.kafka_name())
            }
            Payload::OffsetFetch { group, .. } => format!("OffsetFetch {group}"),
            Payload::OffsetFetchResponse { .. } => "OffsetFetch response".to_string(),
            Payload::ListOffsets {
                partition,
                earliest,
            } => format!(
                "ListOffsets {partition} {}",
                if *earliest { "earliest" } else { "latest" }
            ),
            Payload::ListOffsetsResponse {
                partition,
                result: Ok(o),
            } => format!("ListOffsets response {partition} offset {o}"),
            Payload::ListOffsetsResponse {
                partition,
                result: Err(e),
            } => format!("ListOffsets response {partition} {}", e.kafka_name()),
            Payload::ConsumerFetch {
                partition,
                fetch_offset,
                ..
            } => format!("Fetch {partition} from {fetch_offset}"),
            Payload::ConsumerFetchResponse {
                partition,
                result: Ok((records, hw)),
                ..
            } => format!(
                "Fetch response {partition} {} records, HW {hw}",
                records.len()
            ),
            Payload::ConsumerFetchResponse {
                partition,
                result: Err(e),
                ..
            } => format!("Fetch response {partition} {}", e.kafka_name()),
            Payload::Timer(timer) => match timer {
                Timer::BrokerSessionExpired { broker } => {
                    format!("session timeout of broker {broker}")
                }
                Timer::IsrLagCheck { partition } => format!("lag check {partition}"),
                Timer::ProducerRetry { .. } => "retry.backoff.ms over".to_string(),
                Timer::ProducerRequestTimeout { .. } => "request.timeout.ms over".to_string(),
                Timer::ProducePurgatoryTimeout { partition, .. } => {
                    format!("produce purgatory timeout {partition}")
                }
                Timer::ControllerElection => "controller election".to_string(),
                Timer::ConsumerHeartbeat { .. } => "heartbeat.interval.ms over".to_string(),
                Timer::MemberSessionExpired { member_id, .. } => {
                    format!("session timeout of {member_id}")
                }
                Timer::InitialRebalanceDelay { group, .. } => {
                    format!("initial rebalance delay of {group} over")
                }
                Timer::RebalanceTimeout { group, .. } => format!("rebalance timeout of {group}"),
                Timer::ConsumerRetry { .. } => "consumer retry.backoff.ms over".to_string(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    pub id: u64,
    pub from: Node,
    pub to: Node,
    pub sent_tick: u64,
    pub deliver_tick: u64,
    pub payload: Payload,
}

/// Key of a queued message: delivery tick first, then send order.
pub type QueueKey = (u64, u64);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    queue: BTreeMap<QueueKey, InFlight>,
    next_id: u64,
    /// Unordered pairs stored as (smaller, larger).
    cut_links: SortedSet<(Node, Node)>,
    latency_overrides_ms: SortedMap<(Node, Node), u64>,
    /// Queued messages that are not background timers.
    foreground: u64,
}

fn pair(a: Node, b: Node) -> (Node, Node) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Network {
    pub fn latency_ms(&self, a: Node, b: Node) -> u64 {
        if a == b {
            return 0;
        }
        self.latency_overrides_ms
            .get(&pair(a, b))
            .copied()
            .unwrap_or(DEFAULT_LINK_LATENCY_MS)
    }

    pub fn set_latency_ms(&mut self, a: Node, b: Node, latency_ms: u64) {
        if latency_ms == DEFAULT_LINK_LATENCY_MS {
            self.latency_overrides_ms.remove(&pair(a, b));
        } else {
            self.latency_overrides_ms.insert(pair(a, b), latency_ms);
        }
    }

    /// Queues a message; returns its key (to cancel it, for timers) and id.
    pub fn send(&mut self, now: u64, from: Node, to: Node, payload: Payload) -> (QueueKey, u64) {
        self.send_after(now, from, to, self.latency_ms(from, to), payload)
    }

    pub fn send_after(
        &mut self,
        now: u64,
        from: Node,
        to: Node,
        delay: u64,
        payload: Payload,
    ) -> (QueueKey, u64) {
        let id = self.next_id;
        self.next_id += 1;
        let deliver_tick = now + delay;
        let key = (deliver_tick, id);
        if !payload.is_background() {
            self.foreground += 1;
        }
        self.queue.insert(
            key,
            InFlight {
                id,
                from,
                to,
                sent_tick: now,
                deliver_tick,
                payload,
            },
        );
        (key, id)
    }

    fn forget(&mut self, message: Option<InFlight>) -> Option<InFlight> {
        if message.as_ref().is_some_and(|m| !m.payload.is_background()) {
            self.foreground -= 1;
        }
        message
    }

    pub fn cancel(&mut self, key: QueueKey) -> Option<InFlight> {
        let message = self.queue.remove(&key);
        self.forget(message)
    }

    /// The message due first, background timers included.
    pub fn pop_next(&mut self) -> Option<InFlight> {
        let message = self.queue.pop_first().map(|(_, message)| message);
        self.forget(message)
    }

    pub fn next_deliver_tick(&self) -> Option<u64> {
        self.queue.keys().next().map(|&(tick, _)| tick)
    }

    /// Nothing is in flight but background timers.
    pub fn is_idle(&self) -> bool {
        self.foreground == 0
    }

    /// Messages and timers queued.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight> {
        self.queue.values()
    }

    pub fn cut(&mut self, a: Node, b: Node) -> bool {
        self.cut_links.insert(pair(a, b))
    }

    pub fn heal(&mut self, a: Node, b: Node) -> bool {
        self.cut_links.remove(&pair(a, b))
    }

    pub fn is_cut(&self, a: Node, b: Node) -> bool {
        a != b && self.cut_links.contains(&pair(a, b))
    }

    pub fn cut_links(&self) -> impl Iterator<Item = &(Node, Node)> {
        self.cut_links.iter()
    }

    /// Removes every queued message for which `drop` says so (e.g. a deleted topic's).
    pub fn retain(&mut self, mut keep: impl FnMut(&InFlight) -> bool) {
        self.queue.retain(|_, message| keep(message));
        self.foreground = self
            .queue
            .values()
            .filter(|m| !m.payload.is_background())
            .count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_by_delivery_tick_then_send_order() {
        let mut network = Network::default();
        let a = Node::Broker(1);
        let b = Node::Broker(2);
        network.set_latency_ms(a, b, 5);
        network.send(0, a, b, Payload::BrokerRegistration { broker: 1 });
        network.send(
            1,
            b,
            Node::Controller(1),
            Payload::BrokerRegistration { broker: 2 },
        );
        network.send(
            1,
            b,
            Node::Controller(1),
            Payload::BrokerRegistration { broker: 3 },
        );
        let order: Vec<(u64, u64)> = std::iter::from_fn(|| network.pop_next())
            .map(|m| (m.deliver_tick, m.id))
            .collect();
        assert_eq!(order, vec![(2, 1), (2, 2), (5, 0)]);
    }

    #[test]
    fn links_are_unordered_pairs() {
        let mut network = Network::default();
        network.cut(Node::Broker(2), Node::Broker(1));
        assert!(network.is_cut(Node::Broker(1), Node::Broker(2)));
        assert!(network.heal(Node::Broker(1), Node::Broker(2)));
        assert!(!network.is_cut(Node::Broker(2), Node::Broker(1)));
    }

    #[test]
    fn timers_can_be_cancelled() {
        let mut network = Network::default();
        let (key, _) = network.send_after(
            0,
            Node::Broker(1),
            Node::Broker(1),
            100,
            Payload::Timer(Timer::ControllerElection),
        );
        assert!(network.cancel(key).is_some());
        assert!(network.is_idle());
    }
}
