//! Partition log strips: each partition of one topic as a row of record cells.
//!
//! A partition's log is an append-only sequence; each record gets the next **offset**. The
//! **log end offset** (LEO) is where the next record goes. The **high watermark** (HW) is the
//! first offset not yet on every in-sync replica: consumers only read below it. The **log
//! start offset** moves up when retention deletes old segments. A group's **committed
//! offset** is the next record it will read after a restart; **lag** = HW − committed.
//!
//! Only the visible window of cells is built (a partition can hold a million records).

use yew::prelude::*;

use super::inspector::Selection;
use crate::broker::sorted_map::SortedMap;
use crate::broker::view::ClusterView;
use crate::broker::{Cluster, TopicPartition};

/// Cells shown per partition.
pub const WINDOW: u64 = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
    pub poison: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StripRow {
    pub partition: u32,
    pub log_start: u64,
    pub high_watermark: u64,
    pub log_end: u64,
    pub window_start: u64,
    pub cells: Vec<Cell>,
    /// (group, committed offset, lag)
    pub committed: Vec<(String, u64, u64)>,
}

/// The rows of `topic`, each showing `WINDOW` cells from its chosen start (default: the
/// newest records).
pub fn strip_rows(
    cluster: &Cluster,
    view: &ClusterView,
    topic: &str,
    starts: &SortedMap<u32, u64>,
) -> Vec<StripRow> {
    let Some(topic_view) = view.topics.iter().find(|t| t.name == topic) else {
        return Vec::new();
    };
    topic_view
        .partitions
        .iter()
        .map(|p| {
            let tp = TopicPartition::new(topic, p.partition);
            let newest = p
                .log_end_offset
                .saturating_sub(WINDOW)
                .max(p.log_start_offset);
            let window_start = starts
                .get(&p.partition)
                .copied()
                .unwrap_or(newest)
                .clamp(p.log_start_offset, newest.max(p.log_start_offset));
            let source = p.leader.or_else(|| p.replicas.first().copied());
            let cells = source
                .map(|b| cluster.records(b, &tp, window_start, WINDOW as usize))
                .unwrap_or_default()
                .into_iter()
                .map(|r| Cell {
                    offset: r.offset,
                    poison: view.poison.iter().any(|(q, o)| q == &tp && *o == r.offset),
                    key: r.key,
                    value: r.value,
                })
                .collect();
            let committed = view
                .groups
                .iter()
                .filter_map(|g| {
                    let o = g
                        .offsets
                        .iter()
                        .find(|o| o.topic == topic && o.partition == p.partition)?;
                    Some((g.group.clone(), o.committed?, o.lag.unwrap_or(0)))
                })
                .collect();
            StripRow {
                partition: p.partition,
                log_start: p.log_start_offset,
                high_watermark: p.high_watermark,
                log_end: p.log_end_offset,
                window_start,
                cells,
                committed,
            }
        })
        .collect()
}

/// A stable colour per key, so records with the same key are easy to follow.
fn key_hue(key: &str) -> u32 {
    // FNV-1a: tiny and good enough to spread hues.
    let hash = key.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % 360
}

pub struct LogStripsProps {
    pub topic: String,
    pub rows: Vec<StripRow>,
    pub selection: Option<Selection>,
    pub on_select: Callback<Selection>,
    /// (partition, new window start)
    pub on_scroll: Callback<(u32, u64)>,
}

/// The strips of the topic shown.
///
/// A view function rather than a component: the page makes its callbacks afresh at every
/// render, so a component would re-render every time anyway, and comparing its props first
/// only added code to the download.
pub fn log_strips(props: &LogStripsProps) -> Html {
    if props.rows.is_empty() {
        return html! { <p class="hint">{ "Create a topic to see its partitions' logs." }</p> };
    }
    html! {
        <div class="strips">
            { for props.rows.iter().map(|row| {
                let name = format!("{}-{}", props.topic, row.partition);
                let older = {
                    let on_scroll = props.on_scroll.clone();
                    let (partition, start) = (row.partition, row.window_start.saturating_sub(WINDOW));
                    Callback::from(move |_| on_scroll.emit((partition, start)))
                };
                let newer = {
                    let on_scroll = props.on_scroll.clone();
                    let (partition, start) = (row.partition, row.window_start + WINDOW);
                    Callback::from(move |_| on_scroll.emit((partition, start)))
                };
                let mut cells = Vec::new();
                for cell in &row.cells {
                    for (group, committed, lag) in row.committed.iter().filter(|(_, c, _)| *c == cell.offset) {
                        cells.push(html! { <span class="marker committed" title={format!("group {group} committed {committed}, lag {lag}")}>{ format!("▾{group} lag {lag}") }</span> });
                    }
                    if cell.offset == row.high_watermark {
                        cells.push(html! { <span class="marker hw" title="High watermark: consumers read only below it">{ format!("HW {}", row.high_watermark) }</span> });
                    }
                    let selection = Selection::Record(props.topic.clone(), row.partition, cell.offset);
                    let onclick = {
                        let on_select = props.on_select.clone();
                        let selection = selection.clone();
                        Callback::from(move |_| on_select.emit(selection.clone()))
                    };
                    let style = cell.key.as_deref().map(|k| format!("--hue:{}", key_hue(k)));
                    let label = format!(
                        "Record {name} offset {}, key {}, value {}{}",
                        cell.offset,
                        cell.key.as_deref().unwrap_or("null"),
                        cell.value.as_deref().unwrap_or("null"),
                        if cell.offset >= row.high_watermark { ", not yet committed" } else { "" },
                    );
                    cells.push(html! {
                        <button type="button" class={classes!("cell",
                            cell.key.is_none().then_some("no-key"),
                            (cell.offset >= row.high_watermark).then_some("above-hw"),
                            cell.poison.then_some("poison"),
                            (props.selection.as_ref() == Some(&selection)).then_some("selected"))}
                            {style} aria-label={label.clone()} title={label} {onclick}>
                            { cell.offset }
                        </button>
                    });
                }
                for (group, committed, lag) in row.committed.iter().filter(|(_, c, _)| *c >= row.log_end || !row.cells.iter().any(|cell| cell.offset == *c)) {
                    if *committed >= row.window_start {
                        cells.push(html! { <span class="marker committed" title={format!("group {group} committed {committed}, lag {lag}")}>{ format!("▾{group} lag {lag}") }</span> });
                    }
                }
                if row.high_watermark == row.log_end {
                    cells.push(html! { <span class="marker hw" title="High watermark: consumers read only below it">{ format!("HW {}", row.high_watermark) }</span> });
                }
                cells.push(html! { <span class="marker leo" title="Log end offset: where the next record goes">{ format!("LEO {}", row.log_end) }</span> });
                html! {
                    <div class="strip" role="group" aria-label={format!("Log of partition {name}")}>
                        <span class="strip-name">{ name.clone() }</span>
                        <button type="button" class="scroll" aria-label={format!("Older records of {name}")} disabled={row.window_start <= row.log_start} onclick={older}>{ "◀" }</button>
                        <span class="marker start" title="Log start offset">{ format!("start {}", row.log_start) }</span>
                        <div class="cells">{ for cells }</div>
                        <button type="button" class="scroll" aria-label={format!("Newer records of {name}")} disabled={row.window_start + WINDOW >= row.log_end} onclick={newer}>{ "▶" }</button>
                    </div>
                }
            }) }
        </div>
    }
}
