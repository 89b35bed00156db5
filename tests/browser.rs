//! Browser tests: the real IndexedDB of headless Chromium (run with
//! `cargo test --target wasm32-unknown-unknown --test browser`).
#![cfg(target_arch = "wasm32")]

use idb::{DatabaseEvent, Factory, KeyPath, ObjectStoreParams, TransactionMode};
use kafka_playground::broker::{ClusterConfig, Command};
use kafka_playground::scenario::{ClockEntry, Entry, Scenario};
use kafka_playground::session::starter_scenario;
use kafka_playground::storage::{PackedEntriesRow, Storage, WorkspaceRow};
use kafka_playground::storage::{StorageError, DB_SCHEMA_VERSION};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", js_sys::Math::random())
}

fn row_for(id: &str, scenario: &Scenario) -> WorkspaceRow {
    WorkspaceRow {
        id: id.into(),
        name: "test".into(),
        schema_version: scenario.version,
        seed: scenario.seed as f64,
        config: serde_json::to_string(&scenario.config).unwrap(),
        created: 1.0,
        updated: 2.0,
        position: None,
        entry_count: scenario.entries.len() as f64,
        bytes: 0.0,
    }
}

/// Makes database `name` at storage version `version` with its stores (two before version 3,
/// then `checkpoints` as the third) and writes `rows` into `store` as plain JavaScript
/// objects, as an older (or newer) page would.
async fn database_as_written_by(version: u32, name: &str, rows: &[(&str, serde_json::Value)]) {
    let factory = Factory::new().unwrap();
    let mut request = factory.open(name, Some(version)).unwrap();
    request.on_upgrade_needed(move |event| {
        let database = event.database().unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("id")));
        database.create_object_store("workspaces", params).unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_array(["workspace", "seq"])));
        database.create_object_store("entries", params).unwrap();
        if version >= 3 {
            let mut params = ObjectStoreParams::new();
            params.key_path(Some(KeyPath::new_single("workspace")));
            database.create_object_store("checkpoints", params).unwrap();
        }
    });
    let database = request.await.unwrap();
    let stores: &[&str] = if version >= 3 {
        &["workspaces", "entries", "checkpoints"]
    } else {
        &["workspaces", "entries"]
    };
    let transaction = database
        .transaction(stores, TransactionMode::ReadWrite)
        .unwrap();
    for (store, value) in rows {
        let value = js_sys::JSON::parse(&value.to_string()).unwrap();
        transaction
            .object_store(store)
            .unwrap()
            .put(&value, None)
            .unwrap()
            .await
            .unwrap();
    }
    assert!(transaction.await.unwrap().is_committed());
    database.close();
}

/// Database `name` opened at whatever version it has, without upgrading it.
async fn open_as_it_is(name: &str) -> idb::Database {
    Factory::new()
        .unwrap()
        .open(name, None)
        .unwrap()
        .await
        .unwrap()
}

fn v1_workspace_row(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "name": "from version 1", "schema_version": 1, "seed": 4.0,
        "config": serde_json::to_string(&ClusterConfig::default()).unwrap(),
        "created": 1.0, "updated": 2.0
    })
}

fn entry_row(workspace: &str, seq: u32, entry: &str) -> serde_json::Value {
    serde_json::json!({ "workspace": workspace, "seq": seq, "entry": entry })
}

#[wasm_bindgen_test]
async fn session_round_trips_through_indexeddb() {
    let storage = Storage::open(&unique_name("kp-roundtrip"))
        .await
        .expect("IndexedDB opens");
    let scenario = starter_scenario(11);
    storage
        .put_workspace(&row_for("w1", &scenario))
        .await
        .unwrap();
    for (seq, entry) in scenario.entries.iter().enumerate() {
        storage.append_entry("w1", seq as u32, entry).await.unwrap();
    }
    let produce = Entry::Command(Command::Produce {
        producer: 1,
        topic: "orders".into(),
        key: Some("alice".into()),
        value: Some("pizza".into()),
        headers: vec![],
        partition: None,
        count: 1,
    });
    storage
        .append_entry("w1", scenario.entries.len() as u32, &produce)
        .await
        .unwrap();

    // A second connection, as after a reload, sees exactly what was written.
    storage.close();
    let reopened = Storage::open(storage.name())
        .await
        .expect("the database opens again");
    let loaded = reopened
        .load_scenario("w1")
        .await
        .unwrap()
        .expect("workspace exists");
    let mut expected = scenario.clone();
    expected.name = Some("test".into());
    expected.entries.push(produce);
    assert_eq!(loaded, expected);
    // And it replays to the same cluster.
    assert_eq!(
        loaded.run(|_| {}).unwrap().view(),
        expected.run(|_| {}).unwrap().view()
    );
}

#[wasm_bindgen_test]
async fn entries_of_other_workspaces_stay_apart_and_seq_cannot_be_written_twice() {
    let storage = Storage::open(&unique_name("kp-apart")).await.unwrap();
    let scenario = Scenario::new(3, ClusterConfig::default());
    storage
        .put_workspace(&row_for("a", &scenario))
        .await
        .unwrap();
    storage
        .put_workspace(&row_for("b", &scenario))
        .await
        .unwrap();
    let step = Entry::Clock(ClockEntry::Step { count: 1 });
    storage.append_entry("a", 0, &step).await.unwrap();
    storage
        .append_entry("b", 0, &Entry::Clock(ClockEntry::RunUntilIdle))
        .await
        .unwrap();
    assert_eq!(storage.entries("a").await.unwrap(), vec![step.clone()]);
    assert_eq!(
        storage.entries("b").await.unwrap(),
        vec![Entry::Clock(ClockEntry::RunUntilIdle)]
    );
    // The same (workspace, seq) twice is refused, and the first write is kept.
    assert!(storage
        .append_entry("a", 0, &Entry::Clock(ClockEntry::RunUntilIdle))
        .await
        .is_err());
    assert_eq!(storage.entries("a").await.unwrap(), vec![step]);
}

#[wasm_bindgen_test]
async fn a_missing_workspace_is_none_and_a_newer_version_is_refused() {
    let storage = Storage::open(&unique_name("kp-version")).await.unwrap();
    assert_eq!(storage.load_scenario("nope").await.unwrap(), None);
    let scenario = Scenario::new(3, ClusterConfig::default());
    let mut row = row_for("future", &scenario);
    row.schema_version = 99;
    storage.put_workspace(&row).await.unwrap();
    let error = storage.load_scenario("future").await.unwrap_err();
    assert!(error.to_string().contains("version 99"), "{error}");
    // Refusing did not delete it.
    assert_eq!(
        storage
            .workspace("future")
            .await
            .unwrap()
            .unwrap()
            .schema_version,
        99
    );
}

#[wasm_bindgen_test]
async fn a_changed_tail_replaces_the_stored_one_in_one_go() {
    let storage = Storage::open(&unique_name("kp-tail")).await.unwrap();
    let scenario = starter_scenario(5);
    storage
        .put_workspace(&row_for("w", &scenario))
        .await
        .unwrap();
    storage
        .replace_entries_from("w", 0, &scenario.entries)
        .await
        .unwrap();
    let step = |count| Entry::Clock(ClockEntry::Step { count });
    storage
        .append_entry("w", scenario.entries.len() as u32, &step(1))
        .await
        .unwrap();
    storage
        .append_entry("w", scenario.entries.len() as u32 + 1, &step(7))
        .await
        .unwrap();
    // The session went on from an earlier move: the last two entries become one.
    storage
        .replace_entries_from("w", scenario.entries.len() as u32, &[step(2)])
        .await
        .unwrap();
    let loaded = storage.load_scenario("w").await.unwrap().unwrap();
    let mut expected = scenario.entries.clone();
    expected.push(step(2));
    assert_eq!(loaded.entries, expected);
    // Replacing from 0 with a new session leaves nothing of the old one.
    storage
        .replace_entries_from("w", 0, &[step(3)])
        .await
        .unwrap();
    assert_eq!(
        storage.load_scenario("w").await.unwrap().unwrap().entries,
        vec![step(3)]
    );
}

#[wasm_bindgen_test]
async fn a_version_1_database_is_migrated_and_keeps_every_session() {
    let name = unique_name("kp-migrate");
    let create = r#"{"type":"create_topic","name":"t","partitions":1,"replication_factor":1}"#;
    let run = r#"{"type":"run_until_idle"}"#;
    database_as_written_by(
        1,
        &name,
        &[
            ("workspaces", v1_workspace_row("old")),
            ("entries", entry_row("old", 0, create)),
            ("entries", entry_row("old", 1, run)),
        ],
    )
    .await;
    let storage = Storage::open(&name).await.expect("version 1 is upgraded");
    let rows = storage.workspaces().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "from version 1");
    assert_eq!(rows[0].entry_count, 2.0);
    assert_eq!(rows[0].bytes, (create.len() + run.len()) as f64);
    let scenario = storage.load_scenario("old").await.unwrap().unwrap();
    assert_eq!(scenario.entries.len(), 2);
    assert_eq!(scenario.seed, 4);
    scenario.run(|_| {}).expect("the migrated session replays");
    storage.close();
    // Opened again, it is already at the current version and unchanged.
    let again = Storage::open(&name).await.unwrap();
    assert_eq!(again.workspaces().await.unwrap(), rows);
}

#[wasm_bindgen_test]
async fn a_version_3_database_drops_its_checkpoints_and_every_session_still_opens() {
    let name = unique_name("kp-v3-checkpoint");
    let create = r#"{"type":"create_topic","name":"t","partitions":1,"replication_factor":3}"#;
    let run = r#"{"type":"run_until_idle"}"#;
    database_as_written_by(
        3,
        &name,
        &[
            ("workspaces", v1_workspace_row("w")),
            ("entries", entry_row("w", 0, create)),
            ("entries", entry_row("w", 1, run)),
            (
                "checkpoints",
                serde_json::json!({
                    "workspace": "w", "entries": 2.0,
                    "checkpoint": r#"{"entries":2,"moves":3,"cluster":{}}"#,
                    "entries_json": format!("[{create},{run}]"),
                }),
            ),
        ],
    )
    .await;
    let storage = Storage::open(&name).await.unwrap();
    assert!(storage.load_packed("w").await.unwrap().is_none());
    let scenario = storage.load_scenario("w").await.unwrap().unwrap();
    assert_eq!(scenario.entries.len(), 2);
    scenario.run(|_| {}).expect("the entries replay");
    storage.close();
    // The old store is gone, the new one is there.
    let database = open_as_it_is(&name).await;
    assert_eq!(database.store_names().len(), 3);
    assert!(database.store_names().iter().any(|n| n == "packed_entries"));
    assert!(!database.store_names().iter().any(|n| n == "checkpoints"));
    database.close();
}

#[wasm_bindgen_test]
async fn a_database_from_a_newer_page_is_refused_and_left_untouched() {
    let name = unique_name("kp-newer");
    let newer = DB_SCHEMA_VERSION + 1;
    database_as_written_by(newer, &name, &[("workspaces", v1_workspace_row("future"))]).await;
    let error = Storage::open(&name).await.err().expect("refused");
    assert_eq!(
        error,
        StorageError::NewerVersion {
            found: newer,
            supported: DB_SCHEMA_VERSION
        }
    );
    assert!(error.to_string().contains("left untouched"), "{error}");
    // Still the newer version, with its row.
    let database = open_as_it_is(&name).await;
    assert_eq!(database.version().unwrap(), newer);
    let transaction = database
        .transaction(&["workspaces"], TransactionMode::ReadOnly)
        .unwrap();
    let count = transaction
        .object_store("workspaces")
        .unwrap()
        .count(None)
        .unwrap()
        .await
        .unwrap();
    assert_eq!(count, 1);
    database.close();
}

#[wasm_bindgen_test]
async fn corrupted_records_are_reported_by_place_and_left_as_they_are() {
    let name = unique_name("kp-corrupt");
    database_as_written_by(
        DB_SCHEMA_VERSION,
        &name,
        &[
            ("workspaces", v1_workspace_row("w")),
            (
                "workspaces",
                serde_json::json!({ "id": "garbage", "name": 5 }),
            ),
            ("entries", entry_row("w", 0, r#"{"type":"run_until_idle"}"#)),
            ("entries", entry_row("w", 1, "{broken")),
            ("workspaces", v1_workspace_row("gap")),
            (
                "entries",
                entry_row("gap", 0, r#"{"type":"run_until_idle"}"#),
            ),
            (
                "entries",
                entry_row("gap", 2, r#"{"type":"run_until_idle"}"#),
            ),
        ],
    )
    .await;
    let storage = Storage::open(&name).await.unwrap();
    let error = storage.load_scenario("w").await.unwrap_err();
    assert!(matches!(error, StorageError::Corrupt(_)), "{error}");
    assert!(error.to_string().contains("entry 1"), "{error}");
    assert!(storage.workspace("garbage").await.is_err());
    let gap = storage.load_scenario("gap").await.unwrap_err().to_string();
    assert!(gap.contains("entry 1 is missing"), "{gap}");
    // The list shows what can be read; nothing was deleted.
    let rows = storage.workspaces().await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["gap", "w"]
    );
    assert!(
        storage.workspace("garbage").await.is_err(),
        "still there, still unreadable"
    );
}

#[wasm_bindgen_test]
async fn workspaces_are_created_whole_listed_by_last_use_and_deleted_with_their_entries() {
    let storage = Storage::open(&unique_name("kp-workspaces")).await.unwrap();
    let first = starter_scenario(1);
    let mut second = starter_scenario(2);
    second
        .entries
        .push(Entry::Clock(ClockEntry::Step { count: 1 }));
    let mut row_a = row_for("a", &first);
    row_a.updated = 10.0;
    let mut row_b = row_for("b", &second);
    row_b.updated = 20.0;
    storage
        .create_workspace(&row_a, &first.entries)
        .await
        .unwrap();
    storage
        .create_workspace(&row_b, &second.entries)
        .await
        .unwrap();
    let ids = |rows: Vec<WorkspaceRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(storage.workspaces().await.unwrap()), ["b", "a"]);
    assert_eq!(storage.entries("b").await.unwrap(), second.entries);
    // Creating again under the same id replaces the old entries completely.
    storage
        .create_workspace(&row_b, &first.entries)
        .await
        .unwrap();
    assert_eq!(storage.entries("b").await.unwrap(), first.entries);
    storage.delete_workspace("b").await.unwrap();
    assert_eq!(ids(storage.workspaces().await.unwrap()), ["a"]);
    assert!(storage.entries("b").await.unwrap().is_empty());
    assert_eq!(
        storage.entries("a").await.unwrap(),
        first.entries,
        "the other one is untouched"
    );
}

#[wasm_bindgen_test]
async fn packed_entries_open_the_same_session_and_go_when_an_entry_they_cover_changes() {
    let storage = Storage::open(&unique_name("kp-packed")).await.unwrap();
    let mut scenario = starter_scenario(3);
    for key in ["a", "b", "c"] {
        scenario.entries.push(Entry::Command(Command::Produce {
            producer: 1,
            topic: "orders".into(),
            key: Some(key.into()),
            value: Some("v".into()),
            headers: vec![],
            partition: None,
            count: 1,
        }));
        scenario
            .entries
            .push(Entry::Clock(ClockEntry::RunUntilIdle));
    }
    storage
        .create_workspace(&row_for("w", &scenario), &scenario.entries)
        .await
        .unwrap();
    assert!(storage.load_packed("w").await.unwrap().is_none());
    // The first 5 entries packed; the sixth is read from its row.
    let first_five = &scenario.entries[..5];
    let packed = |entries_json: String| PackedEntriesRow {
        workspace: "w".into(),
        entries: 5.0,
        entries_json,
    };
    storage
        .put_packed_entries(&packed(serde_json::to_string(first_five).unwrap()))
        .await
        .unwrap();
    let (loaded, covered) = storage.load_packed("w").await.unwrap().unwrap();
    assert_eq!(covered, 5);
    assert_eq!(loaded, storage.load_scenario("w").await.unwrap().unwrap());
    assert_eq!(loaded.entries, scenario.entries);
    // Packed entries that disagree with their count are refused, never misread.
    storage
        .put_packed_entries(&packed(serde_json::to_string(&first_five[..4]).unwrap()))
        .await
        .unwrap();
    let error = storage.load_packed("w").await.unwrap_err();
    assert!(error.to_string().contains("4 entries, not 5"), "{error}");
    storage
        .put_packed_entries(&packed(serde_json::to_string(first_five).unwrap()))
        .await
        .unwrap();
    // Replacing entries after them keeps them; replacing one they cover removes them.
    storage
        .replace_entries_from("w", 5, &scenario.entries[5..])
        .await
        .unwrap();
    assert!(storage.load_packed("w").await.unwrap().is_some());
    storage
        .replace_entries_from("w", 4, &scenario.entries[4..5])
        .await
        .unwrap();
    assert!(storage.load_packed("w").await.unwrap().is_none());
    assert_eq!(
        storage.entries("w").await.unwrap(),
        scenario.entries[..5].to_vec()
    );
}

#[wasm_bindgen_test]
async fn the_browser_deflates_share_links_as_kplay_does_and_stops_at_the_limit() {
    use kafka_playground::scenario::{
        deflated_from_fragment, fragment_from_deflated, open_share_fragment, share_fragment,
    };
    use kafka_playground::ui::browser_deflate::{deflate, inflate};
    let scenario = starter_scenario(4);
    let json = scenario.to_json();
    // The page's link opens where kplay's code opens links (miniz_oxide)...
    let deflated = deflate(json.as_bytes()).await.unwrap();
    let fragment = fragment_from_deflated(&deflated).unwrap();
    let opened = open_share_fragment(&fragment).unwrap();
    assert_eq!(opened.scenario().entries, scenario.entries);
    // ...and kplay's link inflates in the browser to the same session.
    let kplay_link = share_fragment(&scenario).unwrap();
    let kplay_deflated = deflated_from_fragment(&kplay_link).unwrap();
    let inflated = inflate(&kplay_deflated, 1 << 20).await.unwrap().unwrap();
    assert_eq!(String::from_utf8(inflated).unwrap(), json);
    // A link that inflates beyond the limit is refused without inflating it all.
    let zeros = deflate(&vec![0u8; 1 << 20]).await.unwrap();
    assert!(zeros.len() < 4096, "{}", zeros.len());
    assert_eq!(inflate(&zeros, 1000).await.unwrap(), None);
    // Bytes that are not deflated data are an error, not a panic.
    assert!(inflate(b"hello, not deflated", 1000).await.is_err());
}
