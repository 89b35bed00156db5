//! IndexedDB persistence of sessions (wasm only).
//!
//! Two object stores:
//! * `workspaces` (key path `id`): one row per workspace — name, seed, cluster config,
//!   schema version, created/updated times;
//! * `entries` (key path `[workspace, seq]`): the session's log, one row per applied
//!   command or clock entry, each written in its own transaction as it happens, so a closed
//!   tab loses nothing that was shown.
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
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use crate::broker::ClusterConfig;
use crate::scenario::{Entry, Scenario, SCENARIO_VERSION};

/// The IndexedDB schema version (object stores and their shapes).
pub const DB_SCHEMA_VERSION: u32 = 1;
const WORKSPACES: &str = "workspaces";
const ENTRIES: &str = "entries";

#[derive(Debug, Clone, PartialEq)]
pub enum StorageError {
    /// IndexedDB is missing or refused to open (private mode, blocked by settings).
    Unavailable(String),
    /// A read or write failed (quota exceeded, aborted transaction).
    Failed(String),
    /// Stored data could not be understood; it is left untouched.
    Corrupt(String),
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
        }
    }
}

fn failed(error: idb::Error) -> StorageError {
    StorageError::Failed(error.to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub position: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EntryRow {
    workspace: String,
    seq: u32,
    /// The entry as JSON text, in the scenario format.
    entry: String,
}

/// A workspace's entry row, as stored.
fn entry_value(workspace: &str, seq: u32, entry: &Entry) -> Result<JsValue, StorageError> {
    let row = EntryRow {
        workspace: workspace.to_string(),
        seq,
        entry: serde_json::to_string(entry).map_err(|e| StorageError::Failed(e.to_string()))?,
    };
    serde_wasm_bindgen::to_value(&row).map_err(|e| StorageError::Failed(e.to_string()))
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
    /// Opens (and if needed creates or upgrades) the database `name`.
    pub async fn open(name: &str) -> Result<Storage, StorageError> {
        let factory = Factory::new().map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let mut request = factory
            .open(name, Some(DB_SCHEMA_VERSION))
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        request.on_upgrade_needed(|event| {
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
        });
        let database = request
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Storage {
            database,
            name: name.to_string(),
        })
    }

    pub async fn workspace(&self, id: &str) -> Result<Option<WorkspaceRow>, StorageError> {
        let transaction = self
            .database
            .transaction(&[WORKSPACES], TransactionMode::ReadOnly)
            .map_err(failed)?;
        let store = transaction.object_store(WORKSPACES).map_err(failed)?;
        let value: Option<JsValue> = store
            .get(JsValue::from_str(id))
            .map_err(failed)?
            .await
            .map_err(failed)?;
        value
            .map(|v| {
                serde_wasm_bindgen::from_value(v)
                    .map_err(|e| StorageError::Corrupt(format!("workspace {id}: {e}")))
            })
            .transpose()
    }

    /// Writes a workspace row (create or update) in its own transaction.
    pub async fn put_workspace(&self, row: &WorkspaceRow) -> Result<(), StorageError> {
        let value =
            serde_wasm_bindgen::to_value(row).map_err(|e| StorageError::Failed(e.to_string()))?;
        self.write_one(WORKSPACES, &value, Write::Put).await
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
    /// step entry that grew. Ok only once it committed; otherwise nothing changed.
    pub async fn replace_entries_from(
        &self,
        workspace: &str,
        from_seq: u32,
        entries: &[Entry],
    ) -> Result<(), StorageError> {
        let transaction = self
            .database
            .transaction(&[ENTRIES], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = transaction.object_store(ENTRIES).map_err(failed)?;
        store
            .delete(entry_range(workspace, from_seq)?)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        for (seq, entry) in (from_seq..).zip(entries) {
            let value = entry_value(workspace, seq, entry)?;
            store
                .put(&value, None)
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        let result = transaction.await.map_err(failed)?;
        if result.is_committed() {
            Ok(())
        } else {
            Err(StorageError::Failed("the transaction was aborted".into()))
        }
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
        let result = transaction.await.map_err(failed)?;
        if result.is_committed() {
            Ok(())
        } else {
            Err(StorageError::Failed("the transaction was aborted".into()))
        }
    }

    /// Every stored entry of a workspace, in order.
    pub async fn entries(&self, workspace: &str) -> Result<Vec<Entry>, StorageError> {
        let range = entry_range(workspace, 0)?;
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
                let row: EntryRow = serde_wasm_bindgen::from_value(value)
                    .map_err(|e| StorageError::Corrupt(format!("entry {index}: {e}")))?;
                serde_json::from_str(&row.entry)
                    .map_err(|e| StorageError::Corrupt(format!("entry {}: {e}", row.seq)))
            })
            .collect()
    }

    /// Loads a workspace as a scenario, checking the schema version.
    pub async fn load_scenario(&self, id: &str) -> Result<Option<Scenario>, StorageError> {
        let Some(row) = self.workspace(id).await? else {
            return Ok(None);
        };
        if row.schema_version != SCENARIO_VERSION {
            return Err(StorageError::Corrupt(format!(
                "workspace {id} was saved with format version {}, this page reads version {SCENARIO_VERSION}",
                row.schema_version
            )));
        }
        let config: ClusterConfig = serde_json::from_str(&row.config)
            .map_err(|e| StorageError::Corrupt(format!("config of {id}: {e}")))?;
        let entries = self.entries(id).await?;
        let mut scenario = Scenario::new(row.seed as u64, config);
        scenario.name = Some(row.name);
        scenario.entries = entries;
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
