//! Saving the session: every change goes to IndexedDB in order, one transaction per write,
//! through an outbox; another tab writing the same workspace is noticed (BroadcastChannel)
//! and stops this tab's saving instead of letting the two overwrite each other.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::browser_deflate;
use crate::json::ToJson;
use crate::scenario::{
    deflated_from_fragment, fragment_from_deflated, import_inflated, Entry, ImportError, Scenario,
    Timeline, MAX_IMPORT_BYTES,
};
use crate::storage::{now_ms, PackedEntriesRow, Storage, WorkspaceRow};

/// The IndexedDB database the page uses.
pub const DATABASE_NAME: &str = "kafka-playground";
/// The workspace a first visit creates.
pub const FIRST_WORKSPACE_ID: &str = "default";
const LAST_WORKSPACE_KEY: &str = "kafka-playground-workspace";
const CHANNEL_NAME: &str = "kafka-playground";
/// Entries between writes of the packed entries: a longer session opens by reading them
/// (one value) and the few entry rows after them instead of every row.
pub const PACK_EVERY: usize = 2_000;

/// Where saving stands, shown in the header.
#[derive(Clone, PartialEq)]
pub enum SaveStatus {
    Opening,
    Saved,
    Saving,
    /// Storage failed (or another tab took over): the page keeps working in memory.
    InMemoryOnly(String),
}

/// One write to IndexedDB.
pub enum Write {
    /// Entries from `from` on (appending one, or replacing a changed tail).
    Entries {
        workspace: String,
        from: u32,
        entries: Vec<Entry>,
        append: bool,
    },
    Workspace(WorkspaceRow),
    /// A whole new workspace (new, imported, shared, duplicated), all or nothing.
    Create {
        row: WorkspaceRow,
        entries: Vec<Entry>,
    },
    Delete(String),
    PackedEntries(PackedEntriesRow),
}

impl Write {
    fn workspace(&self) -> &str {
        match self {
            Write::Entries { workspace, .. } => workspace,
            Write::Workspace(row) | Write::Create { row, .. } => &row.id,
            Write::Delete(id) => id,
            Write::PackedEntries(row) => &row.workspace,
        }
    }
}

/// Writes waiting, done one transaction at a time, in order.
#[derive(Default)]
pub struct Outbox {
    pub queue: VecDeque<Write>,
    /// The workspace the page shows.
    pub current: String,
    pub created: f64,
    /// JSON bytes of each stored (or queued) entry of the current workspace; its length is
    /// where a write appends.
    pub sizes: Vec<usize>,
    /// Entries the current workspace's stored packed entries cover (0: none).
    pub packed_entries: usize,
    pub flushing: bool,
    pub disabled: bool,
    /// This tab's name on the broadcast channel.
    pub tab: String,
}

impl Outbox {
    /// Makes `scenario` the current workspace `id`, already stored as it is.
    pub fn adopt(&mut self, id: &str, scenario: &Scenario, created: f64) {
        self.current = id.to_string();
        self.created = created;
        self.packed_entries = 0;
        self.sizes = scenario.entries.iter().map(entry_size).collect();
        remember_last_workspace(id);
    }

    /// Queues a whole new workspace `id` holding `scenario`, and makes it current.
    pub fn create(&mut self, id: &str, scenario: &Scenario, position: u64) {
        let created = now_ms();
        self.adopt(id, scenario, created);
        let row = self.row(scenario, position);
        self.queue.push_back(Write::Create {
            row,
            entries: scenario.entries.clone(),
        });
    }

    /// Queues a copy of a session as a new workspace `id`, without opening it.
    pub fn queue_copy(&mut self, id: &str, scenario: &Scenario) {
        let sizes: Vec<usize> = scenario.entries.iter().map(entry_size).collect();
        let now = now_ms();
        let row = workspace_row(id, scenario, scenario.position, now, &sizes);
        self.queue.push_back(Write::Create {
            row,
            entries: scenario.entries.clone(),
        });
    }

    /// Queues what a change of the current session needs: entries from `from` on, and the
    /// workspace row (only the newest row write is kept waiting).
    pub fn session_changed(&mut self, scenario: &Scenario, from: Option<usize>, position: u64) {
        let entries = &scenario.entries;
        if let Some(from) = from {
            if from < self.packed_entries {
                self.packed_entries = 0; // storage deletes them with the replaced entries
            }
            if from < entries.len() || from < self.sizes.len() {
                // `add` for a new entry at the end; a changed or cut tail is replaced.
                let append = from == self.sizes.len() && entries.len() == from + 1;
                let tail = entries[from.min(entries.len())..].to_vec();
                self.sizes.truncate(from);
                self.sizes.extend(tail.iter().map(entry_size));
                self.queue.push_back(Write::Entries {
                    workspace: self.current.clone(),
                    from: from as u32,
                    entries: tail,
                    append,
                });
            }
        }
        let current = self.current.clone();
        self.queue
            .retain(|w| !matches!(w, Write::Workspace(row) if row.id == current));
        let row = self.row(scenario, position);
        self.queue.push_back(Write::Workspace(row));
    }

    /// Queues the current session's entries packed as one value when they have grown
    /// [`PACK_EVERY`] past the stored ones. The last entry is left out: it may still grow (a
    /// step at the end of the session is extended, not appended), and a packed list covering
    /// it would be deleted and written again at every step.
    pub fn pack_if_due(&mut self, scenario: &Scenario) {
        let settled = scenario.entries.len().saturating_sub(1);
        if settled < self.packed_entries + PACK_EVERY {
            return;
        }
        let row = packed_entries_row(&self.current, &scenario.entries[..settled]);
        self.packed_entries = settled;
        self.queue.push_back(Write::PackedEntries(row));
    }

    /// The current workspace's row as it should be stored now.
    pub fn row(&self, scenario: &Scenario, position: u64) -> WorkspaceRow {
        workspace_row(
            &self.current,
            scenario,
            Some(position),
            self.created,
            &self.sizes,
        )
    }
}

fn workspace_row(
    id: &str,
    scenario: &Scenario,
    position: Option<u64>,
    created: f64,
    sizes: &[usize],
) -> WorkspaceRow {
    WorkspaceRow {
        id: id.to_string(),
        name: scenario.name.clone().unwrap_or_default(),
        schema_version: scenario.version,
        seed: scenario.seed as f64,
        config: scenario.config.to_json_string(),
        created,
        updated: now_ms(),
        position: position.map(|p| p as f64),
        entry_count: sizes.len() as f64,
        bytes: sizes.iter().sum::<usize>() as f64,
    }
}

fn entry_size(entry: &Entry) -> usize {
    entry.to_json_string().len()
}

/// Does the queued writes in order; the first failure stops saving (the page goes on in
/// memory and says so). `after` runs once the queue is empty.
pub fn flush(
    storage: Rc<Storage>,
    outbox: Rc<RefCell<Outbox>>,
    status: UseStateHandle<SaveStatus>,
    after: Option<Callback<()>>,
) {
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
                    workspace,
                    from,
                    entries,
                    append: true,
                } if entries.len() == 1 => {
                    storage.append_entry(workspace, *from, &entries[0]).await
                }
                Write::Entries {
                    workspace,
                    from,
                    entries,
                    ..
                } => {
                    storage
                        .replace_entries_from(workspace, *from, entries)
                        .await
                }
                Write::Workspace(row) => storage.put_workspace(row).await,
                Write::Create { row, entries } => storage.create_workspace(row, entries).await,
                Write::Delete(id) => storage.delete_workspace(id).await,
                Write::PackedEntries(row) => storage.put_packed_entries(row).await,
            };
            if let Err(error) = result {
                status.set(SaveStatus::InMemoryOnly(error.to_string()));
                let mut outbox = outbox.borrow_mut();
                outbox.queue.clear();
                outbox.disabled = true;
                break;
            }
            let tab = outbox.borrow().tab.clone();
            announce_write(write.workspace(), &tab);
        }
        outbox.borrow_mut().flushing = false;
        if !outbox.borrow().disabled {
            status.set(SaveStatus::Saved);
        }
        if let Some(after) = after {
            after.emit(());
        }
    });
}

/// A workspace read from storage.
pub struct Loaded {
    pub timeline: Timeline,
    pub row: WorkspaceRow,
    /// Entries its stored packed entries cover (0: none, or not used).
    pub packed_entries: usize,
}

impl Outbox {
    /// Makes a loaded workspace the current one. One opened from its entry rows (its packed
    /// entries were missing or damaged) gets them packed again, so the next opening is fast.
    pub fn adopt_loaded(&mut self, loaded: &Loaded) {
        self.adopt(
            &loaded.row.id,
            loaded.timeline.scenario(),
            loaded.row.created,
        );
        self.packed_entries = loaded.packed_entries;
        self.pack_if_due(loaded.timeline.scenario());
    }
}

/// A workspace's first entries packed as one stored value.
pub fn packed_entries_row(workspace: &str, entries: &[Entry]) -> PackedEntriesRow {
    PackedEntriesRow {
        workspace: workspace.to_string(),
        entries: entries.len() as f64,
        entries_json: entries.to_json_string(),
    }
}

/// Loads workspace `id` and replays it to the move it was left at. `Err` says why stored
/// data could not be used (it is not changed).
pub async fn load_workspace(storage: &Storage, id: &str) -> Result<Option<Loaded>, String> {
    let Some(row) = storage.workspace(id).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    mark("kplay-open-start");
    // A long session is read through its packed entries; if they cannot be used, row by row.
    let (scenario, packed_entries) = match storage.load_packed(id).await {
        Ok(Some(loaded)) => loaded,
        _ => {
            let Some(scenario) = storage
                .load_scenario(id)
                .await
                .map_err(|e| format!("{e}."))?
            else {
                return Ok(None);
            };
            (scenario, 0)
        }
    };
    mark("kplay-open-read");
    let mut timeline = Timeline::new(scenario).map_err(|e| {
        format!(
            "The saved session \"{}\" could not be replayed ({e}).",
            row.name
        )
    })?;
    if let Some(position) = row.position {
        let _ = timeline.seek(position as u64);
    }
    mark("kplay-open-replayed");
    Ok(Some(Loaded {
        timeline,
        row,
        packed_entries,
    }))
}

/// Opens a share link fragment as a new workspace (queued in the outbox, made current when
/// saving is on) and clears the fragment, so a reload does not open it twice. `Err` is the
/// sentence to show; nothing is stored then.
pub async fn open_shared_session(
    fragment: &str,
    taken: &[WorkspaceRow],
    outbox: &RefCell<Outbox>,
) -> Result<Timeline, String> {
    clear_location_hash();
    let mut shared = open_share_fragment_in_browser(fragment)
        .await
        .map_err(|error| {
            format!("The share link could not be opened: {error}. Nothing was stored.")
        })?;
    let name = shared
        .scenario()
        .name
        .clone()
        .unwrap_or_else(|| "Session".into());
    shared.set_name(Some(format!("{name} (shared)")));
    let mut outbox = outbox.borrow_mut();
    if !outbox.disabled {
        outbox.create(
            &new_workspace_id(taken),
            shared.scenario(),
            shared.position(),
        );
        outbox.pack_if_due(shared.scenario());
    }
    Ok(shared)
}

/// The share link fragment for a scenario, as `scenario::share_fragment` makes it natively,
/// with the browser deflating it: `Ok(None)` when the link would be too long.
pub async fn share_fragment_in_browser(scenario: &Scenario) -> Result<Option<String>, String> {
    let deflated = browser_deflate::deflate(scenario.to_json().as_bytes()).await?;
    Ok(fragment_from_deflated(&deflated))
}

/// A share link fragment opened as `scenario::open_share_fragment` does natively, with the
/// browser inflating it.
pub async fn open_share_fragment_in_browser(fragment: &str) -> Result<Timeline, ImportError> {
    let deflated = deflated_from_fragment(fragment)?;
    let not_deflated =
        |why: String| ImportError::BrokenLink(format!("not a compressed session ({why})"));
    match browser_deflate::inflate(&deflated, MAX_IMPORT_BYTES).await {
        Ok(Some(json)) => import_inflated(json),
        Ok(None) => Err(not_deflated(format!(
            "it inflates to more than {MAX_IMPORT_BYTES} bytes"
        ))),
        Err(why) => Err(not_deflated(why)),
    }
}

/// What the page says after opening a share link.
pub const SHARED_OPENED: &str =
    "The shared session opened as a new workspace; your other workspaces are unchanged.";

/// A User Timing mark (what the benchmarks read), if the browser keeps them.
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// The page URL's fragment (`#...`), or empty.
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Removes the fragment without reloading, so a reload does not open a share link twice.
pub fn clear_location_hash() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

/// A new workspace id, not among `taken`.
pub fn new_workspace_id(taken: &[WorkspaceRow]) -> String {
    let base = format!("w{}", now_ms() as u64);
    let mut id = base.clone();
    let mut n = 1;
    while taken.iter().any(|row| row.id == id) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn remember_last_workspace(id: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(LAST_WORKSPACE_KEY, id);
    }
}

pub fn last_workspace() -> Option<String> {
    local_storage()?.get_item(LAST_WORKSPACE_KEY).ok().flatten()
}

/// A random name for this tab on the broadcast channel (not used by the core).
pub fn tab_name() -> String {
    // A whole number (53 random bits): writing a float would bring in the float formatter.
    format!(
        "tab-{}",
        (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64
    )
}

fn announce_write(workspace: &str, tab: &str) {
    if let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL_NAME) {
        let _ = channel.post_message(&format!("{tab}\n{workspace}").into());
        channel.close();
    }
}

/// Listens for other tabs' writes; `on_other_tab` gets the workspace another tab wrote.
pub struct OtherTabs {
    channel: web_sys::BroadcastChannel,
    _listener: gloo::events::EventListener,
}

impl OtherTabs {
    pub fn listen(tab: String, on_other_tab: Callback<String>) -> Option<OtherTabs> {
        let channel = web_sys::BroadcastChannel::new(CHANNEL_NAME).ok()?;
        let listener = gloo::events::EventListener::new(&channel, "message", move |event| {
            let Some(text) = event
                .dyn_ref::<web_sys::MessageEvent>()
                .and_then(|e| e.data().as_string())
            else {
                return;
            };
            if let Some((from, workspace)) = text.split_once('\n') {
                if from != tab {
                    on_other_tab.emit(workspace.to_string());
                }
            }
        });
        Some(OtherTabs {
            channel,
            _listener: listener,
        })
    }
}

impl Drop for OtherTabs {
    fn drop(&mut self) {
        self.channel.close();
    }
}

/// Offers `text` as a file download named `file_name`.
pub fn download(file_name: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no link element")?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// A file name for a workspace's export.
pub fn export_file_name(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            // Letters of any script stay (every character a file system refuses is ASCII);
            // Unicode's own letter tables would be a few KB of the page for this alone.
            if c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    format!(
        "{}.kafka-playground.json",
        if stem.is_empty() { "session" } else { stem }
    )
}
