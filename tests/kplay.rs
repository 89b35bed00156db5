//! `kplay` from the outside: its output, its errors and its exit codes.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn kplay(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kplay"))
        .args(args)
        .output()
        .expect("kplay runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn scenario(name: &str) -> String {
    format!("{}/tests/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn partition_prints_one_line_per_key_in_order() {
    let (code, out, _) = kplay(&["partition", "--partitions", "3", "foobar", "alice", ""]);
    assert_eq!(code, 0);
    // foobar: toPositive(-790332482) % 3 = 0 (Kafka's UtilsTest vector).
    assert_eq!(out, "foobar\t0\nalice\t0\n\t0\n");
}

#[test]
fn partition_json_carries_kafkas_signed_murmur2() {
    let (code, out, _) = kplay(&["partition", "--partitions", "4", "--json", "foobar", "21"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rows[0],
        serde_json::json!({"key": "foobar", "murmur2": -790332482, "partition": 2})
    );
    assert_eq!(rows[1]["murmur2"], -973932308);
}

#[test]
fn run_prints_the_final_view_and_with_trace_every_event_first() {
    let (code, out, _) = kplay(&["run", &scenario("produce_acks_all")]);
    assert_eq!(code, 0);
    let view: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(view["topics"][0]["name"], "orders");
    let (code, out, _) = kplay(&["run", &scenario("produce_acks_all"), "--trace"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("t=0 controller 1 creates topic orders"));
    assert!(out.contains("producer 1's record is acknowledged: orders-0 offset 0"));
}

#[test]
fn share_prints_a_link_that_runs_to_the_same_cluster() {
    let (code, out, _) = kplay(&[
        "share",
        &scenario("produce_acks_all"),
        "--url",
        "http://localhost:9000/",
    ]);
    assert_eq!(code, 0);
    let link = out.trim();
    assert!(
        link.starts_with("http://localhost:9000/#scenario="),
        "{link}"
    );
    let (code, from_link, _) = kplay(&["run", link]);
    assert_eq!(code, 0);
    let (_, from_file, _) = kplay(&["run", &scenario("produce_acks_all")]);
    assert_eq!(from_link, from_file);
    let (code, _, err) = kplay(&["run", "http://localhost:9000/#scenario=AAAA"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("kplay: the share link is damaged"), "{err}");
}

#[test]
fn run_at_shows_an_earlier_move() {
    let (code, out, _) = kplay(&["run", &scenario("produce_acks_all"), "--at", "1"]);
    assert_eq!(code, 0);
    let view: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        view["in_flight"].as_array().unwrap().len(),
        9,
        "nine LeaderAndIsr requests on their way"
    );
}

#[test]
fn bad_input_is_one_clear_line_and_a_non_zero_exit() {
    let dir = std::env::temp_dir().join(format!("kplay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["partition".into(), "a".into()],
            "--partitions N is required",
        ),
        (
            vec![
                "partition".into(),
                "--partitions".into(),
                "x".into(),
                "a".into(),
            ],
            "is not a number",
        ),
        (
            vec!["run".into(), "/nonexistent/file.json".into()],
            "cannot read",
        ),
        (
            vec!["run".into(), write("broken.json", "{not json")],
            "not a valid scenario",
        ),
        (
            vec![
                "run".into(),
                write("future.json", r#"{"version": 9, "seed": 1}"#),
            ],
            "version 9 is not supported",
        ),
        (
            vec![
                "run".into(),
                write(
                    "bad-topic.json",
                    r#"{"version": 1, "seed": 1, "entries": [
                {"type": "create_topic", "name": "no spaces", "partitions": 1, "replication_factor": 1}]}"#,
                ),
            ],
            "entries[0]: InvalidTopicException",
        ),
        (
            vec![
                "run".into(),
                write(
                    "bad-rf.json",
                    r#"{"version": 1, "seed": 1, "entries": [
                {"type": "create_topic", "name": "t", "partitions": 1, "replication_factor": 5}]}"#,
                ),
            ],
            "entries[0]: InvalidReplicationFactor",
        ),
        (
            vec![
                "run".into(),
                write(
                    "brokers.json",
                    r#"{"version": 1, "seed": 1, "config": {"brokers": 12}}"#,
                ),
            ],
            "1 to 9 brokers",
        ),
        (vec!["frobnicate".into()], "unknown subcommand"),
        (vec![], "usage"),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = kplay(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if !args.is_empty() {
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{args:?}: one line: {err}"
            );
        }
    }
}

#[test]
fn assign_runs_one_assignment_as_json() {
    let dir = std::env::temp_dir().join(format!("kplay-assign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("range.json");
    // The example input of the assign command's documentation.
    std::fs::write(
        &path,
        r#"{"strategy": "range",
            "topics": {"t1": 3, "t2": 2},
            "members": {"c1": {"topics": ["t1", "t2"], "group_instance_id": "i1",
                               "owned": [["t1", 0]], "generation": 1},
                        "c2": {"topics": ["t1"]}}}"#,
    )
    .unwrap();
    let (code, out, err) = kplay(&["assign", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let result: serde_json::Value = serde_json::from_str(&out).unwrap();
    // c1 is static, so it sorts first: t1-0, t1-1 and all of t2; c2 gets t1-2.
    assert_eq!(
        result,
        serde_json::json!({"assignment": {
            "c1": [["t1", 0], ["t1", 1], ["t2", 0], ["t2", 1]],
            "c2": [["t1", 2]]
        }})
    );

    std::fs::write(
        &path,
        r#"{"strategy": "sticky", "topics": {"t": 0}, "members": {"c": {"topics": ["t"]}}}"#,
    )
    .unwrap();
    let (code, _, err) = kplay(&["assign", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("needs 1 to 64 partitions"), "{err}");
    std::fs::write(
        &path,
        r#"{"strategy": "fair", "topics": {}, "members": {}}"#,
    )
    .unwrap();
    let (code, _, err) = kplay(&["assign", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown variant `fair`"), "{err}");
}
