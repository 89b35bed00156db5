//! `kplay`: the Kafka Playground core from a terminal.
//!
//! ```text
//! kplay partition --partitions N [--json] KEY...
//! kplay run FILE.json [--trace]
//! kplay describe
//! ```

use std::process::ExitCode;

use kafka_playground::broker::partitioner::{murmur2, partition_for_key};
use kafka_playground::broker::{Cluster, ClusterConfig};
use kafka_playground::scenario::Scenario;

const USAGE: &str = "usage:
  kplay partition --partitions N [--json] KEY...   which partition Kafka's default partitioner picks
  kplay run FILE.json [--trace]                      run a scenario, print the final cluster view as JSON
  kplay describe                                     print a fresh default cluster";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("kplay: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        Some("partition") => partition(&args[1..]),
        Some("run") => run_scenario(&args[1..]),
        Some("describe") => Ok(describe()),
        Some("help" | "--help" | "-h") => Ok(format!("{USAGE}\n")),
        Some(other) => Err(format!("unknown subcommand '{other}'\n{USAGE}")),
        None => Err(USAGE.to_string()),
    }
}

fn partition(args: &[String]) -> Result<String, String> {
    let mut partitions: Option<u32> = None;
    let mut json = false;
    let mut keys: Vec<&str> = Vec::new();
    let mut iter = args.iter();
    let mut only_keys = false;
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--" if !only_keys => only_keys = true,
            "--json" if !only_keys => json = true,
            "--partitions" if !only_keys => {
                let value = iter.next().ok_or("--partitions needs a number")?;
                let n: u32 = value
                    .parse()
                    .map_err(|_| format!("--partitions: '{value}' is not a number"))?;
                if n == 0 {
                    return Err("--partitions must be at least 1".into());
                }
                partitions = Some(n);
            }
            flag if flag.starts_with("--") && !only_keys => {
                return Err(format!("unknown option '{flag}'"))
            }
            key => keys.push(key),
        }
    }
    let partitions = partitions.ok_or("--partitions N is required")?;
    if keys.is_empty() {
        return Err("give at least one KEY".into());
    }
    if json {
        let rows: Vec<serde_json::Value> = keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "key": key,
                    "murmur2": murmur2(key.as_bytes()),
                    "partition": partition_for_key(key.as_bytes(), partitions),
                })
            })
            .collect();
        return Ok(format!("{}\n", serde_json::Value::Array(rows)));
    }
    Ok(keys
        .iter()
        .map(|key| format!("{key}\t{}\n", partition_for_key(key.as_bytes(), partitions)))
        .collect())
}

fn run_scenario(args: &[String]) -> Result<String, String> {
    let mut trace = false;
    let mut file = None;
    for arg in args {
        match arg.as_str() {
            "--trace" => trace = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            path => file = Some(path),
        }
    }
    let path = file.ok_or("run needs a scenario FILE.json")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let scenario = Scenario::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
    let mut output = String::new();
    let cluster = scenario
        .run(|event| {
            if trace {
                output.push_str(&event.trace_line());
                output.push('\n');
            }
        })
        .map_err(|e| format!("{path}: {e}"))?;
    output.push_str(&serde_json::to_string_pretty(&cluster.view()).expect("views serialize"));
    output.push('\n');
    Ok(output)
}

fn describe() -> String {
    let cluster = Cluster::new(ClusterConfig::default(), 0);
    serde_json::to_string_pretty(&cluster.view()).expect("views serialize") + "\n"
}
