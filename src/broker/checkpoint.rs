//! A checkpoint: the cluster's whole state written down, so a long session can be opened
//! again without replaying every move from the start.
//!
//! The state is binary (Borsh: fields in declaration order, lengths before lists, no names),
//! about 60 bytes per stored record. It starts with a header naming the format and the build
//! of the broker that wrote it; any other build refuses it, and the session is replayed from
//! its entries instead.
//!
//! A checkpoint is only a faster way to the same state: replaying the session's entries
//! gives an identical cluster, which the tests check.

use std::collections::BTreeMap;

use borsh::io::{Read, Result as IoResult};
use borsh::BorshDeserialize;

use super::Cluster;

/// The first bytes of every checkpoint.
const MAGIC: &[u8; 4] = b"KPC1";
/// A hash of the broker's source (see `build.rs`): a checkpoint is read only by the code
/// that wrote it, since other code may lay out or even compute the state differently.
const BROKER_FINGERPRINT: &str = env!("KPLAY_BROKER_FINGERPRINT");

/// Writes `MAGIC`, the broker fingerprint and then `state`.
pub fn encode<T: borsh::BorshSerialize>(state: &T) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1024);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(BROKER_FINGERPRINT.as_bytes());
    borsh::to_writer(&mut bytes, state).expect("the cluster's state always encodes");
    bytes
}

/// Reads what [`encode`] wrote, refusing another format or another build's checkpoint.
pub fn decode<T: borsh::BorshDeserialize>(bytes: &[u8]) -> Result<T, String> {
    let header = [MAGIC.as_slice(), BROKER_FINGERPRINT.as_bytes()].concat();
    let Some(body) = bytes.strip_prefix(header.as_slice()) else {
        return Err("the checkpoint was written by another version of the playground".into());
    };
    borsh::from_slice(body).map_err(|e| format!("the checkpoint is damaged: {e}"))
}

impl Cluster {
    /// The cluster's whole state as checkpoint bytes.
    pub fn to_checkpoint_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// A cluster from [`Cluster::to_checkpoint_bytes`].
    pub fn from_checkpoint_bytes(bytes: &[u8]) -> Result<Cluster, String> {
        decode(bytes)
    }
}

/// `#[borsh(deserialize_with = "map")]`: reads a map entry by entry. Borsh's own reader
/// collects into a `Vec` and sorts it, and every key and value type then brings its own copy
/// of the sort into the page (about 5 KB each); the entries are stored in key order anyway.
pub fn map<R: Read, K: BorshDeserialize + Ord, V: BorshDeserialize>(
    reader: &mut R,
) -> IoResult<BTreeMap<K, V>> {
    let len = u32::deserialize_reader(reader)?;
    let mut map = BTreeMap::new();
    for _ in 0..len {
        let key = K::deserialize_reader(reader)?;
        map.insert(key, V::deserialize_reader(reader)?);
    }
    Ok(map)
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
                let bytes = checkpoint.to_bytes();
                let restored = crate::scenario::Checkpoint::from_bytes(&bytes).unwrap();
                assert!(checkpoint.moves <= at);
                let mut expected = full.clone();
                expected.seek(checkpoint.moves).unwrap();
                assert_eq!(
                    restored.cluster.view(),
                    expected.cluster().view(),
                    "{file:?} at {at}"
                );
                assert_eq!(
                    restored.cluster.to_checkpoint_bytes(),
                    expected.cluster().to_checkpoint_bytes()
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
