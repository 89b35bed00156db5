//! Which partition does a record go to?
//!
//! Kafka's Java producer decides on the client, before anything is sent:
//! * an explicit partition wins;
//! * a record **with a key** goes to `toPositive(murmur2(keyBytes)) % numPartitions`
//!   (`BuiltInPartitioner.partitionForKey`), so the same key always lands on the same
//!   partition while the partition count stays the same;
//! * a record **without a key** uses the sticky partitioner (KIP-480, KIP-794): it sticks to
//!   one partition until a batch is full, then picks another, which makes bigger batches
//!   than spraying records round-robin. `RoundRobinPartitioner` is the older alternative.
//!
//! ```
//! use kafka_playground::broker::partitioner::{murmur2, partition_for_key};
//! assert_eq!(murmur2(b"foobar"), -790_332_482);
//! // toPositive(-790332482) = 1357151166, and 1357151166 % 3 = 0
//! assert_eq!(partition_for_key(b"foobar", 3), 0);
//! ```

use serde::{Deserialize, Serialize};

/// Kafka's 32-bit murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), returned as the
/// same signed `int` Java returns. Seed `0x9747b28c`, 4-byte little-endian blocks.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = blocks.remainder();
    // Java's switch falls through from case 3 to case 1; the bytes are sign-extended there
    // but masked with 0xff, so unsigned bytes give the same bits.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub fn to_positive(number: i32) -> u32 {
    (number & 0x7fff_ffff) as u32
}

/// The partition Kafka's default partitioner picks for a keyed record.
pub fn partition_for_key(key: &[u8], partition_count: u32) -> u32 {
    debug_assert!(partition_count > 0);
    to_positive(murmur2(key)) % partition_count
}

/// The partition for a keyed record and the arithmetic that picks it, as the narration and
/// the inspector show it: `key "alice": murmur2 = …, toPositive = …, … % 3 = 1`.
pub fn explain_key_partition(key: &str, partition_count: u32) -> (u32, String) {
    let hash = murmur2(key.as_bytes());
    let positive = to_positive(hash);
    let partition = positive % partition_count;
    let how = format!(
        "key \"{key}\": murmur2 = {hash}, toPositive = {positive}, {positive} % {partition_count} = {partition}"
    );
    (partition, how)
}

/// How records without a key are spread. Kafka ≥ 3.3 uses the built-in sticky partitioner
/// by default (`partitioner.class` unset); `RoundRobinPartitioner` must be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NullKeyStrategy {
    #[default]
    Sticky,
    RoundRobin,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of Kafka's `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_kafka_utils_test() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, expected) in cases {
            assert_eq!(
                murmur2(key),
                expected,
                "key {:?}",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn to_positive_clears_only_the_sign_bit() {
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(5), 5);
    }

    #[test]
    fn keyed_partition_is_positive_murmur_modulo_count() {
        // toPositive(-790332482) = 1357151166 = 3 * 452383722, so partition 0 of 3.
        assert_eq!(partition_for_key(b"foobar", 3), 0);
        assert_eq!(partition_for_key(b"foobar", 4), 1357151166 % 4);
        assert_eq!(partition_for_key(b"", 1), 0);
    }

    #[test]
    fn the_explanation_shows_each_step_of_the_arithmetic() {
        assert_eq!(
            explain_key_partition("foobar", 3),
            (
                0,
                "key \"foobar\": murmur2 = -790332482, toPositive = 1357151166, 1357151166 % 3 = 0"
                    .to_string()
            )
        );
        for key in ["alice", "bob", "", "ünïcode"] {
            assert_eq!(
                explain_key_partition(key, 7).0,
                partition_for_key(key.as_bytes(), 7)
            );
        }
    }
}
