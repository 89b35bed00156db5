//! `kplay`: the Kafka Playground core from a terminal.
//!
//! ```text
//! kplay partition --partitions N [--json] KEY...
//! kplay run FILE.json [--trace]
//! kplay assign FILE.json [--json]
//! kplay share FILE.json [--url BASE]
//! kplay describe
//! ```

use std::process::ExitCode;

use std::collections::BTreeMap;

use kafka_playground::broker::assignor::{Assignment, Member, Strategy};
use kafka_playground::broker::cluster::{MAX_PARTITIONS_PER_TOPIC, MAX_TOPICS};
use kafka_playground::broker::partitioner::{murmur2, partition_for_key};
use kafka_playground::broker::TopicPartition;
use kafka_playground::broker::{Cluster, ClusterConfig};
use kafka_playground::scenario::{
    import, open_share_fragment, share_fragment, Scenario, Timeline, MAX_SHARE_CHARS,
};

const USAGE: &str = "usage:
  kplay partition --partitions N [--json] KEY...   which partition Kafka's default partitioner picks
  kplay run FILE.json|LINK [--trace] [--at MOVE]     run a scenario (a file or a share link), print the final
                                                     cluster view as JSON
                                                     (--at: the view after MOVE moves, a command or a hop each)
  kplay assign FILE.json [--json]                    run one consumer group assignment (range, roundrobin,
                                                     sticky, cooperative-sticky)
  kplay share FILE.json [--url BASE]                 print a share link that opens the scenario in the page
                                                     (BASE defaults to http://127.0.0.1:8080/)
  kplay describe                                     print a fresh default cluster
  kplay bench [--records N] [--burst N] [--json]     produce -> replicate throughput and memory
  kplay bench --consume [--records N] [--json]       a group of 3 consuming, committing after each poll";

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
        Some("bench") => bench(&args[1..]),
        Some("assign") => assign(&args[1..]),
        Some("share") => share(&args[1..]),
        Some("help" | "--help" | "-h") => Ok(format!("{USAGE}\n")),
        Some(other) => Err(format!(
            "unknown subcommand '{other}' (kplay help lists them)"
        )),
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

/// A share link for a scenario file, checked exactly as the page's import checks it.
fn share(args: &[String]) -> Result<String, String> {
    let mut base = "http://127.0.0.1:8080/".to_string();
    let mut file = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--url" => base = iter.next().ok_or("--url needs the page's address")?.clone(),
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            path => file = Some(path),
        }
    }
    let path = file.ok_or("share needs a scenario FILE.json")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let timeline = import(&text).map_err(|e| format!("{path}: {e}"))?;
    let fragment = share_fragment(&timeline.scenario_at_position()).ok_or_else(|| {
        format!("{path}: the session is too long for a link (over {MAX_SHARE_CHARS} characters); share the file instead")
    })?;
    Ok(format!("{}{fragment}\n", base.trim_end_matches('#')))
}

fn run_scenario(args: &[String]) -> Result<String, String> {
    let mut trace = false;
    let mut file = None;
    let mut at: Option<u64> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--trace" => trace = true,
            "--at" => {
                let value = iter.next().ok_or("--at needs a move number")?;
                at = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--at: '{value}' is not a move number"))?,
                );
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            path => file = Some(path),
        }
    }
    let path = file.ok_or("run needs a scenario FILE.json")?;
    let scenario = match path.find("#scenario=") {
        // A share link runs as the page would open it.
        Some(at) => open_share_fragment(&path[at..])
            .map_err(|e| e.to_string())?
            .scenario()
            .clone(),
        None => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            Scenario::from_json(&text).map_err(|e| format!("{path}: {e}"))?
        }
    };
    if let Some(position) = at {
        let mut timeline = Timeline::new(scenario).map_err(|e| format!("{path}: {e}"))?;
        let total = timeline.total_moves();
        if position > total {
            return Err(format!(
                "--at {position}: the scenario has only {total} moves"
            ));
        }
        timeline
            .seek(position)
            .map_err(|e| format!("{path}: {e}"))?;
        let mut output = String::new();
        if trace {
            for event in timeline.last_events() {
                output.push_str(&event.trace_line());
                output.push('\n');
            }
        }
        output.push_str(
            &serde_json::to_string_pretty(&timeline.cluster().view()).expect("views serialize"),
        );
        output.push('\n');
        return Ok(output);
    }
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

fn bench(args: &[String]) -> Result<String, String> {
    let mut records: u64 = 1_000_000;
    let mut burst: u32 = 10_000;
    let mut runs: u64 = 5;
    let mut json = false;
    let mut consume = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = iter.next().ok_or(format!("{name} needs a number"))?;
            value
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(format!("{name}: '{value}' is not a positive number"))
        };
        match arg.as_str() {
            "--records" => records = number("--records")?.min(10_000_000),
            "--burst" => burst = number("--burst")?.min(100_000) as u32,
            "--runs" => runs = number("--runs")?.min(20),
            "--json" => json = true,
            "--consume" => consume = true,
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if consume {
        return Ok(bench_consume(records, runs, json));
    }
    let (report, slowest, fastest) = median_run(
        runs,
        || kafka_playground::bench::produce_replicate(records, burst),
        |r| r.records_per_second,
    );
    if json {
        return Ok(serde_json::to_string_pretty(&report).expect("reports serialize") + "\n");
    }
    Ok(format!(
        "produce -> replicate (RF=3, acks=all, min.insync.replicas=2, {}-byte values, bursts of {})\n\
         records:            {}\n\
         elapsed:            {:.3} s\n\
         throughput:         {:.0} records/s (median of {} runs; slowest {:.0}, fastest {:.0})\n\
         hops delivered:     {}\n\
         memory per record:  {:.1} bytes beyond the payload (per stored copy)\n",
        kafka_playground::bench::VALUE_BYTES,
        report.burst,
        report.records,
        report.elapsed_seconds,
        report.records_per_second,
        runs,
        slowest,
        fastest,
        report.hops,
        report.overhead_bytes_per_record,
    ))
}

/// Runs `run` `runs` times and returns the median run with the slowest and fastest rate:
/// one run on a shared machine is noise.
fn median_run<R>(runs: u64, run: impl Fn() -> R, rate: impl Fn(&R) -> f64) -> (R, f64, f64) {
    let mut reports: Vec<R> = (0..runs.max(1)).map(|_| run()).collect();
    reports.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
    let slowest = rate(&reports[0]);
    let fastest = rate(&reports[reports.len() - 1]);
    let median = reports.swap_remove(reports.len() / 2);
    (median, slowest, fastest)
}

fn bench_consume(records: u64, runs: u64, json: bool) -> String {
    let (report, slowest, fastest) = median_run(
        runs,
        || kafka_playground::bench::consume_group(records, 3),
        |r| r.records_per_second,
    );
    if json {
        return serde_json::to_string_pretty(&report).expect("reports serialize") + "\n";
    }
    format!(
        "consume (a group of {} over {} partitions, max.poll.records=500, commitSync after each poll)\n\
         records:            {}\n\
         polls:              {}\n\
         elapsed:            {:.3} s\n\
         throughput:         {:.0} records/s (median of {} runs; slowest {:.0}, fastest {:.0})\n\
         hops delivered:     {}\n",
        report.consumers,
        report.partitions,
        report.records,
        report.polls,
        report.elapsed_seconds,
        report.records_per_second,
        runs,
        slowest,
        fastest,
        report.hops,
    )
}

/// The `kplay assign` input: `{"strategy", "topics": {name: partitions}, "members": {id: {...}}}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignInput {
    strategy: Strategy,
    topics: BTreeMap<String, u32>,
    members: BTreeMap<String, AssignMember>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignMember {
    topics: Vec<String>,
    #[serde(default)]
    group_instance_id: Option<String>,
    #[serde(default)]
    owned: Vec<(String, u32)>,
    #[serde(default)]
    generation: Option<i32>,
}

const MAX_ASSIGN_MEMBERS: usize = 100;

fn assign(args: &[String]) -> Result<String, String> {
    let mut json = false;
    let mut file = None;
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            path => file = Some(path),
        }
    }
    let path = file.ok_or("assign needs a FILE.json")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let input: AssignInput = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    if input.topics.len() > MAX_TOPICS {
        return Err(format!("{path}: at most {MAX_TOPICS} topics"));
    }
    for (topic, &partitions) in &input.topics {
        if !(1..=MAX_PARTITIONS_PER_TOPIC).contains(&partitions) {
            return Err(format!("{path}: topic '{topic}' needs 1 to {MAX_PARTITIONS_PER_TOPIC} partitions, not {partitions}"));
        }
    }
    if input.members.is_empty() || input.members.len() > MAX_ASSIGN_MEMBERS {
        return Err(format!(
            "{path}: a group has 1 to {MAX_ASSIGN_MEMBERS} members"
        ));
    }
    let members: Vec<Member> = input
        .members
        .into_iter()
        .map(|(member_id, m)| Member {
            member_id,
            group_instance_id: m.group_instance_id,
            topics: m.topics,
            owned: m
                .owned
                .into_iter()
                .map(|(t, p)| TopicPartition::new(t, p))
                .collect(),
            generation: m.generation,
        })
        .collect();
    let topics = input.topics.into_iter().collect();
    let (assignment, revoking) = input.strategy.assign(&topics, &members);
    let pairs = |tps: &[TopicPartition]| -> Vec<(String, u32)> {
        tps.iter()
            .map(|tp| (tp.topic.clone(), tp.partition))
            .collect()
    };
    if json {
        let mut output = serde_json::Map::new();
        let to_json = |map: &Assignment| {
            serde_json::to_value(
                map.iter()
                    .map(|(m, tps)| (m.clone(), pairs(tps)))
                    .collect::<BTreeMap<_, _>>(),
            )
            .expect("serializes")
        };
        output.insert("assignment".into(), to_json(&assignment));
        if input.strategy == Strategy::CooperativeSticky {
            output.insert("revoking".into(), to_json(&revoking));
        }
        return Ok(format!("{}\n", serde_json::Value::Object(output)));
    }
    let line = |tps: &[TopicPartition]| {
        tps.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut output: String = assignment
        .iter()
        .map(|(m, tps)| format!("{m}: {}\n", line(tps)))
        .collect();
    for (m, tps) in &revoking {
        output.push_str(&format!("{m} revokes: {}\n", line(tps)));
    }
    Ok(output)
}

fn describe() -> String {
    let cluster = Cluster::new(ClusterConfig::default(), 0);
    serde_json::to_string_pretty(&cluster.view()).expect("views serialize") + "\n"
}
