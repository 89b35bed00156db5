//! The Yew single-page app. It holds the session's [`Timeline`], draws the read-only view
//! of the cluster at the current move, turns the learner's clicks into commands and time
//! moves, and writes every change of the session to IndexedDB, in order.

mod controls;
mod diagram;
mod inspector;
mod log_strip;
mod time_bar;

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::broker::{ClusterConfig, Command};
use crate::scenario::{ClockEntry, Entry, Pushed, Scenario, Timeline};
use crate::session::{
    narration_lines, starter_scenario, starter_scenario_with, step_forward, Stepped, STARTER_TOPIC,
};
use crate::storage::{now_ms, Storage, WorkspaceRow};
use controls::{Controls, Names};
use diagram::Diagram;
use inspector::{describe, Inspector, Selection};
use log_strip::{strip_rows, LogStrips};
use time_bar::{Narration, TimeAction, TimeBar, BASE_HOP_MS, NARRATION_LINES, SPEEDS};

/// The IndexedDB database and the workspace this page uses.
pub const DATABASE_NAME: &str = "kafka-playground";
pub const WORKSPACE_ID: &str = "default";

/// Where saving stands, shown in the header.
#[derive(Clone, PartialEq)]
enum SaveStatus {
    Opening,
    Saved,
    Saving,
    /// Storage failed: the page keeps working in memory.
    InMemoryOnly(String),
}

/// One write to IndexedDB.
enum Write {
    /// Entries from `from` on (appending one, or replacing a changed tail).
    Entries {
        from: u32,
        entries: Vec<Entry>,
        append: bool,
    },
    Workspace(WorkspaceRow),
}

/// Writes waiting, done one transaction at a time, in order.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<Write>,
    /// Entries stored (or queued): a write starting here appends, one before replaces.
    stored_len: usize,
    flushing: bool,
    disabled: bool,
}

impl Outbox {
    /// Queues a whole new session: its workspace row, and its entries replacing any stored.
    fn store_new_session(&mut self, scenario: &Scenario, position: u64, created: f64) {
        self.queue
            .push_back(Write::Workspace(workspace_row(scenario, position, created)));
        self.queue.push_back(Write::Entries {
            from: 0,
            entries: scenario.entries.clone(),
            append: false,
        });
        self.stored_len = scenario.entries.len();
    }
}

fn flush(storage: Rc<Storage>, outbox: Rc<RefCell<Outbox>>, status: UseStateHandle<SaveStatus>) {
    if outbox.borrow().flushing || outbox.borrow().disabled {
        return;
    }
    outbox.borrow_mut().flushing = true;
    status.set(SaveStatus::Saving);
    spawn_local(async move {
        loop {
            let next = outbox.borrow_mut().queue.pop_front();
            let Some(write) = next else { break };
            let result = match &write {
                Write::Entries {
                    from,
                    entries,
                    append: true,
                } if entries.len() == 1 => {
                    storage.append_entry(WORKSPACE_ID, *from, &entries[0]).await
                }
                Write::Entries { from, entries, .. } => {
                    storage
                        .replace_entries_from(WORKSPACE_ID, *from, entries)
                        .await
                }
                Write::Workspace(row) => storage.put_workspace(row).await,
            };
            if let Err(error) = result {
                status.set(SaveStatus::InMemoryOnly(error.to_string()));
                let mut outbox = outbox.borrow_mut();
                outbox.queue.clear();
                outbox.disabled = true;
                break;
            }
        }
        outbox.borrow_mut().flushing = false;
        if !outbox.borrow().disabled {
            status.set(SaveStatus::Saved);
        }
    });
}

fn workspace_row(scenario: &Scenario, position: u64, created: f64) -> WorkspaceRow {
    WorkspaceRow {
        id: WORKSPACE_ID.into(),
        name: scenario.name.clone().unwrap_or_default(),
        schema_version: scenario.version,
        seed: scenario.seed as f64,
        config: serde_json::to_string(&scenario.config).expect("configs serialize"),
        created,
        updated: now_ms(),
        position: Some(position as f64),
    }
}

/// Panels that become tabs on a narrow screen.
#[derive(Clone, Copy, PartialEq)]
enum Panel {
    Controls,
    Cluster,
    Inspector,
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

fn apply_theme(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = if theme == "system" {
            root.remove_attribute("data-theme")
        } else {
            root.set_attribute("data-theme", theme)
        };
    }
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item("kafka-playground-theme", theme);
    }
}

fn stored_theme() -> String {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("kafka-playground-theme").ok().flatten())
        .filter(|t| t == "light" || t == "dark")
        .unwrap_or_else(|| "system".into())
}

#[function_component(App)]
pub fn app() -> Html {
    let timeline = use_mut_ref(|| None::<Timeline>);
    let redraw = use_force_update();
    // A ref, not state: the stable callbacks below read it long after their first render.
    let storage = use_mut_ref(|| None::<Rc<Storage>>);
    let status = use_state(|| SaveStatus::Opening);
    let outbox = use_mut_ref(Outbox::default);
    let created = use_mut_ref(now_ms);
    let playing = use_state(|| false);
    let speed = use_state(|| 1.0f64);
    let auto_consume = use_state(|| false);
    let selection = use_state(|| None::<Selection>);
    let strip_topic = use_state(|| STARTER_TOPIC.to_string());
    let strip_starts = use_state(BTreeMap::<u32, u64>::new);
    let panel = use_state(|| Panel::Cluster);
    let theme = use_state(stored_theme);
    let help_open = use_state(|| false);
    let notice = use_state(|| None::<String>);
    let confirm_new = use_state(|| None::<(ClusterConfig, u64)>);
    let measuring = use_mut_ref(|| false);

    // Open IndexedDB once and load the workspace (or start a new one).
    {
        let timeline = timeline.clone();
        let redraw = redraw.clone();
        let storage = storage.clone();
        let status = status.clone();
        let outbox = outbox.clone();
        let created = created.clone();
        let notice = notice.clone();
        let theme = theme.clone();
        use_effect_with((), move |_| {
            apply_theme(&theme);
            spawn_local(async move {
                let start_in_memory = |why: String| {
                    status.set(SaveStatus::InMemoryOnly(why));
                    outbox.borrow_mut().disabled = true;
                    *timeline.borrow_mut() = Timeline::new(starter_scenario(1)).ok();
                    redraw.force_update();
                };
                let opened = match Storage::open(DATABASE_NAME).await {
                    Ok(opened) => Rc::new(opened),
                    Err(error) => return start_in_memory(error.to_string()),
                };
                match opened.load_scenario(WORKSPACE_ID).await {
                    Ok(Some(scenario)) => {
                        let position = opened
                            .workspace(WORKSPACE_ID)
                            .await
                            .ok()
                            .flatten()
                            .and_then(|row| {
                                *created.borrow_mut() = row.created;
                                row.position
                            });
                        outbox.borrow_mut().stored_len = scenario.entries.len();
                        match Timeline::new(scenario) {
                            Ok(mut loaded) => {
                                if let Some(position) = position {
                                    let _ = loaded.seek(position as u64);
                                }
                                *timeline.borrow_mut() = Some(loaded);
                                status.set(SaveStatus::Saved);
                            }
                            Err(error) => {
                                // Stored data that does not replay stays untouched.
                                notice.set(Some(format!("The saved session could not be replayed ({error}); it was left untouched.")));
                                return start_in_memory(
                                    "the saved session could not be replayed".into(),
                                );
                            }
                        }
                    }
                    Ok(None) => {
                        let scenario = starter_scenario(1);
                        let loaded =
                            Timeline::new(scenario.clone()).expect("the starter session runs");
                        outbox.borrow_mut().store_new_session(
                            &scenario,
                            loaded.position(),
                            *created.borrow(),
                        );
                        *timeline.borrow_mut() = Some(loaded);
                        flush(opened.clone(), outbox.clone(), status.clone());
                    }
                    Err(error) => return start_in_memory(error.to_string()),
                }
                *storage.borrow_mut() = Some(opened);
                redraw.force_update();
            });
        });
    }

    // Queues the storage writes a change of the session needs.
    // Callbacks made once, so the components that take them re-render only when their own
    // data changes.
    let save = (*use_memo((), {
        let storage = storage.clone();
        let outbox = outbox.clone();
        let status = status.clone();
        let timeline = timeline.clone();
        let created = created.clone();
        move |_| {
            Callback::from(move |pushed: Vec<Pushed>| {
                let guard = timeline.borrow();
                let Some(timeline) = guard.as_ref() else {
                    return;
                };
                let entries = &timeline.scenario().entries;
                {
                    let mut outbox = outbox.borrow_mut();
                    if outbox.disabled {
                        return;
                    }
                    if let Some(from) = pushed.iter().map(|p| p.changed_from).min() {
                        if from < entries.len() || from < outbox.stored_len {
                            // `add` for a new entry at the end; a changed or cut tail is replaced.
                            let append = from == outbox.stored_len && entries.len() == from + 1;
                            outbox.queue.push_back(Write::Entries {
                                from: from as u32,
                                entries: entries[from.min(entries.len())..].to_vec(),
                                append,
                            });
                            outbox.stored_len = entries.len();
                        }
                    }
                    // The position is small and changes often: keep only the newest pending.
                    outbox.queue.retain(|w| !matches!(w, Write::Workspace(_)));
                    outbox.queue.push_back(Write::Workspace(workspace_row(
                        timeline.scenario(),
                        timeline.position(),
                        *created.borrow(),
                    )));
                }
                if let Some(storage) = storage.borrow().clone() {
                    flush(storage, outbox.clone(), status.clone());
                }
            })
        }
    }))
    .clone();

    let on_command = (*use_memo((), {
        let timeline = timeline.clone();
        let redraw = redraw.clone();
        let save = save.clone();
        let notice = notice.clone();
        move |_| {
            Callback::from(move |command: Command| -> Option<String> {
                let result = timeline
                    .borrow_mut()
                    .as_mut()
                    .map(|t| t.push(Entry::Command(command)));
                match result {
                    Some(Ok(pushed)) => {
                        notice.set(Some(match pushed.dropped_moves {
                            0 => pushed
                                .events
                                .last()
                                .map(|e| e.text.clone())
                                .unwrap_or_default(),
                            n => format!(
                                "The session goes on from here; the {n} later moves were dropped."
                            ),
                        }));
                        save.emit(vec![pushed]);
                        redraw.force_update();
                        None
                    }
                    Some(Err(crate::scenario::ScenarioError::Entry { message, .. })) => {
                        Some(message)
                    }
                    Some(Err(error)) => Some(error.to_string()),
                    None => Some("The session is still loading.".into()),
                }
            })
        }
    }))
    .clone();

    let on_time = {
        let timeline = timeline.clone();
        let redraw = redraw.clone();
        let save = save.clone();
        let playing = playing.clone();
        let speed = speed.clone();
        let auto_consume = auto_consume.clone();
        let notice = notice.clone();
        let measuring = measuring.clone();
        Callback::from(move |action: TimeAction| {
            if let Some(performance) = performance() {
                let _ = performance.mark("kplay-step-start");
                *measuring.borrow_mut() = true;
            }
            let mut guard = timeline.borrow_mut();
            let Some(timeline) = guard.as_mut() else {
                return;
            };
            let mut pushed = Vec::new();
            let result = match action {
                TimeAction::StepBack => timeline.step_back(),
                TimeAction::Seek(position) => timeline.seek(position),
                TimeAction::StepForward => {
                    step_forward(timeline, *auto_consume).map(|stepped| match stepped {
                        Stepped::Pushed(more) => pushed = more,
                        Stepped::Replayed => {}
                        Stepped::Idle => {
                            playing.set(false);
                            notice.set(Some(
                                "Nothing is in flight: send something, or advance the clock."
                                    .into(),
                            ));
                        }
                    })
                }
                TimeAction::RunUntilIdle => {
                    if !timeline.at_end() {
                        timeline.seek(u64::MAX)
                    } else {
                        timeline
                            .push(Entry::Clock(ClockEntry::RunUntilIdle))
                            .map(|p| pushed.push(p))
                    }
                }
                TimeAction::TogglePlay => {
                    playing.set(!*playing);
                    Ok(())
                }
                TimeAction::Speed(value) => {
                    speed.set(value);
                    Ok(())
                }
            };
            if let Err(error) = result {
                notice.set(Some(error.to_string()));
            }
            drop(guard);
            save.emit(pushed);
            redraw.force_update();
        })
    };

    // Playing: one hop per tick of the chosen speed.
    {
        let on_time = on_time.clone();
        let position = timeline
            .borrow()
            .as_ref()
            .map(|t| (t.position(), t.total_moves()));
        use_effect_with((*playing, *speed, position), move |(playing, speed, _)| {
            let timer = playing.then(|| {
                Timeout::new((BASE_HOP_MS / speed) as u32, move || {
                    on_time.emit(TimeAction::StepForward)
                })
            });
            move || drop(timer)
        });
    }

    // Keys: Space play/pause, arrows step, +/- speed, ? help.
    let key_handler = use_mut_ref(Callback::<KeyboardEvent>::noop);
    {
        let on_time = on_time.clone();
        let speed = *speed;
        let help_open = help_open.clone();
        *key_handler.borrow_mut() = Callback::from(move |event: KeyboardEvent| {
            let typing = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|e| {
                    matches!(
                        e.tag_name().as_str(),
                        "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                    ) && !(e.tag_name() == "BUTTON" && event.key() != " ")
                });
            if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                if event.key() == "Escape" {
                    help_open.set(false);
                }
                return;
            }
            let index = SPEEDS.iter().position(|s| *s == speed).unwrap_or(2);
            let action = match event.key().as_str() {
                " " => Some(TimeAction::TogglePlay),
                "ArrowRight" => Some(TimeAction::StepForward),
                "ArrowLeft" => Some(TimeAction::StepBack),
                "+" | "=" => Some(TimeAction::Speed(SPEEDS[(index + 1).min(SPEEDS.len() - 1)])),
                "-" | "_" => Some(TimeAction::Speed(SPEEDS[index.saturating_sub(1)])),
                "?" => {
                    help_open.set(!*help_open);
                    None
                }
                "Escape" => {
                    help_open.set(false);
                    None
                }
                _ => return,
            };
            event.prevent_default();
            if let Some(action) = action {
                on_time.emit(action);
            }
        });
    }
    {
        let key_handler = key_handler.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    // Not passive: Space and the arrows must not scroll the page.
                    EventListener::new_with_options(
                        &document,
                        "keydown",
                        EventListenerOptions::enable_prevent_default(),
                        move |event| {
                            if let Some(event) = event.dyn_ref::<KeyboardEvent>() {
                                key_handler.borrow().emit(event.clone());
                            }
                        },
                    )
                });
            move || drop(listener)
        });
    }

    // The step's time, from the action to the rendered page (User Timing, for benchmarks).
    {
        let measuring = measuring.clone();
        use_effect(move || {
            if std::mem::take(&mut *measuring.borrow_mut()) {
                if let Some(performance) = performance() {
                    let _ = performance.measure_with_start_mark("kplay-step", "kplay-step-start");
                }
            }
        });
    }

    let on_new_cluster = (*use_memo((), {
        let confirm_new = confirm_new.clone();
        move |_| {
            Callback::from(move |request: (ClusterConfig, u64)| -> Option<String> {
                if let Err(error) = request.0.validate() {
                    return Some(error.to_string());
                }
                confirm_new.set(Some(request));
                None
            })
        }
    }))
    .clone();
    let replace_session = {
        let confirm_new = confirm_new.clone();
        let timeline = timeline.clone();
        let outbox = outbox.clone();
        let storage = storage.clone();
        let status = status.clone();
        let redraw = redraw.clone();
        let selection = selection.clone();
        let created = created.clone();
        let playing = playing.clone();
        Callback::from(move |_| {
            let Some((config, seed)) = (*confirm_new).clone() else {
                return;
            };
            confirm_new.set(None);
            let scenario = starter_scenario_with(config, seed);
            let Ok(fresh) = Timeline::new(scenario.clone()) else {
                return;
            };
            {
                let mut outbox = outbox.borrow_mut();
                if !outbox.disabled {
                    *created.borrow_mut() = now_ms();
                    outbox.store_new_session(&scenario, fresh.position(), *created.borrow());
                }
            }
            *timeline.borrow_mut() = Some(fresh);
            selection.set(None);
            playing.set(false);
            if let Some(storage) = storage.borrow().clone() {
                flush(storage, outbox.clone(), status.clone());
            }
            redraw.force_update();
        })
    };

    let guard = timeline.borrow();
    let Some(timeline_now) = guard.as_ref() else {
        return html! {
            <main class="loading" aria-busy="true"><p>{ "Opening the cluster…" }</p></main>
        };
    };
    let cluster = timeline_now.cluster();
    let view = cluster.view();
    let position = timeline_now.position();
    let total = timeline_now.total_moves();
    let idle = cluster.is_idle();
    let (first_index, lines) = narration_lines(timeline_now, NARRATION_LINES);
    let details = selection.as_ref().and_then(|s| describe(s, &view, cluster));
    let topic_names: Vec<String> = view.topics.iter().map(|t| t.name.clone()).collect();
    let shown_topic = if topic_names.contains(&strip_topic) {
        (*strip_topic).clone()
    } else {
        topic_names
            .iter()
            .find(|t| !t.starts_with("__"))
            .cloned()
            .unwrap_or_default()
    };
    let rows = strip_rows(cluster, &view, &shown_topic, &strip_starts);
    let glide_ms = (*playing && !prefers_reduced_motion()).then(|| BASE_HOP_MS / *speed);
    drop(guard);

    let on_select = {
        let selection = selection.clone();
        let panel = panel.clone();
        Callback::from(move |s: Selection| {
            selection.set(Some(s));
            panel.set(Panel::Inspector);
        })
    };
    let on_scroll = {
        let strip_starts = strip_starts.clone();
        Callback::from(move |(partition, start): (u32, u64)| {
            let mut starts = (*strip_starts).clone();
            starts.insert(partition, start);
            strip_starts.set(starts);
        })
    };
    let on_topic = {
        let strip_topic = strip_topic.clone();
        let strip_starts = strip_starts.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            strip_topic.set(select.value());
            strip_starts.set(BTreeMap::new());
        })
    };
    let on_seek = {
        let on_time = on_time.clone();
        Callback::from(move |at: u64| on_time.emit(TimeAction::Seek(at)))
    };
    let on_auto_consume = (*use_memo((), {
        let auto_consume = auto_consume.clone();
        move |_| Callback::from(move |on: bool| auto_consume.set(on))
    }))
    .clone();
    let cycle_theme = {
        let theme = theme.clone();
        Callback::from(move |_| {
            let next = match theme.as_str() {
                "system" => "dark",
                "dark" => "light",
                _ => "system",
            };
            apply_theme(next);
            theme.set(next.into());
        })
    };
    let toggle_help = {
        let help_open = help_open.clone();
        Callback::from(move |_| help_open.set(!*help_open))
    };
    let tab = |which: Panel, label: &str| {
        let panel = panel.clone();
        let selected = *panel == which;
        html! {
            <button type="button" role="tab" aria-selected={selected.to_string()} class={classes!(selected.then_some("active"))}
                onclick={Callback::from(move |_| panel.set(which))}>{ label }</button>
        }
    };
    let save_text = match &*status {
        SaveStatus::Opening => "Opening browser storage…".to_string(),
        SaveStatus::Saving => "Saving…".to_string(),
        SaveStatus::Saved => "Saved in this browser.".to_string(),
        SaveStatus::InMemoryOnly(why) => {
            format!("Not saved: {why}. Your work is kept in memory only.")
        }
    };
    let panel_class = match *panel {
        Panel::Controls => "show-controls",
        Panel::Cluster => "show-cluster",
        Panel::Inspector => "show-inspector",
    };

    html! {
        <>
            <header class="top">
                <h1>{ "Kafka Playground" }</h1>
                <p class="save-status" aria-live="polite">{ save_text.clone() }</p>
                <div class="top-actions">
                    <button type="button" class="secondary" onclick={cycle_theme} aria-label={format!("Theme: {}", *theme)}>{ format!("Theme: {}", *theme) }</button>
                    <button type="button" class="secondary" onclick={toggle_help.clone()} aria-label="Keyboard shortcuts" aria-haspopup="dialog">{ "? Keys" }</button>
                </div>
            </header>
            if let SaveStatus::InMemoryOnly(_) = &*status {
                <p class="banner" role="alert">{ save_text }</p>
            }
            <nav class="tabs" role="tablist" aria-label="Panels">
                { tab(Panel::Controls, "Controls") }
                { tab(Panel::Cluster, "Cluster") }
                { tab(Panel::Inspector, "Inspector") }
            </nav>
            <main class={classes!("layout", panel_class)}>
                <aside class="panel controls-panel" aria-label="Controls">
                    <h2>{ "Controls" }</h2>
                    <Controls names={Names::of(&view)} on_command={on_command.clone()} on_new_cluster={on_new_cluster}
                        auto_consume={*auto_consume} {on_auto_consume} />
                </aside>
                <section class="panel stage" aria-label="Cluster">
                    <p class="outcome" role="status">{ (*notice).clone().unwrap_or_default() }</p>
                    <Diagram view={view.clone()} selection={(*selection).clone()} on_select={on_select.clone()} {glide_ms} />
                    <div class="strips-header">
                        <h2 id="strips-heading">{ "Partition logs" }</h2>
                        <label>{ "Topic " }
                            <select aria-label="Topic shown in the logs" onchange={on_topic}>
                                { for topic_names.iter().map(|t| html! { <option value={t.clone()} selected={*t == shown_topic}>{ t }</option> }) }
                            </select>
                        </label>
                    </div>
                    <LogStrips topic={shown_topic.clone()} {rows} selection={(*selection).clone()} on_select={on_select} {on_scroll} />
                </section>
                <aside class="panel inspector" aria-label="Inspector">
                    <h2>{ "Inspector" }</h2>
                    <Inspector selection={(*selection).clone()} details={details} />
                </aside>
            </main>
            <footer class="time" aria-label="Time">
                <TimeBar {position} {total} tick={view.tick} playing={*playing} speed={*speed} {idle} on_action={on_time} />
                <Narration {lines} {first_index} {position} {on_seek} />
            </footer>
            if let Some((config, seed)) = &*confirm_new {
                <div class="dialog-backdrop">
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title">
                        <h2 id="confirm-title">{ "Start a new cluster?" }</h2>
                        <p>{ format!("This replaces the current session ({total} moves) with a new cluster of {} brokers (seed {seed}).", config.brokers) }</p>
                        <div class="actions">
                            <button type="button" onclick={replace_session}>{ "Replace session" }</button>
                            <button type="button" class="secondary" onclick={{ let c = confirm_new.clone(); Callback::from(move |_| c.set(None)) }}>{ "Cancel" }</button>
                        </div>
                    </div>
                </div>
            }
            if *help_open {
                <div class="dialog-backdrop">
                    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title">
                        <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                        <table class="compact">
                            <tbody>
                                <tr><th scope="row"><kbd>{ "Space" }</kbd></th><td>{ "Play / pause" }</td></tr>
                                <tr><th scope="row"><kbd>{ "→" }</kbd></th><td>{ "Step forward one hop" }</td></tr>
                                <tr><th scope="row"><kbd>{ "←" }</kbd></th><td>{ "Step back one hop" }</td></tr>
                                <tr><th scope="row"><kbd>{ "+" }</kbd>{ " / " }<kbd>{ "−" }</kbd></th><td>{ "Faster / slower" }</td></tr>
                                <tr><th scope="row"><kbd>{ "?" }</kbd></th><td>{ "This help" }</td></tr>
                                <tr><th scope="row"><kbd>{ "Esc" }</kbd></th><td>{ "Close" }</td></tr>
                            </tbody>
                        </table>
                        <div class="actions"><button type="button" onclick={toggle_help} autofocus=true>{ "Close" }</button></div>
                    </div>
                </div>
            }
        </>
    }
}
