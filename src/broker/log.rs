//! A partition's log: an append-only sequence of records, each with an offset.
//!
//! * The **log end offset** (LEO) is the offset the next record will get.
//! * The **log start offset** is the first offset still kept; retention moves it forward by
//!   deleting whole old segments, never single records.
//! * Records live in **segments**; a segment is closed ("rolled") when it reaches
//!   `segment.bytes` or is older than `segment.ms`, and only closed segments are ever
//!   deleted or compacted.
//! * **Compaction** (`cleanup.policy=compact`) keeps only the latest record for each key in
//!   closed segments; a record with a null value (a tombstone) deletes its key, and the
//!   tombstone itself goes after `delete.retention.ms`.
//! * The **leader epoch cache** (KIP-101, `LeaderEpochFileCache`) remembers at which offset
//!   each leader epoch began, so that a follower can ask "where did epoch 3 end?" and
//!   truncate exactly the records a new leader never had.
//!
//! The high watermark is not the log's business: it belongs to the replica (`partition.rs`).

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use super::topic::TopicConfig;

/// One record. Offsets are assigned by the leader's log on append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub offset: u64,
    /// `CreateTime`: the tick at which the producer made the record.
    pub timestamp: u64,
    pub key: Option<String>,
    /// `None` is a tombstone.
    pub value: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Idempotent producers stamp batches with their producer id, epoch and sequence.
    pub producer_id: Option<u64>,
    pub producer_epoch: u16,
    pub sequence: i32,
    /// The leader epoch in which the leader appended the record.
    pub leader_epoch: u32,
}

/// Kafka's `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`: every batch pays it once.
pub const RECORD_BATCH_OVERHEAD_BYTES: u64 = 61;

impl Record {
    /// The bytes this record occupies in a batch of one, as Kafka counts it against
    /// `max.message.bytes`: the batch header, a small per-record header (length, attributes,
    /// deltas: about 7 bytes for a small record), key, value and headers.
    pub fn size_in_bytes(&self) -> u64 {
        Self::size_of(self.key.as_deref(), self.value.as_deref(), &self.headers)
    }

    pub fn size_of(key: Option<&str>, value: Option<&str>, headers: &[(String, String)]) -> u64 {
        let payload = key.map_or(0, str::len)
            + value.map_or(0, str::len)
            + headers
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>();
        RECORD_BATCH_OVERHEAD_BYTES + 7 + payload as u64
    }

    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
}

/// A segment of the log: a base offset, its size, and when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub base_offset: u64,
    pub size_bytes: u64,
    pub created_tick: u64,
    /// The newest record timestamp in the segment; retention.ms compares against it.
    pub max_timestamp: u64,
}

/// Payload bytes live in chunks of this size, so a growing log never copies its payloads
/// and wastes at most one partly filled chunk.
const CHUNK_BYTES: usize = 8 * 1024;
/// Record metadata lives in chunks of this many entries (7 KiB). Small chunks keep what a
/// snapshot's copy-on-write duplicates small; each chunk costs one pointer per 128 records.
const ENTRIES_PER_CHUNK: usize = 128;
const NULL_LENGTH: u32 = u32::MAX;
const NO_PRODUCER_ID: u64 = u64::MAX;

/// One record as the log keeps it: fixed-size metadata, with key, value and headers in
/// the store's byte chunks (56 bytes per record besides the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StoredRecord {
    offset: u64,
    timestamp: u64,
    producer_id: u64,
    chunk: u32,
    start: u32,
    key_length: u32,
    value_length: u32,
    headers_length: u32,
    leader_epoch: u32,
    sequence: i32,
    producer_epoch: u16,
}

impl StoredRecord {
    fn payload_length(&self) -> usize {
        let length = |l: u32| if l == NULL_LENGTH { 0 } else { l as usize };
        length(self.key_length) + length(self.value_length) + self.headers_length as usize
    }
}

/// The records of a log in offset order, stored compactly.
///
/// Both the metadata and the payload bytes are kept in fixed-size chunks behind `Rc`, so a
/// copy of the store (a timeline snapshot) shares every chunk, and appending to a shared
/// store copies only its last, partly filled chunks (`Rc::make_mut`), never the whole log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct RecordStore {
    /// Metadata, `ENTRIES_PER_CHUNK` per chunk; only the last chunk may be shorter.
    entry_chunks: VecDeque<Rc<Vec<StoredRecord>>>,
    /// Entries at the front of the first chunk that retention already dropped.
    dropped_in_first: usize,
    len: usize,
    chunks: VecDeque<Rc<Vec<u8>>>,
    /// Chunk ids are absolute; `chunks[0]` has id `first_chunk`.
    first_chunk: u32,
}

impl RecordStore {
    fn len(&self) -> usize {
        self.len
    }

    fn entry(&self, index: usize) -> &StoredRecord {
        let at = index + self.dropped_in_first;
        &self.entry_chunks[at / ENTRIES_PER_CHUNK][at % ENTRIES_PER_CHUNK]
    }

    fn entries(&self) -> impl DoubleEndedIterator<Item = &StoredRecord> + ExactSizeIterator {
        (0..self.len).map(|index| self.entry(index))
    }

    fn push(&mut self, record: &Record, offset: u64, leader_epoch: u32) {
        let key = record.key.as_deref().map(str::as_bytes);
        let value = record.value.as_deref().map(str::as_bytes);
        let headers_length: usize = record
            .headers
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum();
        let total = key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len) + headers_length;
        // Bounded by CHUNK_BYTES, never by the capacity: a chunk copied by `make_mut` grows
        // like any `Vec` (doubling), and filling that room would let the last chunk, which
        // every snapshot copies again, grow without bound. A record larger than a chunk
        // gets one of its own.
        let fits = self
            .chunks
            .back()
            .is_some_and(|c| c.len() + total <= CHUNK_BYTES);
        if !fits {
            self.chunks
                .push_back(Rc::new(Vec::with_capacity(CHUNK_BYTES.max(total))));
        }
        let chunk_index = self.chunks.len() - 1;
        // A copy made by `make_mut` is exactly as long as the original and grows as a `Vec`
        // does from there: a snapshot taken early in a chunk duplicates little.
        let chunk = Rc::make_mut(&mut self.chunks[chunk_index]);
        let start = chunk.len();
        chunk.extend_from_slice(key.unwrap_or_default());
        chunk.extend_from_slice(value.unwrap_or_default());
        for (k, v) in &record.headers {
            chunk.extend_from_slice(&(k.len() as u32).to_le_bytes());
            chunk.extend_from_slice(&(v.len() as u32).to_le_bytes());
            chunk.extend_from_slice(k.as_bytes());
            chunk.extend_from_slice(v.as_bytes());
        }
        let entry = StoredRecord {
            offset,
            timestamp: record.timestamp,
            producer_id: record.producer_id.unwrap_or(NO_PRODUCER_ID),
            chunk: self.first_chunk + chunk_index as u32,
            start: start as u32,
            key_length: key.map_or(NULL_LENGTH, |k| k.len() as u32),
            value_length: value.map_or(NULL_LENGTH, |v| v.len() as u32),
            headers_length: headers_length as u32,
            leader_epoch,
            sequence: record.sequence,
            producer_epoch: record.producer_epoch,
        };
        if self
            .entry_chunks
            .back()
            .is_none_or(|c| c.len() == ENTRIES_PER_CHUNK)
        {
            self.entry_chunks
                .push_back(Rc::new(Vec::with_capacity(ENTRIES_PER_CHUNK)));
        }
        let last = self.entry_chunks.len() - 1;
        Rc::make_mut(&mut self.entry_chunks[last]).push(entry);
        self.len += 1;
    }

    fn bytes_of(&self, entry: &StoredRecord) -> &[u8] {
        let chunk = &self.chunks[(entry.chunk - self.first_chunk) as usize];
        &chunk[entry.start as usize..entry.start as usize + entry.payload_length()]
    }

    fn materialize(&self, entry: &StoredRecord) -> Record {
        let bytes = self.bytes_of(entry);
        // The bytes were written from `&str`s, so they are valid UTF-8; the fast validating
        // path is taken, the lossy one never.
        let text = |b: &[u8]| match std::str::from_utf8(b) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(b).into_owned(),
        };
        let mut at = 0;
        let mut take = |length: u32| {
            if length == NULL_LENGTH {
                return None;
            }
            let slice = &bytes[at..at + length as usize];
            at += length as usize;
            Some(text(slice))
        };
        let key = take(entry.key_length);
        let value = take(entry.value_length);
        let mut headers = Vec::new();
        while at < bytes.len() {
            let k = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
            let v = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
            at += 8;
            headers.push((text(&bytes[at..at + k]), text(&bytes[at + k..at + k + v])));
            at += k + v;
        }
        Record {
            offset: entry.offset,
            timestamp: entry.timestamp,
            key,
            value,
            headers,
            producer_id: (entry.producer_id != NO_PRODUCER_ID).then_some(entry.producer_id),
            producer_epoch: entry.producer_epoch,
            sequence: entry.sequence,
            leader_epoch: entry.leader_epoch,
        }
    }

    fn clear(&mut self) {
        self.first_chunk += self.chunks.len() as u32;
        self.chunks.clear();
        self.entry_chunks.clear();
        self.dropped_in_first = 0;
        self.len = 0;
    }

    /// Keeps the first `keep` records and frees the bytes after them.
    fn truncate(&mut self, keep: usize) {
        if keep >= self.len {
            return;
        }
        if keep == 0 {
            self.clear();
            return;
        }
        let last = *self.entry(keep - 1);
        let kept_slots = keep + self.dropped_in_first;
        let chunk_count = kept_slots.div_ceil(ENTRIES_PER_CHUNK);
        self.entry_chunks.truncate(chunk_count);
        let in_last = kept_slots - (chunk_count - 1) * ENTRIES_PER_CHUNK;
        if let Some(entries) = self.entry_chunks.back_mut() {
            if entries.len() > in_last {
                Rc::make_mut(entries).truncate(in_last);
            }
        }
        self.len = keep;
        let index = (last.chunk - self.first_chunk) as usize;
        self.chunks.truncate(index + 1);
        let end = last.start as usize + last.payload_length();
        if self.chunks[index].len() > end {
            Rc::make_mut(&mut self.chunks[index]).truncate(end);
        }
    }

    /// Drops the first `count` records and the chunks only they used.
    fn drain_front(&mut self, count: usize) {
        if count >= self.len {
            self.clear();
            return;
        }
        self.len -= count;
        self.dropped_in_first += count;
        while self.dropped_in_first >= ENTRIES_PER_CHUNK {
            self.entry_chunks.pop_front();
            self.dropped_in_first -= ENTRIES_PER_CHUNK;
        }
        let first_needed = self.entry(0).chunk;
        while self.first_chunk < first_needed && !self.chunks.is_empty() {
            self.chunks.pop_front();
            self.first_chunk += 1;
        }
    }

    /// Keeps the records `keep` says yes to, rewriting the bytes (as the log cleaner
    /// writes cleaned segments).
    fn retain(&mut self, mut keep: impl FnMut(&StoredRecord) -> bool) {
        let mut rewritten = RecordStore {
            first_chunk: self.first_chunk + self.chunks.len() as u32,
            ..Default::default()
        };
        for entry in self.entries() {
            if keep(entry) {
                rewritten.push(&self.materialize(entry), entry.offset, entry.leader_epoch);
            }
        }
        *self = rewritten;
    }

    /// The index of the first record at or after `offset`.
    fn position(&self, offset: u64) -> usize {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.entry(middle).offset < offset {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// Heap bytes held, for the memory benchmark (shared chunks counted in full).
    fn heap_bytes(&self) -> usize {
        let entries: usize = self.entry_chunks.iter().map(|c| c.capacity()).sum();
        entries * std::mem::size_of::<StoredRecord>()
            + self.chunks.iter().map(|c| c.capacity()).sum::<usize>()
            + (self.chunks.capacity() + self.entry_chunks.capacity()) * std::mem::size_of::<usize>()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLog {
    /// Records in offset order; compaction may leave gaps between offsets.
    records: RecordStore,
    log_start_offset: u64,
    log_end_offset: u64,
    segments: Vec<Segment>,
    /// `(leader_epoch, start_offset)`, epochs increasing.
    epoch_starts: Vec<(u32, u64)>,
}

impl Default for PartitionLog {
    fn default() -> Self {
        Self::new(0)
    }
}

/// What a read returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    Records(Vec<Record>),
    OutOfRange {
        log_start_offset: u64,
        log_end_offset: u64,
    },
}

impl PartitionLog {
    pub fn new(created_tick: u64) -> Self {
        Self {
            records: RecordStore::default(),
            log_start_offset: 0,
            log_end_offset: 0,
            segments: vec![Segment {
                base_offset: 0,
                size_bytes: 0,
                created_tick,
                max_timestamp: 0,
            }],
            epoch_starts: Vec::new(),
        }
    }

    pub fn log_start_offset(&self) -> u64 {
        self.log_start_offset
    }

    /// LEO: the offset the next appended record gets.
    pub fn log_end_offset(&self) -> u64 {
        self.log_end_offset
    }

    /// How many records the log keeps (fewer than LEO − log start offset after compaction).
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Every record, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = Record> + '_ {
        self.records.entries().map(|e| self.records.materialize(e))
    }

    /// The offsets of the kept records, oldest first.
    pub fn offsets(&self) -> impl Iterator<Item = u64> + '_ {
        self.records.entries().map(|e| e.offset)
    }

    /// The offset of an idempotent producer's record with this sequence, if kept.
    pub fn offset_of_sequence(&self, producer_id: u64, sequence: i32) -> Option<u64> {
        self.records
            .entries()
            .rev()
            .find(|e| e.producer_id == producer_id && e.sequence == sequence)
            .map(|e| e.offset)
    }

    /// Heap bytes the stored records take (metadata, payload chunks and their slack).
    pub fn heap_bytes(&self) -> usize {
        self.records.heap_bytes()
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.size_bytes).sum()
    }

    pub fn latest_epoch(&self) -> Option<u32> {
        self.epoch_starts.last().map(|&(epoch, _)| epoch)
    }

    pub fn epoch_starts(&self) -> &[(u32, u64)] {
        &self.epoch_starts
    }

    /// A new leader remembers where its epoch starts, before it appends anything
    /// (`UnifiedLog.maybeAssignEpochStartOffset`), so followers can ask about it.
    pub fn assign_epoch_start(&mut self, leader_epoch: u32) {
        if self
            .latest_epoch()
            .is_none_or(|latest| latest < leader_epoch)
        {
            self.epoch_starts.push((leader_epoch, self.log_end_offset));
        }
    }

    /// Appends a record as a leader does: it gets the next offset and the leader's epoch.
    /// Returns the offset.
    pub fn append_as_leader(
        &mut self,
        record: &Record,
        leader_epoch: u32,
        now: u64,
        config: &TopicConfig,
    ) -> u64 {
        let offset = self.log_end_offset;
        self.append(record, offset, leader_epoch, now, config);
        offset
    }

    /// Appends a record copied from the leader, keeping its offset and epoch.
    pub fn append_replicated(&mut self, record: &Record, now: u64, config: &TopicConfig) {
        self.append(record, record.offset, record.leader_epoch, now, config);
    }

    fn append(
        &mut self,
        record: &Record,
        offset: u64,
        leader_epoch: u32,
        now: u64,
        config: &TopicConfig,
    ) {
        debug_assert!(offset >= self.log_end_offset, "offsets strictly increase");
        if self.latest_epoch() != Some(leader_epoch) {
            self.epoch_starts.push((leader_epoch, offset));
        }
        self.maybe_roll(record.size_in_bytes(), now, config);
        let segment = self
            .segments
            .last_mut()
            .expect("a log always has an active segment");
        segment.size_bytes += record.size_in_bytes();
        segment.max_timestamp = segment.max_timestamp.max(record.timestamp);
        self.log_end_offset = offset + 1;
        self.records.push(record, offset, leader_epoch);
    }

    /// Starts a new active segment when the next record would overflow `segment.bytes`, or
    /// the active segment is older than `segment.ms` (Kafka's `LogSegment.shouldRoll`).
    fn maybe_roll(&mut self, next_record_bytes: u64, now: u64, config: &TopicConfig) {
        let active = self.segments.last().expect("active segment");
        let full =
            active.size_bytes > 0 && active.size_bytes + next_record_bytes > config.segment_bytes;
        let old =
            active.size_bytes > 0 && now.saturating_sub(active.created_tick) >= config.segment_ms;
        if full || old {
            self.segments.push(Segment {
                base_offset: self.log_end_offset,
                size_bytes: 0,
                created_tick: now,
                max_timestamp: 0,
            });
        }
    }

    /// Records from `offset` on, at most `max_records`, stopping before `upper_bound`
    /// (the high watermark for consumers, the LEO for followers).
    pub fn read(&self, offset: u64, max_records: usize, upper_bound: u64) -> ReadOutcome {
        if offset < self.log_start_offset || offset > self.log_end_offset {
            return ReadOutcome::OutOfRange {
                log_start_offset: self.log_start_offset,
                log_end_offset: self.log_end_offset,
            };
        }
        let start = self.records.position(offset);
        let end = self.records.position(upper_bound);
        let end = end.max(start).min(start.saturating_add(max_records));
        ReadOutcome::Records(
            (start..end)
                .map(|index| self.records.materialize(self.records.entry(index)))
                .collect(),
        )
    }

    pub fn record_at(&self, offset: u64) -> Option<Record> {
        let index = self.records.position(offset);
        (index < self.records.len() && self.records.entry(index).offset == offset)
            .then(|| self.records.materialize(self.records.entry(index)))
    }

    /// Removes every record at or above `offset` (a follower dropping what the new leader
    /// never had, KIP-101). Returns how many records went.
    pub fn truncate_to(&mut self, offset: u64) -> usize {
        if offset >= self.log_end_offset {
            // No records go, but an epoch this replica began as leader without appending
            // anything (an empty epoch at the LEO) does: the new leader never saw it.
            self.epoch_starts.retain(|&(_, start)| start < offset);
            return 0;
        }
        let keep = self.records.position(offset);
        let removed = self.records.len() - keep;
        self.records.truncate(keep);
        self.log_end_offset = offset.max(self.log_start_offset);
        self.epoch_starts
            .retain(|&(_, start)| start < self.log_end_offset);
        self.segments.retain(|s| {
            s.base_offset < self.log_end_offset || s.base_offset == self.log_start_offset
        });
        if self.segments.is_empty() {
            self.segments.push(Segment {
                base_offset: self.log_end_offset,
                size_bytes: 0,
                created_tick: 0,
                max_timestamp: 0,
            });
        }
        self.recompute_segment_sizes();
        removed
    }

    /// Kafka's `LeaderEpochFileCache.endOffsetFor`: the first offset *after* epoch
    /// `requested_epoch`, i.e. the start of the next larger epoch, or the LEO if the requested
    /// epoch is the latest. Returns `(epoch, end_offset)`; an epoch older than anything known
    /// answers with the log start offset... which here is `(requested, log_start_offset)`.
    pub fn end_offset_for_epoch(&self, requested_epoch: u32) -> (u32, u64) {
        match self.latest_epoch() {
            None => (requested_epoch, self.log_end_offset),
            Some(latest) if requested_epoch >= latest => (latest, self.log_end_offset),
            Some(_) => {
                // The largest known epoch <= requested ends where the next epoch starts.
                let next = self
                    .epoch_starts
                    .iter()
                    .position(|&(epoch, _)| epoch > requested_epoch);
                match next {
                    Some(0) => (requested_epoch, self.log_start_offset),
                    Some(index) => (self.epoch_starts[index - 1].0, self.epoch_starts[index].1),
                    None => (requested_epoch, self.log_end_offset),
                }
            }
        }
    }

    /// Deletes closed segments that retention allows to delete (`UnifiedLog.deleteOldSegments`):
    /// those whose newest record is older than `retention.ms`, and the oldest ones while the
    /// log is larger than `retention.bytes`. Never the active segment, and never past
    /// `max_deletable_offset` (the high watermark). Returns how many records went.
    pub fn apply_retention(
        &mut self,
        now: u64,
        config: &TopicConfig,
        max_deletable_offset: u64,
    ) -> usize {
        if !config.cleanup_policy.deletes() {
            return 0;
        }
        let mut total = self.size_bytes();
        let mut delete_segments = 0;
        for (index, segment) in self.segments.iter().enumerate() {
            let next_base = match self.segments.get(index + 1) {
                Some(next) => next.base_offset,
                None => break, // the active segment stays
            };
            if next_base > max_deletable_offset {
                break;
            }
            // A closed segment that compaction emptied goes with the next deletion too.
            let expired = config.retention_ms >= 0
                && (segment.size_bytes == 0
                    || now.saturating_sub(segment.max_timestamp) > config.retention_ms as u64);
            let oversized = config.retention_bytes >= 0
                && total - segment.size_bytes >= config.retention_bytes as u64;
            if !(expired || oversized) {
                break;
            }
            total -= segment.size_bytes;
            delete_segments += 1;
        }
        if delete_segments == 0 {
            return 0;
        }
        let new_start = self.segments[delete_segments].base_offset;
        self.segments.drain(..delete_segments);
        let removed = self.records.position(new_start);
        self.records.drain_front(removed);
        self.log_start_offset = new_start;
        removed
    }

    /// Compacts the closed segments below `max_compactable_offset` (the high watermark):
    /// only the newest record per key survives; tombstones older than `delete.retention.ms`
    /// go too. Records without a key cannot be compacted (Kafka rejects them on compacted
    /// topics; the playground keeps them). Returns how many records went.
    pub fn compact(
        &mut self,
        now: u64,
        config: &TopicConfig,
        max_compactable_offset: u64,
    ) -> usize {
        if !config.cleanup_policy.compacts() || self.segments.len() < 2 {
            return 0;
        }
        let active_base = self.segments.last().expect("active segment").base_offset;
        let limit = active_base.min(max_compactable_offset);
        let store = &self.records;
        let key_of = |e: &StoredRecord| {
            (e.key_length != NULL_LENGTH).then(|| &store.bytes_of(e)[..e.key_length as usize])
        };
        let mut latest_by_key: BTreeMap<&[u8], u64> = BTreeMap::new();
        for entry in store.entries() {
            if let Some(key) = key_of(entry) {
                latest_by_key.insert(key, entry.offset);
            }
        }
        let keep: Vec<bool> = store
            .entries()
            .map(|entry| {
                if entry.offset >= limit {
                    return true;
                }
                let Some(key) = key_of(entry) else {
                    return true;
                };
                if latest_by_key.get(key) != Some(&entry.offset) {
                    return false;
                }
                let tombstone = entry.value_length == NULL_LENGTH;
                !(tombstone && now.saturating_sub(entry.timestamp) > config.delete_retention_ms)
            })
            .collect();
        let before = self.records.len();
        let mut flags = keep.into_iter();
        self.records.retain(|_| flags.next().unwrap_or(true));
        self.recompute_segment_sizes();
        before - self.records.len()
    }

    fn recompute_segment_sizes(&mut self) {
        let bases: Vec<u64> = self.segments.iter().map(|s| s.base_offset).collect();
        for segment in &mut self.segments {
            segment.size_bytes = 0;
            segment.max_timestamp = 0;
        }
        for entry in self.records.entries() {
            let index = bases
                .partition_point(|&base| base <= entry.offset)
                .saturating_sub(1);
            let size = if entry.headers_length == 0 {
                RECORD_BATCH_OVERHEAD_BYTES + 7 + entry.payload_length() as u64
            } else {
                self.records.materialize(entry).size_in_bytes()
            };
            let segment = &mut self.segments[index];
            segment.size_bytes += size;
            segment.max_timestamp = segment.max_timestamp.max(entry.timestamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, value: Option<&str>, timestamp: u64) -> Record {
        Record {
            offset: 0,
            timestamp,
            key: Some(key.to_string()),
            value: value.map(str::to_string),
            headers: vec![],
            producer_id: None,
            producer_epoch: 0,
            sequence: -1,
            leader_epoch: 0,
        }
    }

    fn small_segments() -> TopicConfig {
        // Each test record is 61 + 7 + 2 = 70 bytes; two fit in a 150-byte segment.
        TopicConfig {
            segment_bytes: 150,
            ..TopicConfig::default()
        }
    }

    #[test]
    fn offsets_are_assigned_in_order_and_leo_follows() {
        let mut log = PartitionLog::new(0);
        let config = TopicConfig::default();
        assert_eq!(
            log.append_as_leader(&record("a", Some("1"), 0), 0, 0, &config),
            0
        );
        assert_eq!(
            log.append_as_leader(&record("b", Some("2"), 0), 0, 0, &config),
            1
        );
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(log.record_at(1).unwrap().key.as_deref(), Some("b"));
    }

    #[test]
    fn the_compact_store_keeps_every_field_across_chunks_truncation_and_retention() {
        let mut log = PartitionLog::new(0);
        let config = TopicConfig {
            segment_bytes: 100_000,
            ..TopicConfig::default()
        };
        let make = |i: u64| Record {
            offset: 0,
            timestamp: i,
            key: (!i.is_multiple_of(3)).then(|| format!("key-{i}")),
            value: (!i.is_multiple_of(5)).then(|| "v".repeat(i as usize % 700)),
            headers: if i.is_multiple_of(2) {
                vec![
                    ("h".into(), format!("{i}")),
                    ("kafka_x".into(), String::new()),
                ]
            } else {
                vec![]
            },
            producer_id: i.is_multiple_of(4).then_some(1000),
            producer_epoch: 2,
            sequence: i as i32,
            leader_epoch: 0,
        };
        for i in 0..2_000 {
            log.append_as_leader(&make(i), (i / 500) as u32, i, &config);
        }
        assert!(log.records.chunks.len() > 5, "spans several chunks");
        for i in [0, 1, 2, 3, 4, 999, 1_999] {
            let mut expected = make(i);
            expected.offset = i;
            expected.leader_epoch = (i / 500) as u32;
            assert_eq!(log.record_at(i), Some(expected), "offset {i}");
        }
        assert_eq!(log.offset_of_sequence(1000, 8), Some(8));
        assert_eq!(log.offset_of_sequence(1000, 9), None);
        log.truncate_to(1_500);
        log.append_replicated(
            &Record {
                offset: 1_500,
                leader_epoch: 9,
                ..make(7)
            },
            1_500,
            &config,
        );
        assert_eq!(log.record_at(1_500).unwrap().key.as_deref(), Some("key-7"));
        assert_eq!(log.record_at(1_499).unwrap().timestamp, 1_499);
        let retention = TopicConfig {
            retention_ms: 10,
            ..config
        };
        assert!(log.apply_retention(1_000_000, &retention, 1_501) > 0);
        let first = log.records().next().unwrap();
        assert_eq!(log.record_at(first.offset), Some(first));
    }

    #[test]
    fn a_copy_shares_full_chunks_and_changes_apart_from_the_original() {
        let config = TopicConfig::default();
        let mut original = PartitionLog::new(0);
        for i in 0..(3 * ENTRIES_PER_CHUNK as u64 + 10) {
            original.append_as_leader(&record(&format!("k{i}"), Some("v"), i), 0, i, &config);
        }
        let mut copy = original.clone();
        let shared = |a: &PartitionLog, b: &PartitionLog| {
            a.records
                .entry_chunks
                .iter()
                .zip(&b.records.entry_chunks)
                .filter(|(x, y)| Rc::ptr_eq(x, y))
                .count()
        };
        assert_eq!(shared(&original, &copy), 4);
        copy.append_as_leader(&record("new", Some("v"), 0), 1, 0, &config);
        assert_eq!(
            shared(&original, &copy),
            3,
            "only the last chunk was copied"
        );
        copy.truncate_to(5);
        copy.append_as_leader(&record("other", Some("w"), 0), 2, 0, &config);
        assert_eq!(original.log_end_offset(), 3 * ENTRIES_PER_CHUNK as u64 + 10);
        assert_eq!(original.record_at(5).unwrap().key.as_deref(), Some("k5"));
        assert_eq!(copy.record_at(5).unwrap().key.as_deref(), Some("other"));
        assert_eq!(copy.record_count(), 6);
        let retention = TopicConfig {
            segment_bytes: 1,
            retention_ms: 0,
            ..config
        };
        let mut trimmed = original.clone();
        trimmed.append_as_leader(&record("last", Some("v"), 99), 0, 10, &retention);
        trimmed.apply_retention(1_000_000, &retention, trimmed.log_end_offset());
        assert_eq!(trimmed.log_start_offset(), trimmed.log_end_offset() - 1);
        assert_eq!(trimmed.records().count(), 1);
        assert_eq!(original.records().count(), 3 * ENTRIES_PER_CHUNK + 10);
    }

    #[test]
    fn chunks_stay_bounded_when_every_append_follows_a_copy() {
        // As when the timeline takes a snapshot before each move: the last chunks are copied
        // each time, and must not grow past their bound.
        let config = TopicConfig::default();
        let mut log = PartitionLog::new(0);
        let mut snapshots = Vec::new();
        for i in 0..3_000 {
            snapshots.push(log.clone());
            log.append_as_leader(
                &record(&format!("key-{i}"), Some("some value"), i),
                0,
                i,
                &config,
            );
        }
        assert!(log.records.chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
        assert!(log
            .records
            .entry_chunks
            .iter()
            .all(|c| c.len() <= ENTRIES_PER_CHUNK));
        let payload: usize = log.records.chunks.iter().map(|c| c.len()).sum();
        assert!(
            log.records.chunks.len() <= payload / CHUNK_BYTES + 2,
            "{} chunks for {payload} bytes",
            log.records.chunks.len()
        );
        assert_eq!(log.records().count(), 3_000);
        assert_eq!(snapshots[1_000].records().count(), 1_000);
    }

    #[test]
    fn reads_outside_the_log_are_out_of_range() {
        let mut log = PartitionLog::new(0);
        let config = TopicConfig::default();
        log.append_as_leader(&record("a", Some("1"), 0), 0, 0, &config);
        assert!(matches!(
            log.read(2, 10, 1),
            ReadOutcome::OutOfRange {
                log_start_offset: 0,
                log_end_offset: 1
            }
        ));
        assert_eq!(log.read(1, 10, 1), ReadOutcome::Records(vec![]));
        // The upper bound (the high watermark for consumers) hides record 0 until it moves.
        assert_eq!(log.read(0, 10, 0), ReadOutcome::Records(vec![]));
    }

    #[test]
    fn segments_roll_at_segment_bytes() {
        let mut log = PartitionLog::new(0);
        let config = small_segments();
        for i in 0..5 {
            log.append_as_leader(&record("k", Some("v"), i), 0, i, &config);
        }
        let bases: Vec<u64> = log.segments().iter().map(|s| s.base_offset).collect();
        assert_eq!(bases, vec![0, 2, 4]);
    }

    #[test]
    fn retention_deletes_whole_closed_segments_only() {
        let mut log = PartitionLog::new(0);
        let config = TopicConfig {
            retention_ms: 100,
            ..small_segments()
        };
        for i in 0..5 {
            log.append_as_leader(&record("k", Some("v"), i), 0, i, &config);
        }
        // At tick 103 records 0..=1 (segment 0, max timestamp 1) are older than 100 ticks,
        // segment 1 (max timestamp 3) is not.
        assert_eq!(log.apply_retention(103, &config, 5), 2);
        assert_eq!(log.log_start_offset(), 2);
        // The high watermark bounds deletion: nothing above it may go.
        assert_eq!(log.apply_retention(10_000, &config, 3), 0);
        assert_eq!(log.apply_retention(10_000, &config, 5), 2);
        assert_eq!(
            log.log_start_offset(),
            4,
            "the active segment is never deleted"
        );
        assert!(matches!(
            log.read(0, 1, 5),
            ReadOutcome::OutOfRange {
                log_start_offset: 4,
                ..
            }
        ));
    }

    #[test]
    fn compaction_keeps_latest_per_key_and_drops_old_tombstones() {
        let mut log = PartitionLog::new(0);
        let config = TopicConfig {
            cleanup_policy: super::super::topic::CleanupPolicy::Compact,
            delete_retention_ms: 10,
            ..small_segments()
        };
        log.append_as_leader(&record("a", Some("1"), 0), 0, 0, &config); // 0
        log.append_as_leader(&record("b", Some("1"), 0), 0, 0, &config); // 1
        log.append_as_leader(&record("a", Some("2"), 0), 0, 0, &config); // 2
        log.append_as_leader(&record("b", None, 0), 0, 0, &config); // 3: tombstone for b
        log.append_as_leader(&record("c", Some("1"), 0), 0, 0, &config); // 4: active segment
        assert_eq!(log.compact(5, &config, 5), 2);
        let offsets: Vec<u64> = log.offsets().collect();
        assert_eq!(
            offsets,
            vec![2, 3, 4],
            "the tombstone survives delete.retention.ms"
        );
        assert_eq!(log.compact(100, &config, 5), 1);
        let offsets: Vec<u64> = log.offsets().collect();
        assert_eq!(offsets, vec![2, 4]);
        assert_eq!(log.log_end_offset(), 5, "compaction never moves the LEO");
    }

    #[test]
    fn truncation_and_epoch_end_offsets_follow_kip_101() {
        let mut log = PartitionLog::new(0);
        let config = TopicConfig::default();
        log.append_as_leader(&record("a", Some("1"), 0), 0, 0, &config); // epoch 0: offset 0
        log.append_as_leader(&record("a", Some("2"), 0), 0, 0, &config); // epoch 0: offset 1
        log.append_as_leader(&record("a", Some("3"), 0), 2, 0, &config); // epoch 2: offset 2
        assert_eq!(log.end_offset_for_epoch(0), (0, 2));
        assert_eq!(log.end_offset_for_epoch(1), (0, 2));
        assert_eq!(log.end_offset_for_epoch(2), (2, 3));
        assert_eq!(log.end_offset_for_epoch(5), (2, 3));
        assert_eq!(log.truncate_to(2), 1);
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(log.latest_epoch(), Some(0));
    }
}
