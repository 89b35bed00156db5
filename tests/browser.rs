//! Browser tests: the real IndexedDB of headless Chromium (run with
//! `cargo test --target wasm32-unknown-unknown --test browser`).
#![cfg(target_arch = "wasm32")]

use kafka_playground::broker::{ClusterConfig, Command};
use kafka_playground::scenario::{ClockEntry, Entry, Scenario};
use kafka_playground::session::starter_scenario;
use kafka_playground::storage::{Storage, WorkspaceRow};
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
    }
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
