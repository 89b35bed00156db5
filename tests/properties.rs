//! Kafka's guarantees as properties, over random schedules of produce, crash, restart,
//! cut and heal (RF=3, min.insync.replicas=2, acks=all, unclean election off):
//! * no acknowledged record is ever lost;
//! * no replica's high watermark passes its log end offset (readers never see more than
//!   every in-sync replica has);
//! * replicas agree on every offset below both their high watermarks;
//! * offsets in a log strictly increase;
//! * the same seed and schedule give the same trace.
//!
//! A failing case prints its schedule (and its seed) so it can be replayed as a scenario.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use std::collections::BTreeMap;

use kafka_playground::broker::sorted_map::SortedMap;
use kafka_playground::broker::{
    Cluster, ClusterConfig, Command, Event, EventKind, Node, TopicPartition,
};

const BROKERS: u32 = 3;
const PARTITIONS: u32 = 2;

#[derive(Debug, Clone)]
enum Op {
    Produce {
        key: u8,
    },
    /// Keyless records sent together: the sticky partitioner batches them.
    Burst(u8),
    Crash(u32),
    Restart(u32),
    CrashController(u32),
    RestartController(u32),
    Cut(Node, Node),
    Heal(Node, Node),
    Step(u8),
    Advance(u64),
}

fn node() -> impl Strategy<Value = Node> {
    prop_oneof![
        (1..=BROKERS).prop_map(Node::Broker),
        (1u32..=3).prop_map(Node::Controller),
        Just(Node::Producer(1)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6).prop_map(|key| Op::Produce { key }),
        1 => (2u8..40).prop_map(Op::Burst),
        1 => (1..=BROKERS).prop_map(Op::Crash),
        1 => (1..=BROKERS).prop_map(Op::Restart),
        1 => (1u32..=3).prop_map(Op::CrashController),
        1 => (1u32..=3).prop_map(Op::RestartController),
        1 => (node(), node()).prop_map(|(a, b)| Op::Cut(a, b)),
        1 => (node(), node()).prop_map(|(a, b)| Op::Heal(a, b)),
        3 => (1u8..30).prop_map(Op::Step),
        1 => prop_oneof![Just(50u64), Just(5_000), Just(12_000), Just(35_000)].prop_map(Op::Advance),
    ]
}

/// What the producer was told: partition, offset → the idempotent sequence it wrote there.
type Acknowledged = BTreeMap<(TopicPartition, u64), i32>;

struct Run {
    cluster: Cluster,
    trace: Vec<Event>,
    acknowledged: Acknowledged,
    next_value: u32,
}

impl Run {
    fn new(seed: u64) -> Self {
        let mut cluster = Cluster::new(
            ClusterConfig {
                brokers: BROKERS,
                ..ClusterConfig::default()
            },
            seed,
        );
        let mut trace = cluster
            .apply(Command::CreateTopic {
                name: "t".into(),
                partitions: PARTITIONS,
                replication_factor: 3,
                configs: [("min.insync.replicas".to_string(), "2".to_string())].into(),
            })
            .unwrap();
        trace.extend(
            cluster
                .apply(Command::AddProducer {
                    config: Default::default(),
                })
                .unwrap(),
        );
        trace.extend(cluster.run_until_idle());
        Run {
            cluster,
            trace,
            acknowledged: BTreeMap::new(),
            next_value: 0,
        }
    }

    /// Applies an op; refused commands (crashing a dead broker) change nothing and are fine.
    fn apply(&mut self, op: &Op) {
        let events = match op {
            Op::Produce { key } => {
                self.next_value += 1;
                self.cluster.apply(Command::Produce {
                    producer: 1,
                    topic: "t".into(),
                    key: Some(format!("k{key}")),
                    value: Some(format!("v{}", self.next_value)),
                    headers: vec![],
                    partition: None,
                    count: 1,
                })
            }
            Op::Burst(count) => self.cluster.apply(Command::Produce {
                producer: 1,
                topic: "t".into(),
                key: None,
                value: Some("burst".into()),
                headers: vec![],
                partition: None,
                count: u32::from(*count),
            }),
            Op::Crash(b) => self.cluster.apply(Command::CrashBroker { broker: *b }),
            Op::Restart(b) => self.cluster.apply(Command::RestartBroker { broker: *b }),
            Op::CrashController(c) => self
                .cluster
                .apply(Command::CrashController { controller: *c }),
            Op::RestartController(c) => self
                .cluster
                .apply(Command::RestartController { controller: *c }),
            Op::Cut(a, b) => self.cluster.apply(Command::CutLink { a: *a, b: *b }),
            Op::Heal(a, b) => self.cluster.apply(Command::HealLink { a: *a, b: *b }),
            Op::Step(n) => Ok((0..*n).flat_map(|_| self.cluster.step()).collect()),
            Op::Advance(ms) => self.cluster.apply(Command::AdvanceClock { ms: *ms }),
        };
        if let Ok(events) = events {
            self.record(events);
        }
    }

    fn record(&mut self, events: Vec<Event>) {
        for event in &events {
            if let EventKind::ProduceAcknowledged {
                partition,
                offset: Some(offset),
                sequence,
                ..
            } = &event.kind
            {
                self.acknowledged
                    .insert((partition.clone(), *offset), *sequence);
            }
        }
        self.trace.extend(events);
    }

    /// Heal everything, restart everything, let every retry and timeout play out.
    /// Steps until idle; a cluster that does not go quiet within the bound is a livelock.
    fn run_until_idle_bounded(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..200_000 {
            if self.cluster.is_idle() {
                return Ok(());
            }
            let events = self.cluster.step();
            self.record(events);
        }
        let in_flight: Vec<String> = self
            .cluster
            .view()
            .in_flight
            .iter()
            .map(|m| m.label.clone())
            .collect();
        Err(TestCaseError::fail(format!(
            "still busy after 200000 hops at tick {}; in flight: {in_flight:?}; last events: {:?}",
            self.cluster.tick(),
            self.trace
                .iter()
                .rev()
                .take(8)
                .map(|e| e.text.clone())
                .collect::<Vec<_>>()
        )))
    }

    fn settle(&mut self) -> Result<(), TestCaseError> {
        let cut: Vec<(Node, Node)> = self.cluster.network().cut_links().copied().collect();
        for (a, b) in cut {
            self.apply(&Op::Heal(a, b));
        }
        for c in 1..=3 {
            self.apply(&Op::RestartController(c));
        }
        for b in 1..=BROKERS {
            self.apply(&Op::Restart(b));
        }
        for _ in 0..4 {
            self.run_until_idle_bounded()?;
            self.apply(&Op::Advance(60_000));
        }
        self.run_until_idle_bounded()
    }

    fn check_safety(&self) -> Result<(), TestCaseError> {
        for partition in 0..PARTITIONS {
            let tp = TopicPartition::new("t", partition);
            let replicas: Vec<_> = self
                .cluster
                .brokers()
                .keys()
                .filter_map(|&b| self.cluster.replica(b, &tp).map(|r| (b, r)))
                .collect();
            for (broker, replica) in &replicas {
                prop_assert!(
                    replica.high_watermark <= replica.log.log_end_offset(),
                    "broker {broker} {tp}: HW {} above LEO {}",
                    replica.high_watermark,
                    replica.log.log_end_offset()
                );
                let offsets: Vec<u64> = replica.log.offsets().collect();
                prop_assert!(
                    offsets.windows(2).all(|w| w[0] < w[1]),
                    "broker {broker} {tp}: offsets {offsets:?}"
                );
            }
            for (a, ra) in &replicas {
                for (b, rb) in &replicas {
                    let committed = ra.high_watermark.min(rb.high_watermark);
                    for record in ra.log.records().take_while(|r| r.offset < committed) {
                        if let Some(other) = rb.log.record_at(record.offset) {
                            prop_assert_eq!(
                                (&record.value, record.leader_epoch),
                                (&other.value, other.leader_epoch),
                                "brokers {} and {} disagree on {} offset {} below the HW",
                                a,
                                b,
                                tp,
                                record.offset
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn check_nothing_acknowledged_was_lost(&self) -> Result<(), TestCaseError> {
        for ((tp, offset), sequence) in &self.acknowledged {
            let leader = self.cluster.view().topics[0].partitions[tp.partition as usize].leader;
            let leader = leader
                .ok_or_else(|| TestCaseError::fail(format!("{tp} has no leader after settling")))?;
            let record = self
                .cluster
                .replica(leader, tp)
                .and_then(|r| r.log.record_at(*offset));
            prop_assert_eq!(
                record.map(|r| r.sequence),
                Some(*sequence),
                "acknowledged {} offset {} (sequence {}) is not on leader {}",
                tp,
                offset,
                sequence,
                leader
            );
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn acks_all_with_min_isr_2_never_loses_an_acknowledged_record(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..60)) {
        let mut run = Run::new(seed);
        for op in &ops {
            run.apply(op);
            run.check_safety()?;
        }
        run.settle()?;
        run.check_safety()?;
        run.check_nothing_acknowledged_was_lost()?;
    }

    #[test]
    fn the_same_seed_and_schedule_give_the_same_trace(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..40)) {
        let trace = |seed| {
            let mut run = Run::new(seed);
            ops.iter().for_each(|op| run.apply(op));
            let settled = run.settle().is_ok();
            (settled, serde_json::to_string(&run.trace).unwrap())
        };
        prop_assert_eq!(trace(seed), trace(seed));
    }
}

/// Any command, with any values, either applies or is refused with an error: never a panic,
/// and a refused command changes nothing.
mod no_panics {
    use super::*;
    use kafka_playground::broker::producer::{Acks, ProducerConfig};

    fn any_node() -> impl Strategy<Value = Node> {
        prop_oneof![
            (0u32..12).prop_map(Node::Broker),
            (0u32..6).prop_map(Node::Controller),
            (0u32..4).prop_map(Node::Producer),
            (0u32..4).prop_map(Node::Consumer),
        ]
    }

    fn any_consumer_command() -> impl Strategy<Value = Command> {
        use kafka_playground::broker::assignor::Strategy as Assignor;
        use kafka_playground::broker::consumer::{AutoOffsetReset, ConsumerConfig, FailureRule};
        use kafka_playground::broker::dead_letter::{Backoff, ErrorPolicy, Tolerance};
        let topic = prop_oneof![
            Just("t".to_string()),
            Just("t-dlt".to_string()),
            Just("dlq".to_string()),
            Just("..".to_string())
        ];
        let group = prop_oneof![
            Just(None),
            Just(Some("g".to_string())),
            Just(Some(String::new()))
        ];
        let assignors = prop::collection::vec(
            prop_oneof![
                Just(Assignor::Range),
                Just(Assignor::RoundRobin),
                Just(Assignor::Sticky),
                Just(Assignor::CooperativeSticky)
            ],
            0..3,
        );
        let reset = prop_oneof![
            Just(AutoOffsetReset::Earliest),
            Just(AutoOffsetReset::Latest),
            Just(AutoOffsetReset::None)
        ];
        let policy = prop_oneof![
            Just(ErrorPolicy::LogAndSkip),
            (
                0u32..5,
                any::<bool>(),
                prop_oneof![
                    Just("-dlt".to_string()),
                    Just(".DLT".to_string()),
                    Just("x".to_string())
                ]
            )
                .prop_map(|(attempts, exponential, dlt_suffix)| ErrorPolicy::Spring {
                    attempts,
                    backoff: if exponential {
                        Backoff::Exponential {
                            initial_ms: 100,
                            multiplier: 2,
                            max_ms: 1000,
                        }
                    } else {
                        Backoff::Fixed { delay_ms: 100 }
                    },
                    dlt_suffix,
                }),
            (any::<bool>(), any::<bool>(), 0u32..5).prop_map(
                |(all, dlq, dlq_replication_factor)| ErrorPolicy::Connect {
                    tolerance: if all { Tolerance::All } else { Tolerance::None },
                    dlq_topic: dlq.then(|| "dlq".to_string()),
                    context_headers: true,
                    dlq_replication_factor,
                }
            ),
        ];
        prop_oneof![
            (
                group,
                any::<Option<bool>>(),
                assignors,
                reset,
                prop_oneof![Just(45_000u64), Just(10_000), Just(10)],
                any::<bool>(),
                0u32..3
            )
                .prop_map(
                    |(
                        group_id,
                        enable_auto_commit,
                        strategies,
                        auto_offset_reset,
                        session_timeout_ms,
                        static_member,
                        max_poll_records,
                    )| Command::AddConsumer {
                        config: ConsumerConfig {
                            group_id,
                            group_instance_id: static_member.then(|| "i".to_string()),
                            enable_auto_commit,
                            partition_assignment_strategy: strategies,
                            auto_offset_reset,
                            session_timeout_ms,
                            max_poll_records,
                            ..ConsumerConfig::default()
                        },
                    }
                ),
            (0u32..4, prop::collection::vec(topic.clone(), 0..3))
                .prop_map(|(consumer, topics)| Command::Subscribe { consumer, topics }),
            (0u32..4, topic.clone(), 0u32..4).prop_map(|(consumer, t, p)| Command::Assign {
                consumer,
                partitions: vec![(t, p)]
            }),
            (0u32..4).prop_map(|consumer| Command::Poll { consumer }),
            (0u32..4).prop_map(|consumer| Command::Poll { consumer }),
            (0u32..4, topic.clone(), 0u32..4, 0u64..20).prop_map(
                |(consumer, topic, partition, offset)| Command::Seek {
                    consumer,
                    topic,
                    partition,
                    offset
                }
            ),
            (0u32..4, any::<bool>())
                .prop_map(|(consumer, sync)| Command::Commit { consumer, sync }),
            (0u32..4).prop_map(|consumer| Command::CloseConsumer { consumer }),
            (0u32..4).prop_map(|consumer| Command::CrashConsumer { consumer }),
            (0u32..4).prop_map(|consumer| Command::RestartConsumer { consumer }),
            (
                0u32..4,
                prop_oneof![
                    Just(None),
                    Just(Some(FailureRule::EveryNth(2))),
                    Just(Some(FailureRule::EveryNth(0))),
                    Just(Some(FailureRule::ValueContains("v".into())))
                ]
            )
                .prop_map(|(consumer, rule)| Command::SetFailureRule { consumer, rule }),
            (topic.clone(), 0u32..4, 0u64..5).prop_map(|(topic, partition, offset)| {
                Command::MarkPoison {
                    topic,
                    partition,
                    offset,
                }
            }),
            (
                prop_oneof![Just("g".to_string()), Just(String::new())],
                policy
            )
                .prop_map(|(group, policy)| Command::SetErrorHandling { group, policy }),
            topic.prop_map(|topic| Command::Redrive { topic }),
            prop_oneof![Just("g".to_string()), Just("h".to_string())]
                .prop_map(|group| Command::DeleteGroup { group }),
        ]
    }

    fn any_config() -> impl Strategy<Value = SortedMap<String, String>> {
        let names = prop_oneof![
            Just("min.insync.replicas"),
            Just("retention.ms"),
            Just("retention.bytes"),
            Just("segment.bytes"),
            Just("cleanup.policy"),
            Just("unclean.leader.election.enable"),
            Just("max.message.bytes"),
            Just("colour"),
        ];
        let values = prop_oneof![
            Just("-5".to_string()),
            Just("0".to_string()),
            Just("2".to_string()),
            Just("200".to_string()),
            Just("true".to_string()),
            Just("compact,delete".to_string()),
            Just("99999999999999999999".to_string()),
            Just("x".to_string()),
        ];
        prop::collection::btree_map(names.prop_map(str::to_string), values, 0..3)
            .prop_map(|configs| configs.into_iter().collect())
    }

    fn any_command() -> impl Strategy<Value = Command> {
        let topic = prop_oneof![
            Just("t".to_string()),
            Just("u".to_string()),
            Just("..".to_string()),
            Just("a b".to_string())
        ];
        prop_oneof![
            (topic.clone(), 0u32..70, 0u32..12, any_config()).prop_map(
                |(name, partitions, replication_factor, configs)| {
                    Command::CreateTopic {
                        name,
                        partitions,
                        replication_factor,
                        configs,
                    }
                }
            ),
            topic.clone().prop_map(|name| Command::DeleteTopic { name }),
            (topic.clone(), any_config())
                .prop_map(|(name, configs)| Command::AlterTopicConfig { name, configs }),
            (
                prop_oneof![Just(Acks::None), Just(Acks::Leader), Just(Acks::All)],
                any::<Option<bool>>(),
                0u64..100_000
            )
                .prop_map(|(acks, enable_idempotence, request_timeout_ms)| {
                    Command::AddProducer {
                        config: ProducerConfig {
                            acks,
                            enable_idempotence,
                            request_timeout_ms,
                            ..Default::default()
                        },
                    }
                }),
            (
                0u32..4,
                topic.clone(),
                any::<Option<u8>>(),
                0u32..300,
                any::<Option<u32>>(),
                0u32..5
            )
                .prop_map(|(producer, topic, key, value_len, partition, count)| {
                    Command::Produce {
                        producer,
                        topic,
                        key: key.map(|k| format!("k{k}")),
                        value: Some("v".repeat(value_len as usize)),
                        headers: vec![("h".into(), "1".into())],
                        partition: partition.map(|p| p % 70),
                        count,
                    }
                }),
            Just(Command::AddBroker),
            (0u32..12).prop_map(|broker| Command::CrashBroker { broker }),
            (0u32..12).prop_map(|broker| Command::RestartBroker { broker }),
            (0u32..6).prop_map(|controller| Command::CrashController { controller }),
            (0u32..6).prop_map(|controller| Command::RestartController { controller }),
            (any_node(), any_node()).prop_map(|(a, b)| Command::CutLink { a, b }),
            (any_node(), any_node()).prop_map(|(a, b)| Command::HealLink { a, b }),
            (any_node(), any_node(), 0u64..1_000_000)
                .prop_map(|(a, b, latency_ms)| Command::SetLinkLatency { a, b, latency_ms }),
            (topic, 0u32..70)
                .prop_map(|(topic, partition)| Command::ElectPreferredLeader { topic, partition }),
            prop_oneof![Just(0u64), 1u64..100_000, Just(40_000_000_000)]
                .prop_map(|ms| Command::AdvanceClock { ms }),
            any_consumer_command(),
            any_consumer_command(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_command_sequence_applies_or_is_refused_cleanly(
            seed in any::<u64>(),
            brokers in 1u32..10,
            zookeeper in any::<bool>(),
            offsets_topic_num_partitions in prop_oneof![Just(1u32), Just(3), Just(50)],
            commands in prop::collection::vec((any_command(), 0u8..4), 1..40),
        ) {
            let config = ClusterConfig {
                brokers,
                offsets_topic_num_partitions,
                controller_mode: if zookeeper {
                    kafka_playground::broker::controller::ControllerMode::Zookeeper
                } else {
                    kafka_playground::broker::controller::ControllerMode::Kraft
                },
                ..ClusterConfig::default()
            };
            let mut cluster = Cluster::new(config, seed);
            for (command, steps) in commands {
                let before = cluster.clone();
                if cluster.apply(command.clone()).is_err() {
                    prop_assert!(cluster == before, "a refused {:?} changed the cluster", command);
                }
                for _ in 0..steps {
                    cluster.step();
                }
            }
            cluster.run_until_idle();
            let _ = serde_json::to_string(&cluster.view()).unwrap();
        }

        /// The scenario format's reader (field by field) and serde's derived reader agree
        /// on every command as written, and on the same command with any one field left
        /// out: the same command (absent fields take the same defaults) or both refuse it.
        #[test]
        fn the_scenario_reader_agrees_with_serdes_derived_reader(
            command in any_command(),
            drop_field in any::<prop::sample::Index>(),
        ) {
            use kafka_playground::scenario::{Entry, Scenario};
            let read = |entry: &serde_json::Value| {
                let text = serde_json::json!({"version": 1, "seed": 1, "entries": [entry]});
                Scenario::from_json(&text.to_string()).map(|s| s.entries[0].clone())
            };
            let written = serde_json::to_value(&command).unwrap();
            prop_assert_eq!(read(&written).ok(), Some(Entry::Command(command.clone())));
            // The page's writer gives the same text as serde's, byte for byte.
            use kafka_playground::json::ToJson;
            prop_assert_eq!(command.to_json_string(), serde_json::to_string(&command).unwrap());
            let mut fields = written.as_object().unwrap().clone();
            let names: Vec<String> = fields.keys().filter(|k| *k != "type").cloned().collect();
            if !names.is_empty() {
                fields.remove(&names[drop_field.index(names.len())]);
            }
            let shortened = serde_json::Value::Object(fields);
            let derived = serde_json::from_value::<Command>(shortened.clone()).ok();
            prop_assert_eq!(read(&shortened).ok(), derived.map(Entry::Command));
        }
    }
}

/// Assignors: every partition of a subscribed topic has exactly one owner, and that owner
/// subscribes to its topic; range balances per topic, round-robin overall for members with
/// the same subscription.
mod assignors {
    use super::*;
    use kafka_playground::broker::assignor::{
        cooperative_sticky_assign, range_assign, round_robin_assign, sticky_assign, Assignment,
        Member,
    };

    /// Kafka's `isBalanced`: no partition could move to a subscribed member that has at least
    /// two fewer partitions than its owner.
    fn check_sticky_balance(
        members: &[Member],
        assignment: &Assignment,
    ) -> Result<(), TestCaseError> {
        for owner in members {
            for tp in &assignment[&owner.member_id] {
                for other in members.iter().filter(|m| m.topics.contains(&tp.topic)) {
                    prop_assert!(
                        assignment[&owner.member_id].len() < assignment[&other.member_id].len() + 2,
                        "{} could move from {} to {}: {:?}",
                        tp,
                        owner.member_id,
                        other.member_id,
                        assignment
                    );
                }
            }
        }
        Ok(())
    }

    fn group() -> impl Strategy<Value = (SortedMap<String, u32>, Vec<Member>)> {
        let topics = prop::collection::btree_map(
            prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(str::to_string),
            1u32..12,
            1..4,
        );
        (topics, 1usize..7, any::<bool>()).prop_flat_map(|(topics, count, same_subscription)| {
            let names: Vec<String> = topics.keys().cloned().collect();
            let subscription = prop::sample::subsequence(names.clone(), 1..=names.len());
            let subscriptions = prop::collection::vec(subscription, count);
            let statics = prop::collection::vec(any::<bool>(), count);
            (
                Just(topics),
                subscriptions,
                statics,
                Just(names),
                Just(same_subscription),
            )
                .prop_map(|(topics, subscriptions, statics, names, same)| {
                    let members = subscriptions
                        .into_iter()
                        .zip(statics)
                        .enumerate()
                        .map(|(i, (subscribed, is_static))| Member {
                            member_id: format!("member-{}", 97 * i % 13),
                            group_instance_id: is_static.then(|| format!("instance-{i}")),
                            owned: Vec::new(),
                            generation: None,
                            topics: if same { names.clone() } else { subscribed },
                        })
                        .collect();
                    (topics.into_iter().collect(), members)
                })
        })
    }

    fn check_ownership(
        topics: &SortedMap<String, u32>,
        members: &[Member],
        assignment: &Assignment,
    ) -> Result<(), TestCaseError> {
        let mut owners: BTreeMap<TopicPartition, usize> = BTreeMap::new();
        for member in members {
            for tp in &assignment[&member.member_id] {
                prop_assert!(
                    member.topics.contains(&tp.topic),
                    "{} got {} without subscribing",
                    member.member_id,
                    tp
                );
                *owners.entry(tp.clone()).or_default() += 1;
            }
        }
        for (topic, &partitions) in topics {
            let subscribed = members.iter().any(|m| m.topics.contains(topic));
            for p in 0..partitions {
                let count = owners
                    .get(&TopicPartition::new(topic.clone(), p))
                    .copied()
                    .unwrap_or(0);
                prop_assert_eq!(count, usize::from(subscribed), "{}-{} owners", topic, p);
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn range_gives_every_partition_one_owner_balanced_per_topic((topics, members) in group()) {
            let assignment = range_assign(&topics, &members);
            check_ownership(&topics, &members, &assignment)?;
            for topic in topics.keys() {
                let counts: Vec<usize> = members
                    .iter()
                    .filter(|m| m.topics.contains(topic))
                    .map(|m| assignment[&m.member_id].iter().filter(|tp| &tp.topic == topic).count())
                    .collect();
                if let (Some(min), Some(max)) = (counts.iter().min(), counts.iter().max()) {
                    prop_assert!(max - min <= 1, "{topic}: {counts:?}");
                }
            }
        }

        #[test]
        fn sticky_is_balanced_and_stable((topics, members) in group()) {
            let first = sticky_assign(&topics, &members);
            check_ownership(&topics, &members, &first)?;
            check_sticky_balance(&members, &first)?;
            // Rebalancing with the same members keeps everything where it is.
            let again: Vec<Member> = members
                .iter()
                .map(|m| Member { owned: first[&m.member_id].clone(), generation: Some(1), ..m.clone() })
                .collect();
            prop_assert_eq!(sticky_assign(&topics, &again), first);
        }

        #[test]
        fn cooperative_sticky_never_gives_a_partition_its_owner_still_has((topics, members) in group(), shuffle in 0usize..7) {
            // Start from a round-robin ownership, then one member leaves and a new one joins.
            let before = round_robin_assign(&topics, &members);
            let mut next: Vec<Member> = members
                .iter()
                .map(|m| Member { owned: before[&m.member_id].clone(), generation: Some(1), ..m.clone() })
                .collect();
            if next.len() > 1 {
                next.remove(shuffle % next.len());
            }
            next.push(Member { member_id: "newcomer".into(), ..next[0].clone() });
            next.last_mut().unwrap().owned.clear();
            let (assignment, revoking) = cooperative_sticky_assign(&topics, &next);
            for member in &next {
                for tp in &assignment[&member.member_id] {
                    for other in next.iter().filter(|o| o.member_id != member.member_id) {
                        prop_assert!(
                            !other.owned.contains(tp),
                            "{} given to {} while {} still owns it",
                            tp,
                            member.member_id,
                            other.member_id
                        );
                    }
                }
                if let Some(revoked) = revoking.get(&member.member_id) {
                    for tp in revoked {
                        prop_assert!(member.owned.contains(tp), "{} revokes {} it does not own", member.member_id, tp);
                        prop_assert!(!assignment[&member.member_id].contains(tp));
                    }
                }
            }
        }

        #[test]
        fn round_robin_gives_every_partition_one_owner_balanced_overall((topics, members) in group()) {
            let assignment = round_robin_assign(&topics, &members);
            check_ownership(&topics, &members, &assignment)?;
            let same = members.windows(2).all(|w| w[0].topics == w[1].topics);
            if same {
                let counts: Vec<usize> = members.iter().map(|m| assignment[&m.member_id].len()).collect();
                prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{counts:?}");
            }
        }
    }
}

/// Consumer groups over random schedules of produce, poll, commit, member crashes and
/// restarts, broker crashes and time passing:
/// * at-least-once: with a commit after each processed poll, every acknowledged record is
///   processed by some member at least once, whatever crashed and rebalanced meanwhile;
/// * within one generation, no partition is processed by two members.
mod groups {
    use super::*;
    use kafka_playground::broker::assignor::Strategy as Assignor;
    use kafka_playground::broker::consumer::{AutoOffsetReset, ConsumerConfig};
    use std::collections::BTreeSet;

    const CONSUMERS: u32 = 3;

    #[derive(Debug, Clone)]
    enum GroupOp {
        Produce(u8),
        Poll(u32),
        Commit(u32),
        Crash(u32),
        Restart(u32),
        CrashBroker(u32),
        RestartBroker(u32),
        Step(u8),
        Advance(u64),
        Cut(u32, u32),
        Heal(u32, u32),
    }

    fn group_op() -> impl Strategy<Value = GroupOp> {
        prop_oneof![
            3 => (0u8..8).prop_map(GroupOp::Produce),
            4 => (1..=CONSUMERS).prop_map(GroupOp::Poll),
            2 => (1..=CONSUMERS).prop_map(GroupOp::Commit),
            1 => (1..=CONSUMERS).prop_map(GroupOp::Crash),
            1 => (1..=CONSUMERS).prop_map(GroupOp::Restart),
            1 => (1..=BROKERS).prop_map(GroupOp::CrashBroker),
            1 => (1..=BROKERS).prop_map(GroupOp::RestartBroker),
            3 => (1u8..40).prop_map(GroupOp::Step),
            2 => prop_oneof![Just(100u64), Just(3_000), Just(10_000), Just(50_000)].prop_map(GroupOp::Advance),
            1 => (1..=CONSUMERS, 1..=BROKERS).prop_map(|(c, b)| GroupOp::Cut(c, b)),
            1 => (1..=CONSUMERS, 1..=BROKERS).prop_map(|(c, b)| GroupOp::Heal(c, b)),
        ]
    }

    struct Run {
        cluster: Cluster,
        acknowledged: BTreeSet<(TopicPartition, u64)>,
        processed: BTreeSet<(TopicPartition, u64)>,
        /// (generation, partition) → members that processed it.
        owners: BTreeMap<(i32, TopicPartition), BTreeSet<String>>,
        livelock: bool,
    }

    impl Run {
        fn record(&mut self, events: Vec<Event>) {
            for event in events {
                match event.kind {
                    EventKind::ProduceAcknowledged {
                        partition,
                        offset: Some(offset),
                        count,
                        ..
                    } => {
                        for o in offset..offset + u64::from(count) {
                            self.acknowledged.insert((partition.clone(), o));
                        }
                    }
                    EventKind::RecordProcessed {
                        partition,
                        offset,
                        generation,
                        member_id,
                        ..
                    } => {
                        self.processed.insert((partition.clone(), offset));
                        self.owners
                            .entry((generation, partition))
                            .or_default()
                            .insert(member_id);
                    }
                    _ => {}
                }
            }
        }

        fn apply(&mut self, command: Command) {
            if let Ok(events) = self.cluster.apply(command) {
                self.record(events);
            }
        }

        /// Runs until idle, but never more than a bounded number of hops: a group that
        /// keeps the network busy forever is a bug (livelock).
        fn idle(&mut self) {
            if self.livelock {
                return;
            }
            for _ in 0..200_000 {
                if self.cluster.is_idle() {
                    return;
                }
                let events = self.cluster.step();
                self.record(events);
            }
            self.livelock = true;
        }

        /// Poll, then commit what was processed (commitSync after processing).
        fn poll_and_commit(&mut self, consumer: u32) {
            self.apply(Command::Poll { consumer });
            self.idle();
            self.apply(Command::Commit {
                consumer,
                sync: true,
            });
            self.idle();
        }
    }

    proptest! {
        // `PROPTEST_CASES=10000 cargo test --release --test properties groups` for a long run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(96)
        ))]

        #[test]
        fn a_group_loses_no_record_and_never_shares_a_partition_within_a_generation(
            seed in any::<u64>(),
            cooperative in any::<bool>(),
            ops in prop::collection::vec(group_op(), 1..60),
        ) {
            let config = ClusterConfig { offsets_topic_num_partitions: 3, ..ClusterConfig::default() };
            let mut run = Run {
                cluster: Cluster::new(config, seed),
                acknowledged: BTreeSet::new(),
                processed: BTreeSet::new(),
                owners: BTreeMap::new(),
                livelock: false,
            };
            run.apply(Command::CreateTopic {
                name: "t".into(),
                partitions: 3,
                replication_factor: 3,
                configs: [("min.insync.replicas".to_string(), "2".to_string())].into(),
            });
            run.apply(Command::AddProducer { config: Default::default() });
            let strategy = if cooperative { Assignor::CooperativeSticky } else { Assignor::Range };
            for consumer in 1..=CONSUMERS {
                run.apply(Command::AddConsumer {
                    config: ConsumerConfig {
                        group_id: Some("g".into()),
                        enable_auto_commit: Some(false),
                        auto_offset_reset: AutoOffsetReset::Earliest,
                        partition_assignment_strategy: vec![strategy],
                        ..ConsumerConfig::default()
                    },
                });
                run.apply(Command::Subscribe { consumer, topics: vec!["t".into()] });
            }
            run.idle();
            for op in &ops {
                match *op {
                    GroupOp::Produce(key) => run.apply(Command::Produce {
                        producer: 1,
                        topic: "t".into(),
                        key: Some(format!("k{key}")),
                        value: Some("v".into()),
                        headers: vec![],
                        partition: None,
                        count: 1,
                    }),
                    GroupOp::Poll(consumer) => run.apply(Command::Poll { consumer }),
                    GroupOp::Commit(consumer) => run.apply(Command::Commit { consumer, sync: true }),
                    GroupOp::Crash(consumer) => run.apply(Command::CrashConsumer { consumer }),
                    GroupOp::Restart(consumer) => run.apply(Command::RestartConsumer { consumer }),
                    GroupOp::CrashBroker(broker) => run.apply(Command::CrashBroker { broker }),
                    GroupOp::RestartBroker(broker) => run.apply(Command::RestartBroker { broker }),
                    GroupOp::Step(n) => {
                        for _ in 0..n {
                            let events = run.cluster.step();
                            run.record(events);
                        }
                    }
                    GroupOp::Advance(ms) => run.apply(Command::AdvanceClock { ms }),
                    GroupOp::Cut(consumer, broker) => run.apply(Command::CutLink {
                        a: Node::Consumer(consumer),
                        b: Node::Broker(broker),
                    }),
                    GroupOp::Heal(consumer, broker) => run.apply(Command::HealLink {
                        a: Node::Consumer(consumer),
                        b: Node::Broker(broker),
                    }),
                }
            }
            for consumer in 1..=CONSUMERS {
                for broker in 1..=BROKERS {
                    run.apply(Command::HealLink { a: Node::Consumer(consumer), b: Node::Broker(broker) });
                }
            }
            // Everything comes back; the members poll and commit until they have caught up.
            for broker in 1..=BROKERS {
                run.apply(Command::RestartBroker { broker });
            }
            for consumer in 1..=CONSUMERS {
                run.apply(Command::RestartConsumer { consumer });
            }
            run.idle();
            for _ in 0..12 {
                run.apply(Command::AdvanceClock { ms: 50_000 });
                run.idle();
                for consumer in 1..=CONSUMERS {
                    run.poll_and_commit(consumer);
                }
            }
            prop_assert!(!run.livelock, "the network never went idle");
            let missing: Vec<_> = run.acknowledged.difference(&run.processed).collect();
            prop_assert!(missing.is_empty(), "acknowledged but never processed: {:?}", missing);
            for ((generation, partition), members) in &run.owners {
                prop_assert!(
                    *generation < 0 || members.len() == 1,
                    "{partition} was processed by {members:?} in generation {generation}"
                );
            }
        }
    }
}
