//! The inspector: everything about the one thing the learner clicked — a record, a
//! partition, a broker, a group, a producer or a consumer — read from the view and, for a
//! record, from the replicas' logs.

use yew::prelude::*;

use crate::broker::group::OFFSETS_TOPIC;
use crate::broker::partitioner::explain_key_partition;
use crate::broker::view::{ClusterView, ReplicaView};
use crate::broker::{BrokerId, Cluster, TopicPartition};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Record(String, u32, u64),
    Partition(String, u32),
    Broker(BrokerId),
    Group(String),
    Producer(u32),
    Consumer(u32),
}

/// One `<dt>`/`<dd>` pair.
fn row(term: &str, value: impl Into<String>) -> Html {
    html! { <><dt>{ term }</dt><dd>{ value.into() }</dd></> }
}

/// A pair whose value is a sentence: the term on a line of its own, the value below it,
/// both across the whole width.
fn wide_row(term: &str, value: impl Into<String>) -> Html {
    html! { <><dt class="wide">{ term }</dt><dd class="wide">{ value.into() }</dd></> }
}

fn partition_view<'a>(
    view: &'a ClusterView,
    topic: &str,
    partition: u32,
) -> Option<&'a crate::broker::view::PartitionView> {
    view.topics
        .iter()
        .find(|t| t.name == topic)?
        .partitions
        .get(partition as usize)
}

/// Each broker's replica of one partition, with the broker's id.
fn replicas_of<'a>(
    view: &'a ClusterView,
    topic: &'a str,
    partition: u32,
) -> impl Iterator<Item = (BrokerId, &'a ReplicaView)> + 'a {
    view.brokers.iter().filter_map(move |b| {
        let replica = b
            .replicas
            .iter()
            .find(|r| r.topic == topic && r.partition == partition)?;
        Some((b.id, replica))
    })
}

/// A small table with a caption and column headers.
fn table(caption: &str, columns: &[&str], rows: Vec<Html>) -> Html {
    html! {
        <table class="compact">
            <caption>{ caption }</caption>
            <thead><tr>{ for columns.iter().map(|c| html! { <th scope="col">{ *c }</th> }) }</tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

/// How a record came to be in its partition, as far as the record itself tells.
fn why_this_partition(topic: &str, partition: u32, key: Option<&str>, count: u32) -> String {
    if topic == OFFSETS_TOPIC {
        return "the group coordinator writes a group's records to partition abs(hashCode(group.id)) % offsets.topic.num.partitions".into();
    }
    match key {
        Some(key) => {
            let (picked, how) = explain_key_partition(key, count);
            if picked == partition {
                format!("the default partitioner: {how}")
            } else {
                format!("given explicitly (a retry or dead letter record keeps its original partition); the default partitioner would pick {picked}: {how}")
            }
        }
        None => "no key: the sticky partitioner (KIP-480) fills a batch for one partition before moving to another, unless a partition was given".into(),
    }
}

/// "1 partition", "3 partitions".
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The details of `selection` as definition-list rows, with a heading; `None` when it no
/// longer exists (a deleted topic, a step back to before it was made).
pub fn describe(
    selection: &Selection,
    view: &ClusterView,
    cluster: &Cluster,
) -> Option<(String, Html)> {
    match selection {
        Selection::Record(topic, partition, offset) => {
            let tp = TopicPartition::new(topic.clone(), *partition);
            let metadata = partition_view(view, topic, *partition)?;
            let record = metadata.replicas.iter().find_map(|&b| {
                cluster
                    .records(b, &tp, *offset, 1)
                    .into_iter()
                    .find(|r| r.offset == *offset)
            })?;
            let holders: Vec<String> = replicas_of(view, topic, *partition)
                .filter(|(_, replica)| {
                    replica.log_start_offset <= *offset && *offset < replica.log_end_offset
                })
                .map(|(broker, _)| format!("broker {broker}"))
                .collect();
            let committed_past: Vec<String> = view
                .groups
                .iter()
                .filter(|g| {
                    g.offsets.iter().any(|o| {
                        &o.topic == topic
                            && o.partition == *partition
                            && o.committed.is_some_and(|c| c > *offset)
                    })
                })
                .map(|g| g.group.clone())
                .collect();
            let consumed_by: Vec<String> = view
                .consumers
                .iter()
                .filter(|c| {
                    c.positions
                        .iter()
                        .any(|(p, position)| p == &tp && *position > *offset)
                })
                .map(|c| format!("consumer {}", c.id))
                .collect();
            let poison = view.poison.iter().any(|(p, o)| p == &tp && o == offset);
            let partition_count = view
                .topics
                .iter()
                .find(|t| &t.name == topic)
                .map_or(1, |t| t.partitions.len().max(1) as u32);
            let why_here =
                why_this_partition(topic, *partition, record.key.as_deref(), partition_count);
            let body = html! {
                <dl>
                    { row("Partition", tp.to_string()) }
                    { row("Offset", offset.to_string()) }
                    { row("Key", record.key.clone().unwrap_or_else(|| "null (no key)".into())) }
                    { wide_row("Why this partition", why_here) }
                    { row("Value", record.value.clone().unwrap_or_else(|| "null (a tombstone)".into())) }
                    { row("Headers", if record.headers.is_empty() { "none".into() } else {
                        record.headers.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ") }) }
                    { row("Timestamp", format!("{} ms (CreateTime)", record.timestamp)) }
                    { row("Leader epoch", record.leader_epoch.to_string()) }
                    { row("Committed (below the HW)", if *offset < metadata.high_watermark { "yes: consumers can read it" } else { "not yet: above the high watermark" }) }
                    { row("Held by", list(&holders)) }
                    { row("Read by", list(&consumed_by)) }
                    { row("Groups committed past it", list(&committed_past)) }
                    if let Some(pid) = record.producer_id {
                        { row("Producer id / sequence", format!("{pid} / {}", record.sequence)) }
                    }
                    if poison {
                        { row("Poison", "yes: processing it always fails") }
                    }
                </dl>
            };
            Some((format!("Record {tp} @ {offset}"), body))
        }
        Selection::Partition(topic, partition) => {
            let metadata = partition_view(view, topic, *partition)?;
            let replicas = replicas_of(view, topic, *partition).map(|(broker, r)| {
                html! {
                    <tr>
                        <th scope="row">{ broker }</th>
                        <td>{ r.state.replace('_', " ") }</td>
                        <td>{ r.log_start_offset }</td>
                        <td>{ r.log_end_offset }</td>
                        <td>{ r.high_watermark }</td>
                        <td>{ r.leader_epoch }</td>
                    </tr>
                }
            });
            let waiting: Vec<String> = replicas_of(view, topic, *partition)
                .filter_map(|(broker, r)| {
                    let offset = r.fetch_waiting_at_leader?;
                    Some(format!(
                        "the Fetch from broker {broker} for offset {offset}"
                    ))
                })
                .collect();
            let body = html! {
                <>
                    <dl>
                        { row("Leader", metadata.leader.map_or("none (offline)".into(), |l| format!("broker {l}"))) }
                        { row("Leader epoch", metadata.leader_epoch.to_string()) }
                        { row("Replicas", list(&metadata.replicas)) }
                        { row("In-sync replicas (ISR)", list(&metadata.isr)) }
                        { row("High watermark", metadata.high_watermark.to_string()) }
                        { row("Log end offset", metadata.log_end_offset.to_string()) }
                        { row("Log start offset", metadata.log_start_offset.to_string()) }
                    </dl>
                    { table("Each replica", &["Broker", "State", "Start", "LEO", "HW", "Epoch"], replicas.collect()) }
                    if !waiting.is_empty() {
                        <p class="note">
                            { format!(
                                "Waiting in the leader's fetch purgatory: {}. The leader holds a fetch it has nothing new for and answers it as soon as a record arrives (Kafka's followers ask again every replica.fetch.wait.max.ms, 500 ms).",
                                waiting.join("; ")
                            ) }
                        </p>
                    }
                </>
            };
            Some((format!("Partition {topic}-{partition}"), body))
        }
        Selection::Broker(id) => {
            let broker = view.brokers.iter().find(|b| b.id == *id)?;
            let leaders = broker
                .replicas
                .iter()
                .filter(|r| r.state == "leader")
                .count();
            let coordinates: Vec<&str> = view
                .groups
                .iter()
                .filter(|g| g.coordinator == Some(*id))
                .map(|g| g.group.as_str())
                .collect();
            // Follower fetches this broker holds, as the leader of their partitions.
            let held_fetches = view
                .brokers
                .iter()
                .flat_map(|b| &b.replicas)
                .filter(|r| {
                    r.fetch_waiting_at_leader.is_some()
                        && partition_view(view, &r.topic, r.partition)
                            .is_some_and(|p| p.leader == Some(*id))
                })
                .count();
            let body = html! {
                <dl>
                    { row("Status", if !broker.alive { "down (crashed)" } else if broker.fenced { "fenced by the controller" } else { "running" }) }
                    { row("Controller", if broker.is_controller { "yes (ZooKeeper mode)" } else { "no" }) }
                    { row("Replicas", broker.replicas.len().to_string()) }
                    { row("Leader of", counted(leaders, "partition", "partitions")) }
                    { row("Group coordinator for", list(&coordinates)) }
                    { row("Fetch purgatory", format!("{} waiting for new records", counted(held_fetches, "follower fetch", "follower fetches"))) }
                </dl>
            };
            Some((format!("Broker {id}"), body))
        }
        Selection::Group(name) => {
            let group = view.groups.iter().find(|g| &g.group == name)?;
            let offsets = group.offsets.iter().map(|o| {
                html! {
                    <tr>
                        <th scope="row">{ format!("{}-{}", o.topic, o.partition) }</th>
                        <td>{ o.committed.map_or("-".into(), |c| c.to_string()) }</td>
                        <td>{ o.end_offset }</td>
                        <td>{ o.lag.map_or("-".into(), |l| l.to_string()) }</td>
                    </tr>
                }
            });
            let members = group.members.iter().map(|m| html! {
                <li>{ format!("consumer {} ({}): {}", m.consumer, m.member_id, list(&m.assignment)) }</li>
            });
            let body = html! {
                <>
                    <dl>
                        { row("State", group.state.clone()) }
                        { row("Generation", group.generation.to_string()) }
                        { row("Protocol", group.protocol.clone().unwrap_or_else(|| "none yet".into())) }
                        { row("Coordinator", group.coordinator.map_or("none".into(), |c| format!("broker {c}"))) }
                        { row("Why that broker", group.coordinator_mapping.clone()) }
                        { row("Leader", group.leader.clone().unwrap_or_else(|| "none".into())) }
                    </dl>
                    <h4>{ "Members and assignment" }</h4>
                    <ul class="plain">{ for members }</ul>
                    { table("Committed offsets and lag", &["Partition", "Committed", "End", "Lag"], offsets.collect()) }
                </>
            };
            Some((format!("Group {name}"), body))
        }
        Selection::Producer(id) => {
            let p = view.producers.iter().find(|p| p.id == *id)?;
            let body = html! {
                <dl>
                    { row("acks", p.acks.clone()) }
                    { row("enable.idempotence", p.enable_idempotence.to_string()) }
                    { row("Producer id", p.producer_id.map_or("none".into(), |id| id.to_string())) }
                    { row("In flight", p.in_flight.to_string()) }
                    { row("Acknowledged", p.acknowledged.to_string()) }
                    { row("Failed", p.failed.to_string()) }
                </dl>
            };
            Some((format!("Producer {id}"), body))
        }
        Selection::Consumer(id) => {
            let c = view.consumers.iter().find(|c| c.id == *id)?;
            let positions: Vec<String> = c
                .positions
                .iter()
                .map(|(tp, o)| format!("{tp} @ {o}"))
                .collect();
            let body = html! {
                <dl>
                    { row("Status", c.status.clone()) }
                    { row("Group", c.group.clone().unwrap_or_else(|| "none (assign)".into())) }
                    { row("Member id", if c.member_id.is_empty() { "none yet".into() } else { c.member_id.clone() }) }
                    { row("Member state", c.member_state.clone()) }
                    { row("Generation", c.generation.to_string()) }
                    { row("Subscribed to", list(&c.subscription)) }
                    { row("Owns", list(&c.assignment)) }
                    { row("Positions", list(&positions)) }
                    { row("Assignors", list(&c.assignors)) }
                    { row("Auto commit", c.auto_commit.to_string()) }
                    { row("Processed / failed", format!("{} / {}", c.processed, c.failures)) }
                </dl>
            };
            Some((format!("Consumer {id}"), body))
        }
    }
}

pub struct InspectorProps {
    pub selection: Option<Selection>,
    /// Heading and rows, worked out by the app (it holds the cluster).
    pub details: Option<(String, Html)>,
}

/// What is selected, or a hint. A view function, like `diagram`.
pub fn inspector(props: &InspectorProps) -> Html {
    match (&props.selection, &props.details) {
        (_, Some((title, body))) => html! {
            <>
                <h3>{ title }</h3>
                { body.clone() }
            </>
        },
        (Some(_), None) => {
            html! { <p class="hint">{ "What you selected does not exist at this moment." }</p> }
        }
        (None, None) => {
            html! { <p class="hint">{ "Click a broker, a partition, a record, a group or a client to see its details." }</p> }
        }
    }
}
