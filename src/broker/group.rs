//! The group coordinator: Kafka's classic consumer group protocol, broker side.
//!
//! Every group has one coordinator: the broker leading partition
//! `abs(javaStringHashCode(group.id)) % offsets.topic.num.partitions` of `__consumer_offsets`
//! (`GroupMetadataManager.partitionFor`). Members talk to it in rounds:
//! 1. **JoinGroup** — every member (re)joins; the group is `PreparingRebalance` until all
//!    known members have joined or the rebalance timeout runs out. The coordinator then bumps
//!    the generation, picks a leader and an assignor all members support, and answers:
//!    the leader gets every member's subscription. The group is `CompletingRebalance`.
//! 2. **SyncGroup** — the leader sends the assignment it computed; every member gets its
//!    share. The group is `Stable`.
//! 3. **Heartbeat** every `heartbeat.interval.ms`; no heartbeat for `session.timeout.ms`
//!    removes the member. A heartbeat answered `REBALANCE_IN_PROGRESS` makes it rejoin.
//!
//! Committed offsets and the group's membership are records in the compacted
//! `__consumer_offsets` topic, appended by the coordinator; a broker that becomes leader of
//! one of its partitions loads the groups from that log, which is how a coordinator moves
//! when its broker dies.

use serde_json::Value;
use std::rc::Rc;

use super::assignor::{Member, Strategy};
use super::cluster::Cluster;
use super::error::BrokerError;
use super::event::EventKind;
use super::ids::{BrokerId, Node, TopicPartition};
use super::log::Record;
use super::network::{Payload, QueueKey, Timer};
use super::partition::{CoordinatorWaiter, ParkedCommit, ParkedProduce, ReplicaRole};
use super::producer::Acks;
use super::sorted_map::{SortedMap, SortedSet};
use crate::json::{Fields, FromJson, Object, ToJson};

/// Kafka's internal topic of committed offsets and group metadata.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// `offsets.commit.timeout.ms`: how long a commit waits for the offsets partition's ISR.
pub const OFFSETS_COMMIT_TIMEOUT_MS: u64 = 5_000;

/// `group.initial.rebalance.delay.ms`: a new group waits this long for more members.
pub const GROUP_INITIAL_REBALANCE_DELAY_MS: u64 = 3_000;

/// Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in
/// wrapping 32-bit arithmetic.
///
/// ```
/// use kafka_playground::broker::group::java_string_hash_code;
/// assert_eq!(java_string_hash_code("hello"), 99_162_322);
/// assert_eq!(java_string_hash_code(""), 0);
/// ```
pub fn java_string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Kafka's `Utils.abs`: `Math.abs` except that `Integer.MIN_VALUE` maps to 0.
pub fn kafka_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// The `__consumer_offsets` partition whose leader coordinates `group`
/// (`GroupMetadataManager.partitionFor`).
///
/// ```
/// use kafka_playground::broker::group::offsets_partition_for;
/// assert_eq!(offsets_partition_for("my-group", 50), 12);
/// ```
pub fn offsets_partition_for(group: &str, offsets_topic_partitions: u32) -> u32 {
    kafka_abs(java_string_hash_code(group)) as u32 % offsets_topic_partitions
}

/// The sentence that shows a learner how the coordinator was found.
pub fn describe_coordinator_mapping(group: &str, offsets_topic_partitions: u32) -> String {
    let hash = java_string_hash_code(group);
    let partition = offsets_partition_for(group, offsets_topic_partitions);
    format!(
        "\"{group}\".hashCode() = {hash}, abs = {}, {} % {offsets_topic_partitions} = {partition}",
        kafka_abs(hash),
        kafka_abs(hash)
    )
}

/// The states of `GroupMetadata` in the classic protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// What a member sends in `JoinGroup`: its protocols and, in their metadata, its
/// subscription and the partitions it owns (cooperative rebalancing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupRequest {
    pub group: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub protocols: Vec<Strategy>,
    pub topics: Vec<String>,
    pub owned: Vec<TopicPartition>,
    pub generation: i32,
    pub session_timeout_ms: u64,
    pub rebalance_timeout_ms: u64,
}

/// A successful `JoinGroup` answer; `members` is filled only for the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupResult {
    pub generation: i32,
    pub protocol: Strategy,
    pub leader: String,
    pub member_id: String,
    pub members: Vec<Member>,
}

/// One member as the coordinator keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub consumer: u32,
    pub protocols: Vec<Strategy>,
    pub topics: Vec<String>,
    pub owned: Vec<TopicPartition>,
    pub owned_generation: i32,
    pub session_timeout_ms: u64,
    pub rebalance_timeout_ms: u64,
    pub assignment: Vec<TopicPartition>,
    /// Joined in the current round (its JoinGroup answer is parked until the round ends).
    pub joined: bool,
    /// Sent SyncGroup and waits for the leader's assignment.
    pub awaiting_sync: bool,
    pub join_order: u64,
    pub session_timer: Option<QueueKey>,
}

/// `GroupMetadata`: one group on its coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol: Option<Strategy>,
    pub leader: Option<String>,
    pub members: SortedMap<String, GroupMember>,
    /// Member ids handed out with `MEMBER_ID_REQUIRED`, not yet joined (KIP-394).
    pub pending_members: SortedSet<String>,
    pub offsets: SortedMap<TopicPartition, u64>,
    pub initial_delay_timer: Option<QueueKey>,
    pub rebalance_timer: Option<QueueKey>,
    pub next_join_order: u64,
}

impl Group {
    fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol: None,
            leader: None,
            members: SortedMap::new(),
            pending_members: SortedSet::new(),
            offsets: SortedMap::new(),
            initial_delay_timer: None,
            rebalance_timer: None,
            next_join_order: 0,
        }
    }

    fn member_for_instance(&self, instance: &str) -> Option<String> {
        self.members
            .values()
            .find(|m| m.group_instance_id.as_deref() == Some(instance))
            .map(|m| m.member_id.clone())
    }

    /// The assignors every member supports, in the order of the first member's preference.
    fn common_protocols(&self, extra: Option<&[Strategy]>) -> Vec<Strategy> {
        let first = match extra {
            Some(list) => list,
            None => self
                .members
                .values()
                .next()
                .map_or(&[][..], |m| &m.protocols[..]),
        };
        first
            .iter()
            .copied()
            .filter(|s| self.members.values().all(|m| m.protocols.contains(s)))
            .collect()
    }

    /// This generation's JoinGroup answer for `member_id`; only the leader gets every
    /// member's subscription.
    fn join_result(&self, member_id: &str) -> JoinGroupResult {
        let leader = self.leader.clone().unwrap_or_default();
        let members = if leader == member_id {
            self.members
                .values()
                .map(|m| Member {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    topics: m.topics.clone(),
                    owned: m.owned.clone(),
                    generation: Some(m.owned_generation),
                })
                .collect()
        } else {
            Vec::new()
        };
        JoinGroupResult {
            generation: self.generation,
            protocol: self.protocol.unwrap_or(Strategy::Range),
            leader,
            member_id: member_id.to_string(),
            members,
        }
    }

    /// Kafka's `selectProtocol`: every member votes for its most preferred protocol among
    /// the common ones; the most votes win (ties: the earlier candidate).
    fn select_protocol(&self) -> Option<Strategy> {
        let candidates = self.common_protocols(None);
        let mut best: Option<(Strategy, usize)> = None;
        for candidate in &candidates {
            let votes = self
                .members
                .values()
                .filter(|m| m.protocols.iter().find(|p| candidates.contains(p)) == Some(candidate))
                .count();
            if best.is_none_or(|(_, b)| votes > b) {
                best = Some((*candidate, votes));
            }
        }
        best.map(|(s, _)| s)
    }
}

/// A record key in `__consumer_offsets`, written as JSON so a learner can read it:
/// `{"type":"offset","group":"billing","topic":"orders","partition":0}` or
/// `{"type":"group","group":"billing"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OffsetsKey {
    /// `OffsetCommitKey`.
    Offset {
        group: String,
        topic: String,
        partition: u32,
    },
    /// `GroupMetadataKey`.
    Group { group: String },
}

/// `{"offset":6,"commit_tick":5017}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OffsetCommitValue {
    offset: u64,
    commit_tick: u64,
}

/// The group's generation, protocol, leader and members.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupMetadataValue {
    generation: i32,
    protocol: Option<Strategy>,
    leader: Option<String>,
    members: Vec<StoredMember>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredMember {
    member_id: String,
    group_instance_id: Option<String>,
    consumer: u32,
    protocols: Vec<Strategy>,
    topics: Vec<String>,
    assignment: Vec<TopicPartition>,
    session_timeout_ms: u64,
    rebalance_timeout_ms: u64,
}

impl ToJson for OffsetsKey {
    fn write_json(&self, out: &mut String) {
        match self {
            OffsetsKey::Offset {
                group,
                topic,
                partition,
            } => Object::tagged(out, "offset")
                .field("group", group)
                .field("topic", topic)
                .field("partition", partition)
                .end(),
            OffsetsKey::Group { group } => Object::tagged(out, "group").field("group", group).end(),
        }
    }
}

impl FromJson for OffsetsKey {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = Fields::of(value, "an offsets key")?;
        Ok(match fields.tag(&["offset", "group"])? {
            "offset" => OffsetsKey::Offset {
                group: fields.required("group")?,
                topic: fields.required("topic")?,
                partition: fields.required("partition")?,
            },
            _ => OffsetsKey::Group {
                group: fields.required("group")?,
            },
        })
    }
}

impl ToJson for OffsetCommitValue {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("offset", &self.offset)
            .field("commit_tick", &self.commit_tick)
            .end();
    }
}

impl FromJson for OffsetCommitValue {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = Fields::of(value, "an offset commit")?;
        Ok(OffsetCommitValue {
            offset: fields.required("offset")?,
            commit_tick: fields.required("commit_tick")?,
        })
    }
}

impl ToJson for GroupMetadataValue {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("generation", &self.generation)
            .field("protocol", &self.protocol)
            .field("leader", &self.leader)
            .field("members", &self.members)
            .end();
    }
}

impl FromJson for GroupMetadataValue {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = Fields::of(value, "group metadata")?;
        Ok(GroupMetadataValue {
            generation: fields.required("generation")?,
            protocol: fields.required("protocol")?,
            leader: fields.required("leader")?,
            members: fields.required("members")?,
        })
    }
}

impl ToJson for StoredMember {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("member_id", &self.member_id)
            .field("group_instance_id", &self.group_instance_id)
            .field("consumer", &self.consumer)
            .field("protocols", &self.protocols)
            .field("topics", &self.topics)
            .field("assignment", &self.assignment)
            .field("session_timeout_ms", &self.session_timeout_ms)
            .field("rebalance_timeout_ms", &self.rebalance_timeout_ms)
            .end();
    }
}

impl FromJson for StoredMember {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = Fields::of(value, "a stored member")?;
        Ok(StoredMember {
            member_id: fields.required("member_id")?,
            group_instance_id: fields.required("group_instance_id")?,
            consumer: fields.required("consumer")?,
            protocols: fields.required("protocols")?,
            topics: fields.required("topics")?,
            assignment: fields.required("assignment")?,
            session_timeout_ms: fields.required("session_timeout_ms")?,
            rebalance_timeout_ms: fields.required("rebalance_timeout_ms")?,
        })
    }
}

/// A record's key or value read back, if it is one of the coordinator's (a record a
/// learner produced into `__consumer_offsets` by hand is not, and is skipped).
fn read_record<T: FromJson>(text: &str) -> Option<T> {
    let value: Value = serde_json::from_str(text).ok()?;
    T::from_json(&value).ok()
}

fn offsets_partition(cluster: &Cluster, group: &str) -> TopicPartition {
    TopicPartition::new(
        OFFSETS_TOPIC,
        offsets_partition_for(group, cluster.config.offsets_topic_num_partitions),
    )
}

impl Cluster {
    /// The broker that coordinates `group` now (the leader of its offsets partition), if any.
    pub fn coordinator_of(&self, group: &str) -> Option<BrokerId> {
        let partition = offsets_partition(self, group);
        self.partition_metadata(&partition)?.leader
    }

    /// The group as its coordinator holds it in memory.
    pub fn group(&self, group: &str) -> Option<&Group> {
        let broker = self.coordinator_of(group)?;
        let node = self.brokers.get(&broker).filter(|b| b.alive)?;
        node.groups.get(group)
    }

    /// Creates `__consumer_offsets` the first time a group needs a coordinator, as Kafka
    /// does on the first `FindCoordinator` (`offsets.topic.replication.factor`, default 3,
    /// capped at the live brokers).
    pub(crate) fn ensure_offsets_topic(&mut self) -> Result<(), BrokerError> {
        if self.topics.contains_key(OFFSETS_TOPIC) {
            return Ok(());
        }
        let live = self
            .brokers
            .values()
            .filter(|b| b.alive && !b.fenced)
            .count() as u32;
        let replication_factor = 3.min(live.max(1));
        let configs = SortedMap::from([
            ("cleanup.policy".to_string(), "compact".to_string()),
            ("segment.bytes".to_string(), "104857600".to_string()),
        ]);
        self.create_topic(
            OFFSETS_TOPIC.to_string(),
            self.config.offsets_topic_num_partitions,
            replication_factor,
            &configs,
        )
    }

    fn coordinator_error(&self, broker: BrokerId, group: &str) -> Option<BrokerError> {
        let partition = offsets_partition(self, group);
        let leads = self
            .replica(broker, &partition)
            .is_some_and(|r| r.is_leader());
        (!leads).then(|| BrokerError::NotCoordinator {
            group: group.to_string(),
            broker,
        })
    }

    fn group_mut(&mut self, broker: BrokerId, group: &str) -> Option<&mut Group> {
        self.brokers.get_mut(&broker)?.groups.get_mut(group)
    }

    // ----- FindCoordinator ----------------------------------------------------------------

    pub(crate) fn broker_handle_find_coordinator(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        group: String,
    ) {
        let result = match self.ensure_offsets_topic() {
            Err(_) => Err(BrokerError::CoordinatorNotAvailable {
                group: group.clone(),
            }),
            Ok(()) => self
                .coordinator_of(&group)
                .filter(|&b| self.broker_eligible(b))
                .ok_or(BrokerError::CoordinatorNotAvailable {
                    group: group.clone(),
                }),
        };
        self.send_to_consumer(
            broker,
            consumer,
            Payload::FindCoordinatorResponse { group, result },
        );
    }

    // ----- JoinGroup ----------------------------------------------------------------------

    pub(crate) fn coordinator_handle_join(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        request: JoinGroupRequest,
    ) {
        let group_id = request.group.clone();
        let reply = |cluster: &mut Cluster, result: Result<JoinGroupResult, BrokerError>| {
            cluster.send_to_consumer(
                broker,
                consumer,
                Payload::JoinGroupResponse {
                    group: group_id.clone(),
                    result,
                },
            );
        };
        if let Some(error) = self.coordinator_error(broker, &request.group) {
            reply(self, Err(error));
            return;
        }
        let node = self.brokers.get_mut(&broker).expect("a live broker");
        let group = node
            .groups
            .entry(request.group.clone())
            .or_insert_with(|| Group::new(&request.group));
        if !group.members.is_empty() && group.common_protocols(Some(&request.protocols)).is_empty()
        {
            reply(
                self,
                Err(BrokerError::InconsistentGroupProtocol {
                    group: request.group.clone(),
                }),
            );
            return;
        }
        let mut member_id = request.member_id.clone();
        let mut replaced_static = None;
        if member_id.is_empty() {
            let new_id = self.new_member_id(consumer);
            let group = self.group_mut(broker, &request.group).expect("just made");
            match &request.group_instance_id {
                // KIP-345: a static member gets its id at once; a known instance replaces
                // its old member id and keeps its assignment.
                Some(instance) => {
                    replaced_static = group.member_for_instance(instance);
                    member_id = new_id;
                }
                // KIP-394: a dynamic member must come back with the id it is given.
                None => {
                    group.pending_members.insert(new_id.clone());
                    reply(
                        self,
                        Err(BrokerError::MemberIdRequired { member_id: new_id }),
                    );
                    return;
                }
            }
        } else {
            let group = self.group_mut(broker, &request.group).expect("just made");
            let known =
                group.members.contains_key(&member_id) || group.pending_members.remove(&member_id);
            if !known {
                reply(
                    self,
                    Err(BrokerError::UnknownMemberId {
                        group: request.group.clone(),
                        member_id,
                    }),
                );
                return;
            }
        }
        let group = self.group_mut(broker, &request.group).expect("just made");
        if let Some(old_id) = &replaced_static {
            if let Some(mut old) = group.members.remove(old_id) {
                if let Some(timer) = old.session_timer.take() {
                    self.network.cancel(timer);
                }
                let group = self.group_mut(broker, &request.group).expect("exists");
                old.member_id = member_id.clone();
                old.consumer = consumer;
                if group.leader.as_deref() == Some(old_id) {
                    group.leader = Some(member_id.clone());
                }
                let unchanged = old.topics == request.topics;
                group.members.insert(member_id.clone(), old);
                if group.state == GroupState::Stable && unchanged {
                    let result = group.join_result(&member_id);
                    let text = format!(
                        "static member {} rejoins group {} as {member_id}: it keeps its assignment, no rebalance",
                        request.group_instance_id.as_deref().unwrap_or(""),
                        request.group
                    );
                    self.emit(
                        EventKind::MemberJoined {
                            group: request.group.clone(),
                            member_id: member_id.clone(),
                            consumer,
                        },
                        text,
                    );
                    self.coordinator_reset_session(broker, &request.group, &member_id);
                    reply(self, Ok(result));
                    return;
                }
            }
        }
        // A known member joining with the metadata it joined with does not start another
        // round: in CompletingRebalance it gets this generation's answer again, in Stable
        // too unless it leads (`GroupCoordinator.updateMemberAndRebalance` only on a change).
        let group = self.group_mut(broker, &request.group).expect("exists");
        if let Some(existing) = group.members.get(&member_id) {
            let unchanged = existing.protocols == request.protocols
                && existing.topics == request.topics
                && existing.owned == request.owned;
            let is_leader = group.leader.as_deref() == Some(member_id.as_str());
            let answer_now = unchanged
                && match group.state {
                    GroupState::CompletingRebalance => true,
                    GroupState::Stable => !is_leader,
                    _ => false,
                };
            if answer_now {
                let result = group.join_result(&member_id);
                self.coordinator_reset_session(broker, &request.group, &member_id);
                reply(self, Ok(result));
                return;
            }
        }
        let group = self.group_mut(broker, &request.group).expect("exists");
        let order = group.next_join_order;
        group.next_join_order += 1;
        let previous = group.members.get(&member_id).cloned();
        let member = GroupMember {
            member_id: member_id.clone(),
            group_instance_id: request.group_instance_id.clone(),
            consumer,
            protocols: request.protocols.clone(),
            topics: request.topics.clone(),
            owned: request.owned.clone(),
            owned_generation: request.generation,
            session_timeout_ms: request.session_timeout_ms,
            rebalance_timeout_ms: request.rebalance_timeout_ms,
            assignment: previous
                .as_ref()
                .map(|m| m.assignment.clone())
                .unwrap_or_default(),
            joined: true,
            awaiting_sync: false,
            join_order: previous.as_ref().map_or(order, |m| m.join_order),
            session_timer: previous.and_then(|m| m.session_timer),
        };
        group.members.insert(member_id.clone(), member);
        let state = group.state;
        self.emit(
            EventKind::MemberJoined {
                group: request.group.clone(),
                member_id: member_id.clone(),
                consumer,
            },
            format!(
                "coordinator broker {broker} adds {member_id} (consumer {consumer}) to the round of group {}",
                request.group
            ),
        );
        self.coordinator_reset_session(broker, &request.group, &member_id);
        match state {
            GroupState::PreparingRebalance => {}
            _ => self.coordinator_prepare_rebalance(
                broker,
                &request.group,
                Some(&member_id),
                &format!("{member_id} joined"),
            ),
        }
        self.coordinator_maybe_complete_join(broker, &request.group);
    }

    fn new_member_id(&mut self, consumer: u32) -> String {
        // `clientId-UUID`, like Kafka's; the UUID comes from the seeded generator.
        let high = self.member_rng.next_u64();
        let low = self.member_rng.next_u64();
        format!(
            "consumer-{consumer}-{:08x}-{:04x}-{:04x}",
            high >> 32,
            (high >> 16) & 0xffff,
            low & 0xffff
        )
    }

    fn set_group_state(&mut self, broker: BrokerId, group: &str, state: GroupState, why: &str) {
        let Some(g) = self.group_mut(broker, group) else {
            return;
        };
        if g.state == state {
            return;
        }
        g.state = state;
        let generation = g.generation;
        self.emit(
            EventKind::GroupStateChanged {
                group: group.to_string(),
                state: state.name().to_string(),
                generation,
            },
            format!(
                "group {group} is now {} (generation {generation}): {why}",
                state.name()
            ),
        );
    }

    fn coordinator_prepare_rebalance(
        &mut self,
        broker: BrokerId,
        group: &str,
        keep: Option<&str>,
        reason: &str,
    ) {
        let Some(g) = self.group_mut(broker, group) else {
            return;
        };
        let was = g.state;
        // Members waiting in SyncGroup learn the round is over.
        let waiting: Vec<u32> = g
            .members
            .values_mut()
            .filter_map(|m| std::mem::replace(&mut m.awaiting_sync, false).then_some(m.consumer))
            .collect();
        let rebalance_timeout = g
            .members
            .values()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(300_000);
        // Everyone must join this round again, except the member whose join started it.
        if was != GroupState::PreparingRebalance {
            for member in g.members.values_mut() {
                member.joined = Some(member.member_id.as_str()) == keep;
            }
        }
        let old_timers = [g.initial_delay_timer.take(), g.rebalance_timer.take()];
        for timer in old_timers.into_iter().flatten() {
            self.network.cancel(timer);
        }
        for consumer in waiting {
            self.send_to_consumer(
                broker,
                consumer,
                Payload::SyncGroupResponse {
                    group: group.to_string(),
                    result: Err(BrokerError::RebalanceInProgress {
                        group: group.to_string(),
                    }),
                },
            );
        }
        let timer = if was == GroupState::Empty {
            Some(self.set_timer(
                Node::Broker(broker),
                GROUP_INITIAL_REBALANCE_DELAY_MS,
                Timer::InitialRebalanceDelay {
                    broker,
                    group: group.to_string(),
                },
            ))
        } else {
            None
        };
        let rebalance_timer = self.set_timer(
            Node::Broker(broker),
            rebalance_timeout,
            Timer::RebalanceTimeout {
                broker,
                group: group.to_string(),
            },
        );
        let g = self.group_mut(broker, group).expect("exists");
        g.initial_delay_timer = timer;
        g.rebalance_timer = Some(rebalance_timer);
        let why = if was == GroupState::Empty {
            format!("{reason}; it waits group.initial.rebalance.delay.ms = {GROUP_INITIAL_REBALANCE_DELAY_MS} ms for more members")
        } else {
            format!("{reason}; members rejoin when their next heartbeat is answered REBALANCE_IN_PROGRESS")
        };
        self.set_group_state(broker, group, GroupState::PreparingRebalance, &why);
    }

    fn coordinator_maybe_complete_join(&mut self, broker: BrokerId, group: &str) {
        let Some(g) = self.group_mut(broker, group) else {
            return;
        };
        if g.state == GroupState::PreparingRebalance
            && g.initial_delay_timer.is_none()
            && g.members.values().all(|m| m.joined)
        {
            self.coordinator_complete_join(broker, group);
        }
    }

    /// Ends the join round: members that did not rejoin are dropped, the generation is
    /// bumped, a protocol and a leader chosen, and every parked JoinGroup answered.
    fn coordinator_complete_join(&mut self, broker: BrokerId, group: &str) {
        let Some(g) = self.group_mut(broker, group) else {
            return;
        };
        let dropped: Vec<GroupMember> = {
            let ids: Vec<String> = g
                .members
                .values()
                .filter(|m| !m.joined)
                .map(|m| m.member_id.clone())
                .collect();
            ids.iter().filter_map(|id| g.members.remove(id)).collect()
        };
        if let Some(timer) = g.rebalance_timer.take() {
            self.network.cancel(timer);
        }
        for member in dropped {
            if let Some(timer) = member.session_timer {
                self.network.cancel(timer);
            }
            self.emit(
                EventKind::MemberRemoved {
                    group: group.to_string(),
                    member_id: member.member_id.clone(),
                    reason: "did not rejoin within the rebalance timeout".into(),
                },
                format!(
                    "group {group} drops {}: it did not rejoin within the rebalance timeout",
                    member.member_id
                ),
            );
        }
        let g = self.group_mut(broker, group).expect("exists");
        g.generation += 1;
        if g.members.is_empty() {
            g.protocol = None;
            g.leader = None;
            self.set_group_state(broker, group, GroupState::Empty, "no members are left");
            self.coordinator_store_group(broker, group, None);
            return;
        }
        g.protocol = g.select_protocol();
        let leader_still_here = g.leader.as_ref().is_some_and(|l| g.members.contains_key(l));
        if !leader_still_here {
            g.leader = g
                .members
                .values()
                .min_by_key(|m| m.join_order)
                .map(|m| m.member_id.clone());
        }
        let protocol = g.protocol.unwrap_or(Strategy::Range);
        let leader = g.leader.clone().unwrap_or_default();
        let answers: Vec<(u32, JoinGroupResult)> = g
            .members
            .values()
            .map(|m| (m.consumer, g.join_result(&m.member_id)))
            .collect();
        for member in g.members.values_mut() {
            member.joined = false;
        }
        let member_count = answers.len();
        self.set_group_state(
            broker,
            group,
            GroupState::CompletingRebalance,
            &format!(
                "{member_count} member{} joined; leader {leader}, assignor {}",
                if member_count == 1 { "" } else { "s" },
                protocol.name()
            ),
        );
        for (consumer, result) in answers {
            self.send_to_consumer(
                broker,
                consumer,
                Payload::JoinGroupResponse {
                    group: group.to_string(),
                    result: Ok(result),
                },
            );
        }
    }

    // ----- SyncGroup ----------------------------------------------------------------------

    pub(crate) fn coordinator_handle_sync(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        group: String,
        generation: i32,
        member_id: String,
        assignments: SortedMap<String, Vec<TopicPartition>>,
    ) {
        let reply = |cluster: &mut Cluster, result: Result<Vec<TopicPartition>, BrokerError>| {
            cluster.send_to_consumer(
                broker,
                consumer,
                Payload::SyncGroupResponse {
                    group: group.clone(),
                    result,
                },
            );
        };
        if let Some(error) = self.coordinator_error(broker, &group) {
            reply(self, Err(error));
            return;
        }
        if let Err(error) = self.check_member(broker, &group, &member_id, generation) {
            reply(self, Err(error));
            return;
        }
        let g = self.group_mut(broker, &group).expect("checked");
        match g.state {
            GroupState::PreparingRebalance => {
                let error = BrokerError::RebalanceInProgress {
                    group: group.clone(),
                };
                reply(self, Err(error));
            }
            GroupState::Stable => {
                let assignment = g.members[&member_id].assignment.clone();
                reply(self, Ok(assignment));
            }
            GroupState::CompletingRebalance => {
                g.members
                    .get_mut(&member_id)
                    .expect("checked")
                    .awaiting_sync = true;
                if g.leader.as_deref() != Some(member_id.as_str()) {
                    return; // parked until the leader's assignment arrives
                }
                for (id, assignment) in assignments {
                    if let Some(m) = g.members.get_mut(&id) {
                        m.assignment = assignment;
                    }
                }
                // The assignment counts once the group's record is replicated
                // (`GroupMetadataManager.storeGroup`); the members wait until then.
                let waiter = CoordinatorWaiter::GroupSync {
                    group: group.clone(),
                    generation: g.generation,
                };
                self.coordinator_store_group(broker, &group, Some(waiter));
            }
            GroupState::Empty | GroupState::Dead => {
                let error = BrokerError::UnknownMemberId {
                    group: group.clone(),
                    member_id,
                };
                reply(self, Err(error));
            }
        }
    }

    fn check_member(
        &self,
        broker: BrokerId,
        group: &str,
        member_id: &str,
        generation: i32,
    ) -> Result<(), BrokerError> {
        let Some(g) = self.brokers[&broker]
            .groups
            .get(group)
            .filter(|g| g.members.contains_key(member_id))
        else {
            return Err(BrokerError::UnknownMemberId {
                group: group.to_string(),
                member_id: member_id.to_string(),
            });
        };
        if generation != g.generation {
            return Err(BrokerError::IllegalGeneration {
                group: group.to_string(),
                generation,
                current: g.generation,
            });
        }
        Ok(())
    }

    // ----- Heartbeat, LeaveGroup, session timeouts ---------------------------------------

    pub(crate) fn coordinator_handle_heartbeat(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        group: String,
        generation: i32,
        member_id: String,
    ) {
        let error = self.coordinator_error(broker, &group).or_else(|| {
            self.check_member(broker, &group, &member_id, generation)
                .err()
                .or_else(|| {
                    let g = &self.brokers[&broker].groups[&group];
                    (g.state == GroupState::PreparingRebalance).then(|| {
                        BrokerError::RebalanceInProgress {
                            group: group.clone(),
                        }
                    })
                })
        });
        if !matches!(
            error,
            Some(BrokerError::NotCoordinator { .. } | BrokerError::UnknownMemberId { .. })
        ) {
            self.coordinator_reset_session(broker, &group, &member_id);
        }
        self.send_to_consumer(
            broker,
            consumer,
            Payload::HeartbeatResponse { group, error },
        );
    }

    pub(crate) fn coordinator_handle_leave(
        &mut self,
        broker: BrokerId,
        group: String,
        member_id: String,
    ) {
        if self.coordinator_error(broker, &group).is_some() {
            return;
        }
        self.coordinator_remove_member(
            broker,
            &group,
            &member_id,
            "it left the group (LeaveGroup)",
        );
    }

    pub(crate) fn coordinator_session_expired(
        &mut self,
        broker: BrokerId,
        group: String,
        member_id: String,
    ) {
        let Some(member) = self
            .group_mut(broker, &group)
            .and_then(|g| g.members.get_mut(&member_id))
        else {
            return;
        };
        member.session_timer = None;
        let timeout = member.session_timeout_ms;
        self.emit(
            EventKind::TimerFired {
                node: Node::Broker(broker),
                label: format!("session timeout of {member_id}"),
            },
            format!("coordinator broker {broker} has had no heartbeat from {member_id} for session.timeout.ms = {timeout} ms"),
        );
        self.coordinator_remove_member(broker, &group, &member_id, "its session timed out");
    }

    fn coordinator_remove_member(
        &mut self,
        broker: BrokerId,
        group: &str,
        member_id: &str,
        reason: &str,
    ) {
        let Some(g) = self.group_mut(broker, group) else {
            return;
        };
        let Some(member) = g.members.remove(member_id) else {
            return;
        };
        if let Some(timer) = member.session_timer {
            self.network.cancel(timer);
        }
        self.emit(
            EventKind::MemberRemoved {
                group: group.to_string(),
                member_id: member_id.to_string(),
                reason: reason.to_string(),
            },
            format!("group {group} removes {member_id}: {reason}"),
        );
        let g = self.group_mut(broker, group).expect("exists");
        match g.state {
            GroupState::PreparingRebalance => self.coordinator_maybe_complete_join(broker, group),
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.coordinator_prepare_rebalance(
                    broker,
                    group,
                    None,
                    &format!("{member_id} is gone"),
                );
                self.coordinator_maybe_complete_join(broker, group);
            }
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    fn coordinator_reset_session(&mut self, broker: BrokerId, group: &str, member_id: &str) {
        let Some(member) = self
            .group_mut(broker, group)
            .and_then(|g| g.members.get_mut(member_id))
        else {
            return;
        };
        let old = member.session_timer.take();
        let timeout = member.session_timeout_ms;
        if let Some(timer) = old {
            self.network.cancel(timer);
        }
        let timer = self.set_timer(
            Node::Broker(broker),
            timeout,
            Timer::MemberSessionExpired {
                broker,
                group: group.to_string(),
                member_id: member_id.to_string(),
            },
        );
        if let Some(member) = self
            .group_mut(broker, group)
            .and_then(|g| g.members.get_mut(member_id))
        {
            member.session_timer = Some(timer);
        }
    }

    pub(crate) fn coordinator_join_timer(
        &mut self,
        broker: BrokerId,
        group: String,
        initial: bool,
    ) {
        let Some(g) = self.group_mut(broker, &group) else {
            return;
        };
        if initial {
            g.initial_delay_timer = None;
            self.coordinator_maybe_complete_join(broker, &group);
        } else {
            g.rebalance_timer = None;
            if g.state == GroupState::PreparingRebalance {
                self.emit(
                    EventKind::TimerFired {
                        node: Node::Broker(broker),
                        label: format!("rebalance timeout of {group}"),
                    },
                    format!("the rebalance timeout of group {group} is over: members that did not rejoin are dropped"),
                );
                self.coordinator_complete_join(broker, &group);
            }
        }
    }

    /// `DeleteGroups`, applied by the coordinator at once: the group must have no members;
    /// its offsets and metadata get tombstones in `__consumer_offsets` and it is `Dead`.
    pub(crate) fn delete_group(&mut self, group: String) -> Result<(), BrokerError> {
        let broker = self
            .coordinator_of(&group)
            .filter(|&b| self.broker_eligible(b) && self.coordinator_error(b, &group).is_none())
            .ok_or(BrokerError::CoordinatorNotAvailable {
                group: group.clone(),
            })?;
        let g = self.brokers[&broker]
            .groups
            .get(&group)
            .filter(|g| g.state != GroupState::Dead)
            .ok_or(BrokerError::GroupIdNotFound {
                group: group.clone(),
            })?;
        if !g.members.is_empty() {
            return Err(BrokerError::NonEmptyGroup { group });
        }
        let mut tombstones: Vec<(String, Option<String>)> = g
            .offsets
            .keys()
            .map(|tp| {
                let key = OffsetsKey::Offset {
                    group: group.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                };
                (key.to_json_string(), None)
            })
            .collect();
        tombstones.push((
            OffsetsKey::Group {
                group: group.clone(),
            }
            .to_json_string(),
            None,
        ));
        let timers: Vec<QueueKey> = g
            .initial_delay_timer
            .into_iter()
            .chain(g.rebalance_timer)
            .collect();
        for timer in timers {
            self.network.cancel(timer);
        }
        self.emit(
            EventKind::GroupDeleted {
                group: group.clone(),
            },
            format!(
                "coordinator broker {broker} deletes group {group}: its committed offsets and metadata get tombstones"
            ),
        );
        self.set_group_state(broker, &group, GroupState::Dead, "it was deleted");
        self.coordinator_append(broker, &group, tombstones);
        self.brokers
            .get_mut(&broker)
            .expect("live")
            .groups
            .remove(&group);
        Ok(())
    }

    // ----- offsets --------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn coordinator_handle_commit(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        group: String,
        generation: i32,
        member_id: String,
        offsets: Vec<(TopicPartition, u64)>,
        request_id: u64,
    ) {
        if let Err(error) = self.coordinator_check_commit(broker, &group, generation, &member_id) {
            let commit = ParkedCommit {
                consumer,
                group,
                offsets,
            };
            self.coordinator_answer_commit(broker, commit, request_id, Err(error));
            return;
        }
        {
            let now = self.tick;
            let records: Vec<(String, Option<String>)> = offsets
                .iter()
                .map(|(tp, offset)| {
                    let key = OffsetsKey::Offset {
                        group: group.clone(),
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                    };
                    let value = OffsetCommitValue {
                        offset: *offset,
                        commit_tick: now,
                    };
                    (key.to_json_string(), Some(value.to_json_string()))
                })
                .collect();
            let commit = ParkedCommit {
                consumer,
                group: group.clone(),
                offsets,
            };
            self.coordinator_append_then(
                broker,
                &group,
                records,
                Some((CoordinatorWaiter::Commit(commit), request_id)),
            );
        }
    }

    /// The commit is replicated (or failed): the group's offsets take it, the member hears.
    pub(crate) fn coordinator_answer_commit(
        &mut self,
        broker: BrokerId,
        commit: ParkedCommit,
        request_id: u64,
        result: Result<(), BrokerError>,
    ) {
        if result.is_ok() {
            if let Some(node) = self.brokers.get_mut(&broker) {
                let g = node
                    .groups
                    .entry(commit.group.clone())
                    .or_insert_with(|| Group::new(&commit.group));
                for (tp, offset) in &commit.offsets {
                    g.offsets.insert(tp.clone(), *offset);
                }
            }
        }
        // A coordinator that lost the partition answers NOT_COORDINATOR.
        let result = result.map_err(|error| match error {
            BrokerError::NotLeaderOrFollower { .. } => BrokerError::NotCoordinator {
                group: commit.group.clone(),
                broker,
            },
            other => other,
        });
        self.send_to_consumer(
            broker,
            commit.consumer,
            Payload::OffsetCommitResponse {
                group: commit.group,
                request_id,
                offsets: commit.offsets,
                result,
            },
        );
    }

    fn coordinator_check_commit(
        &self,
        broker: BrokerId,
        group: &str,
        generation: i32,
        member_id: &str,
    ) -> Result<(), BrokerError> {
        if let Some(error) = self.coordinator_error(broker, group) {
            return Err(error);
        }
        let g = self.brokers[&broker].groups.get(group);
        // A consumer without group management (assign()) commits with generation -1.
        if generation < 0 && member_id.is_empty() {
            return match g {
                Some(g) if !g.members.is_empty() => Err(BrokerError::UnknownMemberId {
                    group: group.to_string(),
                    member_id: String::new(),
                }),
                _ => Ok(()),
            };
        }
        self.check_member(broker, group, member_id, generation)?;
        if g.is_some_and(|g| g.state == GroupState::CompletingRebalance) {
            return Err(BrokerError::RebalanceInProgress {
                group: group.to_string(),
            });
        }
        Ok(())
    }

    pub(crate) fn coordinator_handle_offset_fetch(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        group: String,
        partitions: Vec<TopicPartition>,
    ) {
        let result = match self.coordinator_error(broker, &group) {
            Some(error) => Err(error),
            None => {
                let g = self.brokers[&broker].groups.get(&group);
                Ok(partitions
                    .into_iter()
                    .map(|tp| {
                        let committed = g.and_then(|g| g.offsets.get(&tp).copied());
                        (tp, committed)
                    })
                    .collect())
            }
        };
        self.send_to_consumer(
            broker,
            consumer,
            Payload::OffsetFetchResponse { group, result },
        );
    }

    /// Writes the group's membership (`GroupMetadataValue`) after each completed round.
    fn coordinator_store_group(
        &mut self,
        broker: BrokerId,
        group: &str,
        waiter: Option<CoordinatorWaiter>,
    ) {
        let Some(g) = self.brokers.get(&broker).and_then(|b| b.groups.get(group)) else {
            return;
        };
        let value = GroupMetadataValue {
            generation: g.generation,
            protocol: g.protocol,
            leader: g.leader.clone(),
            members: g
                .members
                .values()
                .map(|m| StoredMember {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    consumer: m.consumer,
                    protocols: m.protocols.clone(),
                    topics: m.topics.clone(),
                    assignment: m.assignment.clone(),
                    session_timeout_ms: m.session_timeout_ms,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                })
                .collect(),
        };
        let key = OffsetsKey::Group {
            group: group.to_string(),
        };
        let request_id = self.next_request_id();
        self.coordinator_append_then(
            broker,
            group,
            vec![(key.to_json_string(), Some(value.to_json_string()))],
            waiter.map(|w| (w, request_id)),
        );
    }

    /// Appends records to the group's `__consumer_offsets` partition on the coordinator,
    /// which replicates like any other partition.
    fn coordinator_append(
        &mut self,
        broker: BrokerId,
        group: &str,
        records: Vec<(String, Option<String>)>,
    ) {
        self.coordinator_append_then(broker, group, records, None);
    }

    /// Appends, and parks `waiter` (if any) in the produce purgatory until the high
    /// watermark passes the records.
    fn coordinator_append_then(
        &mut self,
        broker: BrokerId,
        group: &str,
        records: Vec<(String, Option<String>)>,
        waiter: Option<(CoordinatorWaiter, u64)>,
    ) {
        let partition = offsets_partition(self, group);
        let config = self.topic_config(OFFSETS_TOPIC);
        let now = self.tick;
        let Some(replica) = self.replica_mut(broker, &partition) else {
            if let Some((waiter, request_id)) = waiter {
                let error = BrokerError::NotCoordinator {
                    group: group.to_string(),
                    broker,
                };
                self.coordinator_waiter_done(broker, waiter, request_id, Err(error));
            }
            return;
        };
        let leader_epoch = replica.leader_epoch;
        let mut range = None;
        for (key, value) in records {
            let record = Record {
                offset: 0,
                timestamp: now,
                key: Some(key),
                value,
                headers: Vec::new(),
                producer_id: None,
                producer_epoch: 0,
                sequence: -1,
                leader_epoch: 0,
            };
            let offset = Rc::make_mut(&mut replica.log).append_as_leader(
                &record,
                leader_epoch,
                now,
                &config,
            );
            let (first, _) = range.get_or_insert((offset, offset));
            range = Some((*first, offset));
        }
        if let Some((first, last)) = range {
            self.records_written += last - first + 1;
        }
        if let Some((offset, last_offset)) = range {
            self.emit(
                EventKind::RecordAppended {
                    broker,
                    partition: partition.clone(),
                    offset,
                    last_offset,
                    leader_epoch,
                    as_leader: true,
                },
                format!(
                    "coordinator broker {broker} writes {} to {partition}",
                    super::producer::describe_offsets(offset, last_offset)
                ),
            );
            if let Some((waiter, request_id)) = waiter {
                self.coordinator_park(
                    broker,
                    &partition,
                    (offset, last_offset),
                    waiter,
                    request_id,
                );
            }
            self.leader_after_append(broker, &partition);
        } else if let Some((waiter, request_id)) = waiter {
            self.coordinator_waiter_done(broker, waiter, request_id, Ok(()));
        }
    }

    /// The waiter goes on once every in-sync replica has the records, or fails after
    /// `offsets.commit.timeout.ms` (5000).
    fn coordinator_park(
        &mut self,
        broker: BrokerId,
        partition: &TopicPartition,
        (offset, last_offset): (u64, u64),
        waiter: CoordinatorWaiter,
        request_id: u64,
    ) {
        let timeout_timer = self.set_timer(
            Node::Broker(broker),
            OFFSETS_COMMIT_TIMEOUT_MS,
            Timer::ProducePurgatoryTimeout {
                broker,
                partition: partition.clone(),
                request_id,
                producer: 0,
            },
        );
        if let Some(ReplicaRole::Leader {
            parked_produces, ..
        }) = self.replica_mut(broker, partition).map(|r| &mut r.role)
        {
            super::partition::park_in_offset_order(
                parked_produces,
                ParkedProduce {
                    producer: 0,
                    request_id,
                    offset,
                    last_offset,
                    acks: Acks::All,
                    timeout_timer,
                    waiter: Some(waiter),
                },
            );
        }
    }

    fn coordinator_waiter_done(
        &mut self,
        broker: BrokerId,
        waiter: CoordinatorWaiter,
        request_id: u64,
        result: Result<(), BrokerError>,
    ) {
        match waiter {
            CoordinatorWaiter::Commit(commit) => {
                self.coordinator_answer_commit(broker, commit, request_id, result)
            }
            CoordinatorWaiter::GroupSync { group, generation } => {
                self.coordinator_finish_sync(broker, &group, generation, result.is_ok())
            }
        }
    }

    /// The leader's assignment is replicated (or could not be): the group becomes `Stable`
    /// and the waiting members get their shares, or the round starts over.
    pub(crate) fn coordinator_finish_sync(
        &mut self,
        broker: BrokerId,
        group: &str,
        generation: i32,
        stored: bool,
    ) {
        let Some(g) = self
            .group_mut(broker, group)
            .filter(|g| g.state == GroupState::CompletingRebalance && g.generation == generation)
        else {
            return; // the round is over already
        };
        if !stored {
            self.coordinator_prepare_rebalance(
                broker,
                group,
                None,
                "its assignment could not be stored",
            );
            return;
        }
        let waiting: Vec<(u32, Vec<TopicPartition>)> = g
            .members
            .values_mut()
            .filter_map(|m| {
                std::mem::replace(&mut m.awaiting_sync, false)
                    .then(|| (m.consumer, m.assignment.clone()))
            })
            .collect();
        self.set_group_state(
            broker,
            group,
            GroupState::Stable,
            "the leader's assignment is replicated and handed out",
        );
        for (consumer, assignment) in waiting {
            self.send_to_consumer(
                broker,
                consumer,
                Payload::SyncGroupResponse {
                    group: group.to_string(),
                    result: Ok(assignment),
                },
            );
        }
    }

    /// A broker became leader of an offsets partition: it reads the partition's log and
    /// takes over the groups it describes (`GroupMetadataManager.loadGroupsAndOffsets`).
    pub(crate) fn coordinator_load(&mut self, broker: BrokerId, partition: &TopicPartition) {
        if partition.topic != OFFSETS_TOPIC {
            return;
        }
        let Some(replica) = self.replica(broker, partition) else {
            return;
        };
        let mut groups: SortedMap<String, Group> = SortedMap::new();
        for record in replica.log.records() {
            let Some(key) = record.key.as_deref().and_then(read_record::<OffsetsKey>) else {
                continue;
            };
            match key {
                OffsetsKey::Offset {
                    group,
                    topic,
                    partition,
                } => {
                    let g = groups
                        .entry(group.clone())
                        .or_insert_with(|| Group::new(&group));
                    let tp = TopicPartition::new(topic, partition);
                    match record
                        .value
                        .as_deref()
                        .and_then(read_record::<OffsetCommitValue>)
                    {
                        Some(value) => g.offsets.insert(tp, value.offset),
                        None => g.offsets.remove(&tp),
                    };
                }
                OffsetsKey::Group { group } if record.value.is_none() => {
                    // A deleted group's tombstone.
                    groups.remove(&group);
                }
                OffsetsKey::Group { group } => {
                    let g = groups
                        .entry(group.clone())
                        .or_insert_with(|| Group::new(&group));
                    if let Some(value) = record
                        .value
                        .as_deref()
                        .and_then(read_record::<GroupMetadataValue>)
                    {
                        g.generation = value.generation;
                        g.protocol = value.protocol;
                        g.leader = value.leader;
                        g.members = SortedMap::from_iter(
                            value.members.into_iter().enumerate().map(|(i, m)| {
                                (
                                    m.member_id.clone(),
                                    GroupMember {
                                        member_id: m.member_id,
                                        group_instance_id: m.group_instance_id,
                                        consumer: m.consumer,
                                        protocols: m.protocols,
                                        topics: m.topics,
                                        owned: m.assignment.clone(),
                                        owned_generation: value.generation,
                                        session_timeout_ms: m.session_timeout_ms,
                                        rebalance_timeout_ms: m.rebalance_timeout_ms,
                                        assignment: m.assignment,
                                        joined: false,
                                        awaiting_sync: false,
                                        join_order: i as u64,
                                        session_timer: None,
                                    },
                                )
                            }),
                        );
                        g.state = if g.members.is_empty() {
                            GroupState::Empty
                        } else {
                            GroupState::Stable
                        };
                    }
                }
            }
        }
        if groups.is_empty() {
            return;
        }
        let names: Vec<String> = groups.keys().cloned().collect();
        let node = self.brokers.get_mut(&broker).expect("live");
        for (name, group) in groups {
            node.groups.insert(name, group);
        }
        self.emit(
            EventKind::CoordinatorLoaded {
                broker,
                partition: partition.clone(),
                groups: names.clone(),
            },
            format!(
                "broker {broker} reads {partition} and becomes the coordinator of group{} {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
        );
        for name in names {
            let members: Vec<String> = self.brokers[&broker].groups[&name]
                .members
                .keys()
                .cloned()
                .collect();
            for member in members {
                self.coordinator_reset_session(broker, &name, &member);
            }
        }
    }

    /// A broker lost leadership of an offsets partition: its groups move elsewhere.
    pub(crate) fn coordinator_unload(&mut self, broker: BrokerId, partition: &TopicPartition) {
        if partition.topic != OFFSETS_TOPIC {
            return;
        }
        let partitions = self.config.offsets_topic_num_partitions;
        let Some(node) = self.brokers.get_mut(&broker) else {
            return;
        };
        let leaving: Vec<String> = node
            .groups
            .keys()
            .filter(|g| offsets_partition_for(g, partitions) == partition.partition)
            .cloned()
            .collect();
        let mut timers = Vec::new();
        let mut waiting = Vec::new();
        for name in &leaving {
            if let Some(group) = node.groups.remove(name) {
                timers.extend(group.initial_delay_timer);
                timers.extend(group.rebalance_timer);
                timers.extend(group.members.values().filter_map(|m| m.session_timer));
                let parked_join = group.state == GroupState::PreparingRebalance;
                for member in group.members.values() {
                    if (parked_join && member.joined) || member.awaiting_sync {
                        waiting.push((name.clone(), member.consumer, member.awaiting_sync));
                    }
                }
            }
        }
        for timer in timers {
            self.network.cancel(timer);
        }
        // Requests parked in the join and sync purgatories are answered NOT_COORDINATOR.
        for (group, consumer, sync) in waiting {
            let error = BrokerError::NotCoordinator {
                group: group.clone(),
                broker,
            };
            let payload = if sync {
                Payload::SyncGroupResponse {
                    group,
                    result: Err(error),
                }
            } else {
                Payload::JoinGroupResponse {
                    group,
                    result: Err(error),
                }
            };
            self.send_to_consumer(broker, consumer, payload);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coordinators_records_read_back_as_written() {
        let key = OffsetsKey::Offset {
            group: "billing".into(),
            topic: "orders".into(),
            partition: 2,
        };
        assert_eq!(
            key.to_json_string(),
            r#"{"type":"offset","group":"billing","topic":"orders","partition":2}"#
        );
        assert_eq!(read_record::<OffsetsKey>(&key.to_json_string()), Some(key));
        let commit = OffsetCommitValue {
            offset: 6,
            commit_tick: 5017,
        };
        assert_eq!(
            commit.to_json_string(),
            r#"{"offset":6,"commit_tick":5017}"#
        );
        assert_eq!(read_record(&commit.to_json_string()), Some(commit));
        let group = GroupMetadataValue {
            generation: 3,
            protocol: Some(Strategy::CooperativeSticky),
            leader: Some("consumer-1-a".into()),
            members: vec![StoredMember {
                member_id: "consumer-1-a".into(),
                group_instance_id: None,
                consumer: 1,
                protocols: vec![Strategy::Range, Strategy::CooperativeSticky],
                topics: vec!["orders".into()],
                assignment: vec![TopicPartition::new("orders", 0)],
                session_timeout_ms: 45_000,
                rebalance_timeout_ms: 300_000,
            }],
        };
        assert_eq!(
            group.to_json_string(),
            concat!(
                r#"{"generation":3,"protocol":"cooperative-sticky","leader":"consumer-1-a","#,
                r#""members":[{"member_id":"consumer-1-a","group_instance_id":null,"consumer":1,"#,
                r#""protocols":["range","cooperative-sticky"],"topics":["orders"],"#,
                r#""assignment":[{"topic":"orders","partition":0}],"#,
                r#""session_timeout_ms":45000,"rebalance_timeout_ms":300000}]}"#
            )
        );
        assert_eq!(read_record(&group.to_json_string()), Some(group));
        // A record a learner produced into the topic by hand is not the coordinator's.
        assert_eq!(read_record::<OffsetsKey>("hello"), None);
        assert_eq!(read_record::<OffsetsKey>(r#"{"type":"lunch"}"#), None);
    }

    #[test]
    fn java_hash_codes_match_the_jdk() {
        // Values printed by `"...".hashCode()` on a JDK.
        assert_eq!(java_string_hash_code("a"), 97);
        assert_eq!(java_string_hash_code("group"), 98_629_247);
        assert_eq!(java_string_hash_code("polygenelubricants"), i32::MIN);
        // Non-ASCII uses UTF-16 code units: "é" is 0xE9.
        assert_eq!(java_string_hash_code("é"), 0xE9);
        // A character outside the BMP is a surrogate pair.
        assert_eq!(java_string_hash_code("😀"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn utils_abs_maps_min_value_to_zero() {
        assert_eq!(kafka_abs(i32::MIN), 0);
        assert_eq!(kafka_abs(-5), 5);
        assert_eq!(offsets_partition_for("polygenelubricants", 50), 0);
    }

    #[test]
    fn the_protocol_vote_picks_what_most_members_prefer() {
        let mut group = Group::new("g");
        // Both assignors are common to all three; the first member prefers range, the
        // other two cooperative-sticky.
        for (id, protocols) in [
            ("a", vec![Strategy::Range, Strategy::CooperativeSticky]),
            ("b", vec![Strategy::CooperativeSticky, Strategy::Range]),
            ("c", vec![Strategy::CooperativeSticky, Strategy::Range]),
        ] {
            group.members.insert(
                id.into(),
                GroupMember {
                    member_id: id.into(),
                    group_instance_id: None,
                    consumer: 1,
                    protocols,
                    topics: vec![],
                    owned: vec![],
                    owned_generation: -1,
                    session_timeout_ms: 45_000,
                    rebalance_timeout_ms: 300_000,
                    assignment: vec![],
                    joined: true,
                    awaiting_sync: false,
                    join_order: 0,
                    session_timer: None,
                },
            );
        }
        assert_eq!(group.select_protocol(), Some(Strategy::CooperativeSticky));
        assert_eq!(
            group.common_protocols(None),
            [Strategy::Range, Strategy::CooperativeSticky],
            "the first member's order would have picked range"
        );
        // A newcomer without cooperative-sticky narrows the choice to range.
        assert_eq!(
            group.common_protocols(Some(&[Strategy::Range])),
            [Strategy::Range]
        );
    }
}
