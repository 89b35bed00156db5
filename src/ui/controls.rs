//! The control panel: every command a learner can give, as small forms. A form builds one
//! [`Command`]; the cluster checks it, and a refused one shows Kafka's error next to the
//! form and changes nothing.

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::broker::assignor::Strategy;
use crate::broker::consumer::{AutoOffsetReset, ConsumerConfig, FailureRule};
use crate::broker::controller::ControllerMode;
use crate::broker::dead_letter::{Backoff, ErrorPolicy, Tolerance};
use crate::broker::producer::{Acks, ProducerConfig};
use crate::broker::view::ClusterView;
use crate::broker::{ClusterConfig, Command, Node};

/// Builds a command from the form's fields, or says which field is wrong.
pub type Build = Callback<(), Result<Command, String>>;

/// The value of an input, select or textarea.
pub fn value_of(node: &NodeRef) -> String {
    let Some(element) = node.get() else {
        return String::new();
    };
    if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
        if input.type_() == "checkbox" {
            return input.checked().to_string();
        }
        return input.value();
    }
    if let Some(select) = element.dyn_ref::<HtmlSelectElement>() {
        return select.value();
    }
    element
        .dyn_ref::<HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default()
}

pub fn parse_number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{what} must be a whole number, not \"{}\"", text.trim()))
}

fn optional_number<T: std::str::FromStr>(text: &str, what: &str) -> Result<Option<T>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_number(text, what).map(Some)
    }
}

/// `key=value` pairs, one per line or separated by commas.
pub fn parse_pairs(text: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| format!("{what}: \"{pair}\" is not key=value"))
        })
        .collect()
}

fn parse_node(text: &str) -> Result<Node, String> {
    let (kind, id) = text.split_once(':').ok_or("choose both ends of the link")?;
    let id: u32 = parse_number(id, "A node id")?;
    Ok(match kind {
        "broker" => Node::Broker(id),
        "controller" => Node::Controller(id),
        "producer" => Node::Producer(id),
        _ => Node::Consumer(id),
    })
}

fn field(id: &str, label: &str, node: &NodeRef, placeholder: &str, value: &str) -> Html {
    html! {
        <>
            <label for={id.to_string()}>{ label }</label>
            <input id={id.to_string()} ref={node.clone()} type="text" autocomplete="off" placeholder={placeholder.to_string()} value={value.to_string()} />
        </>
    }
}

fn select(id: &str, label: &str, node: &NodeRef, options: &[(String, String)]) -> Html {
    html! {
        <>
            <label for={id.to_string()}>{ label }</label>
            <select id={id.to_string()} ref={node.clone()}>
                // The first option is marked: Yew inserts options last to first, and the
                // browser would otherwise keep the first one inserted.
                { for options.iter().enumerate().map(|(i, (value, text))| html! { <option value={value.clone()} selected={i == 0}>{ text }</option> }) }
            </select>
        </>
    }
}

fn checkbox(id: &str, label: &str, node: &NodeRef, checked: bool) -> Html {
    html! {
        <label class="check" for={id.to_string()}>
            <input id={id.to_string()} ref={node.clone()} type="checkbox" {checked} />{ label }
        </label>
    }
}

fn options<T: std::fmt::Display>(
    items: impl IntoIterator<Item = T>,
    prefix: &str,
) -> Vec<(String, String)> {
    items
        .into_iter()
        .map(|i| (i.to_string(), format!("{prefix}{i}")))
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct CommandFormProps {
    pub legend: AttrValue,
    /// (button text, what it builds); the first is the form's submit button.
    pub actions: Vec<(AttrValue, Build)>,
    pub on_command: Callback<Command, Option<String>>,
    #[prop_or_default]
    pub children: Html,
}

/// A fieldset with its buttons and its own error line.
#[function_component(CommandForm)]
pub fn command_form(props: &CommandFormProps) -> Html {
    let error = use_state(|| None::<String>);
    let run = |build: Build| {
        let error = error.clone();
        let on_command = props.on_command.clone();
        move || match build.emit(()) {
            Err(message) => error.set(Some(message)),
            Ok(command) => error.set(on_command.emit(command)),
        }
    };
    let onsubmit = {
        let first = props.actions.first().map(|(_, b)| run(b.clone()));
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if let Some(first) = &first {
                first();
            }
        })
    };
    html! {
        <form {onsubmit} aria-label={props.legend.clone()}>
            <fieldset>
                <legend>{ props.legend.clone() }</legend>
                <div class="fields">{ props.children.clone() }</div>
                <div class="actions">
                    { for props.actions.iter().enumerate().map(|(i, (label, build))| {
                        if i == 0 {
                            html! { <button type="submit">{ label.clone() }</button> }
                        } else {
                            let act = run(build.clone());
                            html! { <button type="button" class="secondary" onclick={Callback::from(move |_| act())}>{ label.clone() }</button> }
                        }
                    }) }
                </div>
                if let Some(message) = &*error {
                    <p class="error" role="alert">{ message }</p>
                }
            </fieldset>
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub names: Names,
    pub on_command: Callback<Command, Option<String>>,
    /// A new cluster: (config, seed).
    pub on_new_cluster: Callback<(ClusterConfig, u64), Option<String>>,
    pub auto_consume: bool,
    pub on_auto_consume: Callback<bool>,
}

/// What the controls offer to choose from: the cluster's names, not its state, so the panel
/// re-renders only when something is added or removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Names {
    brokers: Vec<u32>,
    controllers: Vec<u32>,
    mode: ControllerMode,
    topics: Vec<String>,
    producers: Vec<u32>,
    consumers: Vec<u32>,
    groups: Vec<String>,
}

impl Names {
    pub fn of(view: &ClusterView) -> Names {
        Names {
            brokers: view.brokers.iter().map(|b| b.id).collect(),
            controllers: view.controller.nodes.iter().map(|n| n.id).collect(),
            mode: view.controller.mode,
            topics: view
                .topics
                .iter()
                .map(|t| t.name.clone())
                .filter(|t| !t.starts_with("__"))
                .collect(),
            producers: view.producers.iter().map(|p| p.id).collect(),
            consumers: view.consumers.iter().map(|c| c.id).collect(),
            groups: view.groups.iter().map(|g| g.group.clone()).collect(),
        }
    }
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let view = &props.names;
    let on_command = props.on_command.clone();
    let brokers = options(view.brokers.iter(), "broker ");
    let controllers = options(view.controllers.iter(), "controller ");
    let topics: Vec<(String, String)> =
        view.topics.iter().map(|t| (t.clone(), t.clone())).collect();
    let producers = options(view.producers.iter(), "producer ");
    let consumers = options(view.consumers.iter(), "consumer ");
    let groups: Vec<(String, String)> =
        view.groups.iter().map(|g| (g.clone(), g.clone())).collect();
    let nodes: Vec<(String, String)> = view
        .brokers
        .iter()
        .map(|&b| Node::Broker(b))
        .chain(view.controllers.iter().map(|&n| Node::Controller(n)))
        .chain(view.producers.iter().map(|&p| Node::Producer(p)))
        .chain(view.consumers.iter().map(|&c| Node::Consumer(c)))
        .map(|n| {
            let value = match n {
                Node::Broker(id) => format!("broker:{id}"),
                Node::Controller(id) => format!("controller:{id}"),
                Node::Producer(id) => format!("producer:{id}"),
                Node::Consumer(id) => format!("consumer:{id}"),
            };
            (value, n.to_string())
        })
        .collect();

    // Cluster
    let new_brokers = use_node_ref();
    let new_mode = use_node_ref();
    let new_seed = use_node_ref();
    let new_error = use_state(|| None::<String>);
    let on_new = {
        let (b, m, s) = (new_brokers.clone(), new_mode.clone(), new_seed.clone());
        let on_new_cluster = props.on_new_cluster.clone();
        let new_error = new_error.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let built = parse_number::<u32>(&value_of(&b), "Brokers").and_then(|brokers| {
                let seed = parse_number::<u64>(&value_of(&s), "Seed")?;
                let config = ClusterConfig {
                    brokers,
                    controller_mode: if value_of(&m) == "zookeeper" {
                        ControllerMode::Zookeeper
                    } else {
                        ControllerMode::Kraft
                    },
                    ..ClusterConfig::default()
                };
                Ok((config, seed))
            });
            new_error.set(match built {
                Err(message) => Some(message),
                Ok(request) => on_new_cluster.emit(request),
            });
        })
    };
    let broker = use_node_ref();
    let controller = use_node_ref();
    let link_a = use_node_ref();
    let link_b = use_node_ref();
    let clock_ms = use_node_ref();
    let by_broker = |make: fn(u32) -> Command| {
        let broker = broker.clone();
        Build::from(move |_| Ok(make(parse_number(&value_of(&broker), "Broker")?)))
    };
    let by_controller = |make: fn(u32) -> Command| {
        let controller = controller.clone();
        Build::from(move |_| Ok(make(parse_number(&value_of(&controller), "Controller")?)))
    };
    let by_link = |cut: bool| {
        let (a, b) = (link_a.clone(), link_b.clone());
        Build::from(move |_| {
            let (a, b) = (parse_node(&value_of(&a))?, parse_node(&value_of(&b))?);
            Ok(if cut {
                Command::CutLink { a, b }
            } else {
                Command::HealLink { a, b }
            })
        })
    };

    // Topics
    let topic_name = use_node_ref();
    let topic_partitions = use_node_ref();
    let topic_rf = use_node_ref();
    let topic_configs = use_node_ref();
    let create_topic = {
        let (n, p, r, c) = (
            topic_name.clone(),
            topic_partitions.clone(),
            topic_rf.clone(),
            topic_configs.clone(),
        );
        Build::from(move |_| {
            let configs = parse_pairs(&value_of(&c), "Configs")?.into_iter().collect();
            Ok(Command::CreateTopic {
                name: value_of(&n).trim().to_string(),
                partitions: parse_number(&value_of(&p), "Partitions")?,
                replication_factor: parse_number(&value_of(&r), "Replication factor")?,
                configs,
            })
        })
    };
    let delete_topic_name = use_node_ref();
    let delete_topic = {
        let n = delete_topic_name.clone();
        Build::from(move |_| Ok(Command::DeleteTopic { name: value_of(&n) }))
    };

    // Producers
    let acks = use_node_ref();
    let idempotence = use_node_ref();
    let add_producer = {
        let (a, i) = (acks.clone(), idempotence.clone());
        Build::from(move |_| {
            let acks = match value_of(&a).as_str() {
                "0" => Acks::None,
                "1" => Acks::Leader,
                _ => Acks::All,
            };
            let enable_idempotence = match value_of(&i).as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            Ok(Command::AddProducer {
                config: ProducerConfig {
                    acks,
                    enable_idempotence,
                    ..ProducerConfig::default()
                },
            })
        })
    };
    let send_producer = use_node_ref();
    let send_topic = use_node_ref();
    let send_key = use_node_ref();
    let send_value = use_node_ref();
    let send_headers = use_node_ref();
    let send_partition = use_node_ref();
    let send_count = use_node_ref();
    let send = {
        let refs = (
            send_producer.clone(),
            send_topic.clone(),
            send_key.clone(),
            send_value.clone(),
            send_headers.clone(),
            send_partition.clone(),
            send_count.clone(),
        );
        Build::from(move |_| {
            let (p, t, k, v, h, part, c) = &refs;
            let key = value_of(k);
            let value = value_of(v);
            Ok(Command::Produce {
                producer: parse_number(&value_of(p), "Producer (add one first)")?,
                topic: value_of(t),
                key: (!key.is_empty()).then_some(key),
                value: (!value.is_empty()).then_some(value),
                headers: parse_pairs(&value_of(h), "Headers")?,
                partition: optional_number(&value_of(part), "Partition")?,
                count: optional_number(&value_of(c), "Count")?.unwrap_or(1),
            })
        })
    };

    // Consumers
    let group_id = use_node_ref();
    let assignor = use_node_ref();
    let auto_commit = use_node_ref();
    let offset_reset = use_node_ref();
    let add_consumer = {
        let (g, a, c, r) = (
            group_id.clone(),
            assignor.clone(),
            auto_commit.clone(),
            offset_reset.clone(),
        );
        Build::from(move |_| {
            let group = value_of(&g).trim().to_string();
            let strategy = match value_of(&a).as_str() {
                "roundrobin" => Strategy::RoundRobin,
                "sticky" => Strategy::Sticky,
                "cooperative-sticky" => Strategy::CooperativeSticky,
                _ => Strategy::Range,
            };
            Ok(Command::AddConsumer {
                config: ConsumerConfig {
                    group_id: (!group.is_empty()).then_some(group),
                    partition_assignment_strategy: vec![strategy],
                    enable_auto_commit: Some(value_of(&c) == "true"),
                    auto_offset_reset: if value_of(&r) == "latest" {
                        AutoOffsetReset::Latest
                    } else {
                        AutoOffsetReset::Earliest
                    },
                    ..ConsumerConfig::default()
                },
            })
        })
    };
    let consumer = use_node_ref();
    let subscribe_topics = use_node_ref();
    let by_consumer = |make: fn(u32) -> Command| {
        let consumer = consumer.clone();
        Build::from(move |_| {
            Ok(make(parse_number(
                &value_of(&consumer),
                "Consumer (add one first)",
            )?))
        })
    };
    let subscribe = {
        let (c, t) = (consumer.clone(), subscribe_topics.clone());
        Build::from(move |_| {
            Ok(Command::Subscribe {
                consumer: parse_number(&value_of(&c), "Consumer (add one first)")?,
                topics: value_of(&t)
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            })
        })
    };
    let on_auto = {
        let on_auto_consume = props.on_auto_consume.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            on_auto_consume.emit(input.checked());
        })
    };

    // Failures and dead letters
    let rule_consumer = use_node_ref();
    let rule_kind = use_node_ref();
    let rule_text = use_node_ref();
    let set_rule = {
        let (c, k, t) = (rule_consumer.clone(), rule_kind.clone(), rule_text.clone());
        Build::from(move |_| {
            let rule = match value_of(&k).as_str() {
                "value_contains" => Some(FailureRule::ValueContains(value_of(&t))),
                "every_nth" => Some(FailureRule::EveryNth(parse_number(&value_of(&t), "N")?)),
                _ => None,
            };
            Ok(Command::SetFailureRule {
                consumer: parse_number(&value_of(&c), "Consumer (add one first)")?,
                rule,
            })
        })
    };
    let poison_topic = use_node_ref();
    let poison_partition = use_node_ref();
    let poison_offset = use_node_ref();
    let mark_poison = {
        let (t, p, o) = (
            poison_topic.clone(),
            poison_partition.clone(),
            poison_offset.clone(),
        );
        Build::from(move |_| {
            Ok(Command::MarkPoison {
                topic: value_of(&t),
                partition: parse_number(&value_of(&p), "Partition")?,
                offset: parse_number(&value_of(&o), "Offset")?,
            })
        })
    };
    let policy_group = use_node_ref();
    let policy_kind = use_node_ref();
    let policy_attempts = use_node_ref();
    let policy_backoff = use_node_ref();
    let set_policy = {
        let (g, k, a, b) = (
            policy_group.clone(),
            policy_kind.clone(),
            policy_attempts.clone(),
            policy_backoff.clone(),
        );
        Build::from(move |_| {
            let policy = match value_of(&k).as_str() {
                "spring" => ErrorPolicy::Spring {
                    attempts: parse_number(&value_of(&a), "Attempts")?,
                    backoff: Backoff::Fixed {
                        delay_ms: parse_number(&value_of(&b), "Back-off")?,
                    },
                    dlt_suffix: "-dlt".into(),
                },
                "connect" => ErrorPolicy::Connect {
                    tolerance: Tolerance::All,
                    dlq_topic: Some(format!("{}-dlq", value_of(&g).trim())),
                    context_headers: true,
                    dlq_replication_factor: 3,
                },
                _ => ErrorPolicy::LogAndSkip,
            };
            Ok(Command::SetErrorHandling {
                group: value_of(&g).trim().to_string(),
                policy,
            })
        })
    };
    let redrive_topic = use_node_ref();
    let redrive = {
        let t = redrive_topic.clone();
        Build::from(move |_| {
            Ok(Command::Redrive {
                topic: value_of(&t),
            })
        })
    };
    let group_default = view
        .groups
        .first()
        .cloned()
        .unwrap_or_else(|| "payments".to_string());
    let advance = {
        let ms = clock_ms.clone();
        Build::from(move |_| {
            Ok(Command::AdvanceClock {
                ms: parse_number(&value_of(&ms), "Milliseconds")?,
            })
        })
    };

    html! {
        <div class="controls">
            <details open=true>
                <summary>{ "Brokers and faults" }</summary>
                <CommandForm legend="Brokers" on_command={on_command.clone()} actions={vec![
                    ("Crash broker".into(), by_broker(|broker| Command::CrashBroker { broker })),
                    ("Restart broker".into(), by_broker(|broker| Command::RestartBroker { broker })),
                    ("Add broker".into(), Build::from(|_| Ok(Command::AddBroker))),
                ]}>
                    { select("broker-id", "Broker", &broker, &brokers) }
                </CommandForm>
                <CommandForm legend={if view.mode == ControllerMode::Kraft { "KRaft controllers" } else { "ZooKeeper servers" }} on_command={on_command.clone()} actions={vec![
                    ("Crash controller".into(), by_controller(|controller| Command::CrashController { controller })),
                    ("Restart controller".into(), by_controller(|controller| Command::RestartController { controller })),
                ]}>
                    { select("controller-id", "Node", &controller, &controllers) }
                </CommandForm>
                <CommandForm legend="Network link" on_command={on_command.clone()} actions={vec![("Cut link".into(), by_link(true)), ("Heal link".into(), by_link(false))]}>
                    { select("link-a", "From", &link_a, &nodes) }
                    { select("link-b", "To", &link_b, &nodes) }
                </CommandForm>
                <CommandForm legend="Clock" on_command={on_command.clone()} actions={vec![("Advance clock".into(), advance)]}>
                    { field("clock-ms", "Milliseconds", &clock_ms, "e.g. 30000", "30000") }
                </CommandForm>
                <form onsubmit={on_new} aria-label="New cluster">
                    <fieldset>
                        <legend>{ "New cluster (replaces this session)" }</legend>
                        <div class="fields">
                            { field("new-brokers", "Brokers (1-9)", &new_brokers, "3", &view.brokers.len().to_string()) }
                            { select("new-mode", "Controller mode", &new_mode, &[("kraft".into(), "KRaft".into()), ("zookeeper".into(), "ZooKeeper".into())]) }
                            { field("new-seed", "Seed", &new_seed, "1", "1") }
                        </div>
                        <div class="actions"><button type="submit">{ "Start new cluster" }</button></div>
                        if let Some(message) = &*new_error {
                            <p class="error" role="alert">{ message }</p>
                        }
                    </fieldset>
                </form>
            </details>
            <details open=true>
                <summary>{ "Topics" }</summary>
                <CommandForm legend="Create topic" on_command={on_command.clone()} actions={vec![("Create topic".into(), create_topic)]}>
                    { field("topic-name", "Name", &topic_name, "e.g. payments", "") }
                    { field("topic-partitions", "Partitions", &topic_partitions, "1-64", "3") }
                    { field("topic-rf", "Replication factor", &topic_rf, "≤ brokers", "3") }
                    <label for="topic-configs">{ "Configs" }</label>
                    <textarea id="topic-configs" ref={topic_configs} rows="2" placeholder="min.insync.replicas=2, retention.ms=60000" />
                </CommandForm>
                <CommandForm legend="Delete topic" on_command={on_command.clone()} actions={vec![("Delete topic".into(), delete_topic)]}>
                    { select("delete-topic", "Topic", &delete_topic_name, &topics) }
                </CommandForm>
            </details>
            <details open=true>
                <summary>{ "Producers" }</summary>
                <CommandForm legend="Send records" on_command={on_command.clone()} actions={vec![("Send".into(), send)]}>
                    { select("send-producer", "Producer", &send_producer, &producers) }
                    { select("send-topic", "Topic", &send_topic, &topics) }
                    { field("send-key", "Key", &send_key, "empty: no key", "") }
                    { field("send-value", "Value", &send_value, "empty: a tombstone", "hello") }
                    { field("send-headers", "Headers", &send_headers, "k=v, k2=v2", "") }
                    { field("send-partition", "Partition", &send_partition, "empty: the partitioner picks", "") }
                    { field("send-count", "Count (burst)", &send_count, "1", "1") }
                </CommandForm>
                <CommandForm legend="Add producer" on_command={on_command.clone()} actions={vec![("Add producer".into(), add_producer)]}>
                    { select("producer-acks", "acks", &acks, &[("all".into(), "all".into()), ("1".into(), "1".into()), ("0".into(), "0".into())]) }
                    { select("producer-idempotence", "enable.idempotence", &idempotence, &[("default".into(), "default (on with acks=all)".into()), ("true".into(), "true".into()), ("false".into(), "false".into())]) }
                </CommandForm>
            </details>
            <details open=true>
                <summary>{ "Consumers" }</summary>
                <CommandForm legend="Add consumer" on_command={on_command.clone()} actions={vec![("Add consumer".into(), add_consumer)]}>
                    { field("consumer-group", "group.id", &group_id, "empty: no group (assign)", &group_default) }
                    { select("consumer-assignor", "Assignor", &assignor, &[("range".into(), "range".into()), ("roundrobin".into(), "roundrobin".into()), ("sticky".into(), "sticky".into()), ("cooperative-sticky".into(), "cooperative-sticky".into())]) }
                    { select("consumer-reset", "auto.offset.reset", &offset_reset, &[("earliest".into(), "earliest".into()), ("latest".into(), "latest (Kafka's default)".into())]) }
                    { checkbox("consumer-autocommit", "enable.auto.commit", &auto_commit, true) }
                </CommandForm>
                <CommandForm legend="Consumer" on_command={on_command.clone()} actions={vec![
                    ("Subscribe".into(), subscribe),
                    ("Poll".into(), by_consumer(|consumer| Command::Poll { consumer })),
                    ("Commit".into(), by_consumer(|consumer| Command::Commit { consumer, sync: true })),
                    ("Close".into(), by_consumer(|consumer| Command::CloseConsumer { consumer })),
                    ("Crash".into(), by_consumer(|consumer| Command::CrashConsumer { consumer })),
                    ("Restart".into(), by_consumer(|consumer| Command::RestartConsumer { consumer })),
                ]}>
                    { select("consumer-id", "Consumer", &consumer, &consumers) }
                    { field("subscribe-topics", "Topics", &subscribe_topics, "orders, payments", view.topics.first().map_or("", String::as_str)) }
                </CommandForm>
                <label class="check standalone" for="auto-consume">
                    <input id="auto-consume" type="checkbox" checked={props.auto_consume} onchange={on_auto} />
                    { "Auto-consume: while playing, every running consumer polls whenever the cluster is quiet and its group has lag" }
                </label>
            </details>
            <details>
                <summary>{ "Failures and dead letters" }</summary>
                <CommandForm legend="Failure rule" on_command={on_command.clone()} actions={vec![("Set failure rule".into(), set_rule)]}>
                    { select("rule-consumer", "Consumer", &rule_consumer, &consumers) }
                    { select("rule-kind", "Fails when", &rule_kind, &[("value_contains".into(), "value contains".into()), ("every_nth".into(), "every Nth record".into()), ("never".into(), "never (clear)".into())]) }
                    { field("rule-text", "Text or N", &rule_text, "e.g. boom or 3", "boom") }
                </CommandForm>
                <CommandForm legend="Poison record" on_command={on_command.clone()} actions={vec![("Mark as poison".into(), mark_poison)]}>
                    { select("poison-topic", "Topic", &poison_topic, &topics) }
                    { field("poison-partition", "Partition", &poison_partition, "0", "0") }
                    { field("poison-offset", "Offset", &poison_offset, "0", "0") }
                </CommandForm>
                <CommandForm legend="Error handling" on_command={on_command.clone()} actions={vec![("Set error handling".into(), set_policy)]}>
                    { field("policy-group", "Group", &policy_group, "group id", &group_default) }
                    { select("policy-kind", "Policy", &policy_kind, &[("spring".into(), "Spring retry topics + DLT".into()), ("connect".into(), "Kafka Connect DLQ (tolerance all)".into()), ("log_and_skip".into(), "log and skip".into())]) }
                    { field("policy-attempts", "Attempts", &policy_attempts, "3", "3") }
                    { field("policy-backoff", "Back-off ms", &policy_backoff, "1000", "1000") }
                </CommandForm>
                <CommandForm legend="Redrive" on_command={on_command.clone()} actions={vec![("Redrive".into(), redrive)]}>
                    { select("redrive-topic", "Dead letter topic", &redrive_topic, &topics) }
                </CommandForm>
                if !groups.is_empty() {
                    <p class="hint">{ format!("Groups: {}", groups.iter().map(|(g, _)| g.as_str()).collect::<Vec<_>>().join(", ")) }</p>
                }
            </details>
        </div>
    }
}
