//! Going back in time: any earlier hop of a session can be shown again.
//!
//! A session is a list of entries; replaying them on a fresh cluster gives the same states,
//! because the core is deterministic. The timeline counts **moves** — a command is one move,
//! every delivered hop is one move — and keeps a snapshot of the cluster (it is `Clone`)
//! every [`SNAPSHOT_INTERVAL`] moves. Seeking to move `m` starts from the nearest snapshot at
//! or before `m` and replays at most `SNAPSHOT_INTERVAL - 1` moves, so stepping back costs
//! the same early or late in a long session.
//!
//! ```
//! use kafka_playground::scenario::{Scenario, Timeline};
//! let text = r#"{"version": 1, "seed": 7, "entries": [
//!   {"type": "create_topic", "name": "t", "partitions": 1, "replication_factor": 3},
//!   {"type": "run_until_idle"}]}"#;
//! let mut timeline = Timeline::new(Scenario::from_json(text).unwrap()).unwrap();
//! let end = timeline.position();
//! let last = timeline.cluster().view();
//! timeline.seek(1).unwrap();                  // just after create_topic, nothing delivered
//! assert_eq!(timeline.cluster().view().in_flight.len(), 3);
//! timeline.seek(end).unwrap();
//! assert_eq!(timeline.cluster().view(), last);
//! ```

use crate::broker::sorted_map::SortedMap;

use super::{ClockEntry, Entry, Scenario, ScenarioError};
use crate::broker::{Cluster, Event};

/// Moves between snapshots, at most (while few messages are queued).
pub const SNAPSHOT_INTERVAL: u64 = 256;

/// Records appended to replica logs between snapshots, at most (while few messages are
/// queued): a few moves can copy many thousands of records (a burst, a follower catching
/// up), and replaying them is what stepping back costs. Snapshots share the logs' full
/// chunks, so a close spacing is cheap.
pub const SNAPSHOT_RECORDS: u64 = 4096;

/// Queued messages up to which snapshots keep the spacing above. A snapshot copies every
/// queued message, so beyond this the spacing grows with the queue (about as many moves as
/// messages queued): 100,000 sends without a step cost about ten copies of the queue, not
/// hundreds (which would not fit in memory).
pub const SNAPSHOT_QUEUE_BASE: u64 = 256;

/// Where replay stands inside the entry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    /// The entry being executed (or the next one).
    entry: usize,
    /// Hops already delivered by that entry (clock entries only).
    hops_in_entry: u64,
}

#[derive(Debug, Clone)]
pub struct Timeline {
    scenario: Scenario,
    cluster: Cluster,
    cursor: Cursor,
    position: u64,
    /// Moves in the whole session (known once it has been run to its end).
    total_moves: u64,
    /// Snapshots by move: few hundred at most, taken in order as the session grows.
    snapshots: SortedMap<u64, (Cluster, Cursor)>,
    /// Every event of the session with the move that made it, for the narration log.
    history: Vec<(u64, Event)>,
    /// Moves whose events are in `history`.
    recorded_moves: u64,
}

/// What [`Timeline::push`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// How many moves the entry made (their events are in [`Timeline::history`]).
    pub moves: u64,
    /// Entries from this index on are new or changed (storage rewrites them).
    pub changed_from: usize,
    /// Moves after the old position that were dropped because the session went on from an
    /// earlier moment.
    pub dropped_moves: u64,
}

impl Timeline {
    /// Runs the whole session, taking snapshots on the way; the timeline ends at its end.
    pub fn new(scenario: Scenario) -> Result<Timeline, ScenarioError> {
        let cluster = Cluster::try_new(scenario.config.clone(), scenario.seed)
            .map_err(ScenarioError::Config)?;
        let start = Cursor {
            entry: 0,
            hops_in_entry: 0,
        };
        let mut snapshots = SortedMap::new();
        snapshots.insert(0, (cluster.clone(), start));
        let mut timeline = Timeline {
            snapshots,
            scenario,
            cluster,
            cursor: start,
            position: 0,
            total_moves: 0,
            history: Vec::new(),
            recorded_moves: 0,
        };
        while timeline.advance()? {}
        timeline.total_moves = timeline.position;
        Ok(timeline)
    }

    /// Renames the session (a name is not part of what replays).
    pub fn set_name(&mut self, name: Option<String>) {
        self.scenario.name = name;
    }

    /// The session as a file or link carries it: with the move shown now.
    pub fn scenario_at_position(&self) -> Scenario {
        Scenario {
            position: Some(self.position),
            ..self.scenario.clone()
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Moves made so far (0 = the fresh cluster).
    pub fn position(&self) -> u64 {
        self.position
    }

    pub fn total_moves(&self) -> u64 {
        self.total_moves
    }

    /// The events of the move that led to the current picture (none at move 0).
    pub fn last_events(&self) -> impl Iterator<Item = &Event> + '_ {
        let position = self.position;
        let start = self.history.partition_point(|(at, _)| *at < position);
        self.history[start..]
            .iter()
            .take_while(move |(at, _)| *at == position)
            .map(|(_, event)| event)
    }

    /// Shows the state after `position` moves (clamped to the session's end).
    pub fn seek(&mut self, position: u64) -> Result<(), ScenarioError> {
        let target = position.min(self.total_moves);
        let (&at, (cluster, cursor)) = self
            .snapshots
            .up_to(&target)
            .next_back()
            .expect("move 0 is always a snapshot");
        if target < self.position || at > self.position {
            self.cluster = cluster.clone();
            self.cursor = *cursor;
            self.position = at;
        }
        while self.position < target {
            if !self.advance()? {
                break;
            }
        }
        Ok(())
    }

    /// Every event up to the session's end, each with the move that made it (move `m` is
    /// the state `seek(m)` shows).
    pub fn history(&self) -> &[(u64, Event)] {
        &self.history
    }

    pub fn at_end(&self) -> bool {
        self.position == self.total_moves
    }

    /// Does one more thing at the current position: a command, or a clock entry that
    /// delivers hops. A refused command changes nothing. If the learner had stepped back,
    /// the session goes on from here and the later moves are dropped (undo-history style).
    /// Consecutive single steps merge into one `step` entry.
    pub fn push(&mut self, entry: Entry) -> Result<Pushed, ScenarioError> {
        let index = self.scenario.entries.len();
        if let Entry::Command(command) = &entry {
            // Check first, on the cluster as it stands here: refused means nothing changes.
            let events = self
                .cluster
                .apply(command.clone())
                .map_err(|e| ScenarioError::Entry {
                    index,
                    message: e.to_string(),
                })?;
            let (dropped_moves, _) = self.cut_here();
            self.scenario.entries.push(entry);
            let changed_from = self.scenario.entries.len() - 1;
            self.cursor = Cursor {
                entry: self.scenario.entries.len(),
                hops_in_entry: 0,
            };
            self.record_move(events);
            return Ok(Pushed {
                moves: 1,
                changed_from,
                dropped_moves,
            });
        }
        let (dropped_moves, cut_from) = self.cut_here();
        let mut changed_from = self.scenario.entries.len();
        let merged = match (&entry, self.scenario.entries.last_mut()) {
            (
                Entry::Clock(ClockEntry::Step { count: more }),
                Some(Entry::Clock(ClockEntry::Step { count })),
            ) if self.cursor.entry == changed_from
                || (self.cursor.entry + 1 == changed_from
                    && self.cursor.hops_in_entry == *count) =>
            {
                // The last step is used up (a step cut short by an idle cluster leaves it
                // idle, so the merged step makes no move and is undone below).
                self.cursor = Cursor {
                    entry: changed_from - 1,
                    hops_in_entry: *count,
                };
                *count += more;
                changed_from -= 1;
                true
            }
            _ => false,
        };
        if !merged {
            self.scenario.entries.push(entry.clone());
        }
        let before = self.position;
        while self.advance()? {}
        let moves = self.position - before;
        self.total_moves = self.position;
        if self.position == before {
            // Nothing was in flight: the entry made no move, so it is not kept.
            match (merged, self.scenario.entries.last_mut(), &entry) {
                (
                    true,
                    Some(Entry::Clock(ClockEntry::Step { count })),
                    Entry::Clock(ClockEntry::Step { count: more }),
                ) => *count -= more,
                _ => {
                    self.scenario.entries.pop();
                }
            }
            self.cursor = Cursor {
                entry: self.scenario.entries.len(),
                hops_in_entry: 0,
            };
            changed_from = self.scenario.entries.len();
        }
        Ok(Pushed {
            moves,
            changed_from: changed_from.min(cut_from),
            dropped_moves,
        })
    }

    /// Makes the current position the session's end: later entries go, a clock entry half
    /// done becomes a `step` of the hops it made. Returns the dropped moves and the first
    /// entry index that changed.
    fn cut_here(&mut self) -> (u64, usize) {
        let dropped = self.total_moves - self.position;
        let mut changed_from = self.scenario.entries.len();
        if dropped > 0 {
            let Cursor {
                entry,
                hops_in_entry,
            } = self.cursor;
            self.scenario.entries.truncate(entry);
            changed_from = entry;
            if hops_in_entry > 0 {
                self.scenario.entries.push(Entry::Clock(ClockEntry::Step {
                    count: hops_in_entry,
                }));
            }
            let position = self.position;
            self.snapshots.retain(|&at, _| at <= position);
            self.history.retain(|(at, _)| *at <= position);
            self.recorded_moves = position;
            self.total_moves = position;
        }
        (dropped, changed_from)
    }

    /// Counts a move made outside `advance` (a pushed command).
    fn record_move(&mut self, events: Vec<Event>) {
        self.position += 1;
        self.total_moves = self.position;
        self.note_events(events);
        self.take_snapshot_if_due();
    }

    /// Keeps a move's events the first time it is made (a replayed move's are the same,
    /// and already kept).
    fn note_events(&mut self, events: Vec<Event>) {
        if self.position > self.recorded_moves {
            let at = self.position;
            self.history
                .extend(events.into_iter().map(|event| (at, event)));
            self.recorded_moves = self.position;
        }
    }

    fn take_snapshot_if_due(&mut self) {
        let Some((&previous, (snapshot, _))) = self.snapshots.up_to(&self.position).next_back()
        else {
            return; // a timeline built without snapshots (tests replaying from scratch)
        };
        // Replay work since the snapshot, in records (256 moves weigh as much as 4,096 records).
        let work = (self.position - previous) * (SNAPSHOT_RECORDS / SNAPSHOT_INTERVAL)
            + (self.cluster.records_written() - snapshot.records_written());
        let scale = (self.cluster.queued_messages() as u64 / SNAPSHOT_QUEUE_BASE).max(1);
        let due = work >= SNAPSHOT_RECORDS * scale;
        if due && previous != self.position {
            self.snapshots
                .insert(self.position, (self.cluster.clone(), self.cursor));
        }
    }

    pub fn step_back(&mut self) -> Result<(), ScenarioError> {
        self.seek(self.position.saturating_sub(1))
    }

    pub fn step_forward(&mut self) -> Result<(), ScenarioError> {
        self.seek(self.position + 1)
    }

    /// Makes one move; false at the end of the session.
    fn advance(&mut self) -> Result<bool, ScenarioError> {
        loop {
            let Some(entry) = self.scenario.entries.get(self.cursor.entry) else {
                return Ok(false);
            };
            let index = self.cursor.entry;
            let events = match entry {
                Entry::Command(command) => {
                    let events =
                        self.cluster
                            .apply(command.clone())
                            .map_err(|e| ScenarioError::Entry {
                                index,
                                message: e.to_string(),
                            })?;
                    self.cursor = Cursor {
                        entry: index + 1,
                        hops_in_entry: 0,
                    };
                    events
                }
                Entry::Clock(clock) => {
                    let budget = match clock {
                        ClockEntry::Step { count } => *count,
                        ClockEntry::RunUntilIdle => u64::MAX,
                    };
                    if self.cursor.hops_in_entry >= budget || self.cluster.is_idle() {
                        self.cursor = Cursor {
                            entry: index + 1,
                            hops_in_entry: 0,
                        };
                        continue; // this entry is done; it takes no move of its own
                    }
                    self.cursor.hops_in_entry += 1;
                    self.cluster.step()
                }
            };
            self.position += 1;
            self.note_events(events);
            self.take_snapshot_if_due();
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{ClusterConfig, Command};

    fn busy_scenario() -> Scenario {
        let mut scenario = Scenario::new(3, ClusterConfig::default());
        scenario.entries.push(Entry::Command(Command::CreateTopic {
            name: "t".into(),
            partitions: 3,
            replication_factor: 3,
            configs: Default::default(),
        }));
        scenario
            .entries
            .push(Entry::Clock(ClockEntry::RunUntilIdle));
        scenario.entries.push(Entry::Command(Command::AddProducer {
            config: Default::default(),
        }));
        for i in 0..150 {
            scenario.entries.push(Entry::Command(Command::Produce {
                producer: 1,
                topic: "t".into(),
                key: Some(format!("k{i}")),
                value: Some("v".into()),
                headers: vec![],
                partition: None,
                count: 1,
            }));
            scenario
                .entries
                .push(Entry::Clock(ClockEntry::Step { count: 3 }));
        }
        scenario
            .entries
            .push(Entry::Clock(ClockEntry::RunUntilIdle));
        scenario
    }

    /// The state at move `m` straight from a fresh cluster, without snapshots.
    fn fresh_view_at(scenario: &Scenario, moves: u64) -> crate::broker::ClusterView {
        let mut timeline = Timeline {
            snapshots: SortedMap::new(),
            cluster: Cluster::new(scenario.config.clone(), scenario.seed),
            scenario: scenario.clone(),
            cursor: Cursor {
                entry: 0,
                hops_in_entry: 0,
            },
            position: 0,
            total_moves: 0,
            history: Vec::new(),
            recorded_moves: 0,
        };
        while timeline.position < moves && timeline.advance().unwrap() {}
        timeline.cluster.view()
    }

    #[test]
    fn every_earlier_move_looks_exactly_as_it_did() {
        let scenario = busy_scenario();
        let mut timeline = Timeline::new(scenario.clone()).unwrap();
        let total = timeline.total_moves();
        assert!(
            total > 2 * SNAPSHOT_INTERVAL,
            "crosses several snapshots: {total}"
        );
        for position in (0..=total).rev().step_by(7) {
            timeline.seek(position).unwrap();
            assert_eq!(timeline.position(), position);
            assert_eq!(
                timeline.cluster().view(),
                fresh_view_at(&scenario, position),
                "move {position}"
            );
        }
    }

    #[test]
    fn a_burst_is_snapshotted_by_the_records_it_writes_not_only_by_moves() {
        let mut scenario = Scenario::new(5, ClusterConfig::default());
        scenario.entries = vec![
            Entry::Command(Command::CreateTopic {
                name: "t".into(),
                partitions: 2,
                replication_factor: 3,
                configs: Default::default(),
            }),
            Entry::Command(Command::AddProducer {
                config: Default::default(),
            }),
            Entry::Command(Command::Produce {
                producer: 1,
                topic: "t".into(),
                key: None,
                value: Some("v".into()),
                headers: vec![],
                partition: None,
                count: 20_000,
            }),
            Entry::Clock(ClockEntry::RunUntilIdle),
        ];
        let mut timeline = Timeline::new(scenario.clone()).unwrap();
        let written = timeline.cluster().records_written();
        assert_eq!(written, 60_000, "20,000 records on 3 replicas each");
        assert!(timeline.total_moves() < SNAPSHOT_INTERVAL);
        // A snapshot follows the first move past the bound, and one move can write thousands
        // (a follower fetch copies up to replica.fetch.max.bytes): so at least every 2×.
        assert!(
            timeline.snapshots.len() as u64 >= written / (2 * SNAPSHOT_RECORDS),
            "{} snapshots for {written} records",
            timeline.snapshots.len()
        );
        for position in (0..=timeline.total_moves()).rev() {
            timeline.seek(position).unwrap();
            assert_eq!(
                timeline.cluster().view(),
                fresh_view_at(&scenario, position),
                "move {position}"
            );
        }
    }

    #[test]
    fn back_then_forward_is_the_same_picture_and_events() {
        let mut timeline = Timeline::new(busy_scenario()).unwrap();
        timeline.seek(300).unwrap();
        let view = timeline.cluster().view();
        let events: Vec<Event> = timeline.last_events().cloned().collect();
        timeline.step_back().unwrap();
        assert_eq!(timeline.position(), 299);
        assert_ne!(timeline.cluster().view(), view);
        timeline.step_forward().unwrap();
        assert_eq!(timeline.cluster().view(), view);
        assert!(timeline.last_events().eq(events.iter()));
        timeline.seek(u64::MAX).unwrap();
        assert_eq!(timeline.position(), timeline.total_moves());
    }

    fn produce(key: &str) -> Entry {
        Entry::Command(Command::Produce {
            producer: 1,
            topic: "t".into(),
            key: Some(key.into()),
            value: Some("v".into()),
            headers: vec![],
            partition: None,
            count: 1,
        })
    }

    fn step() -> Entry {
        Entry::Clock(ClockEntry::Step { count: 1 })
    }

    /// The timeline's session, replayed from nothing, must give the very same picture.
    fn assert_session_replays_to_the_same_state(timeline: &Timeline) {
        let replayed = Timeline::new(timeline.scenario().clone()).unwrap();
        assert_eq!(replayed.total_moves(), timeline.total_moves());
        assert_eq!(replayed.cluster().view(), timeline.cluster().view());
        assert_eq!(replayed.history(), timeline.history());
    }

    #[test]
    fn pushed_steps_merge_and_the_session_replays_to_the_same_state() {
        let mut scenario = busy_scenario();
        scenario.entries.truncate(3);
        let mut timeline = Timeline::new(scenario).unwrap();
        let entries = timeline.scenario().entries.len();
        let pushed = timeline.push(produce("a")).unwrap();
        assert_eq!(pushed.changed_from, entries);
        assert_eq!(pushed.dropped_moves, 0);
        for _ in 0..4 {
            let before = timeline.position();
            let pushed = timeline.push(step()).unwrap();
            assert_eq!(timeline.position(), before + 1, "one hop per step");
            assert_eq!(pushed.moves, 1);
        }
        assert_eq!(
            timeline.scenario().entries[entries + 1],
            Entry::Clock(ClockEntry::Step { count: 4 }),
            "single steps merge into one entry"
        );
        assert_session_replays_to_the_same_state(&timeline);
        let pushed = timeline
            .push(Entry::Clock(ClockEntry::RunUntilIdle))
            .unwrap();
        assert!(pushed.moves > 0);
        assert!(timeline.cluster().is_idle());
        let entries = timeline.scenario().entries.len();
        let idle = timeline.push(step()).unwrap();
        assert_eq!(idle.moves, 0);
        assert_eq!(
            timeline.scenario().entries.len(),
            entries,
            "a step with nothing in flight is not kept"
        );
        assert_session_replays_to_the_same_state(&timeline);
    }

    #[test]
    fn going_on_from_an_earlier_move_drops_the_later_ones() {
        let mut timeline = Timeline::new(busy_scenario()).unwrap();
        let total = timeline.total_moves();
        timeline.seek(301).unwrap();
        let view = timeline.cluster().view();
        // A refused command changes nothing, not even the future.
        assert!(timeline
            .push(Entry::Command(Command::CrashBroker { broker: 9 }))
            .is_err());
        assert_eq!(timeline.total_moves(), total);
        assert_eq!(timeline.cluster().view(), view);
        let pushed = timeline.push(produce("late")).unwrap();
        assert_eq!(pushed.dropped_moves, total - 301);
        assert_eq!(timeline.position(), 302);
        assert_eq!(timeline.total_moves(), 302);
        assert_session_replays_to_the_same_state(&timeline);
        timeline.seek(120).unwrap();
        timeline.push(step()).unwrap();
        timeline.push(step()).unwrap();
        assert_eq!(timeline.total_moves(), 122);
        assert_session_replays_to_the_same_state(&timeline);
        assert!(timeline.history().iter().all(|(at, _)| *at <= 122));
    }
}
