//! The one source of randomness in the core: a seeded SplitMix64 generator.
//!
//! Kafka itself makes a few random choices that a learner can see — the first broker of a
//! new topic's replica assignment, the sticky partitioner's next batch partition. The
//! simulation draws each of them from a [`SeededRng`] owned by the cluster, and every
//! subsystem that needs its own stream gets a child generator via [`SeededRng::child`], so
//! that adding a draw in one subsystem never shifts the numbers another one sees.
//!
//! ```
//! use kafka_playground::broker::rng::SeededRng;
//! let mut a = SeededRng::new(42);
//! let mut b = SeededRng::new(42);
//! assert_eq!(a.next_u64(), b.next_u64());
//! ```

/// SplitMix64 (Steele, Lea & Flood, 2014): tiny, fast, and good enough for choosing
/// brokers and partitions. Not for cryptography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0). The modulo bias is below 2^-32 for the small
    /// bounds used here (at most a few thousand).
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        self.next_u64() % bound
    }

    /// An independent generator for one subsystem, derived from this one's next draw and the
    /// subsystem's name, so streams differ even when drawn at the same point.
    pub fn child(&mut self, subsystem: &str) -> SeededRng {
        let salt = subsystem
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        SeededRng::new(self.next_u64() ^ salt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_stream() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn children_differ_by_name() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        assert_ne!(a.child("topics").next_u64(), b.child("producer").next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SeededRng::new(1);
        assert!((0..1000).all(|_| rng.below(3) < 3));
    }
}
