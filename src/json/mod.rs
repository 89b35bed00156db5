//! JSON read and written by hand, for the scenario format and for the JSON records the
//! group coordinator keeps in `__consumer_offsets`.
//!
//! The shapes are the ones serde's derives give the types (so files written by earlier
//! builds, and by `serde_json` in tests, read the same), but the code is a few shared
//! functions rather than one generated reader and writer per type and field: in the page,
//! serde's derived code for the core's types was a large part of the download. Values are
//! parsed by `serde_json` into a [`serde_json::Value`] first.

mod read;
mod write;

pub use read::{invalid_type, unknown_variant, variant, Fields, FromJson};
pub use write::{write_string, Object, ToJson};
