//! Consumers: the client side of reading.
//!
//! A consumer either `subscribe`s to topics and lets its group share the partitions out
//! (see `group.rs`), or `assign`s itself partitions. For each partition it keeps a
//! *position*: the offset of the next record to read. It starts from the group's committed
//! offset, or, when there is none (or it has fallen out of the log), where
//! `auto.offset.reset` says: `earliest` (log start), `latest` (high watermark) or `none`
//! (`NoOffsetForPartition`).
//!
//! `poll()` sends Fetch requests to the partition leaders, which answer with records below
//! the high watermark only, and hands back at most `max.poll.records`. Each record is then
//! *processed* by the application — here a simulated one that can fail (a poison record, a
//! failure rule) — and the position moves past it. Committing (automatically every
//! `auto.commit.interval.ms` inside `poll()`, or by hand) writes positions to the group
//! coordinator; after a crash or a rebalance the next owner starts from the last commit,
//! so records processed but not committed are processed again: at-least-once.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

use super::assignor::{Member, Strategy};
use super::cluster::Cluster;
use super::error::BrokerError;
use super::event::EventKind;
use super::group::{JoinGroupRequest, JoinGroupResult};
use super::ids::{BrokerId, Node, TopicPartition};
use super::log::{ReadOutcome, Record};
use super::network::{Payload, QueueKey, Timer};
use super::sorted_map::{sorted_unique, SortedMap, SortedSet};

/// The playground's bound on consumers.
pub const MAX_CONSUMERS: usize = 32;

/// `auto.offset.reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoOffsetReset {
    Earliest,
    #[default]
    Latest,
    None,
}

/// Consumer configs, with the defaults of Kafka's Java client (3.x).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    /// `group.id`; without one the consumer can only `assign` and cannot commit.
    pub group_id: Option<String>,
    /// `group.instance.id`: makes the member static (KIP-345).
    pub group_instance_id: Option<String>,
    pub auto_offset_reset: AutoOffsetReset,
    /// `enable.auto.commit`, default true with a group.
    pub enable_auto_commit: Option<bool>,
    pub auto_commit_interval_ms: u64,
    pub max_poll_records: u32,
    pub max_partition_fetch_bytes: u64,
    pub session_timeout_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub max_poll_interval_ms: u64,
    /// `partition.assignment.strategy`, default `[range, cooperative-sticky]` (Kafka 3.0+).
    pub partition_assignment_strategy: Vec<Strategy>,
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms` (KIP-580): retries back off exponentially up to this.
    pub retry_backoff_max_ms: u64,
    pub request_timeout_ms: u64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            group_id: None,
            group_instance_id: None,
            auto_offset_reset: AutoOffsetReset::Latest,
            enable_auto_commit: None,
            auto_commit_interval_ms: 5_000,
            max_poll_records: 500,
            max_partition_fetch_bytes: 1_048_576,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            partition_assignment_strategy: vec![Strategy::Range, Strategy::CooperativeSticky],
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            request_timeout_ms: 30_000,
        }
    }
}

impl AutoOffsetReset {
    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            AutoOffsetReset::Earliest => "earliest",
            AutoOffsetReset::Latest => "latest",
            AutoOffsetReset::None => "none",
        }
    }
}

impl ConsumerConfig {
    /// Kafka's rule: auto commit is on by default only when there is a group to commit to.
    pub fn auto_commit(&self) -> bool {
        self.group_id.is_some() && self.enable_auto_commit.unwrap_or(true)
    }

    /// `COOPERATIVE` only when every configured assignor supports it
    /// (`ConsumerCoordinator`'s protocol selection); otherwise `EAGER`.
    pub fn cooperative(&self) -> bool {
        self.partition_assignment_strategy
            .iter()
            .all(|s| *s == Strategy::CooperativeSticky)
    }

    pub fn validate(&self) -> Result<(), BrokerError> {
        let invalid = |name: &str, value: String, reason: &str| {
            Err(BrokerError::InvalidConfig {
                name: name.to_string(),
                value,
                reason: reason.to_string(),
            })
        };
        if let Some(group) = &self.group_id {
            if group.is_empty() || group.chars().count() > 249 {
                return Err(BrokerError::InvalidGroupId {
                    group: group.clone(),
                });
            }
        } else {
            if self.enable_auto_commit == Some(true) {
                return invalid(
                    "enable.auto.commit",
                    "true".into(),
                    "a consumer without group.id cannot commit offsets",
                );
            }
            if self.group_instance_id.is_some() {
                return invalid(
                    "group.instance.id",
                    self.group_instance_id.clone().unwrap_or_default(),
                    "a static member needs a group.id",
                );
            }
        }
        if self.group_instance_id.as_deref() == Some("") {
            return invalid("group.instance.id", String::new(), "must not be empty");
        }
        if !(1..=100_000).contains(&self.max_poll_records) {
            return invalid(
                "max.poll.records",
                self.max_poll_records.to_string(),
                "must be between 1 and 100000",
            );
        }
        // The broker's group.min.session.timeout.ms and group.max.session.timeout.ms.
        if !(6_000..=1_800_000).contains(&self.session_timeout_ms) {
            return invalid(
                "session.timeout.ms",
                self.session_timeout_ms.to_string(),
                "InvalidSessionTimeout: must be between group.min.session.timeout.ms=6000 and group.max.session.timeout.ms=1800000",
            );
        }
        if self.heartbeat_interval_ms == 0 || self.heartbeat_interval_ms >= self.session_timeout_ms
        {
            return invalid(
                "heartbeat.interval.ms",
                self.heartbeat_interval_ms.to_string(),
                "must be above 0 and lower than session.timeout.ms",
            );
        }
        for (name, value) in [
            ("auto.commit.interval.ms", self.auto_commit_interval_ms),
            ("max.poll.interval.ms", self.max_poll_interval_ms),
            ("retry.backoff.ms", self.retry_backoff_ms),
            ("retry.backoff.max.ms", self.retry_backoff_max_ms),
            ("request.timeout.ms", self.request_timeout_ms),
            ("max.partition.fetch.bytes", self.max_partition_fetch_bytes),
        ] {
            if value == 0 || value > 86_400_000 {
                return invalid(name, value.to_string(), "must be between 1 and 86400000");
            }
        }
        if self.partition_assignment_strategy.is_empty() {
            return invalid(
                "partition.assignment.strategy",
                "[]".into(),
                "at least one assignor is needed",
            );
        }
        Ok(())
    }
}

/// A simulated application failure, so failure paths can be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureRule {
    /// Records whose value contains this text fail.
    ValueContains(String),
    /// Every Nth record this consumer processes fails.
    EveryNth(u32),
}

impl FailureRule {
    pub fn validate(&self) -> Result<(), BrokerError> {
        match self {
            FailureRule::ValueContains(word) if word.is_empty() => {
                Err(BrokerError::PolicyViolation {
                    reason: "a value_contains failure rule needs a non-empty word".into(),
                })
            }
            FailureRule::EveryNth(0) => Err(BrokerError::PolicyViolation {
                reason: "an every_nth failure rule needs N of at least 1".into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Where the member is in the group protocol (the client's `MemberState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    Unjoined,
    Joining,
    Syncing,
    Stable,
}

impl MemberState {
    /// The state's name as the page shows it.
    pub fn name(&self) -> &'static str {
        match self {
            MemberState::Unjoined => "Unjoined",
            MemberState::Joining => "Joining",
            MemberState::Syncing => "Syncing",
            MemberState::Stable => "Stable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommit {
    pub offsets: Vec<(TopicPartition, u64)>,
    pub sync: bool,
    /// Sent to the coordinator (not waiting for one to be found).
    pub sent: bool,
    pub generation: i32,
    pub member_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub id: u32,
    pub config: ConsumerConfig,
    pub alive: bool,
    pub closed: bool,
    pub subscription: Vec<String>,
    /// Partitions chosen with `assign()` (no group management).
    pub manual: bool,
    pub assignment: Vec<TopicPartition>,
    pub positions: SortedMap<TopicPartition, u64>,
    pub committed: SortedMap<TopicPartition, u64>,
    /// Partitions paused by a retry topic's back-off until this tick.
    pub paused_until: SortedMap<TopicPartition, u64>,
    pub coordinator: Option<BrokerId>,
    pub finding_coordinator: bool,
    pub member_id: String,
    pub generation: i32,
    pub state: MemberState,
    pub heartbeat_timer: Option<QueueKey>,
    pub fetches_in_flight: SortedSet<TopicPartition>,
    pub lookups_in_flight: SortedSet<TopicPartition>,
    pub buffer: VecDeque<(TopicPartition, Record)>,
    pub poll_pending: bool,
    pub last_poll_tick: u64,
    pub next_auto_commit_tick: u64,
    pub commits: SortedMap<u64, PendingCommit>,
    pub failure_rule: Option<FailureRule>,
    pub processed: u64,
    pub failures: u64,
    /// Kafka Connect with `errors.tolerance=none`: the task stopped at a failure.
    pub task_failed: Option<String>,
    /// The producer that publishes to retry and dead letter topics for this consumer.
    pub publisher: Option<u32>,
    pub retry_timer: Option<QueueKey>,
    /// Retries since the last success, for the exponential back-off.
    pub retries: u32,
}

impl Consumer {
    pub fn new(id: u32, config: ConsumerConfig, now: u64) -> Self {
        let next_auto_commit_tick = now + config.auto_commit_interval_ms;
        Self {
            id,
            config,
            alive: true,
            closed: false,
            subscription: Vec::new(),
            manual: false,
            assignment: Vec::new(),
            positions: SortedMap::new(),
            committed: SortedMap::new(),
            paused_until: SortedMap::new(),
            coordinator: None,
            finding_coordinator: false,
            member_id: String::new(),
            generation: -1,
            state: MemberState::Unjoined,
            heartbeat_timer: None,
            fetches_in_flight: SortedSet::new(),
            lookups_in_flight: SortedSet::new(),
            buffer: VecDeque::new(),
            poll_pending: false,
            last_poll_tick: now,
            next_auto_commit_tick,
            commits: SortedMap::new(),
            failure_rule: None,
            processed: 0,
            failures: 0,
            task_failed: None,
            publisher: None,
            retry_timer: None,
            retries: 0,
        }
    }

    fn group(&self) -> Option<&str> {
        self.config.group_id.as_deref()
    }

    /// In a group (subscribe) rather than on its own (assign).
    fn uses_group_management(&self) -> bool {
        !self.manual && !self.subscription.is_empty() && self.config.group_id.is_some()
    }

    fn current_offsets(&self) -> Vec<(TopicPartition, u64)> {
        self.assignment
            .iter()
            .filter_map(|tp| self.positions.get(tp).map(|&o| (tp.clone(), o)))
            .collect()
    }

    /// Drops what the consumer holds for partitions it no longer owns.
    fn forget(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            self.positions.remove(tp);
            self.paused_until.remove(tp);
            self.fetches_in_flight.remove(tp);
            self.lookups_in_flight.remove(tp);
        }
        self.buffer.retain(|(tp, _)| !partitions.contains(tp));
        self.assignment.retain(|tp| !partitions.contains(tp));
    }
}

fn list(partitions: &[TopicPartition]) -> String {
    if partitions.is_empty() {
        "nothing".to_string()
    } else {
        partitions
            .iter()
            .map(|tp| tp.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a record fails, if it does: a poison mark or the consumer's failure rule.
pub(crate) fn failure_reason(
    poisoned: bool,
    rule: Option<&FailureRule>,
    record: &Record,
    attempt_number: u64,
) -> Option<String> {
    if poisoned {
        return Some("the record is marked as poison".to_string());
    }
    match rule? {
        FailureRule::ValueContains(word) => record
            .value
            .as_deref()
            .filter(|v| v.contains(word.as_str()))
            .map(|_| format!("the value contains \"{word}\"")),
        FailureRule::EveryNth(n) => attempt_number
            .is_multiple_of(u64::from(*n))
            .then(|| format!("record number {attempt_number} fails (every {n}th record fails)")),
    }
}

impl Cluster {
    fn consumer_mut(&mut self, consumer: u32) -> Option<&mut Consumer> {
        self.consumers.get_mut(&consumer).filter(|c| c.alive)
    }

    fn consumer_checked(&self, consumer: u32) -> Result<&Consumer, BrokerError> {
        let c = self
            .consumers
            .get(&consumer)
            .ok_or(BrokerError::UnknownConsumer { consumer })?;
        if !c.alive {
            return Err(BrokerError::IllegalState {
                reason: format!("consumer {consumer} is not running"),
            });
        }
        Ok(c)
    }

    /// A consumer's request to a broker.
    fn send_to_broker(&mut self, consumer: u32, broker: BrokerId, payload: Payload) {
        self.send(Node::Consumer(consumer), Node::Broker(broker), payload);
    }

    /// A broker's answer to a consumer.
    pub(crate) fn send_to_consumer(&mut self, broker: BrokerId, consumer: u32, payload: Payload) {
        self.send(Node::Broker(broker), Node::Consumer(consumer), payload);
    }

    // ----- commands ------------------------------------------------------------------------

    pub(crate) fn add_consumer(&mut self, config: ConsumerConfig) -> Result<(), BrokerError> {
        config.validate()?;
        if self.consumers.len() >= MAX_CONSUMERS {
            return Err(BrokerError::PolicyViolation {
                reason: format!("the playground runs at most {MAX_CONSUMERS} consumers"),
            });
        }
        if let (Some(group), Some(instance)) = (&config.group_id, &config.group_instance_id) {
            let taken = self.consumers.values().any(|c| {
                !c.closed
                    && c.config.group_id.as_ref() == Some(group)
                    && c.config.group_instance_id.as_ref() == Some(instance)
            });
            if taken {
                return Err(BrokerError::PolicyViolation {
                    reason: format!(
                        "group {group} already has a consumer with group.instance.id {instance}"
                    ),
                });
            }
        }
        let id = self.consumers.keys().next_back().map_or(1, |last| last + 1);
        let text = match &config.group_id {
            Some(group) => format!(
                "consumer {id} starts in group {group} (assignors {}, auto.offset.reset={}, enable.auto.commit={})",
                config
                    .partition_assignment_strategy
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                config.auto_offset_reset.name(),
                config.auto_commit()
            ),
            None => format!("consumer {id} starts without a group.id"),
        };
        self.emit(
            EventKind::ConsumerAdded {
                consumer: id,
                group: config.group_id.clone(),
            },
            text,
        );
        self.consumers
            .insert(id, Consumer::new(id, config, self.tick));
        Ok(())
    }

    pub(crate) fn subscribe(
        &mut self,
        consumer: u32,
        topics: Vec<String>,
    ) -> Result<(), BrokerError> {
        let c = self.consumer_checked(consumer)?;
        if c.manual {
            return Err(BrokerError::IllegalState {
                reason: "Subscription to topics, partitions and pattern are mutually exclusive"
                    .into(),
            });
        }
        let Some(group) = c.group().map(str::to_string) else {
            return Err(BrokerError::InvalidGroupId {
                group: String::new(),
            });
        };
        if topics.is_empty() || topics.len() > 32 {
            return Err(BrokerError::PolicyViolation {
                reason: "subscribe to 1 to 32 topics".into(),
            });
        }
        for topic in &topics {
            super::topic::validate_topic_name(topic)?;
        }
        let topics = sorted_unique(topics);
        self.emit(
            EventKind::Subscribed {
                consumer,
                topics: topics.clone(),
            },
            format!(
                "consumer {consumer} subscribes to {} and joins group {group} (as an application does by calling poll() right after subscribe())",
                topics.join(", ")
            ),
        );
        let c = self.consumers.get_mut(&consumer).expect("checked");
        c.subscription = topics;
        c.last_poll_tick = self.tick;
        self.ensure_error_topics_for(&group);
        self.consumer_rejoin(consumer, "its subscription changed");
        Ok(())
    }

    pub(crate) fn assign(
        &mut self,
        consumer: u32,
        partitions: Vec<(String, u32)>,
    ) -> Result<(), BrokerError> {
        let c = self.consumer_checked(consumer)?;
        if !c.subscription.is_empty() {
            return Err(BrokerError::IllegalState {
                reason: "Subscription to topics, partitions and pattern are mutually exclusive"
                    .into(),
            });
        }
        if partitions.is_empty() || partitions.len() > 256 {
            return Err(BrokerError::PolicyViolation {
                reason: "assign 1 to 256 partitions".into(),
            });
        }
        let mut tps = Vec::new();
        for (topic, partition) in partitions {
            let count = self.topics.get(&topic).map(|t| t.partitions.len() as u32);
            match count {
                Some(n) if partition < n => tps.push(TopicPartition::new(topic, partition)),
                Some(_) => {
                    return Err(BrokerError::UnknownTopicOrPartition {
                        topic,
                        partition: Some(partition),
                    })
                }
                None => {
                    return Err(BrokerError::UnknownTopicOrPartition {
                        topic,
                        partition: None,
                    })
                }
            }
        }
        let tps = sorted_unique(tps);
        self.emit(
            EventKind::AssignmentChanged {
                consumer,
                generation: -1,
                assigned: tps.clone(),
                revoked: Vec::new(),
            },
            format!(
                "consumer {consumer} assigns itself {} (no group management)",
                list(&tps)
            ),
        );
        let c = self.consumers.get_mut(&consumer).expect("checked");
        let dropped: Vec<TopicPartition> = c
            .assignment
            .iter()
            .filter(|tp| !tps.contains(tp))
            .cloned()
            .collect();
        c.forget(&dropped);
        c.manual = true;
        c.assignment = tps;
        self.consumer_lookup_positions(consumer);
        Ok(())
    }

    pub(crate) fn poll(&mut self, consumer: u32) -> Result<(), BrokerError> {
        let c = self.consumer_checked(consumer)?;
        if let Some(reason) = &c.task_failed {
            return Err(BrokerError::IllegalState {
                reason: format!("consumer {consumer}'s task has failed ({reason}); restart it"),
            });
        }
        if c.subscription.is_empty() && !c.manual {
            return Err(BrokerError::IllegalState {
                reason: "Consumer is not subscribed to any topics or assigned any partitions"
                    .into(),
            });
        }
        if c.poll_pending {
            return Err(BrokerError::IllegalState {
                reason: format!("consumer {consumer} is still inside its previous poll()"),
            });
        }
        if let Some(tp) = c
            .assignment
            .iter()
            .find(|tp| !c.positions.contains_key(*tp) && !c.lookups_in_flight.contains(*tp))
        {
            if c.config.auto_offset_reset == AutoOffsetReset::None
                && (!c.uses_group_management() || c.state == MemberState::Stable)
            {
                return Err(BrokerError::NoOffsetForPartition {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                });
            }
        }
        let now = self.tick;
        self.emit(
            EventKind::PollStarted { consumer },
            format!("consumer {consumer} calls poll()"),
        );
        let c = self.consumers.get_mut(&consumer).expect("checked");
        c.last_poll_tick = now;
        c.poll_pending = true;
        if c.config.auto_commit() && now >= c.next_auto_commit_tick {
            c.next_auto_commit_tick = now + c.config.auto_commit_interval_ms;
            let offsets = c.current_offsets();
            if !offsets.is_empty() && offsets.iter().any(|(tp, o)| c.committed.get(tp) != Some(o)) {
                self.consumer_commit(
                    consumer,
                    offsets,
                    false,
                    "auto.commit.interval.ms has passed",
                );
            }
        }
        let c = &self.consumers[&consumer];
        if c.uses_group_management() && c.state == MemberState::Unjoined {
            self.consumer_rejoin(consumer, "it is not in the group");
        }
        self.consumer_lookup_positions(consumer);
        self.consumer_continue_poll(consumer);
        Ok(())
    }

    pub(crate) fn seek(
        &mut self,
        consumer: u32,
        topic: String,
        partition: u32,
        offset: u64,
    ) -> Result<(), BrokerError> {
        let c = self.consumer_checked(consumer)?;
        let tp = TopicPartition::new(topic, partition);
        if !c.assignment.contains(&tp) {
            return Err(BrokerError::IllegalState {
                reason: format!("No current assignment for partition {tp}"),
            });
        }
        self.emit(
            EventKind::PositionSet {
                consumer,
                partition: tp.clone(),
                offset,
                reason: "seek()".into(),
            },
            format!("consumer {consumer} seeks {tp} to offset {offset}"),
        );
        let c = self.consumers.get_mut(&consumer).expect("checked");
        c.positions.insert(tp.clone(), offset);
        c.lookups_in_flight.remove(&tp);
        c.paused_until.remove(&tp);
        c.buffer.retain(|(p, _)| *p != tp);
        Ok(())
    }

    pub(crate) fn commit_command(&mut self, consumer: u32, sync: bool) -> Result<(), BrokerError> {
        let c = self.consumer_checked(consumer)?;
        if c.group().is_none() {
            return Err(BrokerError::InvalidGroupId {
                group: String::new(),
            });
        }
        let offsets = c.current_offsets();
        if offsets.is_empty() {
            return Err(BrokerError::IllegalState {
                reason: format!("consumer {consumer} has no positions to commit yet"),
            });
        }
        let how = if sync {
            "commitSync()"
        } else {
            "commitAsync()"
        };
        self.consumer_commit(consumer, offsets, sync, how);
        Ok(())
    }

    pub(crate) fn close_consumer(&mut self, consumer: u32) -> Result<(), BrokerError> {
        self.consumer_checked(consumer)?;
        let c = &self.consumers[&consumer];
        let offsets = c.current_offsets();
        if c.config.auto_commit() && !offsets.is_empty() {
            self.consumer_commit(consumer, offsets, true, "close() commits before leaving");
        }
        self.emit(
            EventKind::ConsumerClosed { consumer },
            format!("consumer {consumer} closes"),
        );
        self.consumer_leave(consumer);
        let c = self.consumers.get_mut(&consumer).expect("checked");
        c.alive = false;
        c.closed = true;
        Ok(())
    }

    pub(crate) fn crash_consumer(&mut self, consumer: u32) -> Result<(), BrokerError> {
        self.consumer_checked(consumer)?;
        let c = self.consumers.get_mut(&consumer).expect("checked");
        c.alive = false;
        let timers = [c.heartbeat_timer.take(), c.retry_timer.take()];
        for timer in timers.into_iter().flatten() {
            self.network.cancel(timer);
        }
        self.emit(
            EventKind::ConsumerCrashed { consumer },
            format!("consumer {consumer} crashes: no LeaveGroup, no commit; the coordinator notices when its session times out"),
        );
        Ok(())
    }

    pub(crate) fn restart_consumer(&mut self, consumer: u32) -> Result<(), BrokerError> {
        let c = self
            .consumers
            .get(&consumer)
            .ok_or(BrokerError::UnknownConsumer { consumer })?;
        if c.alive || c.closed {
            return Err(BrokerError::IllegalState {
                reason: format!(
                    "consumer {consumer} {}",
                    if c.closed {
                        "was closed"
                    } else {
                        "is already running"
                    }
                ),
            });
        }
        let old = c.clone();
        let mut fresh = Consumer::new(consumer, old.config.clone(), self.tick);
        fresh.subscription = old.subscription.clone();
        fresh.manual = old.manual;
        fresh.failure_rule = old.failure_rule.clone();
        fresh.publisher = old.publisher;
        if old.manual {
            fresh.assignment = old.assignment.clone();
        }
        self.consumers.insert(consumer, fresh);
        self.emit(
            EventKind::ConsumerRestarted { consumer },
            format!("consumer {consumer} starts again with a new process: no positions, a new member id"),
        );
        if old.manual {
            self.consumer_lookup_positions(consumer);
        } else if !old.subscription.is_empty() {
            self.consumer_rejoin(consumer, "it restarted");
        }
        Ok(())
    }

    pub(crate) fn set_failure_rule(
        &mut self,
        consumer: u32,
        rule: Option<FailureRule>,
    ) -> Result<(), BrokerError> {
        self.consumers
            .get(&consumer)
            .ok_or(BrokerError::UnknownConsumer { consumer })?;
        if let Some(rule) = &rule {
            rule.validate()?;
        }
        let text = match &rule {
            Some(FailureRule::ValueContains(word)) => {
                format!(
                    "consumer {consumer}'s processing now fails on values containing \"{word}\""
                )
            }
            Some(FailureRule::EveryNth(n)) => {
                format!("consumer {consumer}'s processing now fails on every {n}th record")
            }
            None => format!("consumer {consumer}'s processing no longer fails by rule"),
        };
        self.emit(EventKind::FailureRuleSet { consumer }, text);
        self.consumers
            .get_mut(&consumer)
            .expect("checked")
            .failure_rule = rule;
        Ok(())
    }

    pub(crate) fn mark_poison(
        &mut self,
        topic: String,
        partition: u32,
        offset: u64,
    ) -> Result<(), BrokerError> {
        let tp = TopicPartition::new(topic.clone(), partition);
        let metadata =
            self.partition_metadata(&tp)
                .ok_or(BrokerError::UnknownTopicOrPartition {
                    topic: topic.clone(),
                    partition: Some(partition),
                })?;
        let exists = metadata.replicas.iter().any(|&b| {
            self.replica(b, &tp)
                .is_some_and(|r| r.log.record_at(offset).is_some())
        });
        if !exists {
            return Err(BrokerError::OffsetOutOfRange {
                topic,
                partition,
                offset,
                log_start_offset: 0,
                log_end_offset: 0,
            });
        }
        if !self.poison.insert((tp.clone(), offset)) {
            return Err(BrokerError::PolicyViolation {
                reason: format!("{tp} offset {offset} is already poison"),
            });
        }
        self.emit(
            EventKind::RecordPoisoned {
                partition: tp.clone(),
                offset,
            },
            format!("the record at {tp} offset {offset} is marked as poison: processing it always fails"),
        );
        Ok(())
    }

    // ----- group membership, client side ---------------------------------------------------

    /// The topics the member asks for: its subscription plus the retry topics of its
    /// group's error handling, which the same application consumes.
    fn consumer_topics(&self, consumer: u32) -> Vec<String> {
        let c = &self.consumers[&consumer];
        let mut topics = c.subscription.clone();
        if let Some(policy) = c.group().and_then(|g| self.error_policies.get(g)) {
            for topic in &c.subscription {
                topics.extend(policy.retry_topics(topic));
            }
        }
        sorted_unique(topics)
    }

    /// Starts (or restarts) the member's JoinGroup round, first doing what Kafka's
    /// `onJoinPrepare` does: commit if auto commit is on, and (eager protocol) give up every
    /// partition.
    pub(crate) fn consumer_rejoin(&mut self, consumer: u32, reason: &str) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if !c.uses_group_management() {
            return;
        }
        if let Some(timer) = c.heartbeat_timer.take() {
            self.network.cancel(timer);
        }
        let c = &self.consumers[&consumer];
        let offsets = c.current_offsets();
        if c.config.auto_commit() && !offsets.is_empty() && c.state == MemberState::Stable {
            self.consumer_commit(
                consumer,
                offsets,
                true,
                "onJoinPrepare commits before rejoining",
            );
        }
        let c = self.consumers.get_mut(&consumer).expect("alive");
        if !c.config.cooperative() && !c.assignment.is_empty() {
            let revoked = c.assignment.clone();
            c.forget(&revoked);
            self.emit(
                EventKind::PartitionsRevoked {
                    consumer,
                    partitions: revoked.clone(),
                },
                format!(
                    "consumer {consumer} revokes all its partitions ({}) before rejoining: the eager protocol stops the whole group",
                    list(&revoked)
                ),
            );
        }
        let c = self.consumers.get_mut(&consumer).expect("alive");
        c.state = MemberState::Joining;
        let group = c.group().unwrap_or_default().to_string();
        self.emit(
            EventKind::RejoinStarted {
                consumer,
                group: group.clone(),
            },
            format!("consumer {consumer} (re)joins group {group}: {reason}"),
        );
        self.consumer_send_join(consumer);
    }

    fn consumer_send_join(&mut self, consumer: u32) {
        let Some(coordinator) = self.consumers[&consumer].coordinator else {
            self.consumer_find_coordinator(consumer);
            return;
        };
        let topics = self.consumer_topics(consumer);
        let c = &self.consumers[&consumer];
        let request = JoinGroupRequest {
            group: c.group().unwrap_or_default().to_string(),
            member_id: c.member_id.clone(),
            group_instance_id: c.config.group_instance_id.clone(),
            protocols: c.config.partition_assignment_strategy.clone(),
            topics,
            owned: if c.config.cooperative() {
                c.assignment.clone()
            } else {
                Vec::new()
            },
            generation: c.generation,
            session_timeout_ms: c.config.session_timeout_ms,
            rebalance_timeout_ms: c.config.max_poll_interval_ms,
        };
        self.send_to_broker(consumer, coordinator, Payload::JoinGroup(request));
    }

    fn consumer_find_coordinator(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.finding_coordinator {
            return;
        }
        let group = c.group().unwrap_or_default().to_string();
        // Any broker answers FindCoordinator; the client asks its least loaded node.
        let target = self
            .brokers
            .keys()
            .copied()
            .find(|&b| self.broker_eligible(b));
        match target {
            Some(broker) => {
                self.consumers
                    .get_mut(&consumer)
                    .expect("alive")
                    .finding_coordinator = true;
                self.send_to_broker(consumer, broker, Payload::FindCoordinator { group });
            }
            None => self.consumer_schedule_retry(consumer, None),
        }
    }

    fn consumer_schedule_retry(&mut self, consumer: u32, delay: Option<u64>) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.retry_timer.is_some() {
            return;
        }
        c.retries = c.retries.saturating_add(1);
        let backoff = super::producer::retry_backoff_ms(
            c.config.retry_backoff_ms,
            c.config.retry_backoff_max_ms,
            c.retries,
        );
        let background = backoff >= c.config.retry_backoff_max_ms.max(c.config.retry_backoff_ms);
        let delay = delay.unwrap_or(backoff);
        let timer = self.set_timer(
            Node::Consumer(consumer),
            delay,
            Timer::ConsumerRetry {
                consumer,
                background,
            },
        );
        self.consumers
            .get_mut(&consumer)
            .expect("alive")
            .retry_timer = Some(timer);
    }

    /// `retry.backoff.ms` (or a request timeout) is over: pick up whatever is unfinished.
    pub(crate) fn consumer_retry(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        c.retry_timer = None;
        let needs_coordinator = c.group().is_some()
            && c.coordinator.is_none()
            && (c.uses_group_management() || c.commits.values().any(|p| !p.sent));
        if needs_coordinator {
            self.consumer_find_coordinator(consumer);
            return;
        }
        let c = &self.consumers[&consumer];
        if c.uses_group_management() && c.state == MemberState::Joining {
            self.consumer_send_join(consumer);
        }
        self.consumer_lookup_positions(consumer);
        self.consumer_continue_poll(consumer);
    }

    pub(crate) fn consumer_handle_find_coordinator(
        &mut self,
        consumer: u32,
        group: String,
        result: Result<BrokerId, BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        c.finding_coordinator = false;
        match result {
            Ok(broker) => {
                c.coordinator = Some(broker);
                let partitions = self.config.offsets_topic_num_partitions;
                self.emit(
                    EventKind::CoordinatorFound {
                        consumer,
                        group: group.clone(),
                        broker,
                    },
                    format!(
                        "consumer {consumer} learns that broker {broker} coordinates group {group}: it leads {}-{} ({})",
                        super::group::OFFSETS_TOPIC,
                        super::group::offsets_partition_for(&group, partitions),
                        super::group::describe_coordinator_mapping(&group, partitions)
                    ),
                );
                self.consumer_send_unsent_commits(consumer);
                let c = &self.consumers[&consumer];
                if c.uses_group_management() && c.state != MemberState::Stable {
                    if c.state == MemberState::Unjoined {
                        self.consumer_rejoin(consumer, "it found its coordinator");
                    } else {
                        self.consumers.get_mut(&consumer).expect("alive").state =
                            MemberState::Joining;
                        self.consumer_send_join(consumer);
                    }
                } else if c.state == MemberState::Stable {
                    self.consumer_arm_heartbeat(consumer);
                }
            }
            Err(error) => {
                self.emit(
                    EventKind::ConsumerError {
                        consumer,
                        error: error.kafka_name().to_string(),
                    },
                    format!("consumer {consumer}: {error}; it asks again after retry.backoff.ms"),
                );
                self.consumer_schedule_retry(consumer, None);
            }
        }
    }

    /// The coordinator's broker died: the connection resets and pending requests fail.
    pub(crate) fn consumer_coordinator_disconnected(&mut self, consumer: u32, broker: BrokerId) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.state == MemberState::Syncing {
            c.state = MemberState::Joining;
        }
        c.lookups_in_flight.clear();
        let error = BrokerError::NetworkException { broker };
        self.consumer_lost_coordinator(consumer, &error, None);
    }

    fn consumer_lost_coordinator(
        &mut self,
        consumer: u32,
        error: &BrokerError,
        delay: Option<u64>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        c.coordinator = None;
        for commit in c.commits.values_mut() {
            commit.sent = false;
        }
        if let Some(timer) = c.heartbeat_timer.take() {
            self.network.cancel(timer);
        }
        self.emit(
            EventKind::ConsumerError {
                consumer,
                error: error.kafka_name().to_string(),
            },
            format!("consumer {consumer}: {error}; it looks for the coordinator again"),
        );
        self.consumer_schedule_retry(consumer, delay);
    }

    pub(crate) fn consumer_handle_join_response(
        &mut self,
        consumer: u32,
        result: Result<JoinGroupResult, BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.state != MemberState::Joining {
            return;
        }
        match result {
            Err(BrokerError::MemberIdRequired { member_id }) => {
                c.member_id = member_id.clone();
                self.emit(
                    EventKind::ConsumerError { consumer, error: "MemberIdRequired".into() },
                    format!("consumer {consumer} is given member id {member_id} (MEMBER_ID_REQUIRED, KIP-394) and joins again with it"),
                );
                self.consumer_send_join(consumer);
            }
            Err(
                error @ (BrokerError::NotCoordinator { .. }
                | BrokerError::CoordinatorNotAvailable { .. }),
            ) => {
                self.consumer_lost_coordinator(consumer, &error, None);
            }
            Err(error @ BrokerError::UnknownMemberId { .. }) => {
                c.member_id.clear();
                c.generation = -1;
                self.emit(
                    EventKind::ConsumerError {
                        consumer,
                        error: error.kafka_name().into(),
                    },
                    format!("consumer {consumer}: {error}; it joins again as a new member"),
                );
                self.consumer_send_join(consumer);
            }
            Err(error) => {
                c.state = MemberState::Unjoined;
                self.emit(
                    EventKind::ConsumerError {
                        consumer,
                        error: error.kafka_name().into(),
                    },
                    format!("consumer {consumer} cannot join: {error}"),
                );
                self.consumer_finish_poll_if_idle(consumer);
            }
            Ok(join) => {
                c.member_id = join.member_id.clone();
                c.generation = join.generation;
                c.state = MemberState::Syncing;
                let group = c.group().unwrap_or_default().to_string();
                let is_leader = join.leader == join.member_id;
                let mut assignments = SortedMap::new();
                if is_leader {
                    assignments = self.consumer_compute_assignment(consumer, &group, &join);
                } else {
                    self.emit(
                        EventKind::JoinedGroup { consumer, group: group.clone(), generation: join.generation, leader: false },
                        format!("consumer {consumer} is member {} of group {group} in generation {}; it waits for the leader's assignment", join.member_id, join.generation),
                    );
                }
                let coordinator = self.consumers[&consumer].coordinator;
                if let Some(coordinator) = coordinator {
                    self.send_to_broker(
                        consumer,
                        coordinator,
                        Payload::SyncGroup {
                            group,
                            generation: join.generation,
                            member_id: join.member_id,
                            assignments,
                        },
                    );
                }
            }
        }
    }

    /// The leader runs the assignor over every member's subscription.
    fn consumer_compute_assignment(
        &mut self,
        consumer: u32,
        group: &str,
        join: &JoinGroupResult,
    ) -> SortedMap<String, Vec<TopicPartition>> {
        let partitions_per_topic: SortedMap<String, u32> = SortedMap::from_iter(
            join.members
                .iter()
                .flat_map(|m| m.topics.iter())
                .filter_map(|t| {
                    self.topics
                        .get(t)
                        .map(|topic| (t.clone(), topic.partitions.len() as u32))
                }),
        );
        let members: Vec<Member> = join.members.clone();
        let (assignment, revoking) = join.protocol.assign(&partitions_per_topic, &members);
        let described = assignment
            .iter()
            .map(|(m, tps)| format!("{m}: {}", list(tps)))
            .collect::<Vec<_>>()
            .join("; ");
        let withheld = if revoking.values().all(|v| v.is_empty()) {
            String::new()
        } else {
            format!(
                "; withheld until their owners revoke them: {}",
                revoking
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(m, tps)| format!("{m} gives up {}", list(tps)))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        self.emit(
            EventKind::JoinedGroup {
                consumer,
                group: group.to_string(),
                generation: join.generation,
                leader: true,
            },
            format!(
                "consumer {consumer} leads group {group} in generation {} and assigns with {}: {described}{withheld}",
                join.generation,
                join.protocol.name()
            ),
        );
        assignment
    }

    pub(crate) fn consumer_handle_sync_response(
        &mut self,
        consumer: u32,
        result: Result<Vec<TopicPartition>, BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.state != MemberState::Syncing {
            return;
        }
        match result {
            Ok(assigned) => {
                let revoked: Vec<TopicPartition> = c
                    .assignment
                    .iter()
                    .filter(|tp| !assigned.contains(tp))
                    .cloned()
                    .collect();
                let generation = c.generation;
                let offsets: Vec<(TopicPartition, u64)> = c
                    .current_offsets()
                    .into_iter()
                    .filter(|(tp, _)| revoked.contains(tp))
                    .collect();
                let auto_commit = c.config.auto_commit();
                if auto_commit && !offsets.is_empty() {
                    self.consumer_commit(
                        consumer,
                        offsets,
                        true,
                        "onPartitionsRevoked commits what it gives up",
                    );
                }
                let c = self.consumers.get_mut(&consumer).expect("alive");
                c.retries = 0;
                c.forget(&revoked);
                // Each partition is assigned once, so nothing is lost.
                c.assignment = sorted_unique(assigned.iter().cloned());
                c.state = MemberState::Stable;
                let text = if revoked.is_empty() {
                    format!(
                        "consumer {consumer} gets {} in generation {generation}",
                        list(&assigned)
                    )
                } else {
                    format!(
                        "consumer {consumer} gets {} in generation {generation} and revokes {} (cooperative: only the partitions that move stop); it rejoins so they can be handed out",
                        list(&assigned),
                        list(&revoked)
                    )
                };
                self.emit(
                    EventKind::AssignmentChanged {
                        consumer,
                        generation,
                        assigned: assigned.clone(),
                        revoked: revoked.clone(),
                    },
                    text,
                );
                self.consumer_arm_heartbeat(consumer);
                if !revoked.is_empty() {
                    self.consumer_rejoin(
                        consumer,
                        "it revoked partitions (cooperative rebalancing)",
                    );
                    return;
                }
                self.consumer_lookup_positions(consumer);
                self.consumer_continue_poll(consumer);
            }
            Err(
                error @ (BrokerError::NotCoordinator { .. }
                | BrokerError::CoordinatorNotAvailable { .. }),
            ) => {
                c.state = MemberState::Joining;
                self.consumer_lost_coordinator(consumer, &error, None);
            }
            Err(error) => {
                self.consumer_reset_membership(consumer, &error);
                self.consumer_rejoin(
                    consumer,
                    &format!("SyncGroup failed with {}", error.kafka_name()),
                );
            }
        }
    }

    /// `UNKNOWN_MEMBER_ID` / `ILLEGAL_GENERATION`: the member lost its place; its partitions
    /// are lost (no commit, `onPartitionsLost`).
    fn consumer_reset_membership(&mut self, consumer: u32, error: &BrokerError) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if matches!(error, BrokerError::UnknownMemberId { .. }) {
            c.member_id.clear();
        }
        c.generation = -1;
        let lost = c.assignment.clone();
        c.forget(&lost);
        c.state = MemberState::Unjoined;
        self.emit(
            EventKind::PartitionsRevoked {
                consumer,
                partitions: lost.clone(),
            },
            format!(
                "consumer {consumer}: {error}; its partitions ({}) are lost without a commit",
                list(&lost)
            ),
        );
    }

    fn consumer_arm_heartbeat(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.heartbeat_timer.is_some() || !c.uses_group_management() {
            return;
        }
        let interval = c.config.heartbeat_interval_ms;
        let timer = self.set_timer(
            Node::Consumer(consumer),
            interval,
            Timer::ConsumerHeartbeat { consumer },
        );
        self.consumers
            .get_mut(&consumer)
            .expect("alive")
            .heartbeat_timer = Some(timer);
    }

    pub(crate) fn consumer_heartbeat_due(&mut self, consumer: u32) {
        let now = self.tick;
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        c.heartbeat_timer = None;
        if c.state != MemberState::Stable {
            return;
        }
        if now.saturating_sub(c.last_poll_tick) > c.config.max_poll_interval_ms {
            let limit = c.config.max_poll_interval_ms;
            self.emit(
                EventKind::ConsumerError { consumer, error: "PollTimeout".into() },
                format!("consumer {consumer} has not called poll() for max.poll.interval.ms = {limit} ms: it leaves the group so its partitions can move"),
            );
            self.consumer_leave(consumer);
            return;
        }
        let Some(coordinator) = c.coordinator else {
            return;
        };
        let (group, generation, member_id) = (
            c.group().unwrap_or_default().to_string(),
            c.generation,
            c.member_id.clone(),
        );
        self.send_to_broker(
            consumer,
            coordinator,
            Payload::Heartbeat {
                group,
                generation,
                member_id,
            },
        );
        self.consumer_arm_heartbeat(consumer);
    }

    pub(crate) fn consumer_handle_heartbeat_response(
        &mut self,
        consumer: u32,
        error: Option<BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.state != MemberState::Stable {
            return;
        }
        match error {
            None => {}
            Some(BrokerError::RebalanceInProgress { .. }) => {
                self.consumer_rejoin(consumer, "its heartbeat was answered REBALANCE_IN_PROGRESS");
            }
            Some(
                error @ (BrokerError::NotCoordinator { .. }
                | BrokerError::CoordinatorNotAvailable { .. }),
            ) => {
                self.consumer_lost_coordinator(consumer, &error, None);
            }
            Some(error) => {
                self.consumer_reset_membership(consumer, &error);
                self.consumer_rejoin(
                    consumer,
                    &format!("its heartbeat was answered {}", error.kafka_name()),
                );
            }
        }
    }

    /// Leaves the group: dynamic members send LeaveGroup; static members just stop and
    /// keep their place until `session.timeout.ms` (KIP-345).
    fn consumer_leave(&mut self, consumer: u32) {
        let Some(c) = self.consumers.get_mut(&consumer).filter(|c| c.alive) else {
            return;
        };
        if let Some(timer) = c.heartbeat_timer.take() {
            self.network.cancel(timer);
        }
        let dynamic = c.config.group_instance_id.is_none();
        let (group, member_id, coordinator) = (
            c.group().unwrap_or_default().to_string(),
            c.member_id.clone(),
            c.coordinator,
        );
        let lost = c.assignment.clone();
        if c.uses_group_management() {
            c.forget(&lost);
        }
        c.state = MemberState::Unjoined;
        c.generation = -1;
        if dynamic {
            c.member_id.clear();
        }
        if let (true, Some(coordinator), false) = (dynamic, coordinator, member_id.is_empty()) {
            self.send_to_broker(
                consumer,
                coordinator,
                Payload::LeaveGroup { group, member_id },
            );
        }
    }

    // ----- positions -------------------------------------------------------------------------

    /// Finds a starting position for every owned partition that has none: the committed
    /// offset (OffsetFetch), or `auto.offset.reset` (ListOffsets).
    fn consumer_lookup_positions(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.uses_group_management() && c.state != MemberState::Stable {
            return;
        }
        let missing: Vec<TopicPartition> = c
            .assignment
            .iter()
            .filter(|tp| !c.positions.contains_key(*tp) && !c.lookups_in_flight.contains(*tp))
            .cloned()
            .collect();
        if missing.is_empty() {
            return;
        }
        match (c.group().map(str::to_string), c.coordinator) {
            (Some(group), Some(coordinator)) => {
                c.lookups_in_flight.extend(missing.iter().cloned());
                self.send_to_broker(
                    consumer,
                    coordinator,
                    Payload::OffsetFetch {
                        group,
                        partitions: missing,
                    },
                );
            }
            (Some(_), None) => self.consumer_find_coordinator(consumer),
            (None, _) => {
                for tp in missing {
                    self.consumer_reset_position(
                        consumer,
                        tp,
                        "there is no group to hold a committed offset",
                    );
                }
            }
        }
    }

    pub(crate) fn consumer_handle_offset_fetch(
        &mut self,
        consumer: u32,
        result: Result<Vec<(TopicPartition, Option<u64>)>, BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        match result {
            Err(error) => {
                c.lookups_in_flight.clear();
                self.consumer_lost_coordinator(consumer, &error, None);
            }
            Ok(offsets) => {
                for (tp, committed) in offsets {
                    let c = self.consumers.get_mut(&consumer).expect("alive");
                    if !c.lookups_in_flight.remove(&tp) || !c.assignment.contains(&tp) {
                        continue;
                    }
                    match committed {
                        Some(offset) => {
                            c.positions.insert(tp.clone(), offset);
                            c.committed.insert(tp.clone(), offset);
                            self.emit(
                                EventKind::PositionSet { consumer, partition: tp.clone(), offset, reason: "committed offset".into() },
                                format!("consumer {consumer} starts {tp} at the group's committed offset {offset}"),
                            );
                        }
                        None => self.consumer_reset_position(
                            consumer,
                            tp,
                            "the group has no committed offset for it",
                        ),
                    }
                }
                self.consumer_continue_poll(consumer);
            }
        }
    }

    /// `auto.offset.reset`: earliest or latest asks the leader (ListOffsets); none is
    /// `NoOffsetForPartition`.
    fn consumer_reset_position(&mut self, consumer: u32, tp: TopicPartition, why: &str) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        let reset = c.config.auto_offset_reset;
        if reset == AutoOffsetReset::None {
            let error = BrokerError::NoOffsetForPartition {
                topic: tp.topic.clone(),
                partition: tp.partition,
            };
            self.emit(
                EventKind::ConsumerError {
                    consumer,
                    error: error.kafka_name().into(),
                },
                format!("consumer {consumer}: {why}, and auto.offset.reset=none: {error}"),
            );
            return;
        }
        let leader = self.partition_metadata(&tp).and_then(|m| m.leader);
        let Some(leader) = leader else {
            self.consumer_schedule_retry(consumer, None);
            return;
        };
        self.consumers
            .get_mut(&consumer)
            .expect("alive")
            .lookups_in_flight
            .insert(tp.clone());
        self.emit(
            EventKind::PositionReset { consumer, partition: tp.clone(), reset: reset.name().into() },
            format!("consumer {consumer}: {why}; auto.offset.reset={} asks the leader of {tp} for its {} offset", reset.name(), if reset == AutoOffsetReset::Earliest { "earliest" } else { "latest (the high watermark)" }),
        );
        self.send_to_broker(
            consumer,
            leader,
            Payload::ListOffsets {
                partition: tp,
                earliest: reset == AutoOffsetReset::Earliest,
            },
        );
    }

    pub(crate) fn broker_handle_list_offsets(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        partition: TopicPartition,
        earliest: bool,
    ) {
        let result = match self.replica(broker, &partition).filter(|r| r.is_leader()) {
            Some(r) => Ok(if earliest {
                r.log.log_start_offset()
            } else {
                r.high_watermark
            }),
            None => Err(BrokerError::NotLeaderOrFollower {
                topic: partition.topic.clone(),
                partition: partition.partition,
                broker,
            }),
        };
        self.send_to_consumer(
            broker,
            consumer,
            Payload::ListOffsetsResponse { partition, result },
        );
    }

    pub(crate) fn consumer_handle_list_offsets(
        &mut self,
        consumer: u32,
        partition: TopicPartition,
        result: Result<u64, BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if !c.lookups_in_flight.remove(&partition) || !c.assignment.contains(&partition) {
            return;
        }
        match result {
            Ok(offset) => {
                c.positions.insert(partition.clone(), offset);
                self.emit(
                    EventKind::PositionSet {
                        consumer,
                        partition: partition.clone(),
                        offset,
                        reason: "auto.offset.reset".into(),
                    },
                    format!("consumer {consumer} starts {partition} at offset {offset}"),
                );
                self.consumer_continue_poll(consumer);
            }
            Err(_) => self.consumer_schedule_retry(consumer, None),
        }
    }

    // ----- fetching and processing ----------------------------------------------------------

    /// Sends the fetches a pending poll needs, or finishes the poll.
    fn consumer_continue_poll(&mut self, consumer: u32) {
        let now = self.tick;
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if !c.poll_pending {
            return;
        }
        if c.uses_group_management() && c.state != MemberState::Stable {
            return; // the poll waits for the rebalance
        }
        if !c.buffer.is_empty() {
            self.consumer_finish_poll(consumer);
            return;
        }
        let wanted: Vec<(TopicPartition, u64)> = c
            .assignment
            .iter()
            .filter(|tp| !c.fetches_in_flight.contains(*tp))
            .filter(|tp| c.paused_until.get(*tp).is_none_or(|&until| until <= now))
            .filter_map(|tp| c.positions.get(tp).map(|&o| (tp.clone(), o)))
            .collect();
        let max_bytes = c.config.max_partition_fetch_bytes;
        for (tp, offset) in wanted {
            let Some(leader) = self.partition_metadata(&tp).and_then(|m| m.leader) else {
                continue;
            };
            self.consumers
                .get_mut(&consumer)
                .expect("alive")
                .fetches_in_flight
                .insert(tp.clone());
            self.send_to_broker(
                consumer,
                leader,
                Payload::ConsumerFetch {
                    partition: tp,
                    fetch_offset: offset,
                    max_bytes,
                },
            );
        }
        self.consumer_finish_poll_if_idle(consumer);
    }

    fn consumer_finish_poll_if_idle(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        if c.poll_pending && c.fetches_in_flight.is_empty() && c.lookups_in_flight.is_empty() {
            let joining = c.uses_group_management() && c.state != MemberState::Stable;
            if !joining || c.state == MemberState::Unjoined {
                self.consumer_finish_poll(consumer);
            }
        }
    }

    /// A leader answers a consumer's Fetch with records below the high watermark only.
    pub(crate) fn broker_handle_consumer_fetch(
        &mut self,
        broker: BrokerId,
        consumer: u32,
        partition: TopicPartition,
        fetch_offset: u64,
        max_bytes: u64,
    ) {
        let result = match self.replica(broker, &partition).filter(|r| r.is_leader()) {
            None => Err(BrokerError::NotLeaderOrFollower {
                topic: partition.topic.clone(),
                partition: partition.partition,
                broker,
            }),
            Some(replica) => match replica
                .log
                .read(fetch_offset, 10_000, replica.high_watermark)
            {
                ReadOutcome::OutOfRange {
                    log_start_offset,
                    log_end_offset,
                } => Err(BrokerError::OffsetOutOfRange {
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                    offset: fetch_offset,
                    log_start_offset,
                    log_end_offset,
                }),
                ReadOutcome::Records(mut records) => {
                    // `max.partition.fetch.bytes`, but never less than one record.
                    let mut bytes = 0;
                    let keep = records
                        .iter()
                        .take_while(|r| {
                            bytes += r.size_in_bytes();
                            bytes <= max_bytes
                        })
                        .count()
                        .max(1)
                        .min(records.len());
                    records.truncate(keep);
                    Ok((records, replica.high_watermark))
                }
            },
        };
        self.send_to_consumer(
            broker,
            consumer,
            Payload::ConsumerFetchResponse {
                partition,
                fetch_offset,
                result,
            },
        );
    }

    pub(crate) fn consumer_handle_fetch_response(
        &mut self,
        consumer: u32,
        partition: TopicPartition,
        fetch_offset: u64,
        result: Result<(Vec<Record>, u64), BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        let current = c.fetches_in_flight.remove(&partition)
            && c.assignment.contains(&partition)
            && c.positions.get(&partition) == Some(&fetch_offset);
        if current {
            match result {
                Ok((records, _)) => {
                    c.retries = 0;
                    c.buffer
                        .extend(records.into_iter().map(|r| (partition.clone(), r)));
                }
                Err(BrokerError::OffsetOutOfRange {
                    log_start_offset,
                    log_end_offset,
                    ..
                }) => {
                    c.positions.remove(&partition);
                    self.consumer_reset_position(
                        consumer,
                        partition.clone(),
                        &format!("offset {fetch_offset} is no longer in {partition}'s log [{log_start_offset}, {log_end_offset}) (OffsetOutOfRange)"),
                    );
                }
                Err(_) => {} // a stale leader: the next poll asks the current one
            }
        }
        self.consumer_finish_poll_if_idle(consumer);
    }

    /// `poll()` returns: up to `max.poll.records` records are processed, in order.
    fn consumer_finish_poll(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        c.poll_pending = false;
        let take = (c.config.max_poll_records as usize).min(c.buffer.len());
        let batch: Vec<(TopicPartition, Record)> = c.buffer.drain(..take).collect();
        let count = batch.len();
        self.emit(
            EventKind::PollReturned {
                consumer,
                records: count as u32,
            },
            if count == 0 {
                format!("consumer {consumer}'s poll() returns no records")
            } else {
                format!(
                    "consumer {consumer}'s poll() returns {count} record{}",
                    if count == 1 { "" } else { "s" }
                )
            },
        );
        for (tp, record) in batch {
            if !self.consumer_process(consumer, tp, record) {
                break;
            }
        }
    }

    /// The application processes one record. Returns false when the consumer must stop.
    fn consumer_process(&mut self, consumer: u32, tp: TopicPartition, record: Record) -> bool {
        let now = self.tick;
        let Some(c) = self.consumer_mut(consumer) else {
            return false;
        };
        if c.task_failed.is_some() {
            return false;
        }
        if !c.assignment.contains(&tp) || c.positions.get(&tp) != Some(&record.offset) {
            return true; // revoked or sought away meanwhile
        }
        if c.paused_until.get(&tp).is_some_and(|&until| until > now) {
            return true;
        }
        // A retry topic's record waits for its back-off (Spring pauses the partition).
        if let Some(due) = super::dead_letter::backoff_due(&record).filter(|&due| due > now) {
            c.paused_until.insert(tp.clone(), due);
            c.buffer.retain(|(p, _)| *p != tp);
            self.emit(
                EventKind::PartitionPaused { consumer, partition: tp.clone(), until_tick: due },
                format!("consumer {consumer} pauses {tp}: the record at offset {} is due at t={due} (retry_topic-backoff-timestamp)", record.offset),
            );
            return true;
        }
        c.processed += 1;
        let attempt_number = c.processed;
        // Most sessions mark nothing: skip building the record's identity then.
        let poisoned = !self.poison.is_empty()
            && self
                .poison
                .contains(&super::dead_letter::identity(&tp, &record));
        let c = &self.consumers[&consumer];
        let failure = failure_reason(poisoned, c.failure_rule.as_ref(), &record, attempt_number);
        let (generation, member_id) = (c.generation, c.member_id.clone());
        let key = record.key.clone();
        let ok = failure.is_none();
        self.emit(
            EventKind::RecordProcessed {
                consumer,
                partition: tp.clone(),
                offset: record.offset,
                key: key.clone(),
                generation,
                member_id,
                ok,
            },
            match &failure {
                None => format!(
                    "consumer {consumer} processes {tp} offset {} (key {})",
                    record.offset,
                    key.as_deref().unwrap_or("null")
                ),
                Some(reason) => format!(
                    "consumer {consumer} fails to process {tp} offset {}: {reason}",
                    record.offset
                ),
            },
        );
        let proceed = match failure {
            None => true,
            Some(reason) => {
                self.consumers.get_mut(&consumer).expect("alive").failures += 1;
                self.handle_processing_failure(consumer, &tp, &record, &reason)
            }
        };
        if proceed {
            if let Some(c) = self.consumer_mut(consumer) {
                c.positions.insert(tp, record.offset + 1);
            }
        }
        proceed
    }

    // ----- commits ----------------------------------------------------------------------------

    pub(crate) fn consumer_commit(
        &mut self,
        consumer: u32,
        offsets: Vec<(TopicPartition, u64)>,
        sync: bool,
        why: &str,
    ) {
        let request_id = self.next_request_id();
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        let (generation, member_id) = if c.uses_group_management() {
            (c.generation, c.member_id.clone())
        } else {
            (-1, String::new())
        };
        let text = format!(
            "consumer {consumer} commits {} ({why})",
            offsets
                .iter()
                .map(|(tp, o)| format!("{tp} at {o}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        c.commits.insert(
            request_id,
            PendingCommit {
                offsets,
                sync,
                sent: false,
                generation,
                member_id,
            },
        );
        self.emit(EventKind::CommitStarted { consumer, sync }, text);
        self.consumer_send_unsent_commits(consumer);
    }

    fn consumer_send_unsent_commits(&mut self, consumer: u32) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        let group = c.group().unwrap_or_default().to_string();
        let Some(coordinator) = c.coordinator else {
            if c.commits.values().any(|p| !p.sent) {
                self.consumer_find_coordinator(consumer);
            }
            return;
        };
        let unsent: Vec<(u64, PendingCommit)> = c
            .commits
            .iter_mut()
            .filter(|(_, p)| !p.sent)
            .map(|(id, p)| {
                p.sent = true;
                (*id, p.clone())
            })
            .collect();
        for (request_id, commit) in unsent {
            self.send_to_broker(
                consumer,
                coordinator,
                Payload::OffsetCommit {
                    group: group.clone(),
                    generation: commit.generation,
                    member_id: commit.member_id,
                    offsets: commit.offsets,
                    request_id,
                },
            );
        }
    }

    pub(crate) fn consumer_handle_commit_response(
        &mut self,
        consumer: u32,
        request_id: u64,
        result: Result<(), BrokerError>,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        let Some(commit) = c.commits.get(&request_id).cloned() else {
            return;
        };
        match result {
            Ok(()) => {
                c.retries = 0;
                c.commits.remove(&request_id);
                for (tp, offset) in &commit.offsets {
                    c.committed.insert(tp.clone(), *offset);
                }
                let group = c.group().unwrap_or_default().to_string();
                self.emit(
                    EventKind::OffsetsCommitted {
                        consumer,
                        group: group.clone(),
                        offsets: commit.offsets.clone(),
                    },
                    format!(
                        "group {group} has committed {}",
                        commit
                            .offsets
                            .iter()
                            .map(|(tp, o)| format!("{tp} at {o}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            Err(
                error @ (BrokerError::NotCoordinator { .. }
                | BrokerError::CoordinatorNotAvailable { .. }),
            ) if commit.sync => {
                // commitSync retries retriable errors (with a fresh coordinator).
                self.consumer_lost_coordinator(consumer, &error, None);
            }
            Err(error) => {
                c.commits.remove(&request_id);
                let text = match &error {
                    BrokerError::RebalanceInProgress { .. } | BrokerError::IllegalGeneration { .. } | BrokerError::UnknownMemberId { .. } => format!(
                        "consumer {consumer}'s commit fails (CommitFailedException: the group has rebalanced and the partitions may belong to another member): {error}"
                    ),
                    _ => format!("consumer {consumer}'s commit fails: {error}"),
                };
                self.emit(
                    EventKind::CommitFailed {
                        consumer,
                        error: error.kafka_name().into(),
                    },
                    text,
                );
            }
        }
    }

    /// A consumer's request or its answer was lost: a crashed broker resets the
    /// connection at once, a cut link is noticed after `request.timeout.ms`.
    pub(crate) fn consumer_request_lost(
        &mut self,
        consumer: u32,
        broker: BrokerId,
        payload: &Payload,
        broker_down: bool,
    ) {
        let Some(c) = self.consumer_mut(consumer) else {
            return;
        };
        let delay = if broker_down {
            c.config.retry_backoff_ms
        } else {
            c.config.request_timeout_ms
        };
        match payload {
            Payload::ConsumerFetch { partition, .. }
            | Payload::ConsumerFetchResponse { partition, .. } => {
                c.fetches_in_flight.remove(partition);
                self.consumer_schedule_retry(consumer, Some(delay));
            }
            Payload::ListOffsets { partition, .. }
            | Payload::ListOffsetsResponse { partition, .. } => {
                c.lookups_in_flight.remove(partition);
                self.consumer_schedule_retry(consumer, Some(delay));
            }
            Payload::FindCoordinator { .. } | Payload::FindCoordinatorResponse { .. } => {
                c.finding_coordinator = false;
                self.consumer_schedule_retry(consumer, Some(delay));
            }
            Payload::OffsetFetch { .. } | Payload::OffsetFetchResponse { .. } => {
                c.lookups_in_flight.clear();
                let error = BrokerError::NetworkException { broker };
                self.consumer_lost_coordinator(consumer, &error, Some(delay));
            }
            Payload::JoinGroup(_)
            | Payload::JoinGroupResponse { .. }
            | Payload::SyncGroup { .. }
            | Payload::SyncGroupResponse { .. } => {
                if c.state == MemberState::Syncing {
                    c.state = MemberState::Joining;
                }
                let error = BrokerError::NetworkException { broker };
                self.consumer_lost_coordinator(consumer, &error, Some(delay));
            }
            Payload::Heartbeat { .. }
            | Payload::HeartbeatResponse { .. }
            | Payload::OffsetCommit { .. }
            | Payload::OffsetCommitResponse { .. }
                if c.coordinator == Some(broker) =>
            {
                let error = BrokerError::NetworkException { broker };
                self.consumer_lost_coordinator(consumer, &error, Some(delay));
            }
            _ => {}
        }
        self.consumer_finish_poll_if_idle(consumer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: &str) -> Record {
        Record {
            offset: 0,
            timestamp: 0,
            key: None,
            value: Some(value.into()),
            headers: vec![],
            producer_id: None,
            producer_epoch: 0,
            sequence: -1,
            leader_epoch: 0,
        }
    }

    use crate::broker::{Cluster, ClusterConfig, Command, EventKind};

    /// A 3-broker cluster with topic "t" (3 partitions, RF 3) and `records` keyed records.
    fn cluster_with_records(records: u32) -> Cluster {
        let config = ClusterConfig {
            offsets_topic_num_partitions: 3,
            ..ClusterConfig::default()
        };
        let mut cluster = Cluster::new(config, 5);
        cluster
            .apply(Command::CreateTopic {
                name: "t".into(),
                partitions: 3,
                replication_factor: 3,
                configs: Default::default(),
            })
            .unwrap();
        cluster
            .apply(Command::AddProducer {
                config: Default::default(),
            })
            .unwrap();
        for i in 0..records {
            cluster
                .apply(Command::Produce {
                    producer: 1,
                    topic: "t".into(),
                    key: Some(format!("k{i}")),
                    value: Some("v".into()),
                    headers: vec![],
                    partition: None,
                    count: 1,
                })
                .unwrap();
        }
        cluster.run_until_idle();
        cluster
    }

    fn join(cluster: &mut Cluster, config: ConsumerConfig) -> u32 {
        cluster.apply(Command::AddConsumer { config }).unwrap();
        let consumer = *cluster.consumers().keys().next_back().unwrap();
        cluster
            .apply(Command::Subscribe {
                consumer,
                topics: vec!["t".into()],
            })
            .unwrap();
        consumer
    }

    fn in_group(reset: AutoOffsetReset) -> ConsumerConfig {
        ConsumerConfig {
            group_id: Some("g".into()),
            auto_offset_reset: reset,
            ..ConsumerConfig::default()
        }
    }

    fn processed_offsets(events: &[crate::broker::Event]) -> Vec<(String, u64)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::RecordProcessed {
                    partition, offset, ..
                } => Some((partition.to_string(), *offset)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn earliest_reads_everything_latest_only_what_comes_next_and_none_refuses() {
        let mut cluster = cluster_with_records(6);
        let earliest = join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        cluster.run_until_idle();
        cluster.apply(Command::Poll { consumer: earliest }).unwrap();
        assert_eq!(processed_offsets(&cluster.run_until_idle()).len(), 6);

        let mut cluster = cluster_with_records(6);
        let latest = join(&mut cluster, in_group(AutoOffsetReset::Latest));
        cluster.run_until_idle();
        cluster.apply(Command::Poll { consumer: latest }).unwrap();
        assert!(processed_offsets(&cluster.run_until_idle()).is_empty());

        let mut cluster = cluster_with_records(6);
        let none = join(&mut cluster, in_group(AutoOffsetReset::None));
        let events = cluster.run_until_idle();
        assert!(events.iter().any(|e| matches!(&e.kind, EventKind::ConsumerError { error, .. } if error == "NoOffsetForPartition")));
        assert!(matches!(
            cluster.apply(Command::Poll { consumer: none }),
            Err(BrokerError::NoOffsetForPartition { .. })
        ));
    }

    #[test]
    fn max_poll_records_bounds_one_poll_and_the_rest_come_next() {
        let mut cluster = cluster_with_records(9);
        let consumer = join(
            &mut cluster,
            ConsumerConfig {
                max_poll_records: 4,
                ..in_group(AutoOffsetReset::Earliest)
            },
        );
        cluster.run_until_idle();
        let mut counts = Vec::new();
        for _ in 0..4 {
            let mut events = cluster.apply(Command::Poll { consumer }).unwrap();
            events.extend(cluster.run_until_idle());
            counts.push(processed_offsets(&events).len());
        }
        assert_eq!(counts.iter().sum::<usize>(), 9);
        assert!(counts.iter().all(|&n| n <= 4), "{counts:?}");
    }

    #[test]
    fn a_consumer_that_stops_polling_leaves_after_max_poll_interval() {
        let mut cluster = cluster_with_records(0);
        let consumer = join(
            &mut cluster,
            ConsumerConfig {
                max_poll_interval_ms: 60_000,
                ..in_group(AutoOffsetReset::Earliest)
            },
        );
        cluster.run_until_idle();
        let events = cluster.apply(Command::AdvanceClock { ms: 70_000 }).unwrap();
        assert!(events.iter().any(
            |e| matches!(&e.kind, EventKind::ConsumerError { error, .. } if error == "PollTimeout")
        ));
        assert!(events.iter().any(|e| matches!(&e.kind, EventKind::MemberRemoved { reason, .. } if reason.contains("LeaveGroup"))));
        assert!(cluster.consumers()[&consumer].assignment.is_empty());
        // The next poll joins again.
        cluster.apply(Command::Poll { consumer }).unwrap();
        cluster.run_until_idle();
        assert_eq!(cluster.consumers()[&consumer].assignment.len(), 3);
    }

    #[test]
    fn a_static_member_that_restarts_within_the_session_keeps_its_partitions_without_a_rebalance() {
        let mut cluster = cluster_with_records(0);
        let config = |i: &str| ConsumerConfig {
            group_instance_id: Some(i.into()),
            ..in_group(AutoOffsetReset::Earliest)
        };
        let a = join(&mut cluster, config("a"));
        let b = join(&mut cluster, config("b"));
        cluster.run_until_idle();
        let before = cluster.consumers()[&b].assignment.clone();
        let generation = cluster.group("g").unwrap().generation;
        cluster
            .apply(Command::CrashConsumer { consumer: b })
            .unwrap();
        cluster.apply(Command::AdvanceClock { ms: 10_000 }).unwrap();
        cluster
            .apply(Command::RestartConsumer { consumer: b })
            .unwrap();
        let events = cluster.run_until_idle();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e.kind, EventKind::GroupStateChanged { .. })),
            "no rebalance"
        );
        assert_eq!(cluster.group("g").unwrap().generation, generation);
        assert_eq!(cluster.consumers()[&b].assignment, before);
        assert_eq!(cluster.consumers()[&a].assignment.len() + before.len(), 3);
    }

    #[test]
    fn a_committed_offset_that_fell_out_of_the_log_is_reset() {
        let mut cluster = cluster_with_records(0);
        let consumer = join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        cluster.run_until_idle();
        // Commit offset 40 of t-0, which does not exist: the fetch says OffsetOutOfRange.
        cluster
            .apply(Command::Seek {
                consumer,
                topic: "t".into(),
                partition: 0,
                offset: 40,
            })
            .unwrap();
        cluster.apply(Command::Poll { consumer }).unwrap();
        let events = cluster.run_until_idle();
        assert!(
            events.iter().any(|e| e.text.contains("OffsetOutOfRange")),
            "{events:#?}"
        );
        let tp = TopicPartition::new("t", 0);
        assert_eq!(cluster.consumers()[&consumer].positions.get(&tp), Some(&0));
    }

    #[test]
    fn retries_while_every_broker_is_down_never_carry_the_clock_past_its_target() {
        let mut cluster = cluster_with_records(0);
        join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        cluster.run_until_idle();
        for broker in 1..=3 {
            cluster.apply(Command::CrashBroker { broker }).unwrap();
        }
        let start = cluster.tick();
        cluster.apply(Command::AdvanceClock { ms: 10_000 }).unwrap();
        assert_eq!(cluster.tick(), start + 10_000);
        cluster.run_until_idle();
        for broker in 1..=3 {
            cluster.apply(Command::RestartBroker { broker }).unwrap();
        }
        cluster.run_until_idle();
        cluster.apply(Command::AdvanceClock { ms: 10_000 }).unwrap();
        cluster.run_until_idle();
        assert_eq!(
            cluster.group("g").unwrap().state,
            crate::broker::group::GroupState::Stable
        );
    }

    #[test]
    fn only_a_group_without_members_can_be_deleted_and_its_offsets_go_with_it() {
        let mut cluster = cluster_with_records(3);
        let consumer = join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        cluster.run_until_idle();
        cluster.apply(Command::Poll { consumer }).unwrap();
        cluster.run_until_idle();
        cluster
            .apply(Command::Commit {
                consumer,
                sync: true,
            })
            .unwrap();
        cluster.run_until_idle();
        let delete = || Command::DeleteGroup { group: "g".into() };
        assert!(matches!(
            cluster.apply(delete()),
            Err(BrokerError::NonEmptyGroup { .. })
        ));
        cluster.apply(Command::CloseConsumer { consumer }).unwrap();
        cluster.run_until_idle();
        assert!(!cluster.group("g").unwrap().offsets.is_empty());
        cluster.apply(delete()).unwrap();
        assert!(matches!(
            cluster.apply(delete()),
            Err(BrokerError::GroupIdNotFound { .. })
        ));
        assert_eq!(cluster.group_views()[0].state, "Dead");
        // A new coordinator reading the log finds the tombstones: the group stays gone.
        cluster.run_until_idle();
        let old = cluster.coordinator_of("g").unwrap();
        cluster.apply(Command::CrashBroker { broker: old }).unwrap();
        cluster.run_until_idle();
        assert_ne!(cluster.coordinator_of("g"), Some(old));
        assert!(cluster.group("g").is_none());
    }

    #[test]
    fn a_commit_counts_only_once_the_offsets_partition_replicated_it() {
        use crate::broker::Node;
        let mut cluster = cluster_with_records(3);
        let consumer = join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        cluster.run_until_idle();
        cluster.apply(Command::Poll { consumer }).unwrap();
        cluster.run_until_idle();
        // The coordinator cannot reach the other replicas of its offsets partition.
        let coordinator = cluster.coordinator_of("g").unwrap();
        for other in (1..=3).filter(|&b| b != coordinator) {
            cluster
                .apply(Command::CutLink {
                    a: Node::Broker(coordinator),
                    b: Node::Broker(other),
                })
                .unwrap();
        }
        let before = cluster.group("g").unwrap().offsets.clone();
        cluster
            .apply(Command::Commit {
                consumer,
                sync: false,
            })
            .unwrap();
        let events = cluster.run_until_idle();
        assert!(
            events.iter().any(|e| matches!(&e.kind, EventKind::CommitFailed { error, .. } if error == "RequestTimedOut")),
            "{events:#?}"
        );
        assert_eq!(
            cluster.group("g").unwrap().offsets,
            before,
            "the unreplicated commit does not count"
        );
    }

    #[test]
    fn a_dead_coordinator_moves_and_the_group_keeps_its_offsets() {
        let mut cluster = cluster_with_records(6);
        let a = join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        let b = join(&mut cluster, in_group(AutoOffsetReset::Earliest));
        cluster.run_until_idle();
        for consumer in [a, b] {
            cluster.apply(Command::Poll { consumer }).unwrap();
            cluster.run_until_idle();
            cluster
                .apply(Command::Commit {
                    consumer,
                    sync: true,
                })
                .unwrap();
            cluster.run_until_idle();
        }
        let old = cluster.coordinator_of("g").unwrap();
        let committed = cluster.group("g").unwrap().offsets.clone();
        assert_eq!(committed.values().sum::<u64>(), 6);
        cluster.apply(Command::CrashBroker { broker: old }).unwrap();
        let events = cluster.run_until_idle();
        let new = cluster.coordinator_of("g").unwrap();
        assert_ne!(new, old);
        assert!(events.iter().any(
            |e| matches!(&e.kind, EventKind::CoordinatorLoaded { broker, .. } if *broker == new)
        ));
        // The members find it on their next heartbeat.
        cluster.apply(Command::AdvanceClock { ms: 10_000 }).unwrap();
        assert!(cluster
            .consumers()
            .values()
            .all(|c| c.coordinator == Some(new)));
        let group = cluster.group("g").unwrap();
        assert_eq!(group.offsets, committed);
        assert_eq!(group.state, crate::broker::group::GroupState::Stable);
    }

    #[test]
    fn failure_rules_say_why_a_record_fails() {
        let rule = FailureRule::ValueContains("boom".into());
        assert_eq!(
            failure_reason(false, Some(&rule), &record("a boom b"), 1).as_deref(),
            Some("the value contains \"boom\"")
        );
        assert_eq!(failure_reason(false, Some(&rule), &record("fine"), 1), None);
        let every_third = FailureRule::EveryNth(3);
        let fails: Vec<u64> = (1..=7)
            .filter(|&n| failure_reason(false, Some(&every_third), &record("x"), n).is_some())
            .collect();
        assert_eq!(fails, vec![3, 6]);
        assert!(failure_reason(true, None, &record("x"), 1).is_some());
    }

    #[test]
    fn consumer_configs_follow_kafkas_rules() {
        let group = |g: &str| ConsumerConfig {
            group_id: Some(g.into()),
            ..ConsumerConfig::default()
        };
        assert!(group("g").auto_commit());
        assert!(!ConsumerConfig::default().auto_commit());
        assert!(
            !group("g").cooperative(),
            "range + cooperative-sticky is EAGER"
        );
        let cooperative = ConsumerConfig {
            partition_assignment_strategy: vec![Strategy::CooperativeSticky],
            ..group("g")
        };
        assert!(cooperative.cooperative());
        let bad = ConsumerConfig {
            session_timeout_ms: 1_000,
            ..group("g")
        };
        assert!(matches!(
            bad.validate(),
            Err(BrokerError::InvalidConfig { .. })
        ));
        let no_group_commit = ConsumerConfig {
            enable_auto_commit: Some(true),
            ..ConsumerConfig::default()
        };
        assert!(no_group_commit.validate().is_err());
        assert!(matches!(
            group("").validate(),
            Err(BrokerError::InvalidGroupId { .. })
        ));
    }
}
