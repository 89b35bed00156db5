//! Replication: how followers copy the leader's log, and how the leader decides what is
//! committed.
//!
//! A follower sends `Fetch(offset = my LEO, lastFetchedEpoch)` to the leader. The leader
//! 1. checks that the follower's log has not diverged (KIP-595's `DivergingEpoch`, the
//!    successor of KIP-101's `OffsetsForLeaderEpoch`): if the follower has records from an
//!    epoch that ended earlier on the leader, it is told where to truncate;
//! 2. records the follower's LEO (a fetch from offset `o` means "I have everything below `o`")
//!    and, if the follower has caught up to the high watermark, asks the controller to put it
//!    back in the ISR;
//! 3. moves the high watermark to the smallest LEO in the ISR, which completes acks=all
//!    produce requests waiting in the purgatory;
//! 4. answers with the records from `o` on, or, if there are none, parks the fetch until new
//!    records or a new high watermark arrive (Kafka's `DelayedFetch`).
//!
//! A follower that has not caught up for `replica.lag.time.max.ms` is removed from the ISR
//! (`Partition.maybeShrinkIsr`), by an `AlterPartition` request to the controller.

use std::rc::Rc;

use super::cluster::Cluster;
use super::cluster::REPLICA_FETCH_MAX_RECORDS;
use super::error::BrokerError;
use super::event::EventKind;
use super::ids::{broker_list, BrokerId, Node, TopicPartition};
use super::log::{ReadOutcome, Record};
use super::network::{FetchResponse, Payload, Timer};
use super::partition::{
    high_watermark_candidate, FollowerState, ParkedFetch, Replica, ReplicaRole,
};
use super::sorted_map::{sorted_unique, SortedMap};

impl Cluster {
    pub(crate) fn broker_handle_leader_and_isr(
        &mut self,
        broker: BrokerId,
        partition: TopicPartition,
        leader: Option<BrokerId>,
        leader_epoch: u32,
        isr: Vec<BrokerId>,
        replicas: Vec<BrokerId>,
    ) {
        if self.partition_metadata(&partition).is_none() {
            return; // the topic was deleted meanwhile
        }
        let now = self.tick;
        let node = self
            .brokers
            .get_mut(&broker)
            .expect("delivered to a known broker");
        let replica = node
            .replicas
            .entry(partition.clone())
            .or_insert_with(|| Replica::new(now, replicas.clone()));
        if leader_epoch < replica.leader_epoch {
            return; // stale: a newer epoch is already known
        }
        let same_leadership = leader_epoch == replica.leader_epoch
            && match &replica.role {
                ReplicaRole::Leader { .. } => leader == Some(broker),
                ReplicaRole::Follower {
                    leader: current, ..
                } => *current == leader && leader != Some(broker),
            };
        replica.isr = isr;
        replica.replicas = replicas.clone();
        if same_leadership {
            // An ISR update for a partition whose leadership did not change.
            if let ReplicaRole::Leader {
                alter_partition_pending,
                ..
            } = &mut replica.role
            {
                *alter_partition_pending = false;
                self.leader_maybe_advance_hw(broker, &partition);
                self.leader_maybe_expand_isr(broker, &partition, None);
            } else {
                self.send_follower_fetch(broker, &partition);
            }
            return;
        }
        replica.leader_epoch = leader_epoch;
        // The old role's timers die with it; parked produces are answered below.
        for timer in replica.role.timers() {
            self.network.cancel(timer);
        }
        let mut failed_produces = Vec::new();
        if let ReplicaRole::Leader {
            parked_produces, ..
        } = &mut replica.role
        {
            failed_produces = std::mem::take(parked_produces);
        }
        if leader == Some(broker) {
            let followers: SortedMap<BrokerId, FollowerState> =
                SortedMap::from_iter(replicas.iter().filter(|&&r| r != broker).map(|&r| {
                    (
                        r,
                        FollowerState {
                            log_end_offset: None,
                            last_caught_up_tick: now,
                            parked_fetch: None,
                            high_watermark_sent: 0,
                        },
                    )
                }));
            replica.role = ReplicaRole::Leader {
                followers,
                parked_produces: Vec::new(),
                alter_partition_pending: false,
                lag_check_timer: None,
            };
            Rc::make_mut(&mut replica.log).assign_epoch_start(leader_epoch);
            let leo = replica.log.log_end_offset();
            self.emit(
                EventKind::BecameLeader { broker, partition: partition.clone(), leader_epoch },
                format!("broker {broker} becomes leader of {partition} in epoch {leader_epoch}; its log ends at offset {leo}"),
            );
            self.leader_maybe_advance_hw(broker, &partition);
            self.coordinator_load(broker, &partition);
            // Followers whose fetches were lost while this broker was away retry
            // (`replica.fetch.backoff.ms`) and now reach it.
            self.resume_followers_of(broker, &partition);
        } else {
            replica.role = ReplicaRole::Follower {
                leader,
                fetch_in_flight: false,
            };
            let text = match leader {
                Some(l) => format!(
                    "broker {broker} follows broker {l} for {partition} (epoch {leader_epoch})"
                ),
                None => format!("broker {broker} learns that {partition} has no leader"),
            };
            self.emit(
                EventKind::BecameFollower {
                    broker,
                    partition: partition.clone(),
                    leader,
                    leader_epoch,
                },
                text,
            );
            self.send_follower_fetch(broker, &partition);
            self.coordinator_unload(broker, &partition);
        }
        for parked in failed_produces {
            let error = BrokerError::NotLeaderOrFollower {
                topic: partition.topic.clone(),
                partition: partition.partition,
                broker,
            };
            self.answer_parked(broker, &partition, parked, Err(error));
        }
    }

    /// A follower asks its leader for more, unless a fetch is already out.
    pub(crate) fn send_follower_fetch(&mut self, broker: BrokerId, partition: &TopicPartition) {
        let Some(node) = self.brokers.get_mut(&broker) else {
            return;
        };
        if !node.alive {
            return;
        }
        let Some(replica) = node.replicas.get_mut(partition) else {
            return;
        };
        let ReplicaRole::Follower {
            leader: Some(leader),
            fetch_in_flight,
        } = &mut replica.role
        else {
            return;
        };
        if *fetch_in_flight {
            return;
        }
        *fetch_in_flight = true;
        let leader = *leader;
        let payload = Payload::FetchRequest {
            partition: partition.clone(),
            replica: broker,
            fetch_offset: replica.log.log_end_offset(),
            last_fetched_epoch: replica.log.latest_epoch(),
            leader_epoch: replica.leader_epoch,
        };
        self.send(Node::Broker(broker), Node::Broker(leader), payload);
    }

    pub(crate) fn follower_fetch_lost(&mut self, follower: BrokerId, partition: &TopicPartition) {
        if let Some(ReplicaRole::Follower {
            fetch_in_flight, ..
        }) = self.replica_mut(follower, partition).map(|r| &mut r.role)
        {
            *fetch_in_flight = false;
        }
    }

    /// After a link heals: followers on `broker` that lost their fetch try again
    /// (only those following `leader`, if given), and followers elsewhere that fetch from
    /// `broker` too.
    pub(crate) fn resume_fetchers(&mut self, broker: BrokerId, other: Option<BrokerId>) {
        let mut to_fetch = Vec::new();
        for node in self.brokers.values().filter(|b| b.alive) {
            for (partition, replica) in &node.replicas {
                if let ReplicaRole::Follower {
                    leader: Some(leader),
                    fetch_in_flight: false,
                } = replica.role
                {
                    let involved = (node.id == broker && other.is_none_or(|o| o == leader))
                        || (leader == broker && other.is_none_or(|o| o == node.id));
                    if involved {
                        to_fetch.push((node.id, partition.clone()));
                    }
                }
            }
        }
        for (follower, partition) in to_fetch {
            self.send_follower_fetch(follower, &partition);
        }
    }

    /// Followers of `partition` that wait for nothing (their last fetch was lost) fetch
    /// again from `leader`.
    fn resume_followers_of(&mut self, leader: BrokerId, partition: &TopicPartition) {
        let idle_followers: Vec<BrokerId> = self
            .brokers
            .values()
            .filter(|b| b.alive && b.id != leader)
            .filter(|b| {
                matches!(
                    b.replicas.get(partition).map(|r| &r.role),
                    Some(ReplicaRole::Follower {
                        leader: Some(l),
                        fetch_in_flight: false,
                    }) if *l == leader
                )
            })
            .map(|b| b.id)
            .collect();
        for follower in idle_followers {
            self.send_follower_fetch(follower, partition);
        }
    }

    pub(crate) fn leader_handle_fetch(
        &mut self,
        leader: BrokerId,
        follower: BrokerId,
        partition: TopicPartition,
        fetch_offset: u64,
        last_fetched_epoch: Option<u32>,
        follower_epoch: u32,
    ) {
        let now = self.tick;
        let error_response = |epoch: u32| {
            Payload::FetchResponse(FetchResponse {
                partition: partition.clone(),
                leader_epoch: epoch,
                records: Vec::new(),
                high_watermark: 0,
                diverging_epoch: None,
                error: Some(BrokerError::NotLeaderOrFollower {
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                    broker: leader,
                }),
            })
        };
        let Some(replica) = self.replica_mut(leader, &partition) else {
            self.send(
                Node::Broker(leader),
                Node::Broker(follower),
                error_response(0),
            );
            return;
        };
        let leader_epoch = replica.leader_epoch;
        if !replica.is_leader() || follower_epoch != leader_epoch {
            self.send(
                Node::Broker(leader),
                Node::Broker(follower),
                error_response(leader_epoch),
            );
            return;
        }
        // 1. Divergence (KIP-595 DivergingEpoch).
        if let Some(epoch) = last_fetched_epoch {
            let (known_epoch, end_offset) = replica.log.end_offset_for_epoch(epoch);
            if known_epoch != epoch || end_offset < fetch_offset {
                let high_watermark = replica.high_watermark;
                self.send(
                    Node::Broker(leader),
                    Node::Broker(follower),
                    Payload::FetchResponse(FetchResponse {
                        partition: partition.clone(),
                        leader_epoch,
                        records: Vec::new(),
                        high_watermark,
                        diverging_epoch: Some((known_epoch, end_offset.min(fetch_offset))),
                        error: None,
                    }),
                );
                return;
            }
        }
        // 2. Track the follower.
        let leader_leo = replica.log.log_end_offset();
        let isr = replica.isr.clone();
        let ReplicaRole::Leader {
            followers,
            lag_check_timer,
            ..
        } = &mut replica.role
        else {
            unreachable!("checked above")
        };
        let Some(state) = followers.get_mut(&follower) else {
            return; // not a replica of this partition
        };
        state.log_end_offset = Some(fetch_offset);
        if fetch_offset >= leader_leo {
            state.last_caught_up_tick = now;
        }
        // Nobody in the ISR is behind any more: the pending lag check has nothing to do.
        let isr_caught_up = followers
            .iter()
            .all(|(id, f)| !isr.contains(id) || f.log_end_offset == Some(leader_leo));
        if isr_caught_up {
            if let Some(timer) = lag_check_timer.take() {
                self.network.cancel(timer);
            }
        }
        self.leader_maybe_expand_isr(leader, &partition, Some(follower));
        // 3. The high watermark.
        self.leader_maybe_advance_hw(leader, &partition);
        // 4. Answer now, or park.
        self.leader_answer_or_park_fetch(leader, follower, &partition, fetch_offset);
    }

    /// `Partition.maybeExpandIsr`: a follower outside the ISR that has caught up to the
    /// high watermark and to the start of the leader's epoch (`isFollowerInSync`), and is
    /// eligible (not fenced, KIP-841), is proposed to the controller. Runs on each follower
    /// fetch (`fetching`) and whenever the leader learns new metadata (a broker was
    /// unfenced); then only followers whose fetch is waiting in the purgatory count, since a
    /// Kafka follower fetches continuously and a silent one would not be re-checked.
    fn leader_maybe_expand_isr(
        &mut self,
        leader: BrokerId,
        partition: &TopicPartition,
        fetching: Option<BrokerId>,
    ) {
        let Some(replica) = self.replica(leader, partition) else {
            return;
        };
        let ReplicaRole::Leader {
            followers,
            alter_partition_pending: false,
            ..
        } = &replica.role
        else {
            return;
        };
        let high_watermark = replica.high_watermark;
        let leo = replica.log.log_end_offset();
        let epoch_start = replica
            .log
            .epoch_starts()
            .iter()
            .find(|&&(epoch, _)| epoch == replica.leader_epoch)
            .map_or(leo, |&(_, start)| start);
        let joining: Vec<BrokerId> = followers
            .iter()
            .filter(|(id, state)| {
                !replica.isr.contains(id)
                    && (fetching == Some(**id) || state.parked_fetch.is_some())
                    && state
                        .log_end_offset
                        .is_some_and(|o| o >= high_watermark && o >= epoch_start)
                    && self.broker_eligible(**id)
            })
            .map(|(&id, _)| id)
            .collect();
        if joining.is_empty() {
            return;
        }
        let new_isr = sorted_unique(replica.isr.iter().chain(&joining).copied());
        if let Some(ReplicaRole::Leader {
            alter_partition_pending,
            ..
        }) = self.replica_mut(leader, partition).map(|r| &mut r.role)
        {
            *alter_partition_pending = true;
        }
        let names = joining
            .iter()
            .map(|b| format!("broker {b}"))
            .collect::<Vec<_>>()
            .join(" and ");
        self.send_alter_partition(
            leader,
            partition,
            new_isr,
            format!("{names} caught up to the high watermark {high_watermark}"),
        );
    }

    fn send_alter_partition(
        &mut self,
        leader: BrokerId,
        partition: &TopicPartition,
        new_isr: Vec<BrokerId>,
        reason: String,
    ) {
        let Some(controller) = self.active_controller else {
            if let Some(ReplicaRole::Leader {
                alter_partition_pending,
                ..
            }) = self.replica_mut(leader, partition).map(|r| &mut r.role)
            {
                *alter_partition_pending = false;
            }
            return;
        };
        let leader_epoch = self
            .replica(leader, partition)
            .map_or(0, |r| r.leader_epoch);
        self.send(
            Node::Broker(leader),
            controller,
            Payload::AlterPartition {
                partition: partition.clone(),
                leader,
                leader_epoch,
                new_isr,
                reason,
            },
        );
    }

    fn leader_answer_or_park_fetch(
        &mut self,
        leader: BrokerId,
        follower: BrokerId,
        partition: &TopicPartition,
        fetch_offset: u64,
    ) {
        let Some(replica) = self.replica_mut(leader, partition) else {
            return;
        };
        let leader_epoch = replica.leader_epoch;
        let high_watermark = replica.high_watermark;
        let leo = replica.log.log_end_offset();
        let records: Vec<Record> =
            match replica
                .log
                .read(fetch_offset, REPLICA_FETCH_MAX_RECORDS, leo)
            {
                ReadOutcome::Records(records) => records,
                ReadOutcome::OutOfRange { .. } => Vec::new(),
            };
        let ReplicaRole::Leader { followers, .. } = &mut replica.role else {
            return;
        };
        let Some(state) = followers.get_mut(&follower) else {
            return;
        };
        if records.is_empty() && state.high_watermark_sent >= high_watermark {
            state.parked_fetch = Some(ParkedFetch { fetch_offset });
            return;
        }
        state.parked_fetch = None;
        state.high_watermark_sent = high_watermark;
        self.send(
            Node::Broker(leader),
            Node::Broker(follower),
            Payload::FetchResponse(FetchResponse {
                partition: partition.clone(),
                leader_epoch,
                records,
                high_watermark,
                diverging_epoch: None,
                error: None,
            }),
        );
    }

    /// Completes parked follower fetches that now have something to return.
    pub(crate) fn leader_wake_parked_fetches(
        &mut self,
        leader: BrokerId,
        partition: &TopicPartition,
    ) {
        let Some(replica) = self.replica(leader, partition) else {
            return;
        };
        let ReplicaRole::Leader { followers, .. } = &replica.role else {
            return;
        };
        let parked: Vec<(BrokerId, u64)> = followers
            .iter()
            .filter_map(|(&id, state)| state.parked_fetch.as_ref().map(|p| (id, p.fetch_offset)))
            .collect();
        for (follower, fetch_offset) in parked {
            self.leader_answer_or_park_fetch(leader, follower, partition, fetch_offset);
        }
    }

    /// `Partition.maybeIncrementLeaderHW`.
    pub(crate) fn leader_maybe_advance_hw(&mut self, leader: BrokerId, partition: &TopicPartition) {
        let min_isr = self.topic_config(&partition.topic).min_insync_replicas;
        let Some(replica) = self.replica_mut(leader, partition) else {
            return;
        };
        let ReplicaRole::Leader { followers, .. } = &replica.role else {
            return;
        };
        let leo = replica.log.log_end_offset();
        let isr_leos: Vec<u64> = replica
            .isr
            .iter()
            .map(|&b| {
                if b == leader {
                    leo
                } else {
                    followers
                        .get(&b)
                        .and_then(|f| f.log_end_offset)
                        .unwrap_or(0)
                }
            })
            .collect();
        let Some(candidate) = high_watermark_candidate(&isr_leos, min_isr) else {
            return;
        };
        if candidate <= replica.high_watermark {
            return;
        }
        let from = replica.high_watermark;
        replica.high_watermark = candidate;
        debug_assert!(replica.high_watermark <= leo, "HW never passes the LEO");
        let text = if isr_leos.len() > 1 {
            format!(
                "broker {leader} moves the high watermark of {partition} from {from} to {candidate}: every in-sync replica has offsets below {candidate}"
            )
        } else {
            format!("broker {leader} moves the high watermark of {partition} from {from} to {candidate}: it is the only in-sync replica")
        };
        self.emit(
            EventKind::HighWatermarkMoved {
                broker: leader,
                partition: partition.clone(),
                from,
                to: candidate,
            },
            text,
        );
        self.leader_complete_parked_produces(leader, partition);
        self.leader_wake_parked_fetches(leader, partition);
    }

    pub(crate) fn follower_handle_fetch_response(
        &mut self,
        follower: BrokerId,
        leader: BrokerId,
        response: FetchResponse,
    ) {
        let FetchResponse {
            partition,
            leader_epoch,
            records,
            high_watermark: leader_high_watermark,
            diverging_epoch,
            error,
        } = response;
        let config = self.topic_config(&partition.topic);
        let now = self.tick;
        let Some(replica) = self.replica_mut(follower, &partition) else {
            return;
        };
        let ReplicaRole::Follower {
            leader: Some(current),
            fetch_in_flight,
        } = &mut replica.role
        else {
            return;
        };
        if *current != leader || replica.leader_epoch != leader_epoch {
            *fetch_in_flight = false;
            return; // an answer from a leader this follower no longer follows
        }
        *fetch_in_flight = false;
        if error.is_some() {
            return; // wait for the controller's news
        }
        if let Some((diverging_epoch, end_offset)) = diverging_epoch {
            // Truncate to where the leader's epoch ends, or to where this replica's own copy
            // of that epoch ends, whichever is first (`AbstractFetcherThread.truncateOnFetchResponse`).
            let own_epoch_end = replica.log.end_offset_for_epoch(diverging_epoch).1;
            let truncate_to = end_offset
                .min(own_epoch_end)
                .max(replica.log.log_start_offset());
            let removed = Rc::make_mut(&mut replica.log).truncate_to(truncate_to) as u64;
            replica.rebuild_producer_states();
            replica.high_watermark = replica.high_watermark.min(replica.log.log_end_offset());
            self.emit(
                EventKind::LogTruncated { broker: follower, partition: partition.clone(), to_offset: truncate_to, records_removed: removed },
                format!(
                    "broker {follower} truncates {partition} to offset {truncate_to}, dropping {removed} record(s) the leader does not have (KIP-101)"
                ),
            );
            self.send_follower_fetch(follower, &partition);
            return;
        }
        // Runs of (first offset, last offset, leader epoch) copied, one event each.
        let mut appended: Vec<(u64, u64, u32)> = Vec::new();
        let mut written = 0;
        for record in records {
            if record.offset < replica.log.log_end_offset() {
                continue;
            }
            match appended.last_mut() {
                Some((_, last, epoch)) if *epoch == record.leader_epoch => *last = record.offset,
                _ => appended.push((record.offset, record.offset, record.leader_epoch)),
            }
            replica.note_producer_append(&record);
            Rc::make_mut(&mut replica.log).append_replicated(&record, now, &config);
            written += 1;
        }
        let new_hw = leader_high_watermark.min(replica.log.log_end_offset());
        let old_hw = replica.high_watermark;
        if new_hw > old_hw {
            replica.high_watermark = new_hw;
        }
        self.records_written += written;
        for (offset, last_offset, epoch) in appended {
            let offsets = super::producer::describe_offsets(offset, last_offset);
            self.emit(
                EventKind::RecordAppended {
                    broker: follower,
                    partition: partition.clone(),
                    offset,
                    last_offset,
                    leader_epoch: epoch,
                    as_leader: false,
                },
                format!("broker {follower} copies {offsets} of {partition} from leader {leader}"),
            );
        }
        if new_hw > old_hw {
            self.emit(
                EventKind::HighWatermarkMoved {
                    broker: follower,
                    partition: partition.clone(),
                    from: old_hw,
                    to: new_hw,
                },
                format!("broker {follower} learns the high watermark of {partition} is {new_hw}"),
            );
        }
        self.send_follower_fetch(follower, &partition);
    }

    /// After the leader appended: followers waiting for data get it, the high watermark may
    /// move, and the ISR lag check is armed.
    pub(crate) fn leader_after_append(&mut self, leader: BrokerId, partition: &TopicPartition) {
        // A follower whose fetch waits in purgatory had everything until this append. Kafka's
        // followers re-fetch every `replica.fetch.wait.max.ms` (500 ms) and so stay caught up
        // while the partition is quiet; a parked fetch stands for all those fetches.
        let now = self.tick;
        let waiting: Vec<BrokerId> = match self.replica(leader, partition).map(|r| &r.role) {
            Some(ReplicaRole::Leader { followers, .. }) => followers
                .iter()
                .filter(|(&f, state)| {
                    state.parked_fetch.is_some()
                        && self.is_up(Node::Broker(f))
                        && !self.network.is_cut(Node::Broker(leader), Node::Broker(f))
                })
                .map(|(&f, _)| f)
                .collect(),
            _ => Vec::new(),
        };
        if let Some(ReplicaRole::Leader { followers, .. }) =
            self.replica_mut(leader, partition).map(|r| &mut r.role)
        {
            for follower in waiting {
                if let Some(state) = followers.get_mut(&follower) {
                    state.last_caught_up_tick = now;
                }
            }
        }
        self.leader_arm_lag_check(leader, partition);
        self.leader_wake_parked_fetches(leader, partition);
        self.leader_maybe_advance_hw(leader, partition);
    }

    /// Schedules the next ISR lag check for the moment the longest-behind in-sync follower
    /// would exceed `replica.lag.time.max.ms`, unless one is pending or nobody is behind.
    fn leader_arm_lag_check(&mut self, leader: BrokerId, partition: &TopicPartition) {
        let lag_max = self.config.replica_lag_time_max_ms;
        let now = self.tick;
        let Some(replica) = self.replica(leader, partition) else {
            return;
        };
        let ReplicaRole::Leader {
            followers,
            lag_check_timer: None,
            ..
        } = &replica.role
        else {
            return;
        };
        let leo = replica.log.log_end_offset();
        let earliest_deadline = followers
            .iter()
            .filter(|(id, state)| replica.isr.contains(id) && state.log_end_offset != Some(leo))
            .map(|(_, state)| state.last_caught_up_tick + lag_max + 1)
            .min();
        let Some(deadline) = earliest_deadline else {
            return;
        };
        let timer = self.set_timer(
            Node::Broker(leader),
            deadline.saturating_sub(now).max(1),
            Timer::IsrLagCheck {
                partition: partition.clone(),
            },
        );
        if let Some(ReplicaRole::Leader {
            lag_check_timer, ..
        }) = self.replica_mut(leader, partition).map(|r| &mut r.role)
        {
            *lag_check_timer = Some(timer);
        }
    }

    /// `Partition.maybeShrinkIsr`: every in-sync follower that is not caught up and has not
    /// been for more than `replica.lag.time.max.ms` (`FollowerState.isCaughtUp`) leaves the
    /// ISR, all in one `AlterPartition`.
    pub(crate) fn leader_check_isr_lag(&mut self, leader: BrokerId, partition: TopicPartition) {
        let lag_max = self.config.replica_lag_time_max_ms;
        let now = self.tick;
        let Some(replica) = self.replica_mut(leader, &partition) else {
            return;
        };
        let leo = replica.log.log_end_offset();
        let isr = replica.isr.clone();
        let ReplicaRole::Leader {
            followers,
            alter_partition_pending,
            lag_check_timer,
            ..
        } = &mut replica.role
        else {
            return;
        };
        *lag_check_timer = None;
        let lagging: Vec<(BrokerId, u64)> = followers
            .iter()
            .filter(|(id, state)| {
                isr.contains(id)
                    && state.log_end_offset != Some(leo)
                    && now.saturating_sub(state.last_caught_up_tick) > lag_max
            })
            .map(|(&id, state)| (id, now - state.last_caught_up_tick))
            .collect();
        if lagging.is_empty() {
            self.leader_arm_lag_check(leader, &partition);
            return;
        }
        // An earlier AlterPartition may still be unanswered (its answer lost, or sent to a
        // controller that lost its role); ask again, the controller ignores a repeat.
        *alter_partition_pending = true;
        let names = lagging
            .iter()
            .map(|(id, behind)| format!("broker {id} ({behind} ms)"))
            .collect::<Vec<_>>()
            .join(" and ");
        let new_isr: Vec<BrokerId> = isr
            .into_iter()
            .filter(|b| !lagging.iter().any(|(id, _)| id == b))
            .collect();
        self.emit(
            EventKind::TimerFired {
                node: Node::Broker(leader),
                label: format!("lag check {partition}"),
            },
            format!(
                "leader {leader} finds {names} behind on {partition} for longer than replica.lag.time.max.ms={lag_max} and asks to shrink the ISR to {}", broker_list(&new_isr)
            ),
        );
        self.send_alter_partition(
            leader,
            &partition,
            new_isr,
            format!("{names} fell behind for longer than replica.lag.time.max.ms"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::broker::test_support::produce;
    use crate::broker::{Cluster, ClusterConfig, Command, EventKind, Node, TopicPartition};

    fn cluster_with_topic(min_isr: &str) -> Cluster {
        let mut cluster = Cluster::new(ClusterConfig::default(), 7);
        cluster
            .apply(Command::CreateTopic {
                name: "t".into(),
                partitions: 1,
                replication_factor: 3,
                configs: [("min.insync.replicas".to_string(), min_isr.to_string())].into(),
            })
            .unwrap();
        cluster
            .apply(Command::AddProducer {
                config: Default::default(),
            })
            .unwrap();
        cluster.run_until_idle();
        cluster
    }

    fn leader_of(cluster: &Cluster) -> u32 {
        cluster.topics()["t"].partitions[0].leader.unwrap()
    }

    fn isr_of(cluster: &Cluster) -> Vec<u32> {
        cluster.topics()["t"].partitions[0].isr.clone()
    }

    #[test]
    fn followers_fetch_again_when_their_leader_comes_back() {
        let mut cluster = cluster_with_topic("2");
        let leader = leader_of(&cluster);
        // The followers' fetches wait at the leader; the leader dies and returns before
        // the controller notices, so leadership never moves.
        cluster
            .apply(Command::CrashBroker { broker: leader })
            .unwrap();
        cluster
            .apply(Command::RestartBroker { broker: leader })
            .unwrap();
        cluster.run_until_idle();
        assert_eq!(leader_of(&cluster), leader);
        produce(&mut cluster, "t", "k", 1);
        let events = cluster.run_until_idle();
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::ProduceAcknowledged { .. })),
            "{events:#?}"
        );
    }

    /// What the view says of each replica's fetch: (broker, state, waiting at offset).
    fn fetch_waits(cluster: &Cluster) -> Vec<(u32, String, Option<u64>)> {
        cluster
            .view()
            .brokers
            .iter()
            .flat_map(|b| b.replicas.iter().map(move |r| (b.id, r)))
            .filter(|(_, r)| r.topic == "t")
            .map(|(id, r)| (id, r.state.clone(), r.fetch_waiting_at_leader))
            .collect()
    }

    #[test]
    fn the_view_shows_which_follower_fetches_wait_at_the_leader() {
        let mut cluster = cluster_with_topic("2");
        let leader = leader_of(&cluster);
        produce(&mut cluster, "t", "k", 1);
        cluster.run_until_idle();
        // Both followers copied offset 0, learnt the HW, and now wait for offset 1.
        for (broker, state, waiting) in fetch_waits(&cluster) {
            let expected = (broker != leader).then_some(1);
            assert_eq!(waiting, expected, "broker {broker} ({state})");
        }
        // A record arrives: the waiting fetches are answered at once, so none waits while
        // the record travels.
        produce(&mut cluster, "t", "k", 1);
        let mut answered = false;
        while !cluster.is_idle() && !answered {
            let events = cluster.step();
            answered = events
                .iter()
                .any(|e| e.text.contains("sends Fetch response"));
        }
        assert!(answered);
        assert!(fetch_waits(&cluster).iter().all(|(_, _, w)| w.is_none()));
        cluster.run_until_idle();
        // A follower that crashes has no fetch waiting any more, even before the leader
        // has noticed; the other one still has.
        let follower = [1, 2, 3].into_iter().find(|&b| b != leader).unwrap();
        cluster
            .apply(Command::CrashBroker { broker: follower })
            .unwrap();
        for (broker, state, waiting) in fetch_waits(&cluster) {
            let expected = (broker != leader && broker != follower).then_some(2);
            assert_eq!(waiting, expected, "broker {broker} ({state})");
        }
    }

    #[test]
    fn followers_waiting_in_purgatory_stay_in_sync_through_a_quiet_spell() {
        let mut cluster = cluster_with_topic("2");
        // A minute without records: the followers' fetches wait at the leader all along.
        cluster.apply(Command::AdvanceClock { ms: 60_000 }).unwrap();
        produce(&mut cluster, "t", "k", 1);
        let events = cluster.run_until_idle();
        assert_eq!(isr_of(&cluster).len(), 3, "{events:#?}");
        assert!(!events
            .iter()
            .any(|e| matches!(e.kind, EventKind::IsrChanged { .. })));
    }

    #[test]
    fn a_cut_off_follower_leaves_the_isr_after_replica_lag_time_max_and_rejoins_when_caught_up() {
        let mut cluster = cluster_with_topic("1");
        let leader = leader_of(&cluster);
        let follower = [1, 2, 3].into_iter().find(|&b| b != leader).unwrap();
        cluster
            .apply(Command::CutLink {
                a: Node::Broker(leader),
                b: Node::Broker(follower),
            })
            .unwrap();
        produce(&mut cluster, "t", "k", 1);
        // Just under replica.lag.time.max.ms the follower is still in sync...
        cluster.apply(Command::AdvanceClock { ms: 29_990 }).unwrap();
        assert!(isr_of(&cluster).contains(&follower));
        // ...just over it, the leader has asked the controller to drop it.
        let events = cluster.apply(Command::AdvanceClock { ms: 100 }).unwrap();
        assert!(!isr_of(&cluster).contains(&follower), "{events:#?}");
        assert!(events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::IsrChanged { .. })));

        cluster
            .apply(Command::HealLink {
                a: Node::Broker(leader),
                b: Node::Broker(follower),
            })
            .unwrap();
        cluster.run_until_idle();
        assert!(
            isr_of(&cluster).contains(&follower),
            "caught up again, back in the ISR"
        );
        let tp = TopicPartition::new("t", 0);
        assert_eq!(
            cluster.replica(follower, &tp).unwrap().log.log_end_offset(),
            1
        );
    }

    #[test]
    fn the_high_watermark_does_not_move_while_the_isr_is_below_min_insync_replicas() {
        let mut cluster = cluster_with_topic("3");
        let leader = leader_of(&cluster);
        let follower = [1, 2, 3].into_iter().find(|&b| b != leader).unwrap();
        cluster
            .apply(Command::CutLink {
                a: Node::Broker(leader),
                b: Node::Broker(follower),
            })
            .unwrap();
        cluster.apply(Command::AdvanceClock { ms: 1 }).unwrap();
        produce(&mut cluster, "t", "k", 1);
        cluster.apply(Command::AdvanceClock { ms: 40_000 }).unwrap();
        assert_eq!(isr_of(&cluster).len(), 2);
        let tp = TopicPartition::new("t", 0);
        let replica = cluster.replica(leader, &tp).unwrap();
        assert_eq!(replica.log.log_end_offset(), 1);
        assert_eq!(
            replica.high_watermark, 0,
            "KIP-966: the HW waits for min.insync.replicas"
        );
        // A new acks=all produce is refused outright.
        produce(&mut cluster, "t", "k", 1);
        let events = cluster.apply(Command::AdvanceClock { ms: 10 }).unwrap();
        assert!(events.iter().any(|e| matches!(
            &e.kind,
            EventKind::ProduceRetryScheduled { error, .. } if error == "NotEnoughReplicas"
        )));
    }

    #[test]
    fn followers_copy_in_offset_order_and_learn_the_high_watermark() {
        let mut cluster = cluster_with_topic("2");
        for _ in 0..3 {
            produce(&mut cluster, "t", "k", 1);
        }
        cluster.run_until_idle();
        let tp = TopicPartition::new("t", 0);
        for broker in 1..=3 {
            let replica = cluster.replica(broker, &tp).unwrap();
            let offsets: Vec<u64> = replica.log.offsets().collect();
            assert_eq!(offsets, vec![0, 1, 2], "broker {broker}");
            assert_eq!(replica.high_watermark, 3, "broker {broker}");
        }
    }
}
