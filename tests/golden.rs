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

/// `(consumer, partition, offset, ok)` of every processed record, in order.
fn processed(events: &[Event]) -> Vec<(u32, String, u64, bool)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RecordProcessed {
                consumer,
                partition,
                offset,
                ok,
                ..
            } => Some((*consumer, partition.to_string(), *offset, *ok)),
            _ => None,
        })
        .collect()
}

fn group_states(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::GroupStateChanged { state, .. } => Some(state.clone()),
            _ => None,
        })
        .collect()
}

fn assignment_of(cluster: &Cluster, consumer: u32) -> Vec<String> {
    cluster.consumers()[&consumer]
        .assignment
        .iter()
        .map(|tp| tp.to_string())
        .collect()
}

/// Two members share three partitions (range: 2 + 1), read everything below the HW once,
/// commit, and the group's lag shows the records produced afterwards.
#[test]
fn group_of_two() {
    let (cluster, events) = check("group_of_two");
    assert_eq!(
        group_states(&events),
        ["PreparingRebalance", "CompletingRebalance", "Stable"]
    );
    assert_eq!(assignment_of(&cluster, 1), ["orders-0", "orders-1"]);
    assert_eq!(assignment_of(&cluster, 2), ["orders-2"]);
    let mut seen: Vec<(String, u64)> = processed(&events)
        .into_iter()
        .map(|(_, tp, offset, _)| (tp, offset))
        .collect();
    seen.sort();
    let expected: Vec<(String, u64)> = (0..3)
        .flat_map(|p| (0..2).map(move |o| (format!("orders-{p}"), o)))
        .collect();
    assert_eq!(
        seen, expected,
        "each of the 6 records processed exactly once"
    );
    let group = &cluster.group_views()[0];
    assert_eq!(group.state, "Stable");
    let lags: Vec<Option<u64>> = group.offsets.iter().map(|o| o.lag).collect();
    assert_eq!(
        lags,
        [Some(1), Some(1), Some(1)],
        "one new record per partition"
    );
}

/// A third member: eager revokes everything from everyone before one new assignment;
/// cooperative moves only the one partition, in a second rebalance.
#[test]
fn group_third_member_eager_and_cooperative() {
    let (eager, eager_events) = check("group_third_member_eager");
    let (cooperative, cooperative_events) = check("group_third_member_cooperative");
    for cluster in [&eager, &cooperative] {
        let owners: Vec<Vec<String>> = (1..=3).map(|c| assignment_of(cluster, c)).collect();
        assert!(owners.iter().all(|a| a.len() == 1), "{owners:?}");
    }
    let revoked = |events: &[Event]| -> Vec<(u32, usize)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::PartitionsRevoked {
                    consumer,
                    partitions,
                } => Some((*consumer, partitions.len())),
                EventKind::AssignmentChanged {
                    consumer, revoked, ..
                } if !revoked.is_empty() => Some((*consumer, revoked.len())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        revoked(&eager_events),
        [(1, 2), (2, 1)],
        "eager: all partitions stop"
    );
    assert_eq!(
        revoked(&cooperative_events),
        [(1, 1)],
        "cooperative: one partition moves"
    );
    let generation = |c: &Cluster| c.group_views()[0].generation;
    assert_eq!(generation(&eager), 2);
    assert_eq!(
        generation(&cooperative),
        3,
        "the follow-up rebalance hands it out"
    );
    // The three new records are processed once each, by their new owners.
    for events in [&eager_events, &cooperative_events] {
        let late: Vec<(u32, String, u64, bool)> = processed(events)
            .into_iter()
            .filter(|(_, _, offset, _)| *offset == 2)
            .collect();
        assert_eq!(late.len(), 3, "{late:?}");
    }
}

/// A member crashes without committing what it processed: after session.timeout.ms the
/// survivor owns everything and processes that record again (at-least-once).
#[test]
fn group_member_crash() {
    let (cluster, events) = check("group_member_crash");
    let expired = events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::MemberRemoved { reason, .. } if reason.contains("session")))
        .expect("the session timed out");
    assert_eq!(
        events[expired].tick, 45_011,
        "45 s after its last heartbeat"
    );
    assert_eq!(
        assignment_of(&cluster, 1),
        ["orders-0", "orders-1", "orders-2"]
    );
    let orders_2_offset_2: Vec<u32> = processed(&events)
        .into_iter()
        .filter(|(_, tp, offset, _)| tp == "orders-2" && *offset == 2)
        .map(|(consumer, ..)| consumer)
        .collect();
    assert_eq!(
        orders_2_offset_2,
        [2, 1],
        "processed by the crashed member, then again"
    );
}

/// A poison record: attempt 1 in orders, 2 and 3 in orders-retry (each after the 1 s
/// back-off), then orders-dlt with Spring's headers.
#[test]
fn poison_to_dlt() {
    use kafka_playground::broker::dead_letter as dlt;
    let (cluster, events) = check("poison_to_dlt");
    let failures: Vec<(String, u64)> = processed(&events)
        .into_iter()
        .filter(|(.., ok)| !ok)
        .map(|(_, tp, offset, _)| (tp, offset))
        .collect();
    assert_eq!(
        failures,
        [
            ("orders-0".to_string(), 1),
            ("orders-retry-0".to_string(), 0),
            ("orders-retry-0".to_string(), 1)
        ]
    );
    let dlt_0 = TopicPartition::new("orders-dlt", 0);
    let leader = cluster.topics()["orders-dlt"].partitions[0].leader.unwrap();
    let records = cluster.records(leader, &dlt_0, 0, 10);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.key.as_deref(), Some("bob"));
    assert_eq!(record.value.as_deref(), Some("soup"));
    let header = |name: &str| {
        record
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header(dlt::DLT_ORIGINAL_TOPIC), Some("orders"));
    assert_eq!(header(dlt::DLT_ORIGINAL_PARTITION), Some("0"));
    assert_eq!(header(dlt::DLT_ORIGINAL_OFFSET), Some("1"));
    assert_eq!(header(dlt::DLT_ORIGINAL_CONSUMER_GROUP), Some("billing"));
    assert_eq!(
        header(dlt::DLT_EXCEPTION_FQCN),
        Some("org.springframework.kafka.listener.ListenerExecutionFailedException")
    );
    assert!(header(dlt::DLT_EXCEPTION_MESSAGE)
        .unwrap()
        .contains("poison"));
    assert_eq!(
        header(dlt::RETRY_ATTEMPTS),
        None,
        "the DLT copy is not a retry"
    );
}

/// Connect style: the failing record goes to the DLQ with `__connect.errors.*` headers;
/// after the fix, redrive puts it back in its partition without them and it is processed.
#[test]
fn redrive_connect_dlq() {
    let (cluster, events) = check("redrive_connect_dlq");
    let dlq = TopicPartition::new("dlq-payments", 0);
    let leader = cluster.topics()["dlq-payments"].partitions[0]
        .leader
        .unwrap();
    let in_dlq = cluster.records(leader, &dlq, 0, 10);
    assert_eq!(in_dlq.len(), 1);
    let names: Vec<&str> = in_dlq[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    for expected in [
        "__connect.errors.topic",
        "__connect.errors.partition",
        "__connect.errors.offset",
        "__connect.errors.connector.name",
        "__connect.errors.task.id",
        "__connect.errors.stage",
        "__connect.errors.class.name",
        "__connect.errors.exception.class.name",
        "__connect.errors.exception.message",
        "__connect.errors.exception.stacktrace",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let outcomes = processed(&events);
    assert_eq!(
        outcomes,
        [
            (1, "payments-0".to_string(), 0, true),
            (1, "payments-0".to_string(), 1, false),
            (1, "payments-0".to_string(), 2, true),
        ]
    );
    let payments_0 = TopicPartition::new("payments", 0);
    let leader = cluster.topics()["payments"].partitions[0].leader.unwrap();
    let redriven = &cluster.records(leader, &payments_0, 2, 1)[0];
    assert_eq!(redriven.value.as_deref(), Some("boom"));
    assert!(redriven.headers.is_empty(), "{:?}", redriven.headers);
}
