//! The page's pieces. Each gets a slice of the read-only view plus callbacks.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::broker::view::{BrokerView, TopicView};
use crate::broker::Event;

#[derive(Properties, PartialEq)]
pub struct BrokersProps {
    pub brokers: Vec<BrokerView>,
}

/// One card per broker with the replicas it holds, each labelled by role (not colour alone).
#[function_component(BrokerList)]
pub fn broker_list(props: &BrokersProps) -> Html {
    html! {
        <ul class="brokers">
            { for props.brokers.iter().map(|broker| {
                let status = if !broker.alive { "down" } else if broker.fenced { "fenced" } else { "running" };
                html! {
                    <li class={classes!("broker", status)} aria-label={format!("Broker {}", broker.id)}>
                        <h3>{ format!("Broker {}", broker.id) }<span class="badge">{ status }</span></h3>
                        <ul class="replicas">
                            { for broker.replicas.iter().map(|replica| html! {
                                <li class={classes!("replica", replica.state.clone())}>
                                    <span class="replica-name">{ format!("{}-{}", replica.topic, replica.partition) }</span>
                                    <span class="replica-role">{ replica.state.replace('_', " ") }</span>
                                    <span class="replica-leo">{ format!("LEO {}", replica.log_end_offset) }</span>
                                </li>
                            }) }
                        </ul>
                    </li>
                }
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct PartitionTableProps {
    pub topic: TopicView,
}

#[function_component(PartitionTable)]
pub fn partition_table(props: &PartitionTableProps) -> Html {
    let topic = &props.topic;
    html! {
        <table class="partitions">
            <caption>{ format!("Partitions of {}", topic.name) }</caption>
            <thead>
                <tr>
                    <th scope="col">{ "Partition" }</th>
                    <th scope="col">{ "Leader" }</th>
                    <th scope="col">{ "Replicas" }</th>
                    <th scope="col">{ "In-sync replicas" }</th>
                    <th scope="col">{ "Records" }</th>
                    <th scope="col">{ "End offset" }</th>
                    <th scope="col">{ "High watermark" }</th>
                </tr>
            </thead>
            <tbody>
                { for topic.partitions.iter().map(|p| html! {
                    <tr>
                        <th scope="row">{ format!("{}-{}", topic.name, p.partition) }</th>
                        <td>{ p.leader.map_or("none".to_string(), |l| format!("broker {l}")) }</td>
                        <td>{ format!("{:?}", p.replicas) }</td>
                        <td>{ format!("{:?}", p.isr) }</td>
                        <td>{ p.record_count }</td>
                        <td>{ p.log_end_offset }</td>
                        <td>{ p.high_watermark }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProduceFormProps {
    pub topic: String,
    /// (key, value); an empty key field sends a record without a key.
    pub on_produce: Callback<(Option<String>, String)>,
    pub disabled: bool,
}

#[function_component(ProduceForm)]
pub fn produce_form(props: &ProduceFormProps) -> Html {
    let key_ref = use_node_ref();
    let value_ref = use_node_ref();
    let onsubmit = {
        let key_ref = key_ref.clone();
        let value_ref = value_ref.clone();
        let on_produce = props.on_produce.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let read = |node: &NodeRef| {
                node.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let key = read(&key_ref);
            let value = read(&value_ref);
            on_produce.emit(((!key.is_empty()).then_some(key), value));
        })
    };
    html! {
        <form class="produce" {onsubmit} aria-label="Produce a record">
            <p class="hint">{ format!("Sends one record to topic {} with acks=all.", props.topic) }</p>
            <label for="produce-key">{ "Key" }</label>
            <input id="produce-key" ref={key_ref} type="text" autocomplete="off" placeholder="e.g. alice (empty: no key)" />
            <label for="produce-value">{ "Value" }</label>
            <input id="produce-value" ref={value_ref} type="text" autocomplete="off" placeholder="e.g. pizza" />
            <button type="submit" disabled={props.disabled}>{ "Produce" }</button>
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub events: Vec<Event>,
}

/// The last action's events as the core wrote them, hop by hop.
#[function_component(Narration)]
pub fn narration(props: &NarrationProps) -> Html {
    if props.events.is_empty() {
        return html! { <p class="hint">{ "Produce a record to see every hop it takes." }</p> };
    }
    html! {
        <ol class="narration">
            { for props.events.iter().map(|event| html! {
                <li><span class="tick">{ format!("t={}", event.tick) }</span>{ " " }{ &event.text }</li>
            }) }
        </ol>
    }
}
