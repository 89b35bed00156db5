//! The read-only picture of the cluster that the page draws and `kplay run` prints.
//!
//! A view is plain data (serde), built fresh from the cluster; nothing in it can change
//! the cluster. Record contents are not in it — a cluster can hold a million records — so
//! the UI asks [`Cluster::records`] for the few it shows.

use serde::{Deserialize, Serialize};

use super::cluster::Cluster;
use super::consumer::FailureRule;
use super::controller::{ControllerMode, MetadataRecord};
use super::dead_letter::ErrorPolicy;
use super::group::{describe_coordinator_mapping, offsets_partition_for};
use super::ids::{BrokerId, Node, TopicPartition};
use super::log::{ReadOutcome, Record};
use super::partition::ReplicaRole;
use super::sorted_map::{sorted_unique, SortedMap};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    pub seed: u64,
    pub tick: u64,
    pub steps: u64,
    pub controller: ControllerView,
    pub brokers: Vec<BrokerView>,
    pub topics: Vec<TopicView>,
    pub producers: Vec<ProducerView>,
    pub consumers: Vec<ConsumerView>,
    pub groups: Vec<GroupView>,
    /// Records marked as poison: `[partition, offset]`.
    pub poison: Vec<(TopicPartition, u64)>,
    pub in_flight: Vec<InFlightView>,
    pub cut_links: Vec<(Node, Node)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerView {
    pub mode: ControllerMode,
    pub active: Option<Node>,
    pub epoch: u32,
    /// KRaft voters, or ZooKeeper servers.
    pub nodes: Vec<ControllerNodeView>,
    /// The newest metadata log records (KRaft only).
    pub metadata_log_tail: Vec<MetadataRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerNodeView {
    pub id: u32,
    pub alive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerView {
    pub id: BrokerId,
    pub alive: bool,
    pub fenced: bool,
    pub is_controller: bool,
    pub replicas: Vec<ReplicaView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaView {
    pub topic: String,
    pub partition: u32,
    /// "leader", "follower", "out_of_sync" or "offline" (the broker is down).
    pub state: String,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    pub leader_epoch: u32,
    pub record_count: u64,
    /// A follower whose fetch waits in its leader's fetch purgatory: the offset it asked
    /// for. The leader had nothing new for it, so it holds the fetch and answers as soon as
    /// a record arrives (`DelayedFetch`; Kafka's followers ask again every
    /// `replica.fetch.wait.max.ms`, 500 ms, which the playground folds into this one wait).
    pub fetch_waiting_at_leader: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicView {
    pub name: String,
    pub configs: SortedMap<String, String>,
    pub partitions: Vec<PartitionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionView {
    pub partition: u32,
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    pub isr: Vec<BrokerId>,
    /// Offsets as the leader sees them (or the best surviving replica while offline).
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    pub record_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerView {
    pub id: u32,
    pub acks: String,
    pub enable_idempotence: bool,
    pub producer_id: Option<u64>,
    pub in_flight: u64,
    pub acknowledged: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerView {
    pub id: u32,
    pub group: Option<String>,
    pub group_instance_id: Option<String>,
    /// `"running"`, `"crashed"`, `"closed"` or `"failed"` (a Connect task stopped).
    pub status: String,
    pub member_id: String,
    pub generation: i32,
    /// `Unjoined`, `Joining`, `Syncing` or `Stable`.
    pub member_state: String,
    pub subscription: Vec<String>,
    pub assignment: Vec<TopicPartition>,
    pub positions: Vec<(TopicPartition, u64)>,
    pub coordinator: Option<BrokerId>,
    pub processed: u64,
    pub failures: u64,
    pub failure_rule: Option<FailureRule>,
    pub auto_commit: bool,
    pub assignors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub group: String,
    /// The `__consumer_offsets` partition that holds the group, and why.
    pub offsets_partition: u32,
    pub coordinator_mapping: String,
    pub coordinator: Option<BrokerId>,
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable`, or `Dead` while no
    /// coordinator holds the group.
    pub state: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: Vec<MemberView>,
    pub offsets: Vec<GroupOffsetView>,
    pub error_handling: Option<ErrorPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub consumer: u32,
    pub assignment: Vec<TopicPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupOffsetView {
    pub topic: String,
    pub partition: u32,
    pub committed: Option<u64>,
    /// The end offset a consumer can see: the high watermark.
    pub end_offset: u64,
    /// `end_offset - committed`.
    pub lag: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightView {
    pub id: u64,
    pub from: Node,
    pub to: Node,
    pub label: String,
    pub sent_tick: u64,
    pub deliver_tick: u64,
}

impl Cluster {
    /// Follower fetches waiting in their leaders' fetch purgatories: (follower, partition)
    /// → the offset asked for. A fetch from a follower that is down or cut off is dead,
    /// even though the leader has not noticed yet, and is left out.
    pub fn waiting_follower_fetches(&self) -> SortedMap<(BrokerId, &TopicPartition), u64> {
        let mut waiting = SortedMap::new();
        for broker in self.brokers.values() {
            for (tp, replica) in broker.replicas.iter() {
                let ReplicaRole::Leader { followers, .. } = &replica.role else {
                    continue;
                };
                for (follower, state) in followers.iter() {
                    let reachable = self.is_up(Node::Broker(*follower))
                        && !self
                            .network
                            .is_cut(Node::Broker(broker.id), Node::Broker(*follower));
                    if let (Some(parked), true) = (&state.parked_fetch, reachable) {
                        waiting.insert((*follower, tp), parked.fetch_offset);
                    }
                }
            }
        }
        waiting
    }

    pub fn view(&self) -> ClusterView {
        let waiting_fetches = self.waiting_follower_fetches();
        let brokers = self
            .brokers
            .values()
            .map(|broker| BrokerView {
                id: broker.id,
                alive: broker.alive,
                fenced: broker.fenced,
                is_controller: self.active_controller == Some(Node::Broker(broker.id)),
                replicas: broker
                    .replicas
                    .iter()
                    .map(|(tp, replica)| {
                        let state = if !broker.alive {
                            "offline"
                        } else if matches!(replica.role, ReplicaRole::Leader { .. }) {
                            "leader"
                        } else if replica.isr.contains(&broker.id) {
                            "follower"
                        } else {
                            "out_of_sync"
                        };
                        ReplicaView {
                            topic: tp.topic.clone(),
                            partition: tp.partition,
                            state: state.to_string(),
                            log_start_offset: replica.log.log_start_offset(),
                            log_end_offset: replica.log.log_end_offset(),
                            high_watermark: replica.high_watermark,
                            leader_epoch: replica.leader_epoch,
                            record_count: replica.log.record_count() as u64,
                            fetch_waiting_at_leader: waiting_fetches.get(&(broker.id, tp)).copied(),
                        }
                    })
                    .collect(),
            })
            .collect();
        let topics = self
            .topics
            .values()
            .map(|topic| TopicView {
                name: topic.name.clone(),
                configs: topic.config.describe(),
                partitions: topic
                    .partitions
                    .iter()
                    .enumerate()
                    .map(|(index, metadata)| {
                        let tp = TopicPartition::new(topic.name.clone(), index as u32);
                        let source = metadata
                            .leader
                            .filter(|&l| self.brokers.get(&l).is_some_and(|b| b.alive))
                            .or_else(|| {
                                metadata.replicas.iter().copied().max_by_key(|&b| {
                                    self.replica(b, &tp).map_or(0, |r| r.log.log_end_offset())
                                })
                            });
                        let replica = source.and_then(|b| self.replica(b, &tp));
                        PartitionView {
                            partition: index as u32,
                            replicas: metadata.replicas.clone(),
                            leader: metadata.leader,
                            leader_epoch: metadata.leader_epoch,
                            isr: metadata.isr.clone(),
                            log_start_offset: replica.map_or(0, |r| r.log.log_start_offset()),
                            log_end_offset: replica.map_or(0, |r| r.log.log_end_offset()),
                            high_watermark: replica.map_or(0, |r| r.high_watermark),
                            record_count: replica.map_or(0, |r| r.log.record_count() as u64),
                        }
                    })
                    .collect(),
            })
            .collect();
        let producers = self
            .producers
            .values()
            .map(|p| ProducerView {
                id: p.id,
                acks: p.config.acks.kafka_value().to_string(),
                enable_idempotence: p.config.idempotent(),
                producer_id: p.producer_id,
                in_flight: p.pending.len() as u64,
                acknowledged: p.acknowledged,
                failed: p.failed,
            })
            .collect();
        let consumers = self
            .consumers
            .values()
            .map(|c| ConsumerView {
                id: c.id,
                group: c.config.group_id.clone(),
                group_instance_id: c.config.group_instance_id.clone(),
                status: if c.closed {
                    "closed"
                } else if !c.alive {
                    "crashed"
                } else if c.task_failed.is_some() {
                    "failed"
                } else {
                    "running"
                }
                .to_string(),
                member_id: c.member_id.clone(),
                generation: c.generation,
                member_state: c.state.name().to_string(),
                subscription: c.subscription.clone(),
                assignment: c.assignment.clone(),
                positions: c.positions.iter().map(|(tp, o)| (tp.clone(), *o)).collect(),
                coordinator: c.coordinator,
                processed: c.processed,
                failures: c.failures,
                failure_rule: c.failure_rule.clone(),
                auto_commit: c.config.auto_commit(),
                assignors: c
                    .config
                    .partition_assignment_strategy
                    .iter()
                    .map(|s| s.name().to_string())
                    .collect(),
            })
            .collect();
        let in_flight = self
            .network
            .in_flight()
            .filter(|m| m.from != m.to)
            .map(|m| InFlightView {
                id: m.id,
                from: m.from,
                to: m.to,
                label: m.payload.label(),
                sent_tick: m.sent_tick,
                deliver_tick: m.deliver_tick,
            })
            .collect();
        let tail_start = self.metadata_log.len().saturating_sub(20);
        ClusterView {
            seed: self.seed,
            tick: self.tick,
            steps: self.steps,
            controller: ControllerView {
                mode: self.config.controller_mode,
                active: self.active_controller,
                epoch: self.controller_epoch,
                nodes: self
                    .controllers
                    .values()
                    .map(|c| ControllerNodeView {
                        id: c.id,
                        alive: c.alive,
                    })
                    .collect(),
                metadata_log_tail: self.metadata_log[tail_start..].to_vec(),
            },
            brokers,
            topics,
            producers,
            consumers,
            groups: self.group_views(),
            poison: self.poison.iter().cloned().collect(),
            in_flight,
            cut_links: self.network.cut_links().copied().collect(),
        }
    }

    /// Every group a consumer names or a coordinator holds, as `kafka-consumer-groups.sh
    /// --describe` shows it.
    pub fn group_views(&self) -> Vec<GroupView> {
        let names = sorted_unique(
            self.consumers
                .values()
                .filter_map(|c| c.config.group_id.clone())
                .chain(self.brokers.values().flat_map(|b| b.groups.keys().cloned()))
                .chain(self.error_policies.keys().cloned()),
        );
        let partitions = self.config.offsets_topic_num_partitions;
        names
            .into_iter()
            .map(|name| {
                let group = self.group(&name);
                let offsets = group
                    .map(|g| {
                        // Committed partitions, and assigned ones without a commit yet.
                        let mut partitions: SortedMap<TopicPartition, Option<u64>> =
                            SortedMap::from_iter(
                                g.offsets.iter().map(|(tp, &o)| (tp.clone(), Some(o))),
                            );
                        for member in g.members.values() {
                            for tp in &member.assignment {
                                partitions.entry(tp.clone()).or_insert(None);
                            }
                        }
                        partitions
                            .iter()
                            .map(|(tp, &committed)| {
                                let end_offset = self
                                    .partition_metadata(tp)
                                    .and_then(|m| m.leader)
                                    .and_then(|l| self.replica(l, tp))
                                    .map_or(0, |r| r.high_watermark);
                                GroupOffsetView {
                                    topic: tp.topic.clone(),
                                    partition: tp.partition,
                                    committed,
                                    end_offset,
                                    lag: committed.map(|c| end_offset.saturating_sub(c)),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                GroupView {
                    offsets_partition: offsets_partition_for(&name, partitions),
                    coordinator_mapping: describe_coordinator_mapping(&name, partitions),
                    coordinator: group.and(self.coordinator_of(&name)),
                    state: group.map_or("Dead", |g| g.state.name()).to_string(),
                    generation: group.map_or(0, |g| g.generation),
                    protocol: group.and_then(|g| g.protocol).map(|p| p.name().to_string()),
                    leader: group.and_then(|g| g.leader.clone()),
                    members: group
                        .map(|g| {
                            g.members
                                .values()
                                .map(|m| MemberView {
                                    member_id: m.member_id.clone(),
                                    group_instance_id: m.group_instance_id.clone(),
                                    consumer: m.consumer,
                                    assignment: m.assignment.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    offsets,
                    error_handling: self.error_policies.get(&name).cloned(),
                    group: name,
                }
            })
            .collect()
    }

    /// Up to `max` records of one replica from `offset` on, for the log strips and the
    /// inspector. Reads the whole log (not only below the HW): the UI marks the HW itself.
    pub fn records(
        &self,
        broker: BrokerId,
        partition: &TopicPartition,
        offset: u64,
        max: usize,
    ) -> Vec<Record> {
        let Some(replica) = self.replica(broker, partition) else {
            return Vec::new();
        };
        let start = offset.max(replica.log.log_start_offset());
        match replica.log.read(start, max, replica.log.log_end_offset()) {
            ReadOutcome::Records(records) => records,
            ReadOutcome::OutOfRange { .. } => Vec::new(),
        }
    }
}
