//! The page's state: the session (scenario) and the cluster it replays to, behind a thin
//! reducer. Effects (saving to IndexedDB) live in the app component, not here.

use std::rc::Rc;
use yew::Reducible;

use crate::broker::{Cluster, ClusterConfig, Command, Event};
use crate::scenario::{apply_entry, ClockEntry, Entry, Scenario};

/// The topic a new workspace starts with.
pub const STARTER_TOPIC: &str = "orders";

#[derive(Clone, PartialEq)]
pub struct Session {
    pub scenario: Scenario,
    pub cluster: Cluster,
    /// Events of the last action, for the narration list.
    pub last_events: Vec<Event>,
    /// Kafka's error, in words, when the last action was refused.
    pub last_error: Option<String>,
    pub loaded: bool,
}

pub enum Action {
    /// Replace everything with a stored or new session.
    Load(Scenario),
    /// Apply entries as one user action; all or nothing.
    Apply(Vec<Entry>),
    /// The stored session could not be read.
    LoadFailed(String),
}

/// The session a new workspace starts from: 3 brokers, topic `orders` with 3 partitions
/// replicated 3 times, and one producer with Kafka's default configs.
pub fn starter_scenario(seed: u64) -> Scenario {
    let mut scenario = Scenario::new(seed, ClusterConfig::default());
    scenario.name = Some("My cluster".into());
    scenario.entries = vec![
        Entry::Command(Command::CreateTopic {
            name: STARTER_TOPIC.into(),
            partitions: 3,
            replication_factor: 3,
            configs: Default::default(),
        }),
        Entry::Command(Command::AddProducer {
            config: Default::default(),
        }),
        Entry::Clock(ClockEntry::RunUntilIdle),
    ];
    scenario
}

impl Default for Session {
    fn default() -> Self {
        let scenario = Scenario::new(0, ClusterConfig::default());
        Self {
            cluster: Cluster::new(scenario.config.clone(), scenario.seed),
            scenario,
            last_events: Vec::new(),
            last_error: None,
            loaded: false,
        }
    }
}

impl Reducible for Session {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::Load(scenario) => match scenario.run(|_| {}) {
                Ok(cluster) => Rc::new(Session {
                    scenario,
                    cluster,
                    last_events: Vec::new(),
                    last_error: None,
                    loaded: true,
                }),
                Err(error) => Rc::new(Session {
                    last_error: Some(format!("The saved session could not be replayed: {error}")),
                    loaded: true,
                    ..Session::default()
                }),
            },
            Action::LoadFailed(message) => Rc::new(Session {
                last_error: Some(message),
                loaded: true,
                ..(*self).clone()
            }),
            Action::Apply(entries) => {
                let mut cluster = self.cluster.clone();
                let mut events = Vec::new();
                for entry in &entries {
                    match apply_entry(&mut cluster, entry) {
                        Ok(more) => events.extend(more),
                        Err(error) => {
                            // Nothing is half-applied: the old session stays as it was.
                            return Rc::new(Session {
                                last_error: Some(error.to_string()),
                                ..(*self).clone()
                            });
                        }
                    }
                }
                let mut scenario = self.scenario.clone();
                scenario.entries.extend(entries);
                Rc::new(Session {
                    scenario,
                    cluster,
                    last_events: events,
                    last_error: None,
                    loaded: true,
                })
            }
        }
    }
}
