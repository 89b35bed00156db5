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

use std::collections::BTreeMap;

use super::{ClockEntry, Entry, Scenario, ScenarioError};
use crate::broker::{Cluster, Event};

/// Moves between snapshots.
pub const SNAPSHOT_INTERVAL: u64 = 256;

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
    snapshots: BTreeMap<u64, (Cluster, Cursor)>,
    /// The events of the last move made, for the narration of the current picture.
    last_events: Vec<Event>,
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
        let mut timeline = Timeline {
            snapshots: BTreeMap::from([(0, (cluster.clone(), start))]),
            scenario,
            cluster,
            cursor: start,
            position: 0,
            total_moves: 0,
            last_events: Vec::new(),
        };
        while timeline.advance()? {}
        timeline.total_moves = timeline.position;
        Ok(timeline)
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

    pub fn last_events(&self) -> &[Event] {
        &self.last_events
    }

    /// Shows the state after `position` moves (clamped to the session's end).
    pub fn seek(&mut self, position: u64) -> Result<(), ScenarioError> {
        let target = position.min(self.total_moves);
        if target < self.position || target - self.position > SNAPSHOT_INTERVAL {
            let (&at, (cluster, cursor)) = self
                .snapshots
                .range(..=target)
                .next_back()
                .expect("move 0 is always a snapshot");
            self.cluster = cluster.clone();
            self.cursor = *cursor;
            self.position = at;
            self.last_events.clear();
        }
        while self.position < target {
            if !self.advance()? {
                break;
            }
        }
        Ok(())
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
            self.last_events = events;
            if self.position.is_multiple_of(SNAPSHOT_INTERVAL)
                && !self.snapshots.contains_key(&self.position)
            {
                self.snapshots
                    .insert(self.position, (self.cluster.clone(), self.cursor));
            }
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
            snapshots: BTreeMap::new(),
            cluster: Cluster::new(scenario.config.clone(), scenario.seed),
            scenario: scenario.clone(),
            cursor: Cursor {
                entry: 0,
                hops_in_entry: 0,
            },
            position: 0,
            total_moves: 0,
            last_events: Vec::new(),
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
    fn back_then_forward_is_the_same_picture_and_events() {
        let mut timeline = Timeline::new(busy_scenario()).unwrap();
        timeline.seek(300).unwrap();
        let view = timeline.cluster().view();
        let events = timeline.last_events().to_vec();
        timeline.step_back().unwrap();
        assert_eq!(timeline.position(), 299);
        assert_ne!(timeline.cluster().view(), view);
        timeline.step_forward().unwrap();
        assert_eq!(timeline.cluster().view(), view);
        assert_eq!(timeline.last_events(), events.as_slice());
        timeline.seek(u64::MAX).unwrap();
        assert_eq!(timeline.position(), timeline.total_moves());
    }
}
