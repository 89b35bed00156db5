//! An ordered map kept as one `Vec` sorted by key, for the cluster's many small maps:
//! brokers, topics, the partitions of a broker or a consumer, the members of a group, a
//! topic's configs; and [`SortedSet`], the same for sets (and [`sorted_unique`] for sorting).
//!
//! It iterates in key order like `BTreeMap`, so behaviour does not depend on it, but its
//! code is a binary search and a `Vec` insert or remove: a few hundred bytes per key and
//! value type in the page instead of about 5 KB for a B-tree's insert, rebalancing remove,
//! clone and drop. Copying it (a timeline snapshot) is one allocation. Inserting or removing
//! in the middle moves the entries after it, so the maps that grow with the traffic and
//! are changed anywhere (the network queue, a compaction's latest offset per key) stay
//! `BTreeMap`s. A producer's pending sends and a consumer's pending commits are keyed by
//! ids that only grow: new ones go at the end, and a 100,000-record burst runs as fast.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Index;

#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<K, V> {
    /// Strictly increasing by key.
    entries: Vec<(K, V)>,
}

pub type Iter<'a, K, V> =
    std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
pub type IterMut<'a, K, V> =
    std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;

impl<K, V> SortedMap<K, V> {
    pub const fn new() -> Self {
        SortedMap {
            entries: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }

    /// Keeps the entries for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Removes and returns the entry with the smallest key.
    pub fn pop_first(&mut self) -> Option<(K, V)> {
        (!self.entries.is_empty()).then(|| self.entries.remove(0))
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// Where `key` is, or where it would go.
    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// The entries with keys up to and including `key`, in order (`range(..=key)`).
    pub fn up_to<Q: Ord + ?Sized>(&self, key: &Q) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
    {
        let end = self.entries.partition_point(|(k, _)| k.borrow() <= key);
        self.entries[..end].iter().map(|(k, v)| (k, v))
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Sets `key`'s value; returns the one it replaced (the stored key stays, as in
    /// `BTreeMap`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| self.entries.remove(i).1)
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.position(&key);
        Entry { map: self, key, at }
    }

    /// Moves every entry of `other` into this map (its values win), leaving it empty.
    pub fn append(&mut self, other: &mut SortedMap<K, V>) {
        for (key, value) in other.entries.drain(..) {
            self.insert(key, value);
        }
    }
}

/// A key's place in a [`SortedMap`], to read or fill it once.
pub struct Entry<'a, K, V> {
    map: &'a mut SortedMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn or_insert_with(self, value: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.entries.insert(i, (self.key, value()));
                i
            }
        };
        &mut self.map.entries[i].1
    }

    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    /// Like `BTreeMap`'s: a later pair with the same key wins.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut map = SortedMap::new();
        map.extend(pairs);
        map
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for SortedMap<K, V> {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut SortedMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> Index<&Q> for SortedMap<K, V> {
    type Output = V;

    /// Panics if the key is absent, as `BTreeMap` does.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

/// A JSON object (or any serde map), as a `BTreeMap` is written: entries in key order.
impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for SortedMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries.iter().map(|(k, v)| (k, v)))
    }
}

/// Read as a `BTreeMap` is (a later duplicate key wins).
impl<'de, K, V> serde::Deserialize<'de> for SortedMap<K, V>
where
    K: serde::Deserialize<'de> + Ord,
    V: serde::Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<K, V>::deserialize(deserializer)?;
        let mut sorted = SortedMap::new();
        for (key, value) in map {
            sorted.insert(key, value);
        }
        Ok(sorted)
    }
}

/// An ordered set kept as one sorted `Vec` (see [`SortedMap`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SortedSet<T> {
    map: SortedMap<T, ()>,
}

impl<T> SortedSet<T> {
    pub const fn new() -> Self {
        SortedSet {
            map: SortedMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Elements in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + Clone {
        self.map.keys()
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.map.retain(|t, _| keep(t));
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }
}

impl<T: Ord> SortedSet<T> {
    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.contains_key(value)
    }

    /// Adds `value`; false if it was there already.
    pub fn insert(&mut self, value: T) -> bool {
        self.map.insert(value, ()).is_none()
    }

    /// Removes `value`; false if it was not there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.remove(value).is_some()
    }
}

/// `items` in order, each once: what `sort` and then `dedup` give. Built by binary-search
/// insertion, as a [`SortedSet`] is, rather than with `slice::sort`, which brings a copy of itself per element
/// type into the page; the lists sorted this way are short (a consumer's topics, a member's
/// partitions).
pub fn sorted_unique<T: Ord>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    sorted_unique_by(items, T::cmp)
}

/// [`sorted_unique`] in the order `compare` gives (an item equal to one already kept is
/// dropped).
pub fn sorted_unique_by<T>(
    items: impl IntoIterator<Item = T>,
    mut compare: impl FnMut(&T, &T) -> Ordering,
) -> Vec<T> {
    let mut sorted: Vec<T> = Vec::new();
    for item in items {
        if let Err(at) = sorted.binary_search_by(|probe| compare(probe, &item)) {
            sorted.insert(at, item);
        }
    }
    sorted
}

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for SortedSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        let mut set = SortedSet::new();
        set.extend(values);
        set
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        for value in values {
            self.insert(value);
        }
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (T, ())>, fn(&'a (T, ())) -> &'a T>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.entries.iter().map(|(t, _)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_is_range_to_inclusive() {
        let map = SortedMap::from([(0u64, 'a'), (256, 'b'), (512, 'c')]);
        let btree = BTreeMap::from([(0u64, 'a'), (256, 'b'), (512, 'c')]);
        for key in [0, 1, 255, 256, 257, 511, 512, 10_000] {
            assert!(map.up_to(&key).eq(btree.range(..=key)), "{key}");
            assert_eq!(map.up_to(&key).next_back(), btree.range(..=key).next_back());
        }
    }

    #[test]
    fn sorted_unique_is_sort_then_dedup() {
        let items = ["b", "a", "c", "a", "b", "", "é", "B"];
        let mut expected = items.to_vec();
        expected.sort();
        expected.dedup();
        assert_eq!(sorted_unique(items), expected);
        assert_eq!(sorted_unique(Vec::<u32>::new()), Vec::<u32>::new());
    }
    use std::collections::BTreeMap;

    /// Any sequence of inserts, removes, entry fills and retains leaves the same contents,
    /// in the same order, as a `BTreeMap` given the same sequence.
    #[test]
    fn behaves_like_a_btree_map() {
        let mut seed = 17u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        let mut sorted = SortedMap::new();
        let mut btree = BTreeMap::new();
        for _ in 0..5_000 {
            let key = next() % 64;
            let value = next() % 1000;
            match next() % 6 {
                0 | 1 => assert_eq!(sorted.insert(key, value), btree.insert(key, value)),
                2 => assert_eq!(sorted.remove(&key), btree.remove(&key)),
                3 => {
                    *sorted.entry(key).or_default() += value;
                    *btree.entry(key).or_default() += value;
                }
                4 => assert_eq!(sorted.get(&key), btree.get(&key)),
                _ => {
                    sorted.retain(|k, v| (*k + *v) % 7 != 0);
                    btree.retain(|k, v| (*k + *v) % 7 != 0);
                }
            }
            assert!(sorted.iter().eq(btree.iter()));
        }
        assert_eq!(sorted.len(), btree.len());
        assert_eq!(sorted.pop_first(), btree.pop_first());
    }

    #[test]
    fn reads_back_what_it_wrote_and_later_pairs_win() {
        let map: SortedMap<String, u32> = [
            ("b".to_string(), 1),
            ("a".to_string(), 2),
            ("b".to_string(), 3),
        ]
        .into();
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [(&"a".to_string(), &2), (&"b".to_string(), &3)]
        );
        assert_eq!(map["a"], 2);
    }
}
