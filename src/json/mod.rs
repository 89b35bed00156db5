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

pub use read::{invalid_type, read_named, unknown_variant, Fields, FromJson};
pub use write::{write_string, Object, ToJson};

/// An enum written as the name of its variant (serde's unit variants: `"all"`,
/// `"cooperative-sticky"`). The names are given once, here, for reading and writing both.
pub trait Named: Copy + 'static {
    /// Every variant, in the order an error message lists them.
    const ALL: &'static [Self];
    fn json_name(self) -> &'static str;
}

/// [`FromJson`] and [`ToJson`] for [`Named`] enums.
macro_rules! named_json {
    ($($kind:ty),* $(,)?) => {$(
        impl $crate::json::ToJson for $kind {
            fn write_json(&self, out: &mut String) {
                $crate::json::write_string(out, $crate::json::Named::json_name(*self));
            }
        }

        impl $crate::json::FromJson for $kind {
            fn from_json(value: &serde_json::Value) -> Result<Self, String> {
                $crate::json::read_named(value)
            }
        }
    )*};
}
pub(crate) use named_json;
