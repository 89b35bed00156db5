//! The Yew single-page app: loads the session from IndexedDB, replays it on the core, and
//! draws the cluster from its read-only view.

mod components;
pub mod state;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::broker::controller::ControllerMode;
use crate::broker::{Command, EventKind};
use crate::scenario::{ClockEntry, Entry};
use crate::storage::{now_ms, Storage, WorkspaceRow};
use components::{BrokerList, Narration, PartitionTable, ProduceForm};
use state::{starter_scenario, Action, Session, STARTER_TOPIC};

/// The IndexedDB database and the workspace this page uses.
pub const DATABASE_NAME: &str = "kafka-playground";
pub const WORKSPACE_ID: &str = "default";

/// Where saving stands, shown in the footer.
#[derive(Clone, PartialEq)]
enum SaveStatus {
    Opening,
    Saved(usize),
    Saving,
    /// Storage failed: the page keeps working in memory.
    InMemoryOnly(String),
}

/// Entries waiting to be written, written one transaction each, in order.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<(u32, Entry)>,
    scheduled: usize,
    flushing: bool,
}

fn flush(storage: Rc<Storage>, outbox: Rc<RefCell<Outbox>>, status: UseStateHandle<SaveStatus>) {
    if outbox.borrow().flushing {
        return;
    }
    outbox.borrow_mut().flushing = true;
    spawn_local(async move {
        loop {
            let next = outbox.borrow_mut().queue.pop_front();
            let Some((seq, entry)) = next else { break };
            if let Err(error) = storage.append_entry(WORKSPACE_ID, seq, &entry).await {
                status.set(SaveStatus::InMemoryOnly(error.to_string()));
                outbox.borrow_mut().queue.clear();
                break;
            }
            status.set(SaveStatus::Saved(seq as usize + 1));
        }
        outbox.borrow_mut().flushing = false;
    });
}

#[function_component(App)]
pub fn app() -> Html {
    let session = use_reducer(Session::default);
    let storage = use_state(|| None::<Rc<Storage>>);
    let status = use_state(|| SaveStatus::Opening);
    let outbox = use_mut_ref(Outbox::default);

    // Open IndexedDB once and load the workspace (or start a new one).
    {
        let session = session.dispatcher();
        let storage = storage.clone();
        let status = status.clone();
        let outbox = outbox.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                let opened = match Storage::open(DATABASE_NAME).await {
                    Ok(opened) => Rc::new(opened),
                    Err(error) => {
                        status.set(SaveStatus::InMemoryOnly(error.to_string()));
                        outbox.borrow_mut().scheduled = usize::MAX;
                        session.dispatch(Action::Load(starter_scenario(1)));
                        return;
                    }
                };
                match opened.load_scenario(WORKSPACE_ID).await {
                    Ok(Some(scenario)) => {
                        outbox.borrow_mut().scheduled = scenario.entries.len();
                        status.set(SaveStatus::Saved(scenario.entries.len()));
                        session.dispatch(Action::Load(scenario));
                    }
                    Ok(None) => {
                        let scenario = starter_scenario(1);
                        let row = WorkspaceRow {
                            id: WORKSPACE_ID.into(),
                            name: scenario.name.clone().unwrap_or_default(),
                            schema_version: scenario.version,
                            seed: scenario.seed as f64,
                            config: serde_json::to_string(&scenario.config)
                                .expect("configs serialize"),
                            created: now_ms(),
                            updated: now_ms(),
                        };
                        if let Err(error) = opened.put_workspace(&row).await {
                            status.set(SaveStatus::InMemoryOnly(error.to_string()));
                            outbox.borrow_mut().scheduled = usize::MAX;
                        }
                        session.dispatch(Action::Load(scenario));
                    }
                    Err(error) => {
                        // Stored data we cannot read stays untouched; work continues in memory.
                        status.set(SaveStatus::InMemoryOnly(error.to_string()));
                        outbox.borrow_mut().scheduled = usize::MAX;
                        session.dispatch(Action::Load(starter_scenario(1)));
                        return;
                    }
                }
                storage.set(Some(opened));
            });
        });
    }

    // Every applied entry goes to IndexedDB, in order, one transaction each.
    {
        let entries_len = session.scenario.entries.len();
        // The reducer handle is a cheap clone; only the new entries are copied, and only
        // when there are some.
        let session = session.clone();
        let storage = storage.clone();
        let status = status.clone();
        let outbox = outbox.clone();
        use_effect_with((entries_len, storage.is_some()), move |_| {
            let Some(storage) = (*storage).clone() else {
                return;
            };
            {
                let mut box_ = outbox.borrow_mut();
                if box_.scheduled >= entries_len {
                    return;
                }
                let entries = &session.scenario.entries;
                for (seq, entry) in entries.iter().enumerate().skip(box_.scheduled) {
                    box_.queue.push_back((seq as u32, entry.clone()));
                }
                box_.scheduled = entries_len;
            }
            status.set(SaveStatus::Saving);
            flush(storage, outbox, status);
        });
    }

    let view = session.cluster.view();
    let topic = view
        .topics
        .iter()
        .find(|t| t.name == STARTER_TOPIC)
        .cloned();
    let on_produce = {
        let session = session.dispatcher();
        Callback::from(move |(key, value): (Option<String>, String)| {
            session.dispatch(Action::Apply(vec![
                Entry::Command(Command::Produce {
                    producer: 1,
                    topic: STARTER_TOPIC.into(),
                    key,
                    value: Some(value),
                    headers: Vec::new(),
                    partition: None,
                    count: 1,
                }),
                Entry::Clock(ClockEntry::RunUntilIdle),
            ]));
        })
    };
    let outcome = session
        .last_events
        .iter()
        .rev()
        .find_map(|event| match &event.kind {
            EventKind::ProduceAcknowledged {
                partition,
                offset: Some(offset),
                ..
            } => Some(format!(
                "Acknowledged: the record is at {partition} offset {offset}."
            )),
            EventKind::ProduceFailed { .. } => Some(event.text.clone()),
            _ => None,
        });
    let save_text = match &*status {
        SaveStatus::Opening => "Opening browser storage…".to_string(),
        SaveStatus::Saving => "Saving…".to_string(),
        SaveStatus::Saved(n) => format!("Saved in this browser ({n} entries)."),
        SaveStatus::InMemoryOnly(why) => {
            format!("Not saved: {why}. Your work is kept in memory only.")
        }
    };

    html! {
        <>
            <header class="top">
                <h1>{ "Kafka Playground" }</h1>
                <p class="tagline">{ "A Kafka cluster running in your browser. Produce a record and watch where it goes." }</p>
            </header>
            if let SaveStatus::InMemoryOnly(_) = &*status {
                <p class="banner" role="alert">{ save_text.clone() }</p>
            }
            <main>
                <section aria-labelledby="cluster-heading">
                    <h2 id="cluster-heading">{ "Brokers" }</h2>
                    <p class="hint">{ format!(
                        "{} brokers, {} mode, active controller: {}.",
                        view.brokers.len(),
                        match view.controller.mode {
                            ControllerMode::Kraft => "KRaft",
                            ControllerMode::Zookeeper => "ZooKeeper",
                        },
                        view.controller.active.map_or("none".to_string(), |n| n.to_string()),
                    ) }</p>
                    <BrokerList brokers={view.brokers.clone()} />
                </section>
                <section aria-labelledby="produce-heading">
                    <h2 id="produce-heading">{ "Produce" }</h2>
                    <ProduceForm topic={STARTER_TOPIC} on_produce={on_produce} disabled={!session.loaded} />
                    <p class="outcome" role="status">
                        { session.last_error.clone().or(outcome).unwrap_or_default() }
                    </p>
                </section>
                <section class="wide" aria-labelledby="partitions-heading">
                    <h2 id="partitions-heading">{ "Partitions" }</h2>
                    if let Some(topic) = topic {
                        <PartitionTable topic={topic} />
                    }
                </section>
                <section class="wide" aria-labelledby="narration-heading">
                    <h2 id="narration-heading">{ "What happened" }</h2>
                    <Narration events={session.last_events.clone()} />
                </section>
            </main>
            <footer>
                <p class="save-status" aria-live="polite">{ save_text }</p>
            </footer>
        </>
    }
}
