//! Scenarios and sessions: a seed, a cluster config and a list of entries.
//!
//! The same format is what `kplay run` reads, what the page stores in IndexedDB and what
//! export writes (see `docs/scenario-format.md`). Replaying the entries on a fresh
//! [`Cluster`] rebuilds the exact same state, because the core is deterministic.
//!
//! An entry is either a [`Command`] (`{"type": "create_topic", ...}`) or a clock entry:
//! `{"type": "step", "count": N}` delivers the next N hops, `{"type": "run_until_idle"}`
//! delivers everything in flight.

mod entry_format;
mod share_link;
mod timeline;
mod to_json;

pub use share_link::{
    deflated_from_fragment, fragment_from_deflated, import, import_inflated, is_share_fragment,
    open_share_fragment, share_fragment, ImportError, MAX_IMPORT_BYTES, MAX_SHARE_CHARS,
};
pub use timeline::{Pushed, Timeline, SNAPSHOT_INTERVAL, SNAPSHOT_QUEUE_BASE, SNAPSHOT_RECORDS};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use entry_format::entry_from_value;

use crate::broker::{BrokerError, Cluster, ClusterConfig, Command, Event};
use crate::json::{FromJson, ToJson};

/// The format version this build writes and reads.
pub const SCENARIO_VERSION: u32 = 1;
/// Bound on entries in one scenario (a bigger file is refused, not half-loaded).
pub const MAX_ENTRIES: usize = 1_000_000;
/// Bound on the hops one `step` entry may ask for.
pub const MAX_STEP_COUNT: u64 = 10_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClockEntry {
    Step { count: u64 },
    RunUntilIdle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Command(Command),
    Clock(ClockEntry),
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Command(command) => command.serialize(serializer),
            Entry::Clock(clock) => clock.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        entry_from_value(&value).map_err(serde::de::Error::custom)
    }
}

impl Entry {
    /// One entry from its JSON text (as stored, one entry per row).
    pub fn from_json_text(text: &str) -> Result<Entry, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        entry_from_value(&value)
    }

    /// A JSON array of entries, as [`ToJson`] writes a slice of them.
    pub fn list_from_json_text(text: &str) -> Result<Vec<Entry>, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let items = value.as_array().ok_or("the entries are not a JSON array")?;
        items.iter().map(entry_from_value).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub version: u32,
    #[serde(default)]
    pub name: Option<String>,
    pub seed: u64,
    #[serde(default)]
    pub config: ClusterConfig,
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// The move the page shows (absent: the session's end). Exports and share links keep
    /// it, so the picture opens where it was left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

/// A problem with a scenario file, saying where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioError {
    /// Not JSON, or not the shape of a scenario.
    Format(String),
    /// A version this build does not know.
    UnsupportedVersion {
        found: u64,
        supported: u32,
    },
    /// An entry is malformed, out of bounds, or was refused by the cluster.
    Entry {
        index: usize,
        message: String,
    },
    /// The cluster config is invalid.
    Config(BrokerError),
    TooLarge {
        entries: usize,
        max: usize,
    },
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScenarioError::Format(message) => write!(f, "not a valid scenario: {message}"),
            ScenarioError::UnsupportedVersion { found, supported } => write!(
                f,
                "scenario version {found} is not supported: this build reads version {supported}"
            ),
            ScenarioError::Entry { index, message } => write!(f, "entries[{index}]: {message}"),
            ScenarioError::Config(error) => write!(f, "config: {error}"),
            ScenarioError::TooLarge { entries, max } => {
                write!(
                    f,
                    "the scenario has {entries} entries, more than the limit of {max}"
                )
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    pub fn new(seed: u64, config: ClusterConfig) -> Self {
        Self {
            version: SCENARIO_VERSION,
            name: None,
            seed,
            config,
            entries: Vec::new(),
            position: None,
        }
    }

    /// Parses and checks a scenario without running it: JSON shape, version, each entry's
    /// type and fields, bounds. Error messages name the entry.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::Format(e.to_string()))?;
        let object = value
            .as_object()
            .ok_or_else(|| ScenarioError::Format("the top level must be an object".into()))?;
        let version = object
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| ScenarioError::Format("a \"version\" number is required".into()))?;
        if version != u64::from(SCENARIO_VERSION) {
            return Err(ScenarioError::UnsupportedVersion {
                found: version,
                supported: SCENARIO_VERSION,
            });
        }
        let entries_value = object
            .get("entries")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        let raw_entries = entries_value
            .as_array()
            .ok_or_else(|| ScenarioError::Format("\"entries\" must be an array".into()))?;
        if raw_entries.len() > MAX_ENTRIES {
            return Err(ScenarioError::TooLarge {
                entries: raw_entries.len(),
                max: MAX_ENTRIES,
            });
        }
        let mut entries = Vec::with_capacity(raw_entries.len());
        for (index, raw) in raw_entries.iter().enumerate() {
            let entry =
                entry_from_value(raw).map_err(|message| ScenarioError::Entry { index, message })?;
            if let Entry::Clock(ClockEntry::Step { count }) = entry {
                if count == 0 || count > MAX_STEP_COUNT {
                    return Err(ScenarioError::Entry {
                        index,
                        message: format!("step count must be 1 to {MAX_STEP_COUNT}"),
                    });
                }
            }
            entries.push(entry);
        }
        let seed = object.get("seed").and_then(Value::as_u64).ok_or_else(|| {
            ScenarioError::Format("a \"seed\" (unsigned integer) is required".into())
        })?;
        let config: ClusterConfig = match object.get("config") {
            Some(config) => ClusterConfig::from_json(config)
                .map_err(|e| ScenarioError::Format(format!("config: {e}")))?,
            None => ClusterConfig::default(),
        };
        config.validate().map_err(ScenarioError::Config)?;
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let position = match object.get("position") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_u64().ok_or_else(|| {
                ScenarioError::Format("\"position\" must be an unsigned integer (a move)".into())
            })?),
        };
        Ok(Scenario {
            version: SCENARIO_VERSION,
            name,
            seed,
            config,
            entries,
            position,
        })
    }

    /// The scenario as an exported file: the header's fields one per line, then one entry
    /// per line (the layout of the files in `tests/scenarios`), each line as serde's
    /// compact writer would write it ([`ToJson`]).
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\n  \"version\": {},\n", self.version);
        if let Some(name) = &self.name {
            out += &format!("  \"name\": {},\n", name.to_json_string());
        }
        out += &format!("  \"seed\": {},\n", self.seed);
        out += &format!("  \"config\": {},\n", self.config.to_json_string());
        if let Some(position) = self.position {
            out += &format!("  \"position\": {position},\n");
        }
        out += "  \"entries\": [";
        for (index, entry) in self.entries.iter().enumerate() {
            out += if index == 0 { "\n    " } else { ",\n    " };
            entry.write_json(&mut out);
        }
        out += if self.entries.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        };
        out
    }

    /// Runs every entry on a fresh cluster; the first refused command stops the run with
    /// its index. `on_event` sees every event in order.
    pub fn run(&self, mut on_event: impl FnMut(&Event)) -> Result<Cluster, ScenarioError> {
        let mut cluster =
            Cluster::try_new(self.config.clone(), self.seed).map_err(ScenarioError::Config)?;
        for (index, entry) in self.entries.iter().enumerate() {
            let events = apply_entry(&mut cluster, entry).map_err(|e| ScenarioError::Entry {
                index,
                message: e.to_string(),
            })?;
            events.iter().for_each(&mut on_event);
        }
        Ok(cluster)
    }
}

/// Applies one entry to a cluster.
pub fn apply_entry(cluster: &mut Cluster, entry: &Entry) -> Result<Vec<Event>, BrokerError> {
    match entry {
        Entry::Command(command) => cluster.apply(command.clone()),
        Entry::Clock(ClockEntry::Step { count }) => {
            let mut events = Vec::new();
            for _ in 0..*count {
                if cluster.is_idle() {
                    break;
                }
                events.extend(cluster.step());
            }
            Ok(events)
        }
        Entry::Clock(ClockEntry::RunUntilIdle) => Ok(cluster.run_until_idle()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_entry() {
        let text = r#"{"version": 1, "seed": 1, "entries": [
            {"type": "create_topic", "name": "t", "partitions": 1, "replication_factor": 1},
            {"type": "launch_rocket"}
        ]}"#;
        assert_eq!(
            Scenario::from_json(text).unwrap_err().to_string(),
            "entries[1]: unknown command type \"launch_rocket\""
        );
    }

    #[test]
    fn newer_versions_are_refused() {
        let error = Scenario::from_json(r#"{"version": 2, "seed": 1}"#).unwrap_err();
        assert!(matches!(
            error,
            ScenarioError::UnsupportedVersion { found: 2, .. }
        ));
    }

    #[test]
    fn round_trips_through_json() {
        let mut scenario = Scenario::new(9, ClusterConfig::default());
        scenario.entries.push(Entry::Command(Command::CreateTopic {
            name: "orders".into(),
            partitions: 3,
            replication_factor: 3,
            configs: Default::default(),
        }));
        scenario
            .entries
            .push(Entry::Clock(ClockEntry::Step { count: 2 }));
        scenario
            .entries
            .push(Entry::Clock(ClockEntry::RunUntilIdle));
        let parsed = Scenario::from_json(&scenario.to_json()).unwrap();
        assert_eq!(parsed, scenario);
        // Named, positioned, and empty: every optional part of the header round-trips.
        scenario.name = Some("a \"quoted\" name".into());
        scenario.position = Some(4);
        assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
        let text = scenario.to_json();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], r#"  "version": 1,"#);
        assert_eq!(lines[6], "  \"entries\": [");
        assert_eq!(
            lines[8], r#"    {"type":"step","count":2},"#,
            "one entry per line"
        );
        assert_eq!(lines.len(), 12);
        scenario.entries.clear();
        assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
    }

    #[test]
    fn a_refused_command_stops_the_run_with_its_index() {
        let text = r#"{"version": 1, "seed": 1, "entries": [
            {"type": "create_topic", "name": "bad name", "partitions": 1, "replication_factor": 1}
        ]}"#;
        let error = Scenario::from_json(text).unwrap().run(|_| {}).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("entries[0]: InvalidTopicException"),
            "{error}"
        );
    }
}
