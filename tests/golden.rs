//! Golden scenario traces: each `tests/scenarios/NAME.json` is run and its event trace
//! compared, line by line, with `tests/golden/NAME.trace`. The traces are the spec in
//! readable form: review a diff like a change of behaviour.
//!
//! After an intended change, regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

use kafka_playground::broker::{Cluster, Event, EventKind, TopicPartition};
use kafka_playground::scenario::Scenario;

fn trace_of(scenario: &Scenario) -> String {
    run(scenario).0
}

fn run(scenario: &Scenario) -> (String, Cluster, Vec<Event>) {
    let mut trace = String::new();
    let mut events = Vec::new();
    let cluster = scenario
        .run(|event| {
            trace.push_str(&event.trace_line());
            trace.push('\n');
            events.push(event.clone());
        })
        .expect("golden scenarios run without refused commands");
    trace.push_str("--- final view ---\n");
    trace.push_str(&serde_json::to_string_pretty(&cluster.view()).expect("views serialize"));
    trace.push('\n');
    (trace, cluster, events)
}

/// Compares the trace with its golden file and returns the run for further assertions.
fn check(name: &str) -> (Cluster, Vec<Event>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let text = fs::read_to_string(dir.join("scenarios").join(format!("{name}.json"))).unwrap();
    let scenario = Scenario::from_json(&text).unwrap();
    let (actual, cluster, events) = run(&scenario);
    let golden_path = dir.join("golden").join(format!("{name}.trace"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&golden_path, &actual).unwrap();
        return (cluster, events);
    }
    let expected = fs::read_to_string(&golden_path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with UPDATE_GOLDEN=1",
            golden_path.display()
        )
    });
    if actual != expected {
        let first_difference = actual
            .lines()
            .zip(expected.lines())
            .enumerate()
            .find(|(_, (a, e))| a != e)
            .map(|(index, (a, e))| format!("line {}:\n  expected: {e}\n  actual:   {a}", index + 1))
            .unwrap_or_else(|| "the traces differ in length".to_string());
        panic!(
            "{name}: the trace changed (seed {}). First difference at {first_difference}",
            scenario.seed
        );
    }
    (cluster, events)
}

fn orders_0() -> TopicPartition {
    TopicPartition::new("orders", 0)
}

fn log_end_offsets(cluster: &Cluster) -> Vec<u64> {
    cluster
        .brokers()
        .keys()
        .map(|&b| {
            cluster
                .replica(b, &orders_0())
                .unwrap()
                .log
                .log_end_offset()
        })
        .collect()
}

fn acknowledged(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ProduceAcknowledged {
                offset: Some(offset),
                ..
            } => Some(*offset),
            _ => None,
        })
        .collect()
}

/// Produce with acks=all, hop by hop: the HW moves only after both followers fetched.
#[test]
fn produce_acks_all() {
    let (cluster, events) = check("produce_acks_all");
    // The acknowledgement comes after the HW passed the record, which needs both followers.
    let hw_moved = events
        .iter()
        .position(|e| {
            matches!(
                &e.kind,
                EventKind::HighWatermarkMoved {
                    broker: 2,
                    to: 1,
                    ..
                }
            )
        })
        .expect("the leader moved the HW");
    let copies = events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            matches!(
                &e.kind,
                EventKind::RecordAppended {
                    as_leader: false,
                    ..
                }
            )
        })
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().all(|&i| i < hw_moved));
    let acked = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::ProduceAcknowledged { .. }))
        .unwrap();
    assert!(acked > hw_moved);
    assert_eq!(cluster.view().topics[0].partitions[0].high_watermark, 1);
}

/// A leader crashes; after the session timeout it is fenced and the next ISR member leads;
/// the producer's retry lands there; the old leader returns and takes over again.
#[test]
fn leader_crash_election() {
    let (cluster, events) = check("leader_crash_election");
    assert_eq!(
        acknowledged(&events),
        vec![0, 1],
        "both records acknowledged, none lost"
    );
    let leaders: Vec<Option<u32>> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LeaderElected { leader, .. } => Some(*leader),
            _ => None,
        })
        .collect();
    assert_eq!(
        leaders,
        vec![Some(3), Some(2)],
        "failover to broker 3, preferred broker 2 back"
    );
    assert_eq!(log_end_offsets(&cluster), vec![2, 2, 2]);
}

/// acks=1 acknowledges a record only the leader has; the leader dies; the record is gone.
#[test]
fn acks1_leader_loss() {
    let (cluster, events) = check("acks1_leader_loss");
    assert_eq!(
        acknowledged(&events),
        vec![0],
        "the producer was told offset 0 is safe"
    );
    assert_eq!(
        log_end_offsets(&cluster),
        vec![0, 0, 0],
        "and yet no broker has it now"
    );
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::LogTruncated {
            broker: 2,
            records_removed: 1,
            ..
        }
    )));
}

/// The ISR shrinks to the leader, the leader dies: offline, then unclean election loses data.
#[test]
fn unclean_election_loss() {
    let (cluster, events) = check("unclean_election_loss");
    assert_eq!(
        acknowledged(&events),
        vec![0],
        "acks=all acknowledged once the ISR was only the leader"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::LeaderElected { leader: None, .. })));
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::LeaderElected {
            leader: Some(3),
            unclean: true,
            ..
        }
    )));
    assert_eq!(
        log_end_offsets(&cluster),
        vec![0, 0, 0],
        "the acknowledged record is gone"
    );
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    for entry in fs::read_dir(dir).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        let scenario = Scenario::from_json(&text).unwrap();
        assert_eq!(trace_of(&scenario), trace_of(&scenario));
    }
}
