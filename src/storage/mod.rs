//! IndexedDB persistence of sessions (wasm only).
//!
//! Three object stores:
//! * `workspaces` (key path `id`): one row per workspace — name, seed, cluster config,
//!   format version, created/updated (last use) times, the move shown, entry count and size;
//! * `entries` (key path `[workspace, seq]`): the session's log, one row per applied
//!   command or clock entry, each written in its own transaction as it happens, so a closed
//!   tab loses nothing that was shown;
//! * `packed_entries` (key path `workspace`): for a long session, its first N entries again
//!   as one JSON array, so opening it reads one value and the few rows after it instead of
//!   N rows (a packed list that a changed entry contradicts is deleted with it).
//!
//! Values are stored as JSON text in the documented scenario format, so what is stored,
//! exported and shared is one format.
//!
//! Crate choice: `idb` — futures-based, maintained, the fewest dependencies and the
//! smallest output of the three wrappers compared (`rexie` builds on it; `indexed_db_futures`
//! pulls in more).

use idb::{
    Database, DatabaseEvent, Factory, KeyPath, KeyRange, ObjectStoreParams, TransactionMode,
};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

use crate::broker::sorted_map::sorted_unique_by;
use crate::broker::ClusterConfig;
use crate::json::{FromJson, ToJson};
use crate::number::decimal;
use crate::scenario::{Entry, Scenario, SCENARIO_VERSION};

/// The IndexedDB schema version (object stores and their shapes).
///
/// * 1: `workspaces` and `entries`.
/// * 2: workspace rows carry `entry_count` and `bytes` (for the workspace list); opening a
///   version 1 database counts them once (see [`Storage::open`]).
/// * 3: the `checkpoints` store (the cluster's state in binary, with the entries it covers).
/// * 4: `packed_entries` instead of `checkpoints`: the entries alone, replayed on opening
///   (the binary state cost a tenth of the page's download); opening a version 3 database
///   drops its checkpoints (the entry rows hold everything they did).
///
/// A database written by a newer page is refused and left as it is.
pub const DB_SCHEMA_VERSION: u32 = 4;
const WORKSPACES: &str = "workspaces";
const ENTRIES: &str = "entries";
const PACKED_ENTRIES: &str = "packed_entries";
/// The version 3 store that version 4 replaced.
const CHECKPOINTS: &str = "checkpoints";

#[derive(Debug, Clone, PartialEq)]
pub enum StorageError {
    /// IndexedDB is missing or refused to open (private mode, blocked by settings).
    Unavailable(String),
    /// A read or write failed (quota exceeded, aborted transaction).
    Failed(String),
    /// Stored data could not be understood; it is left untouched.
    Corrupt(String),
    /// The database was written by a newer version of the page; it is left untouched.
    NewerVersion { found: u32, supported: u32 },
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::Unavailable(m) => write!(f, "browser storage is unavailable: {m}"),
            StorageError::Failed(m) => write!(f, "saving to browser storage failed: {m}"),
            StorageError::Corrupt(m) => write!(
                f,
                "stored data could not be read and was left untouched: {m}"
            ),
            StorageError::NewerVersion { found, supported } => write!(
                f,
                "the saved workspaces were written by a newer Kafka Playground (storage version {found}; this page reads up to {supported}) and were left untouched"
            ),
        }
    }
}

fn failed(error: idb::Error) -> StorageError {
    StorageError::Failed(error.to_string())
}

/// Deletes a workspace's entries and packed entries inside `transaction` (which must cover
/// both stores).
async fn delete_sessions_data(
    transaction: &idb::Transaction,
    workspace: &str,
) -> Result<(), StorageError> {
    transaction
        .object_store(PACKED_ENTRIES)
        .map_err(failed)?
        .delete(JsValue::from_str(workspace))
        .map_err(failed)?
        .await
        .map_err(failed)?;
    transaction
        .object_store(ENTRIES)
        .map_err(failed)?
        .delete(entry_range(workspace, 0)?)
        .map_err(failed)?
        .await
        .map_err(failed)?;
    Ok(())
}

/// Ok only for a transaction that committed (an aborted one changed nothing).
fn committed(result: idb::TransactionResult) -> Result<(), StorageError> {
    if result.is_committed() {
        Ok(())
    } else {
        Err(StorageError::Failed("the transaction was aborted".into()))
    }
}

/// A field of a stored row (absent, `undefined` and `null` are all `None`).
fn field(row: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(row, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn text_field(row: &JsValue, name: &str) -> Result<String, String> {
    field(row, name)
        .and_then(|v| v.as_string())
        .ok_or_else(|| format!("no {name} text"))
}

fn number_field(row: &JsValue, name: &str) -> Result<f64, String> {
    field(row, name)
        .and_then(|v| v.as_f64())
        .ok_or_else(|| format!("no {name} number"))
}

/// A plain object with the given fields, as IndexedDB stores a row.
fn js_object(fields: &[(&str, JsValue)]) -> JsValue {
    let row = js_sys::Object::new();
    for (name, value) in fields {
        js_sys::Reflect::set(&row, &JsValue::from_str(name), value)
            .expect("setting a field of a plain object succeeds");
    }
    row.into()
}

/// A workspace as stored. Rows are plain objects built and read field by field (a
/// generic converter would be a few KB more of the page for three small row types).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub schema_version: u32,
    pub seed: f64,
    /// The cluster config as JSON text.
    pub config: String,
    pub created: f64,
    pub updated: f64,
    /// The move the learner was looking at (absent: the session's end).
    pub position: Option<f64>,
    /// Entries stored (since storage version 2).
    pub entry_count: f64,
    /// Bytes of the stored entries' JSON (since storage version 2).
    pub bytes: f64,
}

impl WorkspaceRow {
    fn to_js(&self) -> JsValue {
        let mut fields = vec![
            ("id", JsValue::from_str(&self.id)),
            ("name", JsValue::from_str(&self.name)),
            ("schema_version", JsValue::from(self.schema_version)),
            ("seed", JsValue::from_f64(self.seed)),
            ("config", JsValue::from_str(&self.config)),
            ("created", JsValue::from_f64(self.created)),
            ("updated", JsValue::from_f64(self.updated)),
            ("entry_count", JsValue::from_f64(self.entry_count)),
            ("bytes", JsValue::from_f64(self.bytes)),
        ];
        if let Some(position) = self.position {
            fields.push(("position", JsValue::from_f64(position)));
        }
        js_object(&fields)
    }

    /// A stored row; `entry_count` and `bytes` are 0 in a row of storage version 1.
    fn from_js(value: &JsValue) -> Result<WorkspaceRow, String> {
        let schema_version = number_field(value, "schema_version")?;
        if schema_version.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&schema_version) {
            return Err("schema_version is not a version number".into());
        }
        Ok(WorkspaceRow {
            id: text_field(value, "id")?,
            name: text_field(value, "name")?,
            schema_version: schema_version as u32,
            seed: number_field(value, "seed")?,
            config: text_field(value, "config")?,
            created: number_field(value, "created")?,
            updated: number_field(value, "updated")?,
            position: field(value, "position").and_then(|v| v.as_f64()),
            entry_count: number_field(value, "entry_count").unwrap_or(0.0),
            bytes: number_field(value, "bytes").unwrap_or(0.0),
        })
    }
}

/// A workspace's first `entries` entries as one JSON array (the scenario format's
/// `entries`), stored beside the entry rows so that a long session opens with one read.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedEntriesRow {
    pub workspace: String,
    pub entries: f64,
    pub entries_json: String,
}

impl PackedEntriesRow {
    fn to_js(&self) -> JsValue {
        js_object(&[
            ("workspace", JsValue::from_str(&self.workspace)),
            ("entries", JsValue::from_f64(self.entries)),
            ("entries_json", JsValue::from_str(&self.entries_json)),
        ])
    }

    fn from_js(value: &JsValue) -> Result<PackedEntriesRow, String> {
        Ok(PackedEntriesRow {
            workspace: text_field(value, "workspace")?,
            entries: number_field(value, "entries")?,
            entries_json: text_field(value, "entries_json")?,
        })
    }
}

/// A workspace's entry row, as stored: `{workspace, seq, entry}`, the entry as JSON text
/// in the scenario format.
fn entry_value(workspace: &str, seq: u32, entry: &Entry) -> Result<JsValue, StorageError> {
    let entry = entry.to_json_string();
    Ok(js_object(&[
        ("workspace", JsValue::from_str(workspace)),
        ("seq", JsValue::from(seq)),
        ("entry", JsValue::from_str(&entry)),
    ]))
}

/// The keys of a workspace's entries from `from_seq` on.
fn entry_range(workspace: &str, from_seq: u32) -> Result<KeyRange, StorageError> {
    let key = |seq: u32| {
        js_sys::Array::of2(
            &JsValue::from_str(workspace),
            &JsValue::from_f64(f64::from(seq)),
        )
    };
    KeyRange::bound(&key(from_seq), &key(u32::MAX), None, None).map_err(failed)
}

/// IndexedDB's two ways to write: `put` replaces, `add` refuses an existing key.
enum Write {
    Put,
    Add,
}

pub struct Storage {
    database: Database,
    name: String,
}

impl Storage {
    /// Opens (and if needed creates or upgrades) the database `name`. A database of a
    /// newer storage version is refused before anything touches it; one of version 1 is
    /// upgraded (its workspace rows get their entry count and size).
    pub async fn open(name: &str) -> Result<Storage, StorageError> {
        let factory = Factory::new().map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let old_version = Rc::new(Cell::new(None::<u32>));
        let mut request = factory
            .open(name, Some(DB_SCHEMA_VERSION))
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let seen = old_version.clone();
        request.on_upgrade_needed(move |event| {
            seen.set(event.old_version().ok());
            let Ok(database) = event.database() else {
                return;
            };
            let names = database.store_names();
            if !names.iter().any(|n| n == WORKSPACES) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("id")));
                // An upgrade callback cannot return an error; a store that failed to appear
                // makes the first transaction on it fail, which is reported then.
                let _ = database.create_object_store(WORKSPACES, params);
            }
            if !names.iter().any(|n| n == ENTRIES) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_array(["workspace", "seq"])));
                let _ = database.create_object_store(ENTRIES, params);
            }
            if names.iter().any(|n| n == CHECKPOINTS) {
                let _ = database.delete_object_store(CHECKPOINTS);
            }
            if !names.iter().any(|n| n == PACKED_ENTRIES) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("workspace")));
                let _ = database.create_object_store(PACKED_ENTRIES, params);
            }
        });
        let database = match request.await {
            Ok(database) => database,
            Err(error) => return Err(Self::why_not_opened(&factory, name, error).await),
        };
        let storage = Storage {
            database,
            name: name.to_string(),
        };
        if old_version.get().is_some_and(|v| (1..2).contains(&v)) {
            storage.migrate_rows_to_version_2().await?;
        }
        Ok(storage)
    }

    /// An open that failed: a newer database (IndexedDB's VersionError), or no storage.
    async fn why_not_opened(factory: &Factory, name: &str, error: idb::Error) -> StorageError {
        // Opened without a version, IndexedDB neither creates nor upgrades an existing one.
        if let Ok(request) = factory.open(name, None) {
            if let Ok(database) = request.await {
                let found = database.version().unwrap_or(0);
                database.close();
                if found > DB_SCHEMA_VERSION {
                    return StorageError::NewerVersion {
                        found,
                        supported: DB_SCHEMA_VERSION,
                    };
                }
            }
        }
        StorageError::Unavailable(error.to_string())
    }

    /// Storage version 1 → 2: every workspace row gets its entry count and size, in one
    /// transaction (all rows or none).
    async fn migrate_rows_to_version_2(&self) -> Result<(), StorageError> {
        let transaction = self
            .database
            .transaction(&[WORKSPACES, ENTRIES], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let workspaces = transaction.object_store(WORKSPACES).map_err(failed)?;
        let entries = transaction.object_store(ENTRIES).map_err(failed)?;
        let rows = workspaces
            .get_all(None, None)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        for value in rows {
            let Ok(mut row) = WorkspaceRow::from_js(&value) else {
                continue; // an unreadable row is left exactly as it is
            };
            let stored = entries
                .get_all(Some(entry_range(&row.id, 0)?.into()), None)
                .map_err(failed)?
                .await
                .map_err(failed)?;
            row.entry_count = stored.len() as f64;
            row.bytes = stored
                .into_iter()
                .filter_map(|v| text_field(&v, "entry").ok())
                .map(|entry| entry.len() as f64)
                .sum();
            let value = row.to_js();
            workspaces
                .put(&value, None)
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        committed(transaction.await.map_err(failed)?)
    }

    /// Every workspace row, most recently used first (unreadable rows are skipped, and
    /// left as they are).
    pub async fn workspaces(&self) -> Result<Vec<WorkspaceRow>, StorageError> {
        let transaction = self
            .database
            .transaction(&[WORKSPACES], TransactionMode::ReadOnly)
            .map_err(failed)?;
        let store = transaction.object_store(WORKSPACES).map_err(failed)?;
        let values = store
            .get_all(None, None)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        let rows = values
            .into_iter()
            .filter_map(|v| WorkspaceRow::from_js(&v).ok());
        // Most recently used first; ids, which are unique, break ties.
        Ok(sorted_unique_by(rows, |a, b| {
            b.updated
                .total_cmp(&a.updated)
                .then_with(|| a.id.cmp(&b.id))
        }))
    }

    /// Stores a whole workspace — its row and all its entries — in one transaction: a new,
    /// imported, shared or duplicated session is either stored completely or not at all.
    /// Any entries stored under the same id before are replaced.
    pub async fn create_workspace(
        &self,
        row: &WorkspaceRow,
        entries: &[Entry],
    ) -> Result<(), StorageError> {
        let transaction = self
            .database
            .transaction(
                &[WORKSPACES, ENTRIES, PACKED_ENTRIES],
                TransactionMode::ReadWrite,
            )
            .map_err(failed)?;
        delete_sessions_data(&transaction, &row.id).await?;
        let store = transaction.object_store(ENTRIES).map_err(failed)?;
        for (seq, entry) in (0..).zip(entries) {
            drop(
                store
                    .put(&entry_value(&row.id, seq, entry)?, None)
                    .map_err(failed)?,
            );
        }
        let value = row.to_js();
        transaction
            .object_store(WORKSPACES)
            .map_err(failed)?
            .put(&value, None)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        committed(transaction.await.map_err(failed)?)
    }

    /// Deletes a workspace, its entries and its packed entries, in one transaction.
    pub async fn delete_workspace(&self, id: &str) -> Result<(), StorageError> {
        let transaction = self
            .database
            .transaction(
                &[WORKSPACES, ENTRIES, PACKED_ENTRIES],
                TransactionMode::ReadWrite,
            )
            .map_err(failed)?;
        delete_sessions_data(&transaction, id).await?;
        transaction
            .object_store(WORKSPACES)
            .map_err(failed)?
            .delete(JsValue::from_str(id))
            .map_err(failed)?
            .await
            .map_err(failed)?;
        committed(transaction.await.map_err(failed)?)
    }

    pub async fn workspace(&self, id: &str) -> Result<Option<WorkspaceRow>, StorageError> {
        self.get_value(WORKSPACES, id)
            .await?
            .map(|v| {
                WorkspaceRow::from_js(&v)
                    .map_err(|e| StorageError::Corrupt(format!("workspace {id}: {e}")))
            })
            .transpose()
    }

    /// The stored value with key `key` in `store_name`, read in a transaction of its own.
    async fn get_value(
        &self,
        store_name: &str,
        key: &str,
    ) -> Result<Option<JsValue>, StorageError> {
        let transaction = self
            .database
            .transaction(&[store_name], TransactionMode::ReadOnly)
            .map_err(failed)?;
        transaction
            .object_store(store_name)
            .map_err(failed)?
            .get(JsValue::from_str(key))
            .map_err(failed)?
            .await
            .map_err(failed)
    }

    /// Writes a workspace row (create or update) in its own transaction.
    pub async fn put_workspace(&self, row: &WorkspaceRow) -> Result<(), StorageError> {
        self.write_one(WORKSPACES, &row.to_js(), Write::Put).await
    }

    /// Appends entry number `seq` of a workspace, in its own transaction, and returns once
    /// IndexedDB has committed it.
    pub async fn append_entry(
        &self,
        workspace: &str,
        seq: u32,
        entry: &Entry,
    ) -> Result<(), StorageError> {
        let value = entry_value(workspace, seq, entry)?;
        // `add`, not `put`: writing the same seq twice is a bug (two tabs), not an update.
        self.write_one(ENTRIES, &value, Write::Add).await
    }

    /// Replaces a workspace's entries from `from_seq` on with `entries` (numbered from
    /// `from_seq`), in one transaction: a session that went on from an earlier move, or a
    /// step entry that grew. Packed entries covering a replaced entry go too. Ok only once
    /// it committed; otherwise nothing changed.
    pub async fn replace_entries_from(
        &self,
        workspace: &str,
        from_seq: u32,
        entries: &[Entry],
    ) -> Result<(), StorageError> {
        let transaction = self
            .database
            .transaction(&[ENTRIES, PACKED_ENTRIES], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let packed_store = transaction.object_store(PACKED_ENTRIES).map_err(failed)?;
        let key = JsValue::from_str(workspace);
        let packed: Option<JsValue> = packed_store
            .get(key.clone())
            .map_err(failed)?
            .await
            .map_err(failed)?;
        let covered = packed.and_then(|row| field(&row, "entries")?.as_f64());
        if covered.is_some_and(|n| n > f64::from(from_seq)) {
            packed_store
                .delete(key)
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        let store = transaction.object_store(ENTRIES).map_err(failed)?;
        store
            .delete(entry_range(workspace, from_seq)?)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        // The requests run in order inside the transaction; waiting for each one in turn
        // would cost a round trip per entry. The transaction's outcome covers them all.
        for (seq, entry) in (from_seq..).zip(entries) {
            let value = entry_value(workspace, seq, entry)?;
            drop(store.put(&value, None).map_err(failed)?);
        }
        committed(transaction.await.map_err(failed)?)
    }

    /// One value into one store, in a transaction of its own; Ok only once it committed.
    async fn write_one(
        &self,
        store_name: &str,
        value: &JsValue,
        write: Write,
    ) -> Result<(), StorageError> {
        let transaction = self
            .database
            .transaction(&[store_name], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = transaction.object_store(store_name).map_err(failed)?;
        match write {
            Write::Put => store
                .put(value, None)
                .map_err(failed)?
                .await
                .map_err(failed)?,
            Write::Add => store
                .add(value, None)
                .map_err(failed)?
                .await
                .map_err(failed)?,
        };
        committed(transaction.await.map_err(failed)?)
    }

    /// Every stored entry of a workspace, in order.
    pub async fn entries(&self, workspace: &str) -> Result<Vec<Entry>, StorageError> {
        self.entries_from(workspace, 0).await
    }

    /// The stored entries of a workspace from `from_seq` on, in order.
    pub async fn entries_from(
        &self,
        workspace: &str,
        from_seq: u32,
    ) -> Result<Vec<Entry>, StorageError> {
        let range = entry_range(workspace, from_seq)?;
        let transaction = self
            .database
            .transaction(&[ENTRIES], TransactionMode::ReadOnly)
            .map_err(failed)?;
        let store = transaction.object_store(ENTRIES).map_err(failed)?;
        let values = store
            .get_all(Some(range.into()), None)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let index = index + from_seq as usize;
                let seq = field(&value, "seq").and_then(|s| s.as_f64());
                if seq != Some(index as f64) {
                    let next = seq.map_or("unnumbered".into(), |s| decimal(s, 3));
                    return Err(StorageError::Corrupt(format!(
                        "entry {index} is missing (the next stored one is {next})"
                    )));
                }
                let text = field(&value, "entry")
                    .and_then(|e| e.as_string())
                    .ok_or_else(|| StorageError::Corrupt(format!("entry {index} has no text")))?;
                Entry::from_json_text(&text)
                    .map_err(|e| StorageError::Corrupt(format!("entry {index}: {e}")))
            })
            .collect()
    }

    /// Stores a workspace's packed entries (replacing the ones before), in their own
    /// transaction.
    pub async fn put_packed_entries(&self, row: &PackedEntriesRow) -> Result<(), StorageError> {
        self.write_one(PACKED_ENTRIES, &row.to_js(), Write::Put)
            .await
    }

    /// Loads a workspace through its packed entries and the entry rows after them, with the
    /// number of entries that were packed. `None` when it has no packed entries.
    pub async fn load_packed(&self, id: &str) -> Result<Option<(Scenario, usize)>, StorageError> {
        let Some(value) = self.get_value(PACKED_ENTRIES, id).await? else {
            return Ok(None);
        };
        let corrupt = |e: String| StorageError::Corrupt(format!("packed entries of {id}: {e}"));
        let row = PackedEntriesRow::from_js(&value).map_err(corrupt)?;
        let Some(mut scenario) = self.scenario_header(id).await? else {
            return Ok(None);
        };
        let mut entries = Entry::list_from_json_text(&row.entries_json).map_err(corrupt)?;
        if entries.len() as f64 != row.entries {
            return Err(corrupt(format!(
                "{} entries, not {}",
                entries.len(),
                decimal(row.entries, 3)
            )));
        }
        let packed = entries.len();
        entries.extend(self.entries_from(id, packed as u32).await?);
        scenario.entries = entries;
        Ok(Some((scenario, packed)))
    }

    /// Loads a workspace as a scenario, checking the schema version.
    pub async fn load_scenario(&self, id: &str) -> Result<Option<Scenario>, StorageError> {
        let Some(mut scenario) = self.scenario_header(id).await? else {
            return Ok(None);
        };
        scenario.entries = self.entries(id).await?;
        Ok(Some(scenario))
    }

    /// A workspace's scenario without its entries (seed, config, name), its format checked.
    async fn scenario_header(&self, id: &str) -> Result<Option<Scenario>, StorageError> {
        let Some(row) = self.workspace(id).await? else {
            return Ok(None);
        };
        if row.schema_version != SCENARIO_VERSION {
            return Err(StorageError::Corrupt(format!(
                "workspace {id} was saved with format version {}, this page reads version {SCENARIO_VERSION}",
                row.schema_version
            )));
        }
        // Through a `Value`, as scenario files are read: one copy of the config reader.
        let config = serde_json::from_str::<serde_json::Value>(&row.config)
            .map_err(|e| e.to_string())
            .and_then(|value| ClusterConfig::from_json(&value))
            .map_err(|e| StorageError::Corrupt(format!("config of {id}: {e}")))?;
        let mut scenario = Scenario::new(row.seed as u64, config);
        scenario.name = Some(row.name);
        Ok(Some(scenario))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn close(&self) {
        self.database.close();
    }
}

/// Milliseconds since the epoch, for created/updated stamps (the UI side may read clocks).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
