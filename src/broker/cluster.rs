//! The simulated cluster: one value that owns every node, the network, the clock and the
//! random number generator, and changes only through [`Cluster::apply`] and
//! [`Cluster::step`].
//!
//! ```
//! use kafka_playground::broker::{Cluster, ClusterConfig, Command};
//! let mut cluster = Cluster::new(ClusterConfig::default(), 42);
//! cluster.apply(Command::CreateTopic {
//!     name: "orders".into(), partitions: 3, replication_factor: 3, configs: Default::default(),
//! }).unwrap();
//! cluster.apply(Command::AddProducer { config: Default::default() }).unwrap();
//! cluster.apply(Command::Produce {
//!     producer: 1, topic: "orders".into(), key: Some("alice".into()),
//!     value: Some("pizza".into()), headers: vec![], partition: None, count: 1,
//! }).unwrap();
//! let events = cluster.run_until_idle();
//! assert!(events.iter().any(|e| e.text.contains("acknowledged")));
//! ```
//!
//! Time is a tick counter (one tick = one millisecond, so Kafka's `*.ms` defaults keep their
//! numbers). A step delivers the next queued message and jumps the clock to its delivery
//! tick; nothing happens between messages, so a quiet cluster costs nothing.
//!
//! Broker heartbeats to the controller are not sent as messages; what they are for is
//! modelled exactly: a broker that crashes, or whose link to the controller is cut, is
//! fenced one session timeout later. Consumer group heartbeats *are* messages, driven by
//! background timers: [`Cluster::run_until_idle`] stops when only those are left, and they
//! go on as the clock is advanced.

use serde::{Deserialize, Serialize};
use std::rc::Rc;

use super::command::Command;
use super::consumer::Consumer;
use super::controller::{
    elect_leader, has_majority, ControllerMode, MetadataRecord, METADATA_LOG_KEPT,
};
use super::dead_letter::ErrorPolicy;
use super::error::BrokerError;
use super::event::{Event, EventKind};
use super::group::Group;
use super::ids::{broker_list, BrokerId, Node, TopicPartition};
use super::network::{InFlight, Network, Payload, QueueKey, Timer};
use super::partition::{PartitionMetadata, Replica, ReplicaRole};
use super::producer::Producer;
use super::rng::SeededRng;
use super::sorted_map::{SortedMap, SortedSet};
use super::topic::{
    assign_replicas_rack_unaware, topics_collide, validate_topic_name, TopicConfig,
};

/// Bounds of the playground, each with the error returned past it.
pub const MAX_BROKERS: u32 = 9;
pub const MAX_PARTITIONS_PER_TOPIC: u32 = 64;
pub const MAX_TOPICS: usize = 32;
pub const MAX_PRODUCERS: usize = 16;
/// Bound on the records one `produce` command sends.
pub const MAX_RECORDS_PER_SEND: u32 = 100_000;
/// `max.request.size`, the Java producer's client-side limit (default 1048576).
pub const MAX_REQUEST_SIZE_BYTES: u64 = 1_048_576;
/// `replica.fetch.max.bytes` stands behind this: records per follower fetch response.
pub const REPLICA_FETCH_MAX_RECORDS: usize = 500;
/// A step skips at most this many deliveries that show nothing.
pub const MAX_QUIET_HOPS_PER_STEP: usize = 100_000;
/// `run_until_idle` gives up after this many steps (a cluster that never goes quiet is a bug).
pub const MAX_STEPS_PER_RUN: usize = 10_000_000;

/// Cluster-wide settings, Kafka's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterConfig {
    /// Number of brokers, 1..=9, with ids 1..=n.
    pub brokers: u32,
    pub controller_mode: ControllerMode,
    /// KRaft voters, or ZooKeeper servers in ZooKeeper mode (1, 3 or 5).
    pub controller_nodes: u32,
    /// `broker.session.timeout.ms` (KRaft, 9000) or `zookeeper.session.timeout.ms` (18000).
    pub broker_session_timeout_ms: Option<u64>,
    /// `replica.lag.time.max.ms`, default 30000.
    pub replica_lag_time_max_ms: u64,
    /// `controller.quorum.election.timeout.ms`, default 1000.
    pub controller_quorum_election_timeout_ms: u64,
    /// The playground's bound on records kept per partition replica.
    pub max_records_per_partition: u64,
    /// Defaults for new topics (`default.replication.factor` is the command's business).
    pub topic_defaults: TopicConfig,
    /// `offsets.topic.num.partitions`, default 50.
    pub offsets_topic_num_partitions: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            brokers: 3,
            controller_mode: ControllerMode::Kraft,
            controller_nodes: 3,
            broker_session_timeout_ms: None,
            replica_lag_time_max_ms: 30_000,
            controller_quorum_election_timeout_ms: 1_000,
            max_records_per_partition: 1_000_000,
            topic_defaults: TopicConfig::default(),
            offsets_topic_num_partitions: 50,
        }
    }
}

impl ClusterConfig {
    pub fn session_timeout_ms(&self) -> u64 {
        self.broker_session_timeout_ms
            .unwrap_or(match self.controller_mode {
                ControllerMode::Kraft => 9_000,
                ControllerMode::Zookeeper => 18_000,
            })
    }

    pub fn validate(&self) -> Result<(), BrokerError> {
        if !(1..=MAX_BROKERS).contains(&self.brokers) {
            return Err(BrokerError::PolicyViolation {
                reason: format!(
                    "a cluster has 1 to {MAX_BROKERS} brokers, not {}",
                    self.brokers
                ),
            });
        }
        if ![1, 3, 5].contains(&self.controller_nodes) {
            return Err(BrokerError::PolicyViolation {
                reason: format!(
                    "the controller quorum has 1, 3 or 5 nodes, not {}",
                    self.controller_nodes
                ),
            });
        }
        const YEAR_MS: u64 = 31_536_000_000;
        let times = [
            (
                "broker_session_timeout_ms",
                self.broker_session_timeout_ms.unwrap_or(1),
            ),
            ("replica_lag_time_max_ms", self.replica_lag_time_max_ms),
            (
                "controller_quorum_election_timeout_ms",
                self.controller_quorum_election_timeout_ms,
            ),
        ];
        for (name, value) in times {
            if !(1..=YEAR_MS).contains(&value) {
                return Err(BrokerError::InvalidConfig {
                    name: name.into(),
                    value: value.to_string(),
                    reason: "must be between 1 ms and one year".into(),
                });
            }
        }
        self.topic_defaults.validate()?;
        if !(1..=MAX_PARTITIONS_PER_TOPIC).contains(&self.offsets_topic_num_partitions) {
            return Err(BrokerError::InvalidConfig {
                name: "offsets.topic.num.partitions".into(),
                value: self.offsets_topic_num_partitions.to_string(),
                reason: format!("must be between 1 and {MAX_PARTITIONS_PER_TOPIC}"),
            });
        }
        if self.max_records_per_partition == 0 || self.max_records_per_partition > 10_000_000 {
            return Err(BrokerError::PolicyViolation {
                reason: "max_records_per_partition must be between 1 and 10000000".into(),
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerNode {
    pub id: BrokerId,
    pub alive: bool,
    /// Fenced by the controller: not eligible to lead or be in an ISR.
    pub fenced: bool,
    pub replicas: SortedMap<TopicPartition, Replica>,
    /// Groups this broker coordinates (in memory: lost in a crash, reloaded from
    /// `__consumer_offsets` by the next coordinator).
    pub groups: SortedMap<String, Group>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerNode {
    pub id: u32,
    pub alive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub config: TopicConfig,
    pub partitions: Vec<PartitionMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub(crate) config: ClusterConfig,
    pub(crate) seed: u64,
    pub(crate) tick: u64,
    pub(crate) topic_rng: SeededRng,
    pub(crate) partitioner_rng: SeededRng,
    pub(crate) brokers: SortedMap<BrokerId, BrokerNode>,
    pub(crate) controllers: SortedMap<u32, ControllerNode>,
    pub(crate) active_controller: Option<Node>,
    pub(crate) controller_epoch: u32,
    pub(crate) election_timer: Option<QueueKey>,
    pub(crate) session_timers: SortedMap<BrokerId, QueueKey>,
    pub(crate) topics: SortedMap<String, Topic>,
    pub(crate) producers: SortedMap<u32, Producer>,
    pub(crate) network: Network,
    pub(crate) metadata_log: Vec<MetadataRecord>,
    pub(crate) metadata_log_end_offset: u64,
    pub(crate) next_request_id: u64,
    pub(crate) steps: u64,
    pub(crate) member_rng: SeededRng,
    pub(crate) consumers: SortedMap<u32, Consumer>,
    /// Records marked as poison, by partition and offset.
    pub(crate) poison: SortedSet<(TopicPartition, u64)>,
    pub(crate) error_policies: SortedMap<String, ErrorPolicy>,
    /// How far each dead letter partition has been redriven.
    pub(crate) redriven: SortedMap<TopicPartition, u64>,
    pub(crate) redrive_producer: Option<u32>,
    /// Records appended to any replica's log so far: how much work the cluster has done,
    /// which the timeline uses to decide where to keep snapshots.
    pub(crate) records_written: u64,
    pub(crate) out: EventBuffer,
}

/// The events of the command or step being applied. It is scratch space, empty between
/// calls (`apply` and `step` hand its contents out), so a copy of the cluster starts with
/// an empty one and two clusters compare equal whatever it holds; copying events is then
/// not code the page needs.
#[derive(Debug, Default)]
pub(crate) struct EventBuffer(Vec<Event>);

impl Clone for EventBuffer {
    fn clone(&self) -> Self {
        debug_assert!(
            self.0.is_empty(),
            "a cluster copied in the middle of a step"
        );
        EventBuffer::default()
    }
}

impl PartialEq for EventBuffer {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for EventBuffer {}

impl std::ops::Deref for EventBuffer {
    type Target = Vec<Event>;
    fn deref(&self) -> &Vec<Event> {
        &self.0
    }
}

impl std::ops::DerefMut for EventBuffer {
    fn deref_mut(&mut self) -> &mut Vec<Event> {
        &mut self.0
    }
}

impl Cluster {
    /// A running cluster of `config.brokers` brokers and its controller quorum. Panics only
    /// if the config is invalid; use [`Cluster::try_new`] for untrusted configs.
    pub fn new(config: ClusterConfig, seed: u64) -> Self {
        Self::try_new(config, seed).expect("valid cluster config")
    }

    pub fn try_new(config: ClusterConfig, seed: u64) -> Result<Self, BrokerError> {
        config.validate()?;
        let mut root = SeededRng::new(seed);
        let brokers = SortedMap::from_iter((1..=config.brokers).map(|id| {
            (
                id,
                BrokerNode {
                    id,
                    alive: true,
                    fenced: false,
                    replicas: SortedMap::new(),
                    groups: SortedMap::new(),
                },
            )
        }));
        let controllers = SortedMap::from_iter(
            (1..=config.controller_nodes).map(|id| (id, ControllerNode { id, alive: true })),
        );
        let active_controller = Some(match config.controller_mode {
            ControllerMode::Kraft => Node::Controller(1),
            ControllerMode::Zookeeper => Node::Broker(1),
        });
        let mut cluster = Self {
            topic_rng: root.child("topics"),
            partitioner_rng: root.child("partitioner"),
            member_rng: root.child("members"),
            config,
            seed,
            tick: 0,
            brokers,
            controllers,
            active_controller,
            controller_epoch: 1,
            election_timer: None,
            session_timers: SortedMap::new(),
            topics: SortedMap::new(),
            producers: SortedMap::new(),
            network: Network::default(),
            metadata_log: Vec::new(),
            metadata_log_end_offset: 0,
            next_request_id: 0,
            steps: 0,
            consumers: SortedMap::new(),
            poison: SortedSet::new(),
            error_policies: SortedMap::new(),
            redriven: SortedMap::new(),
            redrive_producer: None,
            records_written: 0,
            out: EventBuffer::default(),
        };
        for id in 1..=cluster.config.brokers {
            cluster.append_metadata("RegisterBrokerRecord", format!("broker {id} registered"));
        }
        Ok(cluster)
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Records appended to any replica's log since the cluster started (leaders and
    /// followers alike).
    pub fn records_written(&self) -> u64 {
        self.records_written
    }

    /// Messages and timers queued in the network (what copying the cluster mostly costs).
    pub fn queued_messages(&self) -> usize {
        self.network.queued()
    }

    /// How many hops have been delivered since the start.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn is_idle(&self) -> bool {
        self.network.is_idle()
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn topics(&self) -> &SortedMap<String, Topic> {
        &self.topics
    }

    pub fn brokers(&self) -> &SortedMap<BrokerId, BrokerNode> {
        &self.brokers
    }

    pub fn producers(&self) -> &SortedMap<u32, Producer> {
        &self.producers
    }

    pub fn consumers(&self) -> &SortedMap<u32, Consumer> {
        &self.consumers
    }

    pub fn poison(&self) -> &SortedSet<(TopicPartition, u64)> {
        &self.poison
    }

    pub fn error_policies(&self) -> &SortedMap<String, ErrorPolicy> {
        &self.error_policies
    }

    pub fn active_controller(&self) -> Option<Node> {
        self.active_controller
    }

    pub fn controller_epoch(&self) -> u32 {
        self.controller_epoch
    }

    pub fn controllers(&self) -> &SortedMap<u32, ControllerNode> {
        &self.controllers
    }

    pub fn metadata_log(&self) -> &[MetadataRecord] {
        &self.metadata_log
    }

    pub(crate) fn replica_mut(
        &mut self,
        broker: BrokerId,
        partition: &TopicPartition,
    ) -> Option<&mut Replica> {
        self.brokers.get_mut(&broker)?.replicas.get_mut(partition)
    }

    pub fn replica(&self, broker: BrokerId, partition: &TopicPartition) -> Option<&Replica> {
        self.brokers.get(&broker)?.replicas.get(partition)
    }

    /// Applies one command. On error nothing has changed.
    pub fn apply(&mut self, command: Command) -> Result<Vec<Event>, BrokerError> {
        self.out.clear();
        let internal = match &command {
            Command::CreateTopic { name, .. }
            | Command::DeleteTopic { name }
            | Command::AlterTopicConfig { name, .. } => name == super::group::OFFSETS_TOPIC,
            _ => false,
        };
        if internal {
            return Err(BrokerError::InvalidTopicException {
                topic: super::group::OFFSETS_TOPIC.into(),
                reason: format!(
                    "{} is an internal topic, created and managed by the group coordinator",
                    super::group::OFFSETS_TOPIC
                ),
            });
        }
        let result = match command {
            Command::CreateTopic {
                name,
                partitions,
                replication_factor,
                configs,
            } => self.create_topic(name, partitions, replication_factor, &configs),
            Command::DeleteTopic { name } => self.delete_topic(&name),
            Command::AlterTopicConfig { name, configs } => self.alter_topic_config(&name, &configs),
            Command::AddProducer { config } => self.add_producer(config).map(|_| ()),
            Command::Produce {
                producer,
                topic,
                key,
                value,
                headers,
                partition,
                count,
            } => self.produce(producer, topic, key, value, headers, partition, count),
            Command::AddBroker => self.add_broker(),
            Command::CrashBroker { broker } => self.crash_broker(broker),
            Command::RestartBroker { broker } => self.restart_broker(broker),
            Command::CrashController { controller } => self.crash_controller(controller),
            Command::RestartController { controller } => self.restart_controller(controller),
            Command::CutLink { a, b } => self.cut_link(a, b),
            Command::HealLink { a, b } => self.heal_link(a, b),
            Command::SetLinkLatency { a, b, latency_ms } => self.set_link_latency(a, b, latency_ms),
            Command::ElectPreferredLeader { topic, partition } => {
                self.elect_preferred_leader(&topic, partition)
            }
            Command::AdvanceClock { ms } => self.advance_clock(ms),
            Command::AddConsumer { config } => self.add_consumer(config),
            Command::Subscribe { consumer, topics } => self.subscribe(consumer, topics),
            Command::Assign {
                consumer,
                partitions,
            } => self.assign(consumer, partitions),
            Command::Poll { consumer } => self.poll(consumer),
            Command::Seek {
                consumer,
                topic,
                partition,
                offset,
            } => self.seek(consumer, topic, partition, offset),
            Command::Commit { consumer, sync } => self.commit_command(consumer, sync),
            Command::CloseConsumer { consumer } => self.close_consumer(consumer),
            Command::CrashConsumer { consumer } => self.crash_consumer(consumer),
            Command::RestartConsumer { consumer } => self.restart_consumer(consumer),
            Command::SetFailureRule { consumer, rule } => self.set_failure_rule(consumer, rule),
            Command::MarkPoison {
                topic,
                partition,
                offset,
            } => self.mark_poison(topic, partition, offset),
            Command::SetErrorHandling { group, policy } => self.set_error_handling(group, policy),
            Command::Redrive { topic } => self.redrive(topic),
            Command::DeleteGroup { group } => self.delete_group(group),
        };
        match result {
            Ok(()) => Ok(std::mem::take(&mut *self.out)),
            Err(error) => {
                debug_assert!(
                    self.out.is_empty(),
                    "a failed command emitted events: {:?}",
                    self.out
                );
                self.out.clear();
                Err(error)
            }
        }
    }

    /// Delivers the next message (one hop). Messages whose delivery says nothing visible
    /// (a timer for a crashed broker) are skipped, so a step shows something unless the
    /// network is idle.
    pub fn step(&mut self) -> Vec<Event> {
        self.step_including(None)
    }

    /// One hop. Background timers count only while other work is in flight, unless the
    /// clock is being advanced `until` a tick: then everything due by then counts, and
    /// nothing later.
    fn step_including(&mut self, until: Option<u64>) -> Vec<Event> {
        self.out.clear();
        // Quiet deliveries are skipped, but never without end: a step returns after at most
        // this many, so the page stays responsive whatever the queue holds.
        for _ in 0..MAX_QUIET_HOPS_PER_STEP {
            let more = match until {
                None => !self.network.is_idle(),
                Some(until) => self.network.next_deliver_tick().is_some_and(|t| t <= until),
            };
            if !self.out.is_empty() || !more {
                break;
            }
            let Some(message) = self.network.pop_next() else {
                break;
            };
            self.tick = self.tick.max(message.deliver_tick);
            self.steps += 1;
            self.deliver(message);
        }
        std::mem::take(&mut *self.out)
    }

    /// Steps until nothing is in flight (bounded by [`MAX_STEPS_PER_RUN`]).
    pub fn run_until_idle(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        for _ in 0..MAX_STEPS_PER_RUN {
            if self.network.is_idle() {
                break;
            }
            events.extend(self.step());
        }
        events
    }

    // ----- plumbing -------------------------------------------------------------------

    pub(crate) fn emit(&mut self, kind: EventKind, text: String) {
        self.out.push(Event {
            tick: self.tick,
            kind,
            text,
        });
    }

    pub(crate) fn send(&mut self, from: Node, to: Node, payload: Payload) {
        let label = payload.label();
        let (_, id) = self.network.send(self.tick, from, to, payload);
        let deliver_tick = self.tick + self.network.latency_ms(from, to);
        self.emit(
            EventKind::MessageSent {
                id,
                from,
                to,
                label: label.clone(),
                deliver_tick,
            },
            format!("{from} sends {label} to {to}"),
        );
    }

    /// A timer is a message to oneself; it does not appear as a moving dot.
    pub(crate) fn set_timer(&mut self, node: Node, delay_ms: u64, timer: Timer) -> QueueKey {
        self.network
            .send_after(self.tick, node, node, delay_ms, Payload::Timer(timer))
            .0
    }

    pub(crate) fn next_request_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }

    pub(crate) fn is_up(&self, node: Node) -> bool {
        match node {
            Node::Broker(id) => self.brokers.get(&id).is_some_and(|b| b.alive),
            Node::Controller(id) => self.controllers.get(&id).is_some_and(|c| c.alive),
            Node::Producer(id) => self.producers.contains_key(&id),
            Node::Consumer(id) => self.consumers.get(&id).is_some_and(|c| c.alive),
        }
    }

    fn node_exists(&self, node: Node) -> bool {
        match node {
            Node::Broker(id) => self.brokers.contains_key(&id),
            Node::Controller(id) => self.controllers.contains_key(&id),
            Node::Producer(id) => self.producers.contains_key(&id),
            Node::Consumer(id) => self.consumers.contains_key(&id),
        }
    }

    pub(crate) fn topic_config(&self, topic: &str) -> TopicConfig {
        self.topics
            .get(topic)
            .map(|t| t.config.clone())
            .unwrap_or_default()
    }

    pub(crate) fn partition_metadata(
        &self,
        partition: &TopicPartition,
    ) -> Option<&PartitionMetadata> {
        self.topics
            .get(&partition.topic)?
            .partitions
            .get(partition.partition as usize)
    }

    fn deliver(&mut self, message: InFlight) {
        let InFlight {
            id,
            from,
            to,
            payload,
            ..
        } = message;
        if let Payload::Timer(timer) = payload {
            self.fire_timer(to, timer);
            return;
        }
        let label = payload.label();
        if !self.is_up(to) {
            self.emit(
                EventKind::MessageLost {
                    id,
                    from,
                    to,
                    label: label.clone(),
                },
                format!("{label} from {from} is lost: {to} is down"),
            );
            self.on_message_lost(from, to, payload);
            return;
        }
        if self.network.is_cut(from, to) {
            self.emit(
                EventKind::MessageLost {
                    id,
                    from,
                    to,
                    label: label.clone(),
                },
                format!("{label} from {from} is lost: the link to {to} is cut"),
            );
            self.on_message_lost(from, to, payload);
            return;
        }
        self.emit(
            EventKind::MessageDelivered {
                id,
                from,
                to,
                label: label.clone(),
            },
            format!("{to} receives {label} from {from}"),
        );
        match (to, payload) {
            (
                Node::Broker(broker),
                Payload::ProduceRequest {
                    partition,
                    records,
                    acks,
                    request_id,
                },
            ) => {
                let Node::Producer(producer) = from else {
                    return;
                };
                self.leader_handle_produce(broker, producer, partition, records, acks, request_id);
            }
            (
                Node::Producer(producer),
                Payload::ProduceResponse {
                    partition,
                    request_id,
                    result,
                },
            ) => {
                self.producer_handle_response(producer, partition, request_id, result);
            }
            (
                Node::Broker(leader),
                Payload::FetchRequest {
                    partition,
                    replica,
                    fetch_offset,
                    last_fetched_epoch,
                    leader_epoch,
                },
            ) => {
                self.leader_handle_fetch(
                    leader,
                    replica,
                    partition,
                    fetch_offset,
                    last_fetched_epoch,
                    leader_epoch,
                );
            }
            (Node::Broker(follower), Payload::FetchResponse(response)) => {
                let Node::Broker(leader) = from else { return };
                self.follower_handle_fetch_response(follower, leader, response);
            }
            (
                Node::Broker(broker),
                Payload::LeaderAndIsr {
                    partition,
                    leader,
                    leader_epoch,
                    isr,
                    replicas,
                },
            ) => {
                self.broker_handle_leader_and_isr(
                    broker,
                    partition,
                    leader,
                    leader_epoch,
                    isr,
                    replicas,
                );
            }
            (Node::Broker(broker), Payload::StopReplica { partition }) => {
                if let Some(node) = self.brokers.get_mut(&broker) {
                    node.replicas.remove(&partition);
                }
            }
            (
                _,
                Payload::AlterPartition {
                    partition,
                    leader,
                    leader_epoch,
                    new_isr,
                    reason,
                },
            ) => {
                self.controller_handle_alter_partition(
                    to,
                    partition,
                    leader,
                    leader_epoch,
                    new_isr,
                    reason,
                );
            }
            (_, Payload::BrokerRegistration { broker }) => {
                self.controller_handle_registration(to, broker)
            }
            (Node::Broker(broker), payload) => {
                if let Node::Consumer(consumer) = from {
                    self.broker_handle_consumer_request(broker, consumer, payload);
                }
            }
            (Node::Consumer(consumer), payload) => {
                self.consumer_handle_response(consumer, payload);
            }
            _ => {}
        }
    }

    fn broker_handle_consumer_request(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        payload: Payload,
    ) {
        match payload {
            Payload::FindCoordinator { group } => {
                self.broker_handle_find_coordinator(broker, consumer, group)
            }
            Payload::JoinGroup(request) => self.coordinator_handle_join(broker, consumer, request),
            Payload::SyncGroup {
                group,
                generation,
                member_id,
                assignments,
            } => self.coordinator_handle_sync(
                broker,
                consumer,
                group,
                generation,
                member_id,
                assignments,
            ),
            Payload::Heartbeat {
                group,
                generation,
                member_id,
            } => self.coordinator_handle_heartbeat(broker, consumer, group, generation, member_id),
            Payload::LeaveGroup { group, member_id } => {
                self.coordinator_handle_leave(broker, group, member_id)
            }
            Payload::OffsetCommit {
                group,
                generation,
                member_id,
                offsets,
                request_id,
            } => self.coordinator_handle_commit(
                broker, consumer, group, generation, member_id, offsets, request_id,
            ),
            Payload::OffsetFetch { group, partitions } => {
                self.coordinator_handle_offset_fetch(broker, consumer, group, partitions)
            }
            Payload::ListOffsets {
                partition,
                earliest,
            } => self.broker_handle_list_offsets(broker, consumer, partition, earliest),
            Payload::ConsumerFetch {
                partition,
                fetch_offset,
                max_bytes,
            } => self.broker_handle_consumer_fetch(
                broker,
                consumer,
                partition,
                fetch_offset,
                max_bytes,
            ),
            _ => {}
        }
    }

    fn consumer_handle_response(&mut self, consumer: u32, payload: Payload) {
        match payload {
            Payload::FindCoordinatorResponse { group, result } => {
                self.consumer_handle_find_coordinator(consumer, group, result)
            }
            Payload::JoinGroupResponse { result, .. } => {
                self.consumer_handle_join_response(consumer, result)
            }
            Payload::SyncGroupResponse { result, .. } => {
                self.consumer_handle_sync_response(consumer, result)
            }
            Payload::HeartbeatResponse { error, .. } => {
                self.consumer_handle_heartbeat_response(consumer, error)
            }
            Payload::OffsetCommitResponse {
                request_id, result, ..
            } => self.consumer_handle_commit_response(consumer, request_id, result),
            Payload::OffsetFetchResponse { result, .. } => {
                self.consumer_handle_offset_fetch(consumer, result)
            }
            Payload::ListOffsetsResponse { partition, result } => {
                self.consumer_handle_list_offsets(consumer, partition, result)
            }
            Payload::ConsumerFetchResponse {
                partition,
                fetch_offset,
                result,
            } => self.consumer_handle_fetch_response(consumer, partition, fetch_offset, result),
            _ => {}
        }
    }

    fn on_message_lost(&mut self, from: Node, to: Node, payload: Payload) {
        let receiver_down = !self.is_up(to);
        match payload {
            // A crashed broker's host answers with a TCP reset: the producer learns at once
            // that the connection broke. A cut link gives no such signal; the producer waits
            // for request.timeout.ms.
            Payload::ProduceRequest { request_id, .. } if receiver_down => {
                if let (Node::Producer(producer), Node::Broker(broker)) = (from, to) {
                    let record = self
                        .producers
                        .get(&producer)
                        .and_then(|p| p.pending_by_correlation(request_id));
                    if let Some(record) = record {
                        self.producer_attempt_failed(
                            producer,
                            record,
                            BrokerError::NetworkException { broker },
                        );
                    }
                }
            }
            // The follower stops waiting; it fetches again when the link heals, the leader
            // returns, or a new leader is announced.
            Payload::FetchRequest {
                partition, replica, ..
            } => self.follower_fetch_lost(replica, &partition),
            Payload::FetchResponse(response) => {
                if let Node::Broker(follower) = to {
                    self.follower_fetch_lost(follower, &response.partition);
                }
            }
            Payload::AlterPartition {
                partition, leader, ..
            } => {
                if let Some(ReplicaRole::Leader {
                    alter_partition_pending,
                    ..
                }) = self.replica_mut(leader, &partition).map(|r| &mut r.role)
                {
                    *alter_partition_pending = false;
                }
            }
            // Consumer requests and their answers: the client notices and tries again.
            payload => match (from, to) {
                (Node::Consumer(consumer), Node::Broker(broker))
                | (Node::Broker(broker), Node::Consumer(consumer)) => {
                    let broker_down = !self.is_up(Node::Broker(broker));
                    self.consumer_request_lost(consumer, broker, &payload, broker_down);
                }
                // Produce answers, metadata and registrations: the sender's timeout or the
                // next heal/restart covers them.
                _ => {}
            },
        }
    }

    fn fire_timer(&mut self, node: Node, timer: Timer) {
        // Controller-side timers belong to the quorum, not to one process.
        let quorum_timer = matches!(
            timer,
            Timer::BrokerSessionExpired { .. } | Timer::ControllerElection
        );
        if !quorum_timer && !self.is_up(node) {
            return;
        }
        let label = Payload::Timer(timer.clone()).label();
        match timer {
            Timer::BrokerSessionExpired { broker } => {
                self.session_timers.remove(&broker);
                if self.broker_reachable_by_controller(broker) || self.brokers[&broker].fenced {
                    return;
                }
                let Some(controller) = self.active_controller else {
                    return;
                };
                self.emit(
                    EventKind::TimerFired { node: controller, label },
                    format!(
                        "{controller} has not heard from broker {broker} for {} ms (session timeout)",
                        self.config.session_timeout_ms()
                    ),
                );
                self.fence_broker(broker);
            }
            Timer::ControllerElection => {
                self.election_timer = None;
                self.run_controller_election();
            }
            Timer::IsrLagCheck { partition } => {
                let Node::Broker(leader) = node else { return };
                self.leader_check_isr_lag(leader, partition);
            }
            Timer::ProducerRetry {
                producer,
                request_id,
            } => self.producer_retry(producer, request_id),
            Timer::ProducerRequestTimeout {
                producer,
                request_id,
            } => self.producer_request_timed_out(producer, request_id),
            Timer::ProducePurgatoryTimeout {
                broker,
                partition,
                request_id,
                producer,
            } => self.leader_produce_purgatory_timeout(broker, partition, request_id, producer),
            Timer::ConsumerHeartbeat { consumer } => self.consumer_heartbeat_due(consumer),
            Timer::ConsumerRetry { consumer, .. } => self.consumer_retry(consumer),
            Timer::MemberSessionExpired {
                broker,
                group,
                member_id,
            } => self.coordinator_session_expired(broker, group, member_id),
            Timer::InitialRebalanceDelay { broker, group } => {
                self.coordinator_join_timer(broker, group, true)
            }
            Timer::RebalanceTimeout { broker, group } => {
                self.coordinator_join_timer(broker, group, false)
            }
        }
    }

    // ----- the controller ---------------------------------------------------------------

    pub(crate) fn append_metadata(&mut self, record_type: &str, description: String) {
        if self.config.controller_mode != ControllerMode::Kraft {
            return;
        }
        self.metadata_log.push(MetadataRecord {
            offset: self.metadata_log_end_offset,
            epoch: self.controller_epoch,
            record_type: record_type.to_string(),
            description,
        });
        self.metadata_log_end_offset += 1;
        if self.metadata_log.len() > METADATA_LOG_KEPT {
            let excess = self.metadata_log.len() - METADATA_LOG_KEPT;
            self.metadata_log.drain(..excess);
        }
    }

    fn require_controller(&self) -> Result<Node, BrokerError> {
        self.active_controller.ok_or(BrokerError::NotController)
    }

    pub(crate) fn broker_eligible(&self, broker: BrokerId) -> bool {
        self.brokers
            .get(&broker)
            .is_some_and(|b| b.alive && !b.fenced)
    }

    fn broker_reachable_by_controller(&self, broker: BrokerId) -> bool {
        let Some(controller) = self.active_controller else {
            return false;
        };
        self.brokers[&broker].alive && !self.network.is_cut(Node::Broker(broker), controller)
    }

    /// Sends the partition's current state to every replica (`LeaderAndIsr`).
    pub(crate) fn announce_partition(&mut self, partition: &TopicPartition) {
        let replicas = self
            .partition_metadata(partition)
            .map(|m| m.replicas.clone())
            .unwrap_or_default();
        for broker in replicas {
            self.announce_partition_to(partition, broker);
        }
    }

    fn announce_partition_to(&mut self, partition: &TopicPartition, broker: BrokerId) {
        let Some(controller) = self.active_controller else {
            return;
        };
        let Some(metadata) = self.partition_metadata(partition).cloned() else {
            return;
        };
        self.send(
            controller,
            Node::Broker(broker),
            Payload::LeaderAndIsr {
                partition: partition.clone(),
                leader: metadata.leader,
                leader_epoch: metadata.leader_epoch,
                isr: metadata.isr,
                replicas: metadata.replicas,
            },
        );
    }

    fn all_partitions(&self) -> Vec<TopicPartition> {
        self.topics
            .values()
            .flat_map(|t| {
                (0..t.partitions.len() as u32).map(|p| TopicPartition::new(t.name.clone(), p))
            })
            .collect()
    }

    /// Changes a partition's leader and ISR as the controller, with events and a metadata
    /// record, then announces it. `leader` changes bump the leader epoch.
    pub(crate) fn change_partition(
        &mut self,
        partition: &TopicPartition,
        leader: Option<BrokerId>,
        isr: Vec<BrokerId>,
        reason: &str,
        unclean: bool,
    ) {
        let Some(metadata) = self
            .topics
            .get_mut(&partition.topic)
            .and_then(|t| t.partitions.get_mut(partition.partition as usize))
        else {
            return;
        };
        let leader_changed = metadata.leader != leader;
        let isr_changed = metadata.isr != isr;
        if !leader_changed && !isr_changed {
            return;
        }
        if leader_changed {
            metadata.leader_epoch += 1;
        }
        metadata.leader = leader;
        metadata.isr = isr.clone();
        let epoch = metadata.leader_epoch;
        self.append_metadata(
            "PartitionChangeRecord",
            format!(
                "{partition}: leader {}, epoch {epoch}, ISR {}",
                leader.map_or("none".to_string(), |l| l.to_string()),
                broker_list(&isr)
            ),
        );
        if isr_changed {
            self.emit(
                EventKind::IsrChanged {
                    partition: partition.clone(),
                    isr: isr.clone(),
                    reason: reason.to_string(),
                },
                format!(
                    "the ISR of {partition} is now {}: {reason}",
                    broker_list(&isr)
                ),
            );
        }
        if leader_changed {
            let text = match leader {
                Some(l) if unclean => format!(
                    "UNCLEAN election: broker {l} leads {partition} in epoch {epoch} although it was not in sync; \
                     records only the old leader had are lost"
                ),
                Some(l) => format!("broker {l} is elected leader of {partition} (leader epoch {epoch}): {reason}"),
                None => format!(
                    "{partition} is offline: no in-sync replica is alive and unclean.leader.election.enable=false"
                ),
            };
            self.emit(
                EventKind::LeaderElected {
                    partition: partition.clone(),
                    leader,
                    leader_epoch: epoch,
                    unclean,
                },
                text,
            );
        }
        self.announce_partition(partition);
    }

    /// Elects a leader for a partition by Kafka's rule and the topic's
    /// `unclean.leader.election.enable`: a clean election keeps the ISR, an unclean one
    /// starts it over with the new leader alone. Returns whether anyone was elected.
    fn elect_leader_for(&mut self, partition: &TopicPartition, reason: &str) -> bool {
        let Some(metadata) = self.partition_metadata(partition).cloned() else {
            return false;
        };
        let unclean_enabled = self
            .topic_config(&partition.topic)
            .unclean_leader_election_enable;
        let Some(election) = elect_leader(
            &metadata.replicas,
            &metadata.isr,
            |b| self.broker_eligible(b),
            unclean_enabled,
        ) else {
            return false;
        };
        let isr = if election.unclean {
            vec![election.leader]
        } else {
            metadata.isr
        };
        self.change_partition(
            partition,
            Some(election.leader),
            isr,
            reason,
            election.unclean,
        );
        true
    }

    fn fence_broker(&mut self, broker: BrokerId) {
        self.brokers.get_mut(&broker).expect("known broker").fenced = true;
        self.append_metadata("FenceBrokerRecord", format!("broker {broker} fenced"));
        self.emit(
            EventKind::BrokerFenced { broker },
            format!("broker {broker} is fenced: it leaves every ISR and gives up its leaderships"),
        );
        for partition in self.all_partitions() {
            let metadata = self.partition_metadata(&partition).expect("listed").clone();
            if !metadata.replicas.contains(&broker) {
                continue;
            }
            let config = self.topic_config(&partition.topic);
            // Kafka never empties the ISR: the last member stays, so it can come back clean.
            let mut isr = metadata.isr.clone();
            if isr.len() > 1 {
                isr.retain(|&b| b != broker);
            }
            let mut leader = metadata.leader;
            let mut unclean = false;
            if leader == Some(broker) || leader.is_none() {
                match elect_leader(
                    &metadata.replicas,
                    &isr,
                    |b| self.broker_eligible(b),
                    config.unclean_leader_election_enable,
                ) {
                    Some(election) => {
                        leader = Some(election.leader);
                        unclean = election.unclean;
                        if unclean {
                            isr = vec![election.leader];
                        }
                    }
                    None => leader = None,
                }
            }
            self.change_partition(
                &partition,
                leader,
                isr,
                &format!("broker {broker} was fenced"),
                unclean,
            );
        }
    }

    fn controller_handle_registration(&mut self, at: Node, broker: BrokerId) {
        if Some(at) != self.active_controller {
            return;
        }
        let was_fenced = self.brokers[&broker].fenced;
        if let Some(key) = self.session_timers.remove(&broker) {
            self.network.cancel(key);
        }
        if was_fenced {
            self.brokers.get_mut(&broker).expect("known").fenced = false;
            self.append_metadata("UnfenceBrokerRecord", format!("broker {broker} unfenced"));
            self.emit(
                EventKind::BrokerUnfenced { broker },
                format!("broker {broker} registered again and is unfenced: it can follow and lead"),
            );
        }
        // Offline partitions may come back with this broker.
        let hosted: Vec<TopicPartition> = self
            .all_partitions()
            .into_iter()
            .filter(|tp| {
                self.partition_metadata(tp)
                    .is_some_and(|m| m.replicas.contains(&broker))
            })
            .collect();
        let mut announced = SortedSet::new();
        for partition in &hosted {
            let leaderless = self
                .partition_metadata(partition)
                .is_some_and(|m| m.leader.is_none());
            if leaderless && self.elect_leader_for(partition, &format!("broker {broker} is back")) {
                announced.insert(partition.clone());
            }
        }
        // The broker re-learns its partitions. If it was fenced, the leaders learn too that
        // it is eligible again and may take it back into the ISR.
        for partition in hosted.iter().filter(|tp| !announced.contains(*tp)) {
            if was_fenced {
                self.announce_partition(partition);
            } else {
                self.announce_partition_to(partition, broker);
            }
        }
    }

    fn controller_handle_alter_partition(
        &mut self,
        at: Node,
        partition: TopicPartition,
        leader: BrokerId,
        leader_epoch: u32,
        new_isr: Vec<BrokerId>,
        reason: String,
    ) {
        if Some(at) != self.active_controller {
            // NOT_CONTROLLER: the leader may ask again (at its next check).
            if let Some(ReplicaRole::Leader {
                alter_partition_pending,
                ..
            }) = self.replica_mut(leader, &partition).map(|r| &mut r.role)
            {
                *alter_partition_pending = false;
            }
            return;
        }
        let Some(metadata) = self.partition_metadata(&partition).cloned() else {
            return;
        };
        // Kafka rejects stale requests (FENCED_LEADER_EPOCH) and fenced replicas
        // (INELIGIBLE_REPLICA); the leader then learns the current state.
        let stale = metadata.leader != Some(leader) || metadata.leader_epoch != leader_epoch;
        let ineligible = new_isr.iter().any(|&b| !self.broker_eligible(b));
        if stale || ineligible || new_isr.is_empty() {
            self.announce_partition(&partition);
            return;
        }
        if metadata.isr == new_isr {
            self.announce_partition(&partition);
            return;
        }
        self.change_partition(&partition, Some(leader), new_isr, &reason, false);
    }

    fn run_controller_election(&mut self) {
        match self.config.controller_mode {
            ControllerMode::Kraft => {
                let alive: Vec<u32> = self
                    .controllers
                    .values()
                    .filter(|c| c.alive)
                    .map(|c| c.id)
                    .collect();
                if !has_majority(alive.len(), self.controllers.len()) {
                    self.active_controller = None;
                    self.emit(
                        EventKind::ControllerElected { node: None, epoch: self.controller_epoch },
                        format!(
                            "no controller can be elected: only {} of {} voters are alive, a majority is needed",
                            alive.len(),
                            self.controllers.len()
                        ),
                    );
                    return;
                }
                self.controller_epoch += 1;
                let winner = Node::Controller(alive[0]);
                self.active_controller = Some(winner);
                self.append_metadata(
                    "LeaderChangeMessage",
                    format!("{winner} leads epoch {}", self.controller_epoch),
                );
                self.emit(
                    EventKind::ControllerElected { node: Some(winner), epoch: self.controller_epoch },
                    format!(
                        "{winner} wins the vote of the controller quorum and becomes the active controller (epoch {})",
                        self.controller_epoch
                    ),
                );
            }
            ControllerMode::Zookeeper => {
                let zookeepers_alive = self.controllers.values().filter(|c| c.alive).count();
                if !has_majority(zookeepers_alive, self.controllers.len()) {
                    self.active_controller = None;
                    self.emit(
                        EventKind::ControllerElected {
                            node: None,
                            epoch: self.controller_epoch,
                        },
                        "no controller: the ZooKeeper ensemble has lost its quorum".to_string(),
                    );
                    return;
                }
                let candidate = self.brokers.values().find(|b| b.alive).map(|b| b.id);
                let Some(winner) = candidate else {
                    self.active_controller = None;
                    self.emit(
                        EventKind::ControllerElected {
                            node: None,
                            epoch: self.controller_epoch,
                        },
                        "no controller: no broker is alive to take /controller".to_string(),
                    );
                    return;
                };
                self.controller_epoch += 1;
                self.active_controller = Some(Node::Broker(winner));
                self.emit(
                    EventKind::ControllerElected { node: Some(Node::Broker(winner)), epoch: self.controller_epoch },
                    format!(
                        "broker {winner} creates the /controller znode and becomes controller (controller epoch {})",
                        self.controller_epoch
                    ),
                );
            }
        }
        // Live brokers that are fenced (they restarted while no controller could hear them)
        // heartbeat to the new controller and register.
        if let Some(controller) = self.active_controller {
            let waiting: Vec<BrokerId> = self
                .brokers
                .values()
                .filter(|b| b.alive && b.fenced)
                .map(|b| b.id)
                .collect();
            for broker in waiting {
                self.send(
                    Node::Broker(broker),
                    controller,
                    Payload::BrokerRegistration { broker },
                );
            }
        }
        // The new controller gives every silent broker a fresh session timeout, and fences
        // at once those already long gone.
        let silent: Vec<BrokerId> = self
            .brokers
            .values()
            .filter(|b| !b.fenced)
            .map(|b| b.id)
            .filter(|&b| !self.broker_reachable_by_controller(b))
            .collect();
        for broker in silent {
            self.schedule_session_expiry(broker);
        }
        // Leaderless partitions may be electable now.
        for partition in self.all_partitions() {
            let led = self.partition_metadata(&partition).and_then(|m| m.leader);
            if !led.is_some_and(|l| self.broker_eligible(l)) {
                self.elect_leader_for(&partition, "the new controller found it leaderless");
            }
        }
    }

    fn schedule_session_expiry(&mut self, broker: BrokerId) {
        if self.session_timers.contains_key(&broker) || self.brokers[&broker].fenced {
            return;
        }
        let node = self.active_controller.unwrap_or(Node::Controller(0));
        let key = self.set_timer(
            node,
            self.config.session_timeout_ms(),
            Timer::BrokerSessionExpired { broker },
        );
        self.session_timers.insert(broker, key);
    }

    fn schedule_controller_election(&mut self, delay_ms: u64) {
        if self.election_timer.is_some() {
            return;
        }
        let key = self.set_timer(Node::Controller(0), delay_ms, Timer::ControllerElection);
        self.election_timer = Some(key);
    }

    // ----- commands -----------------------------------------------------------------------

    pub(crate) fn create_topic(
        &mut self,
        name: String,
        partitions: u32,
        replication_factor: u32,
        configs: &SortedMap<String, String>,
    ) -> Result<(), BrokerError> {
        validate_topic_name(&name)?;
        if self.topics.contains_key(&name) {
            return Err(BrokerError::TopicAlreadyExists { topic: name });
        }
        if let Some(existing) = self
            .topics
            .keys()
            .find(|existing| topics_collide(existing, &name))
        {
            return Err(BrokerError::InvalidTopicException {
                reason: format!("Topic '{name}' collides with existing topic: {existing}"),
                topic: name,
            });
        }
        if self.topics.len() >= MAX_TOPICS {
            return Err(BrokerError::PolicyViolation {
                reason: format!("the playground holds at most {MAX_TOPICS} topics"),
            });
        }
        if !(1..=MAX_PARTITIONS_PER_TOPIC).contains(&partitions) {
            return Err(BrokerError::InvalidPartitions {
                requested: partitions,
                max: MAX_PARTITIONS_PER_TOPIC,
            });
        }
        let live: Vec<BrokerId> = self
            .brokers
            .values()
            .filter(|b| b.alive && !b.fenced)
            .map(|b| b.id)
            .collect();
        if replication_factor < 1 || replication_factor as usize > live.len() {
            return Err(BrokerError::InvalidReplicationFactor {
                requested: replication_factor,
                live_brokers: live.len() as u32,
            });
        }
        let config = self.config.topic_defaults.with_overrides(configs)?;
        let controller = self.require_controller()?;

        let n = live.len() as u64;
        let start_index = self.topic_rng.below(n) as usize;
        let replica_shift = self.topic_rng.below(n) as usize;
        let assignment = assign_replicas_rack_unaware(
            &live,
            partitions,
            replication_factor,
            start_index,
            replica_shift,
        );
        let metadata: Vec<PartitionMetadata> = assignment
            .into_iter()
            .map(|replicas| PartitionMetadata {
                leader: Some(replicas[0]),
                leader_epoch: 0,
                isr: replicas.clone(),
                replicas,
            })
            .collect();
        self.append_metadata("TopicRecord", format!("topic {name}"));
        for (index, partition) in metadata.iter().enumerate() {
            self.append_metadata(
                "PartitionRecord",
                format!(
                    "{name}-{index}: replicas {}, leader {}",
                    broker_list(&partition.replicas),
                    partition.replicas[0]
                ),
            );
        }
        let placement = metadata
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{name}-{i} on {}", broker_list(&p.replicas)))
            .collect::<Vec<_>>()
            .join(", ");
        self.topics.insert(
            name.clone(),
            Topic {
                name: name.clone(),
                config,
                partitions: metadata,
            },
        );
        self.emit(
            EventKind::TopicCreated { topic: name.clone(), partitions, replication_factor },
            format!(
                "{controller} creates topic {name} with {partitions} partition(s), replication factor {replication_factor}: {placement}; \
                 the first replica of each leads"
            ),
        );
        for partition in 0..partitions {
            self.announce_partition(&TopicPartition::new(name.clone(), partition));
        }
        Ok(())
    }

    fn delete_topic(&mut self, name: &str) -> Result<(), BrokerError> {
        let controller = self.require_controller()?;
        let topic =
            self.topics
                .remove(name)
                .ok_or_else(|| BrokerError::UnknownTopicOrPartition {
                    topic: name.to_string(),
                    partition: None,
                })?;
        self.append_metadata("RemoveTopicRecord", format!("topic {name}"));
        self.emit(
            EventKind::TopicDeleted {
                topic: name.to_string(),
            },
            format!("{controller} deletes topic {name}"),
        );
        for (index, metadata) in topic.partitions.iter().enumerate() {
            for &broker in &metadata.replicas {
                self.send(
                    controller,
                    Node::Broker(broker),
                    Payload::StopReplica {
                        partition: TopicPartition::new(name, index as u32),
                    },
                );
            }
        }
        for producer in self.producers.values_mut() {
            producer.leader_cache.retain(|tp, _| tp.topic != name);
        }
        Ok(())
    }

    fn alter_topic_config(
        &mut self,
        name: &str,
        configs: &SortedMap<String, String>,
    ) -> Result<(), BrokerError> {
        let topic = self
            .topics
            .get(name)
            .ok_or_else(|| BrokerError::UnknownTopicOrPartition {
                topic: name.to_string(),
                partition: None,
            })?;
        let config = topic.config.with_overrides(configs)?;
        self.require_controller()?;
        let enables_unclean =
            config.unclean_leader_election_enable && !topic.config.unclean_leader_election_enable;
        self.topics.get_mut(name).expect("checked").config = config;
        let changes = configs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.append_metadata("ConfigRecord", format!("topic {name}: {changes}"));
        self.emit(
            EventKind::TopicConfigAltered {
                topic: name.to_string(),
            },
            format!("topic {name} now has {changes}"),
        );
        if enables_unclean {
            // Kafka's controller retries offline partitions when unclean election is enabled.
            let offline: Vec<TopicPartition> = self
                .all_partitions()
                .into_iter()
                .filter(|tp| tp.topic == name)
                .filter(|tp| {
                    self.partition_metadata(tp)
                        .is_some_and(|m| m.leader.is_none())
                })
                .collect();
            for partition in offline {
                self.elect_leader_for(&partition, "unclean election was enabled");
            }
        }
        Ok(())
    }

    /// Starts a producer and returns its id.
    pub(crate) fn add_producer(
        &mut self,
        config: super::producer::ProducerConfig,
    ) -> Result<u32, BrokerError> {
        config.validate()?;
        if self.producers.len() >= MAX_PRODUCERS {
            return Err(BrokerError::PolicyViolation {
                reason: format!("the playground runs at most {MAX_PRODUCERS} producers"),
            });
        }
        let id = self.producers.keys().next_back().map_or(1, |last| last + 1);
        let producer = Producer::new(id, config);
        let producer_id = producer.producer_id.unwrap_or(0);
        let acks = producer.config.acks.kafka_value();
        let idempotent = producer.config.idempotent();
        self.producers.insert(id, producer);
        self.emit(
            EventKind::ProducerAdded {
                producer: id,
                producer_id,
            },
            format!("producer {id} starts with acks={acks}, enable.idempotence={idempotent}"),
        );
        Ok(id)
    }

    fn check_node(&self, node: Node) -> Result<(), BrokerError> {
        if self.node_exists(node) {
            Ok(())
        } else {
            Err(BrokerError::UnknownNode { node })
        }
    }

    fn crash_broker(&mut self, broker: BrokerId) -> Result<(), BrokerError> {
        self.check_node(Node::Broker(broker))?;
        if !self.brokers[&broker].alive {
            return Err(BrokerError::BrokerNotAvailable {
                broker,
                reason: "is already down".into(),
            });
        }
        let node = self.brokers.get_mut(&broker).expect("checked");
        node.alive = false;
        // Memory is lost: roles, purgatories, follower tracking, the groups it coordinated.
        // The disk (logs, HW checkpoints) survives.
        for group in std::mem::take(&mut node.groups).into_values() {
            let timers = group
                .members
                .values()
                .filter_map(|m| m.session_timer)
                .chain(group.initial_delay_timer)
                .chain(group.rebalance_timer);
            for timer in timers {
                self.network.cancel(timer);
            }
        }
        // Follower fetches parked in its purgatories die with the connection: those
        // followers fetch again (from it when it returns, or from a new leader).
        let parked: Vec<(BrokerId, TopicPartition)> = self.brokers[&broker]
            .replicas
            .iter()
            .flat_map(|(tp, replica)| match &replica.role {
                ReplicaRole::Leader { followers, .. } => followers
                    .iter()
                    .filter(|(_, state)| state.parked_fetch.is_some())
                    .map(|(&f, _)| (f, tp.clone()))
                    .collect(),
                ReplicaRole::Follower { .. } => Vec::new(),
            })
            .collect();
        for (follower, partition) in parked {
            self.follower_fetch_lost(follower, &partition);
        }
        let node = self.brokers.get_mut(&broker).expect("checked");
        for replica in node.replicas.values_mut() {
            for timer in replica.role.timers() {
                self.network.cancel(timer);
            }
            replica.role = ReplicaRole::Follower {
                leader: None,
                fetch_in_flight: false,
            };
        }
        self.emit(
            EventKind::BrokerCrashed { broker },
            format!("broker {broker} crashes; its log stays on disk"),
        );
        // Clients connected to it see their connections reset; the group members among
        // them look for a coordinator again.
        let connected: Vec<u32> = self
            .consumers
            .values()
            .filter(|c| c.alive && c.coordinator == Some(broker))
            .map(|c| c.id)
            .collect();
        for consumer in connected {
            self.consumer_coordinator_disconnected(consumer, broker);
        }

        if self.active_controller == Some(Node::Broker(broker)) {
            // ZooKeeper mode: the controller's own session must expire first.
            self.active_controller = None;
            self.schedule_controller_election(self.config.session_timeout_ms());
        }
        self.schedule_session_expiry(broker);
        Ok(())
    }

    fn add_broker(&mut self) -> Result<(), BrokerError> {
        let broker = self.brokers.keys().next_back().map_or(1, |last| last + 1);
        if broker > MAX_BROKERS {
            return Err(BrokerError::PolicyViolation {
                reason: format!("a cluster has at most {MAX_BROKERS} brokers"),
            });
        }
        self.brokers.insert(
            broker,
            BrokerNode {
                id: broker,
                alive: true,
                fenced: false,
                replicas: SortedMap::new(),
                groups: SortedMap::new(),
            },
        );
        self.emit(
            EventKind::BrokerAdded { broker },
            format!(
                "broker {broker} starts and registers with the controller; it holds no partitions \
                 until a new topic places replicas on it (Kafka never moves existing ones by itself)"
            ),
        );
        self.register_with_controller(broker);
        Ok(())
    }

    fn restart_broker(&mut self, broker: BrokerId) -> Result<(), BrokerError> {
        self.check_node(Node::Broker(broker))?;
        if self.brokers[&broker].alive {
            return Err(BrokerError::BrokerNotAvailable {
                broker,
                reason: "is already running".into(),
            });
        }
        let node = self.brokers.get_mut(&broker).expect("checked");
        node.alive = true;
        for replica in node.replicas.values_mut() {
            replica.rebuild_producer_states();
        }
        self.emit(
            EventKind::BrokerRestarted { broker },
            format!("broker {broker} starts again with the log it had and registers with the controller"),
        );
        self.register_with_controller(broker);
        Ok(())
    }

    /// A starting broker's BrokerRegistration request (KRaft), or its ZooKeeper session.
    fn register_with_controller(&mut self, broker: BrokerId) {
        match self.active_controller {
            Some(controller) => self.send(
                Node::Broker(broker),
                controller,
                Payload::BrokerRegistration { broker },
            ),
            None if self.config.controller_mode == ControllerMode::Zookeeper => {
                self.schedule_controller_election(0)
            }
            None => {}
        }
    }

    fn crash_controller(&mut self, controller: u32) -> Result<(), BrokerError> {
        self.check_node(Node::Controller(controller))?;
        if !self.controllers[&controller].alive {
            return Err(BrokerError::PolicyViolation {
                reason: format!("controller {controller} is already down"),
            });
        }
        self.controllers
            .get_mut(&controller)
            .expect("checked")
            .alive = false;
        let what = match self.config.controller_mode {
            ControllerMode::Kraft => format!("controller {controller} crashes"),
            ControllerMode::Zookeeper => format!("ZooKeeper server {controller} crashes"),
        };
        self.emit(EventKind::ControllerCrashed { controller }, what);
        let alive = self.controllers.values().filter(|c| c.alive).count();
        let quorum = has_majority(alive, self.controllers.len());
        let was_active = self.active_controller == Some(Node::Controller(controller));
        if was_active || !quorum {
            if self.active_controller.is_some() && !quorum {
                self.emit(
                    EventKind::ControllerElected {
                        node: None,
                        epoch: self.controller_epoch,
                    },
                    format!(
                        "the quorum is lost ({alive} of {} alive): no metadata can change",
                        self.controllers.len()
                    ),
                );
            }
            if !quorum || was_active {
                self.active_controller = None;
            }
            if quorum {
                self.schedule_controller_election(
                    self.config.controller_quorum_election_timeout_ms,
                );
            }
        }
        Ok(())
    }

    fn restart_controller(&mut self, controller: u32) -> Result<(), BrokerError> {
        self.check_node(Node::Controller(controller))?;
        if self.controllers[&controller].alive {
            return Err(BrokerError::PolicyViolation {
                reason: format!("controller {controller} is already running"),
            });
        }
        self.controllers
            .get_mut(&controller)
            .expect("checked")
            .alive = true;
        self.emit(
            EventKind::ControllerRestarted { controller },
            format!("controller node {controller} starts again"),
        );
        let alive = self.controllers.values().filter(|c| c.alive).count();
        if self.active_controller.is_none() && has_majority(alive, self.controllers.len()) {
            self.schedule_controller_election(self.config.controller_quorum_election_timeout_ms);
        }
        Ok(())
    }

    fn cut_link(&mut self, a: Node, b: Node) -> Result<(), BrokerError> {
        self.check_node(a)?;
        self.check_node(b)?;
        if a == b {
            return Err(BrokerError::PolicyViolation {
                reason: format!("{a} has no link to itself"),
            });
        }
        if !self.network.cut(a, b) {
            return Err(BrokerError::PolicyViolation {
                reason: format!("the link between {a} and {b} is already cut"),
            });
        }
        self.emit(
            EventKind::LinkCut { a, b },
            format!("the network link between {a} and {b} is cut"),
        );
        // A broker cut off from the active controller stops heartbeating to it.
        if let Some(controller) = self.active_controller {
            for (x, y) in [(a, b), (b, a)] {
                if let (Node::Broker(broker), true) = (x, y == controller) {
                    self.schedule_session_expiry(broker);
                }
            }
        }
        Ok(())
    }

    fn heal_link(&mut self, a: Node, b: Node) -> Result<(), BrokerError> {
        self.check_node(a)?;
        self.check_node(b)?;
        if !self.network.heal(a, b) {
            return Err(BrokerError::PolicyViolation {
                reason: format!("the link between {a} and {b} is not cut"),
            });
        }
        self.emit(
            EventKind::LinkHealed { a, b },
            format!("the network link between {a} and {b} works again"),
        );
        for (x, y) in [(a, b), (b, a)] {
            if let Node::Broker(broker) = x {
                if Some(y) == self.active_controller && self.brokers[&broker].alive {
                    if let Some(key) = self.session_timers.remove(&broker) {
                        self.network.cancel(key);
                    }
                    // The broker re-registers (if fenced) and re-learns its partitions.
                    self.send(
                        Node::Broker(broker),
                        y,
                        Payload::BrokerRegistration { broker },
                    );
                }
                if let Node::Broker(other) = y {
                    self.resume_fetchers(broker, Some(other));
                }
            }
        }
        Ok(())
    }

    fn set_link_latency(&mut self, a: Node, b: Node, latency_ms: u64) -> Result<(), BrokerError> {
        self.check_node(a)?;
        self.check_node(b)?;
        if a == b || latency_ms == 0 || latency_ms > 600_000 {
            return Err(BrokerError::PolicyViolation {
                reason: "a link joins two different nodes and its latency is 1 to 600000 ms".into(),
            });
        }
        self.network.set_latency_ms(a, b, latency_ms);
        self.emit(
            EventKind::LinkLatencySet { a, b, latency_ms },
            format!("messages between {a} and {b} now take {latency_ms} ms"),
        );
        Ok(())
    }

    fn elect_preferred_leader(&mut self, topic: &str, partition: u32) -> Result<(), BrokerError> {
        let tp = TopicPartition::new(topic, partition);
        let metadata = self.partition_metadata(&tp).cloned().ok_or_else(|| {
            BrokerError::UnknownTopicOrPartition {
                topic: topic.to_string(),
                partition: Some(partition),
            }
        })?;
        let preferred = metadata.preferred_leader();
        if metadata.leader == Some(preferred) {
            return Err(BrokerError::ElectionNotNeeded {
                topic: topic.to_string(),
                partition,
            });
        }
        if !metadata.isr.contains(&preferred) || !self.broker_eligible(preferred) {
            return Err(BrokerError::PreferredLeaderNotAvailable {
                topic: topic.to_string(),
                partition,
                preferred,
            });
        }
        self.require_controller()?;
        self.change_partition(
            &tp,
            Some(preferred),
            metadata.isr,
            "preferred leader election",
            false,
        );
        Ok(())
    }

    fn advance_clock(&mut self, ms: u64) -> Result<(), BrokerError> {
        if ms == 0 || ms > 31_536_000_000 {
            return Err(BrokerError::PolicyViolation {
                reason: "advance the clock by 1 ms to one year".into(),
            });
        }
        let until = self.tick + ms;
        let mut collected = Vec::new();
        while self.network.next_deliver_tick().is_some_and(|t| t <= until) {
            collected.extend(self.step_including(Some(until)));
        }
        self.tick = until;
        *self.out = collected;
        self.emit(
            EventKind::ClockAdvanced { to_tick: until },
            format!("{ms} ms pass; the log cleaner runs"),
        );
        self.run_log_cleaner();
        Ok(())
    }

    /// Retention and compaction on every replica, bounded by that replica's high watermark
    /// (Kafka never deletes or compacts what consumers cannot read yet).
    fn run_log_cleaner(&mut self) {
        let now = self.tick;
        let configs: SortedMap<String, TopicConfig> = SortedMap::from_iter(
            self.topics
                .iter()
                .map(|(n, t)| (n.clone(), t.config.clone())),
        );
        let mut events = Vec::new();
        for broker in self.brokers.values_mut().filter(|b| b.alive) {
            for (partition, replica) in broker.replicas.iter_mut() {
                let Some(config) = configs.get(&partition.topic) else {
                    continue;
                };
                // Changing a log shared with a snapshot copies it first (`Rc::make_mut`).
                let deleted = Rc::make_mut(&mut replica.log).apply_retention(
                    now,
                    config,
                    replica.high_watermark,
                ) as u64;
                if deleted > 0 {
                    events.push((
                        EventKind::SegmentsDeleted {
                            broker: broker.id,
                            partition: partition.clone(),
                            records_removed: deleted,
                            log_start_offset: replica.log.log_start_offset(),
                        },
                        format!(
                            "broker {} deletes old segments of {partition} ({deleted} records); the log now starts at offset {}",
                            broker.id,
                            replica.log.log_start_offset()
                        ),
                    ));
                }
                let compacted =
                    Rc::make_mut(&mut replica.log).compact(now, config, replica.high_watermark)
                        as u64;
                if compacted > 0 {
                    events.push((
                        EventKind::LogCompacted { broker: broker.id, partition: partition.clone(), records_removed: compacted },
                        format!("broker {} compacts {partition}: {compacted} superseded records removed", broker.id),
                    ));
                }
            }
        }
        for (kind, text) in events {
            self.emit(kind, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::test_support::produce;

    fn topic(
        cluster: &mut Cluster,
        name: &str,
        replication_factor: u32,
    ) -> Result<Vec<Event>, BrokerError> {
        cluster.apply(Command::CreateTopic {
            name: name.into(),
            partitions: 3,
            replication_factor,
            configs: SortedMap::new(),
        })
    }

    #[test]
    fn bounds_are_enforced_with_kafka_errors_and_change_nothing() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        let before = cluster.clone();
        assert!(matches!(
            topic(&mut cluster, "t", 4),
            Err(BrokerError::InvalidReplicationFactor {
                requested: 4,
                live_brokers: 3
            })
        ));
        assert!(matches!(
            cluster.apply(Command::CreateTopic {
                name: "t".into(),
                partitions: 65,
                replication_factor: 1,
                configs: SortedMap::new()
            }),
            Err(BrokerError::InvalidPartitions {
                requested: 65,
                max: 64
            })
        ));
        assert!(matches!(
            topic(&mut cluster, "bad/name", 1),
            Err(BrokerError::InvalidTopicException { .. })
        ));
        assert_eq!(cluster, before, "refused commands leave no trace");
        assert!(Cluster::try_new(
            ClusterConfig {
                brokers: 10,
                ..Default::default()
            },
            1
        )
        .is_err());
        assert!(Cluster::try_new(
            ClusterConfig {
                brokers: 0,
                ..Default::default()
            },
            1
        )
        .is_err());
    }

    #[test]
    fn colliding_and_duplicate_topic_names_are_refused() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        topic(&mut cluster, "my.topic", 1).unwrap();
        assert!(matches!(
            topic(&mut cluster, "my.topic", 1),
            Err(BrokerError::TopicAlreadyExists { .. })
        ));
        let error = topic(&mut cluster, "my_topic", 1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "InvalidTopicException: Topic 'my_topic' collides with existing topic: my.topic"
        );
        for _ in 0..31 {
            let name = format!("t{}", cluster.topics().len());
            topic(&mut cluster, &name, 1).unwrap();
        }
        assert!(matches!(
            topic(&mut cluster, "one-too-many", 1),
            Err(BrokerError::PolicyViolation { .. })
        ));
    }

    #[test]
    fn kraft_controller_fails_over_and_a_lost_quorum_freezes_metadata() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        cluster
            .apply(Command::CrashController { controller: 1 })
            .unwrap();
        assert_eq!(cluster.active_controller(), None);
        let events = cluster.run_until_idle();
        assert_eq!(cluster.active_controller(), Some(Node::Controller(2)));
        assert_eq!(cluster.controller_epoch(), 2);
        assert!(
            events.iter().any(|e| e.tick == 1_000),
            "after controller.quorum.election.timeout.ms"
        );

        cluster
            .apply(Command::CrashController { controller: 2 })
            .unwrap();
        cluster.run_until_idle();
        assert_eq!(
            cluster.active_controller(),
            None,
            "1 of 3 voters cannot elect"
        );
        assert_eq!(topic(&mut cluster, "t", 1), Err(BrokerError::NotController));

        cluster
            .apply(Command::RestartController { controller: 1 })
            .unwrap();
        cluster.run_until_idle();
        assert_eq!(cluster.active_controller(), Some(Node::Controller(1)));
        assert!(topic(&mut cluster, "t", 1).is_ok());
    }

    #[test]
    fn zookeeper_mode_moves_the_controller_to_another_broker_after_the_session_timeout() {
        let config = ClusterConfig {
            controller_mode: ControllerMode::Zookeeper,
            ..Default::default()
        };
        let mut cluster = Cluster::new(config, 1);
        assert_eq!(cluster.active_controller(), Some(Node::Broker(1)));
        topic(&mut cluster, "t", 3).unwrap();
        cluster.run_until_idle();
        let start = cluster.tick();
        cluster.apply(Command::CrashBroker { broker: 1 }).unwrap();
        let events = cluster.run_until_idle();
        assert_eq!(cluster.active_controller(), Some(Node::Broker(2)));
        let elected = events
            .iter()
            .find(|e| matches!(e.kind, EventKind::ControllerElected { .. }))
            .unwrap();
        assert_eq!(elected.tick, start + 18_000, "zookeeper.session.timeout.ms");
        for partition in &cluster.topics()["t"].partitions {
            assert_ne!(partition.leader, Some(1));
            assert!(!partition.isr.contains(&1));
        }
    }

    #[test]
    fn a_broker_cut_off_from_the_controller_is_fenced_and_unfenced_when_the_link_heals() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        topic(&mut cluster, "t", 3).unwrap();
        cluster.run_until_idle();
        cluster
            .apply(Command::CutLink {
                a: Node::Broker(3),
                b: Node::Controller(1),
            })
            .unwrap();
        cluster.run_until_idle();
        assert!(cluster.brokers()[&3].fenced);
        assert!(cluster.topics()["t"]
            .partitions
            .iter()
            .all(|p| !p.isr.contains(&3)));
        cluster
            .apply(Command::HealLink {
                a: Node::Broker(3),
                b: Node::Controller(1),
            })
            .unwrap();
        cluster.run_until_idle();
        assert!(!cluster.brokers()[&3].fenced);
        assert!(cluster.topics()["t"]
            .partitions
            .iter()
            .all(|p| p.isr.contains(&3)));
    }

    #[test]
    fn the_log_cleaner_compacts_and_retention_deletes_as_time_passes() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        cluster
            .apply(Command::CreateTopic {
                name: "c".into(),
                partitions: 1,
                replication_factor: 3,
                configs: SortedMap::from([
                    ("cleanup.policy".to_string(), "compact".to_string()),
                    ("segment.bytes".to_string(), "200".to_string()),
                ]),
            })
            .unwrap();
        cluster
            .apply(Command::AddProducer {
                config: Default::default(),
            })
            .unwrap();
        for key in ["a", "a", "b", "a", "c"] {
            produce(&mut cluster, "c", key, 1);
            cluster.run_until_idle();
        }
        let events = cluster.apply(Command::AdvanceClock { ms: 1_000 }).unwrap();
        let compactions = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::LogCompacted { .. }))
            .count();
        assert_eq!(compactions, 3, "every replica compacts: {events:#?}");
        let tp = TopicPartition::new("c", 0);
        let offsets: Vec<u64> = cluster.replica(1, &tp).unwrap().log.offsets().collect();
        assert_eq!(offsets, vec![2, 3, 4], "the old values of key a are gone");

        cluster
            .apply(Command::AlterTopicConfig {
                name: "c".into(),
                configs: SortedMap::from([
                    ("cleanup.policy".to_string(), "delete".to_string()),
                    ("retention.ms".to_string(), "60000".to_string()),
                ]),
            })
            .unwrap();
        cluster
            .apply(Command::AdvanceClock { ms: 120_000 })
            .unwrap();
        let log = &cluster.replica(1, &tp).unwrap().log;
        assert!(log.log_start_offset() > 0, "old segments deleted");
        assert_eq!(log.log_end_offset(), 5, "the active segment stays");
    }

    #[test]
    fn a_full_partition_refuses_appends_with_policy_violation() {
        let mut cluster = Cluster::new(
            ClusterConfig {
                max_records_per_partition: 3,
                ..Default::default()
            },
            1,
        );
        topic(&mut cluster, "t", 1).unwrap();
        cluster
            .apply(Command::AddProducer {
                config: Default::default(),
            })
            .unwrap();
        cluster.run_until_idle();
        produce(&mut cluster, "t", "k", 3);
        cluster.run_until_idle();
        produce(&mut cluster, "t", "k", 1);
        let events = cluster.run_until_idle();
        assert!(events.iter().any(|e| matches!(&e.kind, EventKind::ProduceFailed { error, .. } if error == "PolicyViolation")));
        assert_eq!(cluster.view().topics[0].partitions[0].log_end_offset, 3);
    }

    #[test]
    fn a_producer_with_a_stale_leader_gets_not_leader_or_follower_refreshes_and_retries() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        topic(&mut cluster, "t", 3).unwrap();
        cluster
            .apply(Command::AddProducer {
                config: Default::default(),
            })
            .unwrap();
        cluster.run_until_idle();
        produce(&mut cluster, "t", "k", 1);
        cluster.run_until_idle();
        // Move leadership away from the preferred replica without the producer noticing.
        let tp = TopicPartition::new("t", 0);
        let metadata = cluster.partition_metadata(&tp).unwrap().clone();
        let other = metadata.replicas[1];
        cluster.change_partition(&tp, Some(other), metadata.isr.clone(), "test", false);
        cluster.run_until_idle();
        produce(&mut cluster, "t", "k", 1);
        let events = cluster.run_until_idle();
        let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
        assert!(kinds.iter().any(|k| matches!(k, EventKind::ProduceRetryScheduled { error, .. } if error == "NotLeaderOrFollower")));
        assert!(kinds.iter().any(
            |k| matches!(k, EventKind::MetadataRefreshed { leader: Some(l), .. } if *l == other)
        ));
        assert!(kinds.iter().any(|k| matches!(
            k,
            EventKind::ProduceAcknowledged {
                offset: Some(1),
                ..
            }
        )));
    }

    #[test]
    fn an_idempotent_retry_of_an_appended_batch_is_not_appended_twice() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        topic(&mut cluster, "t", 3).unwrap();
        cluster
            .apply(Command::AddProducer {
                config: Default::default(),
            })
            .unwrap();
        cluster.run_until_idle();
        // The answer to the first attempt is lost: the producer times out and retries.
        produce(&mut cluster, "t", "k", 4);
        let leader = cluster
            .partition_metadata(&TopicPartition::new("t", 0))
            .unwrap()
            .leader
            .unwrap();
        cluster.apply(Command::AdvanceClock { ms: 1 }).unwrap();
        cluster
            .apply(Command::CutLink {
                a: Node::Broker(leader),
                b: Node::Producer(1),
            })
            .unwrap();
        cluster.apply(Command::AdvanceClock { ms: 30_100 }).unwrap();
        cluster
            .apply(Command::HealLink {
                a: Node::Broker(leader),
                b: Node::Producer(1),
            })
            .unwrap();
        let events = cluster.run_until_idle();
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::DuplicateDiscarded { offset: 0, .. })),
            "{events:#?}"
        );
        assert!(events.iter().any(|e| matches!(
            e.kind,
            EventKind::ProduceAcknowledged {
                offset: Some(0),
                count: 4,
                ..
            }
        )));
        assert_eq!(
            cluster.view().topics[0].partitions[0].log_end_offset,
            4,
            "four records, not eight"
        );
    }

    #[test]
    fn an_added_broker_registers_and_gets_only_new_replicas() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        cluster
            .apply(Command::CreateTopic {
                name: "old".into(),
                partitions: 3,
                replication_factor: 3,
                configs: Default::default(),
            })
            .unwrap();
        cluster.run_until_idle();
        let events = cluster.apply(Command::AddBroker).unwrap();
        assert!(matches!(
            events[0].kind,
            EventKind::BrokerAdded { broker: 4 }
        ));
        cluster.run_until_idle();
        assert!(cluster.brokers()[&4].alive && !cluster.brokers()[&4].fenced);
        assert!(
            cluster.brokers()[&4].replicas.is_empty(),
            "nothing moves by itself"
        );
        cluster
            .apply(Command::CreateTopic {
                name: "new".into(),
                partitions: 4,
                replication_factor: 2,
                configs: Default::default(),
            })
            .unwrap();
        cluster.run_until_idle();
        assert_eq!(cluster.brokers()[&4].replicas.len(), 2);
        for _ in 5..=MAX_BROKERS {
            cluster.apply(Command::AddBroker).unwrap();
        }
        assert!(matches!(
            cluster.apply(Command::AddBroker),
            Err(BrokerError::PolicyViolation { .. })
        ));
    }

    #[test]
    fn fault_commands_check_their_targets() {
        let mut cluster = Cluster::new(ClusterConfig::default(), 1);
        assert!(matches!(
            cluster.apply(Command::CrashBroker { broker: 7 }),
            Err(BrokerError::UnknownNode { .. })
        ));
        cluster.apply(Command::CrashBroker { broker: 2 }).unwrap();
        assert!(matches!(
            cluster.apply(Command::CrashBroker { broker: 2 }),
            Err(BrokerError::BrokerNotAvailable { .. })
        ));
        assert!(cluster
            .apply(Command::HealLink {
                a: Node::Broker(1),
                b: Node::Broker(2)
            })
            .is_err());
        assert!(cluster
            .apply(Command::CutLink {
                a: Node::Broker(1),
                b: Node::Broker(1)
            })
            .is_err());
        assert!(cluster.apply(Command::AdvanceClock { ms: 0 }).is_err());
    }
}
