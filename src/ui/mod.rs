//! The Yew single-page app. It holds the session's [`Timeline`], draws the read-only view
//! of the cluster at the current move, turns the learner's clicks into commands and time
//! moves, and writes every change of the session to IndexedDB, in order.

pub mod browser_deflate;
mod controls;
mod diagram;
mod inspector;
mod log_strip;
mod persistence;
mod time_bar;
mod workspaces;

use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::broker::sorted_map::SortedMap;
use crate::broker::{ClusterConfig, Command};
use crate::scenario::{
    import, is_share_fragment, ClockEntry, Entry, Pushed, Timeline, MAX_IMPORT_BYTES,
    MAX_SHARE_CHARS,
};
use crate::session::{
    moment_summary, narration_lines, starter_scenario, starter_scenario_with, step_forward,
    Stepped, STARTER_TOPIC,
};
use crate::storage::{Storage, WorkspaceRow};
use controls::{Controls, Names};
use diagram::{diagram, DiagramProps};
use inspector::{describe, inspector, InspectorProps, Selection};
use log_strip::{log_strips, strip_rows, LogStripsProps};
use persistence::{
    download, export_file_name, flush, last_workspace, load_workspace, location_hash,
    new_workspace_id, open_shared_session, share_fragment_in_browser, tab_name, OtherTabs, Outbox,
    SaveStatus, Write, DATABASE_NAME, FIRST_WORKSPACE_ID, SHARED_OPENED,
};
use time_bar::{
    narration, time_bar, NarrationProps, TimeAction, TimeBarProps, BASE_HOP_MS, NARRATION_LINES,
    SPEEDS,
};
use workspaces::{WorkspaceAction, WorkspacesDialog};

/// The help dialog's table of keys: static markup, so it ships as text rather than as the
/// code that would build each element.
const KEYS_TABLE: &str = concat!(
    r#"<table class="compact"><tbody>"#,
    r#"<tr><th scope="row"><kbd>Space</kbd></th><td>Play / pause</td></tr>"#,
    r#"<tr><th scope="row"><kbd>→</kbd></th><td>Step forward one hop</td></tr>"#,
    r#"<tr><th scope="row"><kbd>←</kbd></th><td>Step back one hop</td></tr>"#,
    r#"<tr><th scope="row"><kbd>+</kbd> / <kbd>−</kbd></th><td>Faster / slower</td></tr>"#,
    r#"<tr><th scope="row"><kbd>?</kbd></th><td>This help</td></tr>"#,
    r#"<tr><th scope="row"><kbd>Esc</kbd></th><td>Close</td></tr>"#,
    "</tbody></table>"
);

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

/// What the page says when a step finds nothing to deliver.
fn idle_notice(cluster: &crate::broker::Cluster) -> String {
    let waiting = cluster.waiting_follower_fetches().len();
    let mut text = String::from("Nothing is in flight: send something, or advance the clock.");
    if waiting > 0 {
        let fetches = if waiting == 1 {
            "1 follower fetch waits at its leader"
        } else {
            &format!("{waiting} follower fetches wait at their leaders")
        };
        text += &format!(
            " Meanwhile {fetches} (the dots in the replica cells): a record arriving is copied at once."
        );
    }
    text
}

#[function_component(App)]
pub fn app() -> Html {
    let timeline = use_mut_ref(|| None::<Timeline>);
    let redraw = use_force_update();
    // A ref, not state: the stable callbacks below read it long after their first render.
    let storage = use_mut_ref(|| None::<Rc<Storage>>);
    let status = use_state(|| SaveStatus::Opening);
    let outbox = use_mut_ref(|| Outbox {
        tab: tab_name(),
        ..Outbox::default()
    });
    let workspaces_open = use_state(|| false);
    let workspace_rows = use_state(Vec::<WorkspaceRow>::new);
    let share_link = use_state(|| None::<String>);
    let workspace_message = use_state(|| None::<(bool, String)>);
    let playing = use_state(|| false);
    let speed = use_state(|| 1.0f64);
    let auto_consume = use_state(|| false);
    let selection = use_state(|| None::<Selection>);
    let strip_topic = use_state(|| STARTER_TOPIC.to_string());
    let strip_starts = use_state(SortedMap::<u32, u64>::new);
    let panel = use_state(|| Panel::Cluster);
    let theme = use_state(stored_theme);
    let help_open = use_state(|| false);
    let notice = use_state(|| None::<String>);
    let confirm_new = use_state(|| None::<(ClusterConfig, u64)>);
    let measuring = use_mut_ref(|| false);

    // Open IndexedDB once and load the workspace (or start a new one, or open a share link).
    {
        let timeline = timeline.clone();
        let redraw = redraw.clone();
        let storage = storage.clone();
        let status = status.clone();
        let outbox = outbox.clone();
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
                let rows = match opened.workspaces().await {
                    Ok(rows) => rows,
                    Err(error) => return start_in_memory(error.to_string()),
                };
                let fragment = location_hash();
                if is_share_fragment(&fragment) {
                    *storage.borrow_mut() = Some(opened.clone());
                    let shared = open_shared_session(&fragment, &rows, &outbox).await;
                    match shared {
                        Ok(shared) => {
                            *timeline.borrow_mut() = Some(shared);
                            notice.set(Some(SHARED_OPENED.into()));
                            flush(opened, outbox.clone(), status.clone(), None);
                            redraw.force_update();
                            return;
                        }
                        Err(error) => notice.set(Some(error)),
                    }
                }
                let id = last_workspace()
                    .filter(|id| rows.iter().any(|row| row.id == *id))
                    .or_else(|| rows.first().map(|row| row.id.clone()))
                    .unwrap_or_else(|| FIRST_WORKSPACE_ID.to_string());
                match load_workspace(&opened, &id).await {
                    Ok(Some(loaded)) => {
                        outbox.borrow_mut().adopt_loaded(&loaded);
                        *timeline.borrow_mut() = Some(loaded.timeline);
                        status.set(SaveStatus::Saved);
                        flush(opened.clone(), outbox.clone(), status.clone(), None);
                    }
                    Ok(None) => {
                        let scenario = starter_scenario(1);
                        let loaded =
                            Timeline::new(scenario.clone()).expect("the starter session runs");
                        outbox
                            .borrow_mut()
                            .create(&id, &scenario, loaded.position());
                        *timeline.borrow_mut() = Some(loaded);
                        flush(opened.clone(), outbox.clone(), status.clone(), None);
                    }
                    Err(error) => {
                        // Stored data that cannot be read or replayed stays untouched.
                        notice.set(Some(format!("{error} The workspace was left untouched.")));
                        return start_in_memory(error);
                    }
                }
                *storage.borrow_mut() = Some(opened);
                redraw.force_update();
            });
        });
    }

    // Another tab writing the workspace shown here: stop saving rather than overwrite.
    {
        let outbox = outbox.clone();
        let status = status.clone();
        use_effect_with((), move |_| {
            let tab = outbox.borrow().tab.clone();
            let listener = OtherTabs::listen(
                tab,
                Callback::from(move |workspace: String| {
                    let mut outbox = outbox.borrow_mut();
                    if workspace == outbox.current && !outbox.disabled {
                        outbox.disabled = true;
                        outbox.queue.clear();
                        status.set(SaveStatus::InMemoryOnly(
                            "this workspace was changed in another tab, so this tab stopped saving to keep the two from overwriting each other. Reload to continue with the saved version, or export this tab's session".into(),
                        ));
                    }
                }),
            );
            move || drop(listener)
        });
    }

    // A share link pasted into this tab's address bar changes only the fragment.
    {
        let timeline = timeline.clone();
        let storage = storage.clone();
        let outbox = outbox.clone();
        let status = status.clone();
        let notice = notice.clone();
        let redraw = redraw.clone();
        let selection = selection.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    let fragment = location_hash();
                    let Some(opened) = storage.borrow().clone() else {
                        return;
                    };
                    if !is_share_fragment(&fragment) {
                        return;
                    }
                    let (timeline, outbox, status, notice, redraw, selection) = (
                        timeline.clone(),
                        outbox.clone(),
                        status.clone(),
                        notice.clone(),
                        redraw.clone(),
                        selection.clone(),
                    );
                    spawn_local(async move {
                        let rows = opened.workspaces().await.unwrap_or_default();
                        let shared = open_shared_session(&fragment, &rows, &outbox).await;
                        match shared {
                            Ok(shared) => {
                                *timeline.borrow_mut() = Some(shared);
                                selection.set(None);
                                notice.set(Some(SHARED_OPENED.into()));
                                flush(opened, outbox.clone(), status.clone(), None);
                                redraw.force_update();
                            }
                            Err(error) => notice.set(Some(error)),
                        }
                    });
                })
            });
            move || drop(listener)
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
        move |_| {
            Callback::from(move |pushed: Vec<Pushed>| {
                let guard = timeline.borrow();
                let Some(timeline) = guard.as_ref() else {
                    return;
                };
                {
                    let mut outbox = outbox.borrow_mut();
                    if outbox.disabled {
                        return;
                    }
                    let from = pushed.iter().map(|p| p.changed_from).min();
                    outbox.session_changed(timeline.scenario(), from, timeline.position());
                    outbox.pack_if_due(timeline.scenario());
                }
                if let Some(storage) = storage.borrow().clone() {
                    flush(storage, outbox.clone(), status.clone(), None);
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
                            0 => timeline
                                .borrow()
                                .as_ref()
                                .map(moment_summary)
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
            // A move in time says what happened at the moment now shown (the line the
            // narration marks), unless stepping found nothing to do.
            let mut moved = matches!(
                action,
                TimeAction::StepBack
                    | TimeAction::Seek(_)
                    | TimeAction::StepForward
                    | TimeAction::RunUntilIdle
            );
            let result = match action {
                TimeAction::StepBack => timeline.step_back(),
                TimeAction::Seek(position) => timeline.seek(position),
                TimeAction::StepForward => {
                    step_forward(timeline, *auto_consume).map(|stepped| match stepped {
                        Stepped::Pushed(more) => pushed = more,
                        Stepped::Replayed => {}
                        Stepped::Idle => {
                            playing.set(false);
                            moved = false;
                            notice.set(Some(idle_notice(timeline.cluster())));
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
            match result {
                Err(error) => notice.set(Some(error.to_string())),
                Ok(()) if moved => notice.set(Some(moment_summary(timeline))),
                Ok(()) => {}
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
        let playing = playing.clone();
        Callback::from(move |_| {
            let Some((config, seed)) = (*confirm_new).clone() else {
                return;
            };
            confirm_new.set(None);
            let mut scenario = starter_scenario_with(config, seed);
            if let Some(name) = timeline
                .borrow()
                .as_ref()
                .and_then(|t| t.scenario().name.clone())
            {
                scenario.name = Some(name);
            }
            let Ok(fresh) = Timeline::new(scenario.clone()) else {
                return;
            };
            {
                let mut outbox = outbox.borrow_mut();
                if !outbox.disabled {
                    let id = outbox.current.clone();
                    outbox.create(&id, &scenario, fresh.position());
                }
            }
            *timeline.borrow_mut() = Some(fresh);
            selection.set(None);
            playing.set(false);
            if let Some(storage) = storage.borrow().clone() {
                flush(storage, outbox.clone(), status.clone(), None);
            }
            redraw.force_update();
        })
    };

    // The workspaces dialog: list, switch, rename, duplicate, delete, export, import, share.
    let refresh_rows = {
        let storage = storage.clone();
        let workspace_rows = workspace_rows.clone();
        Callback::from(move |_: ()| {
            let Some(storage) = storage.borrow().clone() else {
                return;
            };
            let workspace_rows = workspace_rows.clone();
            spawn_local(async move {
                if let Ok(rows) = storage.workspaces().await {
                    workspace_rows.set(rows);
                }
            });
        })
    };
    let on_workspace_action = {
        let timeline = timeline.clone();
        let storage = storage.clone();
        let outbox = outbox.clone();
        let status = status.clone();
        let redraw = redraw.clone();
        let selection = selection.clone();
        let playing = playing.clone();
        let notice = notice.clone();
        let workspaces_open = workspaces_open.clone();
        let workspace_rows = workspace_rows.clone();
        let share_link = share_link.clone();
        let message = workspace_message.clone();
        let refresh_rows = refresh_rows.clone();
        Callback::from(move |action: WorkspaceAction| {
            let stored = storage.borrow().clone();
            // Writes go through the outbox, in order; the list is read again after them.
            let write_then_refresh = {
                let outbox = outbox.clone();
                let status = status.clone();
                let refresh_rows = refresh_rows.clone();
                let stored = stored.clone();
                move || {
                    if let Some(storage) = stored.clone() {
                        flush(
                            storage,
                            outbox.clone(),
                            status.clone(),
                            Some(refresh_rows.clone()),
                        );
                    }
                }
            };
            // Shows another session as the current workspace.
            let show = {
                let timeline = timeline.clone();
                let selection = selection.clone();
                let playing = playing.clone();
                let redraw = redraw.clone();
                let share_link = share_link.clone();
                move |shown: Timeline| {
                    *timeline.borrow_mut() = Some(shown);
                    selection.set(None);
                    playing.set(false);
                    share_link.set(None);
                    redraw.force_update();
                }
            };
            let saving = stored.is_some() && !outbox.borrow().disabled;
            message.set(None);
            match action {
                WorkspaceAction::Close => workspaces_open.set(false),
                WorkspaceAction::New => {
                    let id = new_workspace_id(&workspace_rows);
                    let mut scenario = starter_scenario(1);
                    scenario.name = Some(format!("Cluster {}", workspace_rows.len() + 1));
                    let fresh = Timeline::new(scenario.clone()).expect("the starter session runs");
                    if saving {
                        outbox.borrow_mut().create(&id, &scenario, fresh.position());
                    }
                    show(fresh);
                    message.set(Some((
                        true,
                        format!(
                            "Created and opened \"{}\".",
                            scenario.name.unwrap_or_default()
                        ),
                    )));
                    write_then_refresh();
                }
                WorkspaceAction::Open(id) => {
                    let Some(storage) = stored else { return };
                    let outbox = outbox.clone();
                    let message = message.clone();
                    let workspaces_open = workspaces_open.clone();
                    let notice = notice.clone();
                    spawn_local(async move {
                        match load_workspace(&storage, &id).await {
                            Ok(Some(loaded)) => {
                                outbox.borrow_mut().adopt_loaded(&loaded);
                                notice.set(Some(format!(
                                    "Opened workspace \"{}\".",
                                    loaded.row.name
                                )));
                                show(loaded.timeline);
                                workspaces_open.set(false);
                                write_then_refresh();
                            }
                            Ok(None) => message
                                .set(Some((false, "That workspace no longer exists.".into()))),
                            Err(error) => message.set(Some((
                                false,
                                format!("{error} The workspace was left untouched."),
                            ))),
                        }
                    });
                }
                WorkspaceAction::Rename(id, name) => {
                    if name.is_empty() {
                        message.set(Some((false, "A workspace needs a name.".into())));
                        return;
                    }
                    if id == outbox.borrow().current {
                        if let Some(timeline) = timeline.borrow_mut().as_mut() {
                            timeline.set_name(Some(name.clone()));
                            if saving {
                                outbox.borrow_mut().session_changed(
                                    timeline.scenario(),
                                    None,
                                    timeline.position(),
                                );
                            }
                        }
                        write_then_refresh();
                    } else if let Some(storage) = stored {
                        let outbox = outbox.clone();
                        spawn_local(async move {
                            if let Ok(Some(mut row)) = storage.workspace(&id).await {
                                row.name = name;
                                outbox.borrow_mut().queue.push_back(Write::Workspace(row));
                                write_then_refresh();
                            }
                        });
                    }
                }
                WorkspaceAction::Duplicate(id) => {
                    let Some(storage) = stored else { return };
                    let current = timeline
                        .borrow()
                        .as_ref()
                        .filter(|_| id == outbox.borrow().current)
                        .map(|t| t.scenario_at_position());
                    let outbox = outbox.clone();
                    let message = message.clone();
                    let taken = (*workspace_rows).clone();
                    spawn_local(async move {
                        let scenario = match current {
                            Some(scenario) => Some(scenario),
                            None => match storage.workspace(&id).await {
                                Ok(Some(row)) => storage
                                    .load_scenario(&id)
                                    .await
                                    .ok()
                                    .flatten()
                                    .map(|mut s| {
                                        s.position = row.position.map(|p| p as u64);
                                        s
                                    }),
                                _ => None,
                            },
                        };
                        let Some(mut scenario) = scenario else {
                            message.set(Some((
                                false,
                                "That workspace could not be read; nothing was copied.".into(),
                            )));
                            return;
                        };
                        let name = format!("{} (copy)", scenario.name.clone().unwrap_or_default());
                        scenario.name = Some(name.clone());
                        let copy_id = new_workspace_id(&taken);
                        outbox.borrow_mut().queue_copy(&copy_id, &scenario);
                        message.set(Some((true, format!("Duplicated as \"{name}\"."))));
                        write_then_refresh();
                    });
                }
                WorkspaceAction::Delete(id) => {
                    let Some(storage) = stored else { return };
                    outbox
                        .borrow_mut()
                        .queue
                        .push_back(Write::Delete(id.clone()));
                    let deleted_current = id == outbox.borrow().current;
                    if !deleted_current {
                        message.set(Some((true, "Workspace deleted.".into())));
                        write_then_refresh();
                        return;
                    }
                    // The open workspace went: open the most recent other one, or a new one.
                    let next = workspace_rows.iter().find(|row| row.id != id).cloned();
                    let outbox = outbox.clone();
                    let message = message.clone();
                    let taken = (*workspace_rows).clone();
                    spawn_local(async move {
                        let loaded = match &next {
                            Some(row) => load_workspace(&storage, &row.id).await.ok().flatten(),
                            None => None,
                        };
                        match loaded {
                            Some(loaded) => {
                                outbox.borrow_mut().adopt_loaded(&loaded);
                                show(loaded.timeline);
                            }
                            None => {
                                let scenario = starter_scenario(1);
                                let fresh = Timeline::new(scenario.clone())
                                    .expect("the starter session runs");
                                let fresh_id = new_workspace_id(&taken);
                                outbox
                                    .borrow_mut()
                                    .create(&fresh_id, &scenario, fresh.position());
                                show(fresh);
                            }
                        }
                        message.set(Some((
                            true,
                            "Workspace deleted; another one is open now.".into(),
                        )));
                        write_then_refresh();
                    });
                }
                WorkspaceAction::Export => {
                    let Some(scenario) =
                        timeline.borrow().as_ref().map(|t| t.scenario_at_position())
                    else {
                        return;
                    };
                    let file_name = export_file_name(scenario.name.as_deref().unwrap_or("session"));
                    match download(&file_name, &scenario.to_json()) {
                        Ok(()) => message.set(Some((true, format!("Exported {file_name} (the scenario format, docs/scenario-format.md).")))),
                        Err(error) => message.set(Some((false, format!("Export failed: {error}.")))),
                    }
                }
                WorkspaceAction::Share => {
                    let Some(scenario) =
                        timeline.borrow().as_ref().map(|t| t.scenario_at_position())
                    else {
                        return;
                    };
                    let (share_link, message) = (share_link.clone(), message.clone());
                    spawn_local(async move {
                        let (link, said) = match share_fragment_in_browser(&scenario).await {
                            Ok(Some(fragment)) => {
                                let base = web_sys::window()
                                    .map(|w| w.location())
                                    .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
                                    .unwrap_or_default();
                                (Some(format!("{base}{fragment}")), (true, "Anyone who opens this link gets a copy of this session as a new workspace; nothing is uploaded.".to_string()))
                            }
                            Ok(None) => (None, (false, format!("This session is too long for a link (over {MAX_SHARE_CHARS} characters). Use Export JSON and share the file instead."))),
                            Err(error) => (None, (false, format!("The link could not be made: {error}. Use Export JSON instead."))),
                        };
                        share_link.set(link);
                        message.set(Some(said));
                    });
                }
                WorkspaceAction::Import(file) => {
                    let size = file.size();
                    if size > MAX_IMPORT_BYTES as f64 {
                        message.set(Some((false, format!("Import failed: {} is {} bytes, more than the limit of {MAX_IMPORT_BYTES} bytes. Nothing was stored.", file.name(), size as u64))));
                        return;
                    }
                    let outbox = outbox.clone();
                    let message = message.clone();
                    let workspaces_open = workspaces_open.clone();
                    let notice = notice.clone();
                    let taken = (*workspace_rows).clone();
                    spawn_local(async move {
                        let file_name = file.name();
                        let text = wasm_bindgen_futures::JsFuture::from(file.text())
                            .await
                            .ok()
                            .and_then(|t| t.as_string());
                        let Some(text) = text else {
                            message.set(Some((false, format!("Import failed: {file_name} could not be read as text. Nothing was stored."))));
                            return;
                        };
                        match import(&text) {
                            Ok(mut imported) => {
                                if imported.scenario().name.is_none() {
                                    imported.set_name(Some(file_name.trim_end_matches(".json").to_string()));
                                }
                                let id = new_workspace_id(&taken);
                                if saving {
                                    let mut outbox = outbox.borrow_mut();
                                    outbox.create(&id, imported.scenario(), imported.position());
                                    outbox.pack_if_due(imported.scenario());
                                }
                                notice.set(Some(format!("Imported {file_name} as a new workspace.")));
                                show(imported);
                                workspaces_open.set(false);
                                write_then_refresh();
                            }
                            Err(error) => message.set(Some((false, format!("Import failed: {file_name}: {error}. Nothing was stored; your workspaces are unchanged.")))),
                        }
                    });
                }
            }
        })
    };
    let open_workspaces = {
        let workspaces_open = workspaces_open.clone();
        let refresh_rows = refresh_rows.clone();
        let message = workspace_message.clone();
        let share_link = share_link.clone();
        Callback::from(move |_| {
            message.set(None);
            share_link.set(None);
            refresh_rows.emit(());
            workspaces_open.set(true);
        })
    };
    let export_now = {
        let on_workspace_action = on_workspace_action.clone();
        let workspaces_open = workspaces_open.clone();
        Callback::from(move |_| {
            workspaces_open.set(true);
            on_workspace_action.emit(WorkspaceAction::Export);
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
    let workspace_name = timeline_now
        .scenario()
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
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
    let names = Names::of(&view);
    let tick = view.tick;
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
            strip_starts.set(SortedMap::new());
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
                <p class="workspace-name" title="The workspace shown">{ workspace_name }</p>
                <p class="save-status" aria-live="polite">{ save_text.clone() }</p>
                <div class="top-actions">
                    <button type="button" class="secondary" onclick={open_workspaces} aria-haspopup="dialog">{ "Workspaces" }</button>
                    <button type="button" class="secondary" onclick={cycle_theme} aria-label={format!("Theme: {}", *theme)}>{ format!("Theme: {}", *theme) }</button>
                    <button type="button" class="secondary" onclick={toggle_help.clone()} aria-label="Keyboard shortcuts" aria-haspopup="dialog">{ "? Keys" }</button>
                </div>
            </header>
            if let SaveStatus::InMemoryOnly(_) = &*status {
                <div class="banner" role="alert">
                    <span>{ save_text }</span>
                    <button type="button" class="secondary" onclick={export_now}>{ "Export JSON" }</button>
                </div>
            }
            <nav class="tabs" role="tablist" aria-label="Panels">
                { tab(Panel::Controls, "Controls") }
                { tab(Panel::Cluster, "Cluster") }
                { tab(Panel::Inspector, "Inspector") }
            </nav>
            <main class={classes!("layout", panel_class)}>
                <aside class="panel controls-panel" aria-label="Controls">
                    <h2>{ "Controls" }</h2>
                    <Controls {names} on_command={on_command.clone()} on_new_cluster={on_new_cluster}
                        auto_consume={*auto_consume} {on_auto_consume} />
                </aside>
                <section class="panel stage" aria-label="Cluster">
                    <p class="outcome" role="status">{ (*notice).clone().unwrap_or_default() }</p>
                    { diagram(&DiagramProps { view, selection: (*selection).clone(), on_select: on_select.clone(), glide_ms }) }
                    <div class="strips-header">
                        <h2 id="strips-heading">{ "Partition logs" }</h2>
                        <label>{ "Topic " }
                            <select aria-label="Topic shown in the logs" onchange={on_topic}>
                                { for topic_names.iter().map(|t| html! { <option value={t.clone()} selected={*t == shown_topic}>{ t }</option> }) }
                            </select>
                        </label>
                    </div>
                    { log_strips(&LogStripsProps { topic: shown_topic.clone(), rows, selection: (*selection).clone(), on_select, on_scroll }) }
                </section>
                <aside class="panel inspector" aria-label="Inspector">
                    <h2>{ "Inspector" }</h2>
                    { inspector(&InspectorProps { selection: (*selection).clone(), details }) }
                </aside>
            </main>
            <footer class="time" aria-label="Time">
                { time_bar(&TimeBarProps { position, total, tick, playing: *playing, speed: *speed, idle, on_action: on_time }) }
                { narration(&NarrationProps { lines, first_index, position, on_seek }) }
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
            if *workspaces_open {
                <WorkspacesDialog rows={(*workspace_rows).clone()} current={outbox.borrow().current.clone()}
                    share_link={(*share_link).clone()} message={(*workspace_message).clone()}
                    saving_disabled={outbox.borrow().disabled} on_action={on_workspace_action} />
            }
            if *help_open {
                <div class="dialog-backdrop">
                    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title">
                        <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                        { Html::from_html_unchecked(AttrValue::Static(KEYS_TABLE)) }
                        <div class="actions"><button type="button" onclick={toggle_help} autofocus=true>{ "Close" }</button></div>
                    </div>
                </div>
            }
        </>
    }
}
