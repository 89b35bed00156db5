//! The produce → replicate benchmark behind `kplay bench` and `cargo bench` (native only).
//!
//! A 3-broker cluster, one topic with one partition replicated 3 times,
//! `min.insync.replicas=2`, one producer with `acks=all` and Kafka's default `batch.size`.
//! Records of 100-byte values without a key are sent in bursts and the network is stepped
//! until idle after each burst: every record is appended by the leader, copied by both
//! followers and acknowledged once the high watermark passed it.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::broker::{Cluster, ClusterConfig, Command, TopicPartition};

/// Payload bytes of each benchmark record (the value; no key, no headers).
pub const VALUE_BYTES: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct ProduceReport {
    pub records: u64,
    pub burst: u32,
    pub elapsed_seconds: f64,
    pub records_per_second: f64,
    pub hops: u64,
    /// Replicas that hold every record (the replication factor).
    pub replicas: u64,
    /// Heap bytes of the three logs per stored record copy, beyond its payload.
    pub overhead_bytes_per_record: f64,
}

/// Runs the benchmark for `records` records sent in bursts of `burst`.
pub fn produce_replicate(records: u64, burst: u32) -> ProduceReport {
    let mut cluster = Cluster::new(
        ClusterConfig {
            max_records_per_partition: records.max(1_000_000),
            ..ClusterConfig::default()
        },
        1,
    );
    cluster
        .apply(Command::CreateTopic {
            name: "bench".into(),
            partitions: 1,
            replication_factor: 3,
            configs: [("min.insync.replicas".to_string(), "2".to_string())].into(),
        })
        .expect("the bench topic is valid");
    cluster
        .apply(Command::AddProducer {
            config: Default::default(),
        })
        .expect("default producer");
    cluster.run_until_idle();
    let value = "x".repeat(VALUE_BYTES);
    let steps_before = cluster.steps();
    let started = Instant::now();
    let mut sent = 0;
    while sent < records {
        let count = (records - sent).min(u64::from(burst)) as u32;
        cluster
            .apply(Command::Produce {
                producer: 1,
                topic: "bench".into(),
                key: None,
                value: Some(value.clone()),
                headers: vec![],
                partition: None,
                count,
            })
            .expect("the bench produce is valid");
        cluster.run_until_idle();
        sent += u64::from(count);
    }
    let elapsed = started.elapsed();
    let partition = TopicPartition::new("bench", 0);
    let mut stored = 0u64;
    let mut heap = 0u64;
    for broker in cluster.brokers().keys() {
        if let Some(replica) = cluster.replica(*broker, &partition) {
            stored += replica.log.record_count() as u64;
            heap += replica.log.heap_bytes() as u64;
        }
    }
    assert_eq!(
        cluster.producers()[&1].acknowledged,
        records,
        "every record acknowledged"
    );
    assert_eq!(stored, records * 3, "every replica holds every record");
    report(
        records,
        burst,
        elapsed,
        cluster.steps() - steps_before,
        stored,
        heap,
    )
}

fn report(
    records: u64,
    burst: u32,
    elapsed: Duration,
    hops: u64,
    stored: u64,
    heap: u64,
) -> ProduceReport {
    let seconds = elapsed.as_secs_f64();
    ProduceReport {
        records,
        burst,
        elapsed_seconds: seconds,
        records_per_second: records as f64 / seconds,
        hops,
        replicas: 3,
        overhead_bytes_per_record: heap as f64 / stored as f64 - VALUE_BYTES as f64,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumeReport {
    pub records: u64,
    pub consumers: u32,
    pub partitions: u32,
    pub polls: u64,
    pub elapsed_seconds: f64,
    pub records_per_second: f64,
    pub hops: u64,
}

/// A group of `consumers` members (range, `max.poll.records=500`, commitSync after each
/// poll) reads `records` records spread over 6 partitions (RF 3); only the consuming is
/// timed: fetches, processing, commits into `__consumer_offsets` and their replication.
pub fn consume_group(records: u64, consumers: u32) -> ConsumeReport {
    use crate::broker::consumer::{AutoOffsetReset, ConsumerConfig};
    const PARTITIONS: u32 = 6;
    let mut cluster = Cluster::new(
        ClusterConfig {
            max_records_per_partition: records.max(1_000_000),
            offsets_topic_num_partitions: 3,
            ..ClusterConfig::default()
        },
        1,
    );
    let setup = [
        Command::CreateTopic {
            name: "bench".into(),
            partitions: PARTITIONS,
            replication_factor: 3,
            configs: Default::default(),
        },
        Command::AddProducer {
            config: Default::default(),
        },
    ];
    for command in setup {
        cluster.apply(command).expect("valid set-up");
    }
    let value = "x".repeat(VALUE_BYTES);
    let mut sent = 0;
    while sent < records {
        let count = (records - sent).min(10_000) as u32;
        for partition in 0..PARTITIONS {
            let share = count / PARTITIONS + u32::from(partition < count % PARTITIONS);
            if share > 0 {
                cluster
                    .apply(Command::Produce {
                        producer: 1,
                        topic: "bench".into(),
                        key: None,
                        value: Some(value.clone()),
                        headers: vec![],
                        partition: Some(partition),
                        count: share,
                    })
                    .expect("the bench produce is valid");
            }
        }
        cluster.run_until_idle();
        sent += u64::from(count);
    }
    for consumer in 1..=consumers {
        let config = ConsumerConfig {
            group_id: Some("bench".into()),
            auto_offset_reset: AutoOffsetReset::Earliest,
            enable_auto_commit: Some(false),
            partition_assignment_strategy: vec![crate::broker::assignor::Strategy::Range],
            ..ConsumerConfig::default()
        };
        cluster
            .apply(Command::AddConsumer { config })
            .expect("valid consumer");
        cluster
            .apply(Command::Subscribe {
                consumer,
                topics: vec!["bench".into()],
            })
            .expect("valid subscription");
    }
    cluster.run_until_idle();
    let steps_before = cluster.steps();
    let started = Instant::now();
    let mut processed = 0u64;
    let mut polls = 0u64;
    while processed < records {
        let before = processed;
        for consumer in 1..=consumers {
            let mut events = cluster
                .apply(Command::Poll { consumer })
                .expect("a stable member polls");
            events.extend(cluster.run_until_idle());
            cluster
                .apply(Command::Commit {
                    consumer,
                    sync: true,
                })
                .ok();
            events.extend(cluster.run_until_idle());
            polls += 1;
            processed += events
                .iter()
                .filter(|e| matches!(e.kind, crate::broker::EventKind::RecordProcessed { .. }))
                .count() as u64;
        }
        assert!(processed > before, "the group stopped making progress");
    }
    let elapsed = started.elapsed().as_secs_f64();
    ConsumeReport {
        records,
        consumers,
        partitions: PARTITIONS,
        polls,
        elapsed_seconds: elapsed,
        records_per_second: records as f64 / elapsed,
        hops: cluster.steps() - steps_before,
    }
}
