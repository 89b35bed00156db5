//! A checkpoint: the cluster's whole state written down, so a long session can be opened
//! again without replaying every move from the start.
//!
//! The state is JSON. Two things need care: maps keyed by a partition or a pair of nodes are
//! written as lists of `[key, value]` pairs (JSON object keys are strings), and the record
//! store is written compactly — each record's fixed-size metadata as a list of numbers and
//! the payload chunks as base64 — so 100,000 records take a few megabytes, not tens.
//!
//! A checkpoint is only a faster way to the same state: replaying the session's entries
//! gives an identical cluster, which the tests check.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Cluster;

impl Cluster {
    /// The cluster's whole state as JSON text.
    pub fn to_checkpoint_json(&self) -> String {
        serde_json::to_string(self).expect("a cluster always serializes")
    }

    /// A cluster from [`Cluster::to_checkpoint_json`] text.
    pub fn from_checkpoint_json(text: &str) -> Result<Cluster, String> {
        serde_json::from_str(text).map_err(|e| format!("the checkpoint is damaged: {e}"))
    }
}

/// `#[serde(with = "pairs")]`: a map written as a list of `[key, value]` pairs.
pub(crate) mod pairs {
    use super::*;

    pub fn serialize<K, V, S>(map: &BTreeMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize,
        V: Serialize,
        S: Serializer,
    {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: DeserializeOwned + Ord,
        V: DeserializeOwned,
        D: Deserializer<'de>,
    {
        let pairs: Vec<(K, V)> = Vec::deserialize(deserializer)?;
        Ok(pairs.into_iter().collect())
    }
}

/// `#[serde(with = "base64_chunks")]`: byte chunks written as base64 strings.
pub(crate) mod base64_chunks {
    use std::collections::VecDeque;
    use std::rc::Rc;

    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    use super::*;

    pub fn serialize<S: Serializer>(
        chunks: &VecDeque<Rc<Vec<u8>>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(chunks.iter().map(|chunk| STANDARD.encode(chunk.as_slice())))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<VecDeque<Rc<Vec<u8>>>, D::Error> {
        let texts: Vec<String> = Vec::deserialize(deserializer)?;
        texts
            .into_iter()
            .map(|text| {
                STANDARD
                    .decode(text)
                    .map(Rc::new)
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{Scenario, Timeline};

    /// Every golden scenario, checkpointed at several moves and resumed: the same picture,
    /// and going on gives the same events as the session that never stopped.
    #[test]
    fn a_checkpointed_cluster_goes_on_exactly_as_the_original() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 9);
        for file in files {
            let scenario = Scenario::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let full = Timeline::new(scenario.clone()).unwrap();
            let total = full.total_moves();
            // The end is always an entry boundary: a checkpoint there covers everything.
            assert_eq!(full.checkpoint().moves, total, "{file:?}");
            for at in [1, total / 3, total / 2, total] {
                let mut original = full.clone();
                original.seek(at).unwrap();
                let checkpoint = original.checkpoint();
                let text = checkpoint.to_json();
                let restored = crate::scenario::Checkpoint::from_json(&text).unwrap();
                assert!(checkpoint.moves <= at);
                let mut expected = full.clone();
                expected.seek(checkpoint.moves).unwrap();
                assert_eq!(
                    restored.cluster.view(),
                    expected.cluster().view(),
                    "{file:?} at {at}"
                );
                assert_eq!(
                    restored.cluster.to_checkpoint_json(),
                    expected.cluster().to_checkpoint_json()
                );
                let resumed = Timeline::resume(scenario.clone(), restored).unwrap();
                assert_eq!(resumed.total_moves(), total, "{file:?} at {at}");
                assert_eq!(
                    resumed.cluster().view(),
                    full.cluster().view(),
                    "{file:?} from {at}"
                );
                let after = |t: &Timeline, from: u64| -> Vec<String> {
                    t.history()
                        .iter()
                        .filter(|(m, _)| *m > from)
                        .map(|(_, e)| e.text.clone())
                        .collect()
                };
                assert_eq!(
                    after(&resumed, checkpoint.moves),
                    after(&full, checkpoint.moves),
                    "{file:?} from {at}"
                );
            }
        }
    }
}
