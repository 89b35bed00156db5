//! The cluster diagram (SVG): producers on the left, the controller quorum on top, the
//! brokers with their replicas in the middle, consumer groups on the right, and every
//! in-flight request as a labelled dot on its way.
//!
//! A dot's place is the fraction of its trip already made in cluster time:
//! `(now - sent) / (deliver - sent)`. While playing, "now" glides from the current tick to
//! the next delivery over one hop's wall time, so all dots move at the speed chosen and
//! each arrives exactly when its hop is delivered.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::render::{request_animation_frame, AnimationFrame};
use yew::prelude::*;

use super::inspector::Selection;
use crate::broker::controller::ControllerMode;
use crate::broker::ids::Node;
use crate::broker::sorted_map::{SortedMap, SortedSet};
use crate::broker::view::{BrokerView, ClusterView, InFlightView, ReplicaView};
use crate::number::decimal;

const WIDTH: f64 = 760.0;
const LEFT_X: f64 = 48.0;
const BROKERS_LEFT: f64 = 104.0;
const BROKERS_RIGHT: f64 = 556.0;
const BROKERS_TOP: f64 = 100.0;
const GROUPS_X: f64 = 566.0;
const GROUP_WIDTH: f64 = 190.0;
const CELL: f64 = 25.0;
const ROW: f64 = 21.0;
/// Where the second line of the `__consumer_offsets` summary sits below the first.
const INTERNAL_SECOND_LINE: f64 = 13.0;
/// About how wide one character of a 10 px label is (for squeezing a long label).
const TEXT_EM: f64 = 5.8;

/// Where each node sits, and each broker's box.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub height: f64,
    points: SortedMap<Node, (f64, f64)>,
    broker_boxes: SortedMap<u32, (f64, f64, f64, f64)>,
    group_boxes: Vec<(String, f64, f64, f64)>,
}

/// Topics with many replicas (`__consumer_offsets`) are summed up in one line per broker.
fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

/// Retry and dead letter topics are drawn apart from ordinary ones.
pub fn topic_role(topic: &str, view: &ClusterView) -> Option<&'static str> {
    let connect_dlq = view.groups.iter().any(|g| {
        matches!(&g.error_handling, Some(crate::broker::dead_letter::ErrorPolicy::Connect { dlq_topic: Some(t), .. }) if t == topic)
    });
    if connect_dlq || topic.ends_with("-dlt") || topic.ends_with(".DLT") {
        Some("DLT")
    } else if crate::broker::dead_letter::is_retry_topic(topic) {
        Some("retry")
    } else {
        None
    }
}

/// Replicas of one broker grouped by topic, internal topics left out.
fn replica_rows(broker: &BrokerView) -> Vec<(&str, Vec<&ReplicaView>)> {
    let mut rows: Vec<(&str, Vec<&ReplicaView>)> = Vec::new();
    for replica in broker.replicas.iter().filter(|r| !is_internal(&r.topic)) {
        match rows.last_mut() {
            Some((topic, cells)) if *topic == replica.topic => cells.push(replica),
            _ => rows.push((&replica.topic, vec![replica])),
        }
    }
    rows
}

fn cells_per_line(box_width: f64) -> usize {
    (((box_width - 16.0) / CELL).floor() as usize).max(1)
}

impl Layout {
    pub fn of(view: &ClusterView) -> Layout {
        let mut points = SortedMap::new();
        let controllers = &view.controller.nodes;
        let span = 90.0;
        let first = (BROKERS_LEFT + BROKERS_RIGHT) / 2.0
            - span * (controllers.len().saturating_sub(1)) as f64 / 2.0;
        for (i, node) in controllers.iter().enumerate() {
            points.insert(Node::Controller(node.id), (first + span * i as f64, 45.0));
        }
        for (i, producer) in view.producers.iter().enumerate() {
            points.insert(
                Node::Producer(producer.id),
                (LEFT_X, BROKERS_TOP + 30.0 + 70.0 * i as f64),
            );
        }
        let count = view.brokers.len().max(1);
        let columns = count.min(3);
        let gap = 16.0;
        let box_width =
            (BROKERS_RIGHT - BROKERS_LEFT - gap * (columns - 1) as f64) / columns as f64;
        let per_line = cells_per_line(box_width);
        let mut broker_boxes = SortedMap::new();
        let mut y = BROKERS_TOP;
        for row in view.brokers.chunks(columns) {
            let height = row
                .iter()
                .map(|b| {
                    let lines: usize = replica_rows(b)
                        .iter()
                        .map(|(_, cells)| 1 + cells.len().div_ceil(per_line))
                        .sum();
                    let internal = b.replicas.iter().any(|r| is_internal(&r.topic));
                    // The internal topics' summary takes a label line and one more line of text.
                    48.0 + ROW * (lines + usize::from(internal)) as f64
                        + if internal { INTERNAL_SECOND_LINE } else { 0.0 }
                })
                .fold(70.0, f64::max);
            for (i, broker) in row.iter().enumerate() {
                let x = BROKERS_LEFT + (box_width + gap) * i as f64;
                broker_boxes.insert(broker.id, (x, y, box_width, height));
                points.insert(
                    Node::Broker(broker.id),
                    (x + box_width / 2.0, y + height / 2.0),
                );
            }
            y += height + gap;
        }
        let brokers_bottom = y;
        let mut group_boxes = Vec::new();
        let mut gy = BROKERS_TOP;
        let mut placed = SortedSet::new();
        for group in &view.groups {
            let members: Vec<_> = view
                .consumers
                .iter()
                .filter(|c| c.group.as_deref() == Some(group.group.as_str()))
                .collect();
            let height = 40.0 + 34.0 * members.len().max(1) as f64;
            group_boxes.push((group.group.clone(), GROUPS_X, gy, height));
            for (i, consumer) in members.iter().enumerate() {
                points.insert(
                    Node::Consumer(consumer.id),
                    (GROUPS_X + 62.0, gy + 48.0 + 34.0 * i as f64),
                );
                placed.insert(consumer.id);
            }
            gy += height + 12.0;
        }
        for consumer in view.consumers.iter().filter(|c| !placed.contains(&c.id)) {
            points.insert(Node::Consumer(consumer.id), (GROUPS_X + 62.0, gy + 20.0));
            gy += 40.0;
        }
        let producers_bottom = BROKERS_TOP + 70.0 * view.producers.len() as f64 + 40.0;
        Layout {
            height: brokers_bottom.max(gy).max(producers_bottom).max(240.0) + 20.0,
            points,
            broker_boxes,
            group_boxes,
        }
    }

    pub fn point(&self, node: Node) -> (f64, f64) {
        self.points
            .get(&node)
            .copied()
            .unwrap_or((WIDTH / 2.0, 20.0))
    }
}

pub struct DiagramProps {
    pub view: ClusterView,
    pub selection: Option<Selection>,
    pub on_select: Callback<Selection>,
    /// Wall time of one hop at the chosen speed; `None` while paused or with reduced motion.
    pub glide_ms: Option<f64>,
}

fn selectable(
    on_select: &Callback<Selection>,
    selection: Selection,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let click = {
        let on_select = on_select.clone();
        let selection = selection.clone();
        Callback::from(move |_| on_select.emit(selection.clone()))
    };
    let key = {
        let on_select = on_select.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" || event.key() == " " {
                event.prevent_default();
                event.stop_propagation();
                on_select.emit(selection.clone());
            }
        })
    };
    (click, key)
}

/// A view function rather than a component: the page makes its callbacks afresh at every
/// render, so a component would re-render every time anyway, and comparing its props first
/// only added code to the download.
pub fn diagram(props: &DiagramProps) -> Html {
    let view = &props.view;
    // Computed afresh: a few dozen points, cheaper than keeping a copy of the view to
    // compare against.
    let layout = Layout::of(view);
    let height = layout.height;
    let selected = |s: &Selection| props.selection.as_ref() == Some(s);

    let controllers = view.controller.nodes.iter().map(|node| {
        let (x, y) = layout.point(Node::Controller(node.id));
        let active = view.controller.active == Some(Node::Controller(node.id));
        let name = match view.controller.mode {
            ControllerMode::Kraft => format!("controller {}", node.id),
            ControllerMode::Zookeeper => format!("ZooKeeper {}", node.id),
        };
        let state = match (node.alive, active) {
            (false, _) => "down",
            (true, true) => "active",
            (true, false) => "standby",
        };
        html! {
            <g class={classes!("controller", state)}>
                <title>{ format!("{name}: {state}") }</title>
                <rect x={px(x - 40.0)} y={px(y - 16.0)} width="80" height="32" rx="16" />
                <text x={px(x)} y={px(y - 1.0)} class="node-name">{ name }</text>
                <text x={px(x)} y={px(y + 11.0)} class="node-state">{ if active { "★ active" } else { state } }</text>
            </g>
        }
    });

    let brokers = view.brokers.iter().map(|broker| {
        let (x, y, w, h) = layout.broker_boxes[&broker.id];
        let status = if !broker.alive { "down" } else if broker.fenced { "fenced" } else { "running" };
        let selection = Selection::Broker(broker.id);
        let (onclick, onkeydown) = selectable(&props.on_select, selection.clone());
        let per_line = cells_per_line(w);
        let mut line = 0usize;
        let mut rows = Vec::new();
        for (topic, cells) in replica_rows(broker) {
            let role = topic_role(topic, view);
            let ty = y + 46.0 + ROW * line as f64;
            rows.push(html! {
                <text x={px(x + 8.0)} y={px(ty)} class={classes!("topic-label", role.map(|r| r.to_ascii_lowercase()))}>
                    { match role { Some(role) => format!("{topic} ({role})"), None => topic.to_string() } }
                </text>
            });
            line += 1;
            for (i, replica) in cells.iter().enumerate() {
                let cx = x + 8.0 + CELL * (i % per_line) as f64;
                let cy = y + 34.0 + ROW * (line + i / per_line) as f64;
                let selection = Selection::Partition(replica.topic.clone(), replica.partition);
                let (onclick, onkeydown) = selectable(&props.on_select, selection.clone());
                let mark = match replica.state.as_str() {
                    "leader" => "L",
                    "follower" => "F",
                    "out_of_sync" => "!",
                    _ => "×",
                };
                let mut label = format!(
                    "{}-{} on broker {}: {}, LEO {}, HW {}",
                    replica.topic, replica.partition, broker.id,
                    replica.state.replace('_', " "), replica.log_end_offset, replica.high_watermark
                );
                if let Some(offset) = replica.fetch_waiting_at_leader {
                    label += &format!(", its Fetch for offset {offset} waits at the leader");
                }
                // A waiting fetch is a request too: a dot, as requests in flight are drawn,
                // in the cell's corner.
                let waiting = replica.fetch_waiting_at_leader.map(|_| html! {
                    <circle class="fetch-waiting" cx={px(cx + CELL - 5.0)} cy={px(cy + 1.0)} r="3" />
                });
                rows.push(html! {
                    <g class={classes!("replica", replica.state.clone(), role.map(|r| r.to_ascii_lowercase()), selected(&selection).then_some("selected"))}
                        role="button" tabindex="0" aria-label={label.clone()} {onclick} {onkeydown}>
                        <title>{ label }</title>
                        <rect x={px(cx)} y={px(cy)} width={px(CELL - 3.0)} height={px(ROW - 4.0)} rx="3" />
                        <text x={px(cx + (CELL - 3.0) / 2.0)} y={px(cy + 12.0)}>{ format!("{}{mark}", replica.partition) }</text>
                        { waiting }
                    </g>
                });
            }
            line += cells.len().div_ceil(per_line);
        }
        let internal: Vec<_> = broker.replicas.iter().filter(|r| is_internal(&r.topic)).collect();
        if !internal.is_empty() {
            let leaders = internal.iter().filter(|r| r.state == "leader").count();
            let summary = format!("{} replicas, {leaders} leaders", internal.len());
            // Two lines, the second squeezed to the box if it is still too long: one line
            // ran past the box's edge.
            let ty = y + 46.0 + ROW * line as f64;
            let inner = w - 16.0;
            let squeeze = (summary.len() as f64 * TEXT_EM > inner).then(|| px(inner));
            rows.push(html! {
                <g class="internal-topic">
                    <title>{ format!("__consumer_offsets on broker {}: {summary}", broker.id) }</title>
                    <text x={px(x + 8.0)} y={px(ty)} class="topic-label internal">{ "__consumer_offsets" }</text>
                    <text x={px(x + 8.0)} y={px(ty + INTERNAL_SECOND_LINE)} class="topic-label internal"
                        textLength={squeeze} lengthAdjust="spacingAndGlyphs">{ summary }</text>
                </g>
            });
        }
        html! {
            <g class={classes!("broker", status, selected(&selection).then_some("selected"))}>
                <g role="button" tabindex="0" aria-label={format!("Broker {} ({status}{})", broker.id, if broker.is_controller { ", controller" } else { "" })} {onclick} {onkeydown}>
                    <rect class="broker-box" x={px(x)} y={px(y)} width={px(w)} height={px(h)} rx="8" />
                    <text x={px(x + 8.0)} y={px(y + 18.0)} class="broker-name">
                        { format!("broker {}", broker.id) }
                        { if broker.is_controller { " ★ controller" } else { "" } }
                    </text>
                    <text x={px(x + w - 8.0)} y={px(y + 18.0)} class="broker-status">{ status }</text>
                </g>
                { for rows }
            </g>
        }
    });

    let producers = view.producers.iter().map(|producer| {
        let (x, y) = layout.point(Node::Producer(producer.id));
        let selection = Selection::Producer(producer.id);
        let (onclick, onkeydown) = selectable(&props.on_select, selection.clone());
        html! {
            <g class={classes!("client", "producer", selected(&selection).then_some("selected"))} role="button" tabindex="0"
                aria-label={format!("Producer {} (acks={})", producer.id, producer.acks)} {onclick} {onkeydown}>
                <rect x={px(x - 44.0)} y={px(y - 20.0)} width="88" height="40" rx="6" />
                <text x={px(x)} y={px(y - 3.0)} class="node-name">{ format!("producer {}", producer.id) }</text>
                <text x={px(x)} y={px(y + 11.0)} class="node-state">{ format!("acks={}", producer.acks) }</text>
            </g>
        }
    });

    let groups = layout.group_boxes.iter().map(|(name, x, y, h)| {
        let group = view.groups.iter().find(|g| &g.group == name);
        let selection = Selection::Group(name.clone());
        let (onclick, onkeydown) = selectable(&props.on_select, selection.clone());
        let state = group.map_or("Dead", |g| g.state.as_str());
        let generation = group.map_or(0, |g| g.generation);
        html! {
            <g class={classes!("group", selected(&selection).then_some("selected"))} role="button" tabindex="0"
                aria-label={format!("Group {name} ({state}, generation {generation})")} {onclick} {onkeydown}>
                <rect x={px(*x)} y={px(*y)} width={px(GROUP_WIDTH)} height={px(*h)} rx="8" />
                <text x={px(x + 8.0)} y={px(y + 16.0)} class="broker-name">{ format!("group {name}") }</text>
                <text x={px(x + 8.0)} y={px(y + 30.0)} class="node-state left">{ format!("{state} · generation {generation}") }</text>
            </g>
        }
    });

    let consumers = view.consumers.iter().map(|consumer| {
        let (x, y) = layout.point(Node::Consumer(consumer.id));
        let selection = Selection::Consumer(consumer.id);
        let (onclick, onkeydown) = selectable(&props.on_select, selection.clone());
        let owns = if consumer.assignment.is_empty() {
            "owns nothing".to_string()
        } else {
            consumer.assignment.iter().map(|tp| tp.to_string()).collect::<Vec<_>>().join(", ")
        };
        html! {
            <g class={classes!("client", "consumer", consumer.status.clone(), selected(&selection).then_some("selected"))} role="button" tabindex="0"
                aria-label={format!("Consumer {} ({}): {owns}", consumer.id, consumer.status)} {onclick} {onkeydown}>
                <title>{ owns.clone() }</title>
                <rect x={px(x - 54.0)} y={px(y - 14.0)} width={px(GROUP_WIDTH - 16.0)} height="28" rx="6" />
                <text x={px(x - 46.0)} y={px(y - 1.0)} class="node-name left">
                    { format!("consumer {}{}", consumer.id, if consumer.status == "running" { String::new() } else { format!(" ({})", consumer.status) }) }
                </text>
                <text x={px(x - 46.0)} y={px(y + 10.0)} class="node-state left">{ truncate(&owns, 30) }</text>
            </g>
        }
    });

    let cut_links = view.cut_links.iter().map(|(a, b)| {
        let (x1, y1) = layout.point(*a);
        let (x2, y2) = layout.point(*b);
        html! {
            <g class="cut-link">
                <title>{ format!("link {a} — {b} is cut") }</title>
                <line x1={px(x1)} y1={px(y1)} x2={px(x2)} y2={px(y2)} />
                <text x={px((x1 + x2) / 2.0)} y={px((y1 + y2) / 2.0)}>{ "✂ cut" }</text>
            </g>
        }
    });

    html! {
        <figure class="diagram">
            // Shown only where the drawing is wider than the screen (see the stylesheet).
            <p class="scroll-hint">{ "The cluster is wider than the screen: scroll sideways to see all of it →" }</p>
            <svg viewBox={format!("0 0 {} {}", px(WIDTH), px(height))} role="group" aria-label="Cluster diagram" preserveAspectRatio="xMidYMin meet">
                <text x={px(LEFT_X)} y="88" class="column-title">{ "Producers" }</text>
                <text x={px(GROUPS_X + GROUP_WIDTH / 2.0)} y="88" class="column-title">{ "Consumer groups" }</text>
                { for controllers }
                { for cut_links }
                { for brokers }
                { for producers }
                { for groups }
                { for consumers }
                <Flights in_flight={view.in_flight.clone()} tick={view.tick} layout={layout.clone()} glide_ms={props.glide_ms} />
            </svg>
            <figcaption class="legend">
                <span class="key leader">{ "0L leader" }</span>
                <span class="key follower">{ "0F in-sync follower" }</span>
                <span class="key out_of_sync">{ "0! out of sync" }</span>
                <span class="key offline">{ "0× offline" }</span>
                <span class="key retry">{ "retry topic" }</span>
                <span class="key dlt">{ "dead letter topic" }</span>
                <span class="key fetch-waiting">{ "fetch waiting at the leader" }</span>
                <span>{ format!("{} requests in flight", view.in_flight.len()) }</span>
            </figcaption>
        </figure>
    }
}

/// A coordinate or length in the drawing, to a tenth of a pixel.
fn px(value: f64) -> String {
    decimal(value, 1)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

#[derive(Properties, PartialEq)]
pub struct FlightsProps {
    pub in_flight: Vec<InFlightView>,
    pub tick: u64,
    pub layout: Layout,
    pub glide_ms: Option<f64>,
}

/// The in-flight requests. While playing, each animation frame moves the dots by setting
/// their `transform` attributes directly, without a render: the page draws the dots where
/// they are at this tick, and a frame only slides them towards where they will be at the
/// next delivery. Yew leaves an attribute alone while its own value for it is unchanged, and
/// writes the new one when the tick moves on.
#[function_component(Flights)]
pub fn flights(props: &FlightsProps) -> Html {
    let layer = use_node_ref();
    let frame = use_mut_ref(|| None::<AnimationFrame>);
    let next = props
        .in_flight
        .iter()
        .map(|m| m.deliver_tick)
        .min()
        .unwrap_or(props.tick);
    let at = |message: &InFlightView, moment: u64| {
        let (x1, y1) = props.layout.point(message.from);
        let (x2, y2) = props.layout.point(message.to);
        let trip = message
            .deliver_tick
            .saturating_sub(message.sent_tick)
            .max(1) as f64;
        let done = ((moment as f64 - message.sent_tick as f64) / trip).clamp(0.0, 1.0);
        (x1 + (x2 - x1) * done, y1 + (y2 - y1) * done)
    };
    // Each dot's way through this hop, in the order of the layer's children; read by the
    // frames, refreshed at every render.
    let ways = use_mut_ref(Vec::new);
    *ways.borrow_mut() = props
        .in_flight
        .iter()
        .map(|m| (at(m, props.tick), at(m, next)))
        .collect::<Vec<_>>();
    let drawn = ways.borrow();
    {
        let (layer, frame, ways) = (layer.clone(), frame.clone(), ways.clone());
        use_effect_with(
            (
                props.tick,
                props.in_flight.len(),
                props.glide_ms.map(|g| g as u64),
            ),
            move |(_, _, glide_ms)| {
                // A new hop, a pause or another speed: every dot starts from this tick.
                move_dots(&layer, &ways.borrow(), 0.0);
                *frame.borrow_mut() = None;
                if let Some(total) = glide_ms.filter(|&g| g > 0) {
                    fn schedule(
                        start: Option<f64>,
                        total: f64,
                        layer: NodeRef,
                        ways: Rc<RefCell<Vec<Way>>>,
                        frame: Rc<RefCell<Option<AnimationFrame>>>,
                    ) {
                        let again = frame.clone();
                        *frame.borrow_mut() = Some(request_animation_frame(move |now| {
                            let start = start.unwrap_or(now);
                            let fraction = ((now - start) / total).min(1.0);
                            move_dots(&layer, &ways.borrow(), fraction);
                            if fraction < 1.0 {
                                schedule(Some(start), total, layer, ways, again);
                            }
                        }));
                    }
                    schedule(None, total as f64, layer, ways, frame.clone());
                }
                move || {
                    *frame.borrow_mut() = None;
                }
            },
        );
    }
    html! {
        <g class="flights" aria-hidden="true" ref={layer}>
            { for props.in_flight.iter().zip(drawn.iter()).map(|(message, &((x, y), _))| {
                let kind = message.label.split(' ').next().unwrap_or_default().to_ascii_lowercase();
                html! {
                    <g key={message.id} class={classes!("flight", kind)} transform={translate(x, y)}>
                        <circle r="5" />
                        <text y="-8">{ &message.label }</text>
                    </g>
                }
            }) }
        </g>
    }
}

/// Where a dot is at this tick, and where it will be at the next delivery.
type Way = ((f64, f64), (f64, f64));

fn translate(x: f64, y: f64) -> String {
    format!("translate({},{})", px(x), px(y))
}

/// Puts every dot of `layer` `fraction` of its way through the hop.
fn move_dots(layer: &NodeRef, ways: &[Way], fraction: f64) {
    let mut dot = layer
        .cast::<web_sys::Element>()
        .and_then(|g| g.first_element_child());
    for ((x0, y0), (x1, y1)) in ways {
        let Some(element) = dot else { return };
        let _ = element.set_attribute(
            "transform",
            &translate(x0 + (x1 - x0) * fraction, y0 + (y1 - y0) * fraction),
        );
        dot = element.next_element_sibling();
    }
}
