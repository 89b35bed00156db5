//! Time: step one hop forward or back, play at a chosen speed, scrub the timeline, and the
//! narration log — every event as the core wrote it, clickable to go back to that moment.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::number::decimal;
use crate::session::NarrationLine;

/// Playback speeds, as multiples of one hop per [`BASE_HOP_MS`].
pub const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];
pub const BASE_HOP_MS: f64 = 800.0;
/// Narration lines rendered at once (the newest up to the current move).
pub const NARRATION_LINES: usize = 80;

#[derive(Clone, PartialEq)]
pub enum TimeAction {
    StepBack,
    StepForward,
    TogglePlay,
    RunUntilIdle,
    Seek(u64),
    Speed(f64),
}

pub struct TimeBarProps {
    pub position: u64,
    pub total: u64,
    pub tick: u64,
    pub playing: bool,
    pub speed: f64,
    pub idle: bool,
    pub on_action: Callback<TimeAction>,
}

/// A view function rather than a component: the page makes its callbacks afresh at every
/// render, so a component would re-render every time anyway, and comparing its props first
/// only added code to the download.
pub fn time_bar(props: &TimeBarProps) -> Html {
    let send = |action: TimeAction| {
        let on_action = props.on_action.clone();
        Callback::from(move |_| on_action.emit(action.clone()))
    };
    let on_scrub = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(position) = input.value().parse::<u64>() {
                on_action.emit(TimeAction::Seek(position));
            }
        })
    };
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: web_sys::Event| {
            let input: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let chosen = input.value();
            if let Some(speed) = SPEEDS.iter().find(|s| decimal(**s, 2) == chosen) {
                on_action.emit(TimeAction::Speed(*speed));
            }
        })
    };
    let at_end = props.position == props.total;
    html! {
        <div class="time-controls">
            <button type="button" aria-label="Step back" title="Step back one hop (←)" disabled={props.position == 0} onclick={send(TimeAction::StepBack)}>{ "◀ Back" }</button>
            <button type="button" aria-label={if props.playing { "Pause" } else { "Play" }} title="Play / pause (Space)" aria-pressed={props.playing.to_string()} onclick={send(TimeAction::TogglePlay)}>
                { if props.playing { "❚❚ Pause" } else { "▶ Play" } }
            </button>
            <button type="button" aria-label="Step forward" title="Step forward one hop (→)" disabled={at_end && props.idle} onclick={send(TimeAction::StepForward)}>{ "Forward ▶" }</button>
            <button type="button" aria-label="Run until idle" title="Deliver everything in flight" disabled={at_end && props.idle} onclick={send(TimeAction::RunUntilIdle)}>{ "Run until idle" }</button>
            <label class="speed">{ "Speed " }
                <select aria-label="Speed" onchange={on_speed}>
                    { for SPEEDS.iter().map(|s| {
                        let value = decimal(*s, 2);
                        html! { <option value={value.clone()} selected={*s == props.speed}>{ format!("{value}×") }</option> }
                    }) }
                </select>
            </label>
            <input class="scrub" type="range" aria-label="Timeline" min="0" max={props.total.to_string()} value={props.position.to_string()}
                aria-valuetext={format!("move {} of {}", props.position, props.total)} oninput={on_scrub} />
            <span class="clock" role="status" aria-label="Position in time">{ format!("move {} of {} · t = {} ms", props.position, props.total, props.tick) }</span>
        </div>
    }
}

pub struct NarrationProps {
    /// The newest events up to the current move.
    pub lines: Vec<NarrationLine>,
    /// The index of the first line in the whole history (keys the list items).
    pub first_index: usize,
    pub position: u64,
    pub on_seek: Callback<u64>,
}

/// The narration: the newest events up to the current move; the current move's events are
/// marked. Each line is a button that jumps to its moment. A view function, like
/// [`time_bar`].
pub fn narration(props: &NarrationProps) -> Html {
    let end = props.lines.len();
    if end == 0 {
        return html! { <p class="hint">{ "Nothing has happened yet. Send a record, then step through its hops." }</p> };
    }
    html! {
        // Newest first in the DOM, shown bottom-up by CSS (column-reverse): the list stays
        // scrolled to the newest line without reading layout on every step.
        <ol class="narration" aria-label="What happened" reversed=true>
            { for props.lines.iter().enumerate().rev().map(|(index, line)| {
                let at = line.at;
                let onclick = {
                    let on_seek = props.on_seek.clone();
                    Callback::from(move |_| on_seek.emit(at))
                };
                html! {
                    <li key={props.first_index + index} class={classes!((at == props.position).then_some("current"))}>
                        <button type="button" class="link" {onclick} title="Go to this moment">
                            <span class="tick">{ format!("#{at} t={}", line.tick) }</span>{ " " }{ &line.text }
                        </button>
                    </li>
                }
            }) }
        </ol>
    }
}
