//! The page's session model, free of Yew: the timeline of the session, what one step
//! forward means at the end of it (deliver the next hop, or let auto-consume poll), and the
//! session a new workspace starts with.

use crate::broker::view::ClusterView;
use crate::broker::{ClusterConfig, Command, Event};
use crate::scenario::{ClockEntry, Entry, Pushed, Scenario, ScenarioError, Timeline};

/// The topic a new workspace starts with.
pub const STARTER_TOPIC: &str = "orders";

/// The session a new workspace starts from: topic `orders` with 3 partitions replicated
/// min(3, brokers) times, and one producer with Kafka's default configs.
pub fn starter_scenario(seed: u64) -> Scenario {
    starter_scenario_with(ClusterConfig::default(), seed)
}

pub fn starter_scenario_with(config: ClusterConfig, seed: u64) -> Scenario {
    let replication_factor = config.brokers.min(3);
    let mut scenario = Scenario::new(seed, config);
    scenario.name = Some("My cluster".into());
    scenario.entries = vec![
        Entry::Command(Command::CreateTopic {
            name: STARTER_TOPIC.into(),
            partitions: 3,
            replication_factor,
            configs: Default::default(),
        }),
        Entry::Command(Command::AddProducer {
            config: Default::default(),
        }),
        Entry::Clock(ClockEntry::RunUntilIdle),
    ];
    scenario
}

/// What one step forward did.
#[derive(Debug, Clone, PartialEq)]
pub enum Stepped {
    /// Replayed a move that was already in the session.
    Replayed,
    /// Added entries at the end of the session (storage must write them).
    Pushed(Vec<Pushed>),
    /// Nothing is in flight and nothing to poll: time stands still until the learner acts.
    Idle,
}

/// Consumers that auto-consume would poll now: running, in a group or assigned, with
/// something below the high watermark past their position (or not yet joined).
pub fn consumers_with_work(view: &ClusterView) -> Vec<u32> {
    view.consumers
        .iter()
        .filter(|c| c.status == "running")
        .filter(|c| {
            (c.assignment.is_empty() && !c.subscription.is_empty() && c.member_state != "Stable")
                || c.assignment.iter().any(|tp| {
                    let hw = view
                        .topics
                        .iter()
                        .find(|t| t.name == tp.topic)
                        .and_then(|t| t.partitions.get(tp.partition as usize))
                        .map_or(0, |p| p.high_watermark);
                    let position = c.positions.iter().find(|(p, _)| p == tp).map(|(_, o)| *o);
                    position.is_none_or(|o| o < hw)
                })
        })
        .map(|c| c.id)
        .collect()
}

/// One hop forward: replay the next move, or at the session's end deliver the next hop;
/// with `auto_consume`, a quiet cluster lets consumers with work poll.
pub fn step_forward(timeline: &mut Timeline, auto_consume: bool) -> Result<Stepped, ScenarioError> {
    if !timeline.at_end() {
        timeline.step_forward()?;
        return Ok(Stepped::Replayed);
    }
    let before = timeline.position();
    let pushed = timeline.push(Entry::Clock(ClockEntry::Step { count: 1 }))?;
    if timeline.position() > before {
        return Ok(Stepped::Pushed(vec![pushed]));
    }
    if !auto_consume {
        return Ok(Stepped::Idle);
    }
    let mut all = Vec::new();
    for consumer in consumers_with_work(&timeline.cluster().view()) {
        if let Ok(pushed) = timeline.push(Entry::Command(Command::Poll { consumer })) {
            all.push(pushed);
        }
    }
    Ok(if all.is_empty() {
        Stepped::Idle
    } else {
        Stepped::Pushed(all)
    })
}

/// The history up to the move shown, with each event's move.
fn history_shown(timeline: &Timeline) -> &[(u64, Event)] {
    let history = timeline.history();
    let end = history.partition_point(|(at, _)| *at <= timeline.position());
    &history[..end]
}

/// What the page says about the moment shown: the last sentence written up to it (the
/// current move's, as the narration marks it), or that nothing has happened yet.
pub fn moment_summary(timeline: &Timeline) -> String {
    match history_shown(timeline).last() {
        Some((_, event)) => event.text.clone(),
        None => "The start of the session: nothing has happened yet.".into(),
    }
}

/// One line of the narration: the sentence the core wrote for an event, with the move it
/// belongs to and the cluster time it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NarrationLine {
    pub at: u64,
    pub tick: u64,
    pub text: String,
}

/// The events the narration shows: the newest `max` up to the current move, and the index
/// of the first of them in the whole history.
pub fn narration_lines(timeline: &Timeline, max: usize) -> (usize, Vec<NarrationLine>) {
    let shown = history_shown(timeline);
    let start = shown.len().saturating_sub(max);
    let lines = shown[start..]
        .iter()
        .map(|(at, event)| NarrationLine {
            at: *at,
            tick: event.tick,
            text: event.text.clone(),
        })
        .collect();
    (start, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The starter session with one record sent (not yet delivered).
    fn starter_with_one_record() -> Timeline {
        let mut scenario = starter_scenario(1);
        scenario.entries.push(Entry::Command(Command::Produce {
            producer: 1,
            topic: STARTER_TOPIC.into(),
            key: Some("alice".into()),
            value: Some("pizza".into()),
            headers: vec![],
            partition: None,
            count: 1,
        }));
        Timeline::new(scenario).unwrap()
    }

    #[test]
    fn the_moment_summary_follows_the_position() {
        let mut timeline = starter_with_one_record();
        timeline
            .push(Entry::Clock(ClockEntry::RunUntilIdle))
            .unwrap();
        let last = timeline.history().last().unwrap().1.text.clone();
        assert_eq!(moment_summary(&timeline), last);
        timeline.step_back().unwrap();
        let position = timeline.position();
        let expected = timeline
            .history()
            .iter()
            .rev()
            .find(|(at, _)| *at <= position)
            .unwrap()
            .1
            .text
            .clone();
        assert_eq!(moment_summary(&timeline), expected);
        assert_ne!(expected, last);
        timeline.seek(0).unwrap();
        assert_eq!(
            moment_summary(&timeline),
            "The start of the session: nothing has happened yet."
        );
    }

    #[test]
    fn stepping_forward_at_the_end_delivers_one_hop_then_stands_still() {
        let mut timeline = starter_with_one_record();
        let mut hops = 0;
        loop {
            match step_forward(&mut timeline, false).unwrap() {
                Stepped::Pushed(_) => hops += 1,
                Stepped::Idle => break,
                Stepped::Replayed => unreachable!("at the end"),
            }
        }
        assert!(hops >= 4, "produce, fetches, response: {hops}");
        assert!(timeline.cluster().is_idle());
        timeline.step_back().unwrap();
        assert_eq!(
            step_forward(&mut timeline, false).unwrap(),
            Stepped::Replayed
        );
    }

    #[test]
    fn auto_consume_polls_only_while_there_is_something_to_read() {
        let mut scenario = starter_scenario(1);
        scenario.entries.extend([
            Entry::Command(Command::AddConsumer {
                config: crate::broker::consumer::ConsumerConfig {
                    group_id: Some("g".into()),
                    auto_offset_reset: crate::broker::consumer::AutoOffsetReset::Earliest,
                    ..Default::default()
                },
            }),
            Entry::Command(Command::Subscribe {
                consumer: 1,
                topics: vec![STARTER_TOPIC.into()],
            }),
            Entry::Command(Command::Produce {
                producer: 1,
                topic: STARTER_TOPIC.into(),
                key: Some("k".into()),
                value: Some("v".into()),
                headers: vec![],
                partition: None,
                count: 5,
            }),
            Entry::Clock(ClockEntry::RunUntilIdle),
        ]);
        let mut timeline = Timeline::new(scenario).unwrap();
        let mut moves = 0;
        while step_forward(&mut timeline, true).unwrap() != Stepped::Idle {
            moves += 1;
            assert!(moves < 100_000, "auto-consume must come to rest");
        }
        let view = timeline.cluster().view();
        assert_eq!(view.consumers[0].processed, 5);
        assert!(consumers_with_work(&view).is_empty());
    }
}
