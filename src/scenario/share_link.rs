//! Share links and imported files: a whole session carried outside the browser's storage.
//!
//! A **share link** holds the session in the URL fragment (`#scenario=...`): the scenario's
//! JSON, deflated and base64url-encoded. Browsers never send the fragment to a server, so
//! nothing leaves the learner's machine until they pass the link on. Opening one creates a
//! new workspace; it never overwrites an existing one.
//!
//! An **imported file** is the scenario format (`docs/scenario-format.md`). Both go through
//! [`import`], which checks everything before anything is stored: size, JSON, version, every
//! entry's type, fields and bounds, and that the whole session replays (a command the
//! cluster refuses is named by its index).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{Scenario, ScenarioError, Timeline};

/// The fragment's prefix: `https://…/#scenario=<base64url(deflate(json))>`.
pub const SHARE_PREFIX: &str = "#scenario=";
/// Longest share link fragment made: links beyond this break in chat tools and mail
/// clients, so a bigger session is offered as a file instead.
pub const MAX_SHARE_CHARS: usize = 16_000;
/// Largest file (or inflated link) accepted for import.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// Why a file or link could not be opened; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    TooLarge {
        bytes: usize,
        max: usize,
    },
    /// The link is not base64url or not deflated data.
    BrokenLink(String),
    Scenario(ScenarioError),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::TooLarge { bytes, max } => write!(
                f,
                "the file is {bytes} bytes, more than the limit of {max} bytes"
            ),
            ImportError::BrokenLink(why) => write!(f, "the share link is damaged: {why}"),
            ImportError::Scenario(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ImportError {}

/// Checks a scenario file completely, replaying it, and returns the replayed timeline (at
/// the scenario's `position`, if it names one).
pub fn import(text: &str) -> Result<Timeline, ImportError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge {
            bytes: text.len(),
            max: MAX_IMPORT_BYTES,
        });
    }
    let scenario = Scenario::from_json(text).map_err(ImportError::Scenario)?;
    let position = scenario.position;
    let mut timeline = Timeline::new(scenario).map_err(ImportError::Scenario)?;
    if let Some(position) = position {
        timeline.seek(position).map_err(ImportError::Scenario)?;
    }
    Ok(timeline)
}

/// The share link fragment for a scenario, or `None` when it would be longer than
/// [`MAX_SHARE_CHARS`]. (The page deflates in the browser instead, through
/// `CompressionStream`, and calls [`fragment_from_deflated`].)
pub fn share_fragment(scenario: &Scenario) -> Option<String> {
    let json = scenario.to_json();
    fragment_from_deflated(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9))
}

/// The fragment carrying a session already deflated (raw deflate, RFC 1951), or `None`
/// when it would be longer than [`MAX_SHARE_CHARS`].
pub fn fragment_from_deflated(deflated: &[u8]) -> Option<String> {
    let fragment = format!("{SHARE_PREFIX}{}", URL_SAFE_NO_PAD.encode(deflated));
    (fragment.len() <= MAX_SHARE_CHARS).then_some(fragment)
}

/// Whether a URL fragment is a share link (it may still be damaged).
pub fn is_share_fragment(fragment: &str) -> bool {
    fragment.starts_with(SHARE_PREFIX)
}

/// Opens a share link fragment (with or without the leading `#`), checking it as an import.
/// (The page inflates in the browser instead, through `DecompressionStream`.)
pub fn open_share_fragment(fragment: &str) -> Result<Timeline, ImportError> {
    let deflated = deflated_from_fragment(fragment)?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_IMPORT_BYTES)
        .map_err(|e| ImportError::BrokenLink(format!("not a compressed session ({e})")))?;
    import_inflated(json)
}

/// The deflated session a fragment carries: its prefix, size and base64url checked.
pub fn deflated_from_fragment(fragment: &str) -> Result<Vec<u8>, ImportError> {
    let encoded = fragment
        .strip_prefix(SHARE_PREFIX)
        .or_else(|| fragment.strip_prefix(&SHARE_PREFIX[1..]))
        .ok_or_else(|| ImportError::BrokenLink(format!("it does not start with {SHARE_PREFIX}")))?;
    if encoded.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge {
            bytes: encoded.len(),
            max: MAX_IMPORT_BYTES,
        });
    }
    URL_SAFE_NO_PAD
        .decode(encoded.trim())
        .map_err(|e| ImportError::BrokenLink(format!("not base64url ({e})")))
}

/// Imports a link's inflated bytes (at most [`MAX_IMPORT_BYTES`]), which must be UTF-8.
pub fn import_inflated(json: Vec<u8>) -> Result<Timeline, ImportError> {
    let text = String::from_utf8(json)
        .map_err(|_| ImportError::BrokenLink("the session is not UTF-8 text".into()))?;
    import(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::starter_scenario;

    #[test]
    fn a_share_link_opens_the_same_session_at_the_same_move() {
        let mut scenario = starter_scenario(7);
        let full = Timeline::new(scenario.clone()).unwrap();
        scenario.position = Some(full.total_moves() - 3);
        let fragment = share_fragment(&scenario).unwrap();
        assert!(fragment.starts_with("#scenario="));
        assert!(
            fragment.len() < 1_000,
            "the starter session is a short link: {}",
            fragment.len()
        );
        let opened = open_share_fragment(&fragment).unwrap();
        assert_eq!(opened.scenario().entries, scenario.entries);
        assert_eq!(opened.position(), full.total_moves() - 3);
        let mut expected = full.clone();
        expected.seek(full.total_moves() - 3).unwrap();
        assert_eq!(opened.cluster().view(), expected.cluster().view());
    }

    #[test]
    fn a_session_too_big_for_a_link_is_refused_as_a_link() {
        let mut scenario = starter_scenario(1);
        for i in 0..3_000 {
            scenario.entries.push(
                serde_json::from_value(serde_json::json!({
                    "type": "produce", "topic": "orders",
                    "key": format!("key-{i}-{}", i * 7919 % 10_007), "value": format!("{}", i * 104_729)
                }))
                .unwrap(),
            );
        }
        assert_eq!(share_fragment(&scenario), None);
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let text = |f: &str| open_share_fragment(f).unwrap_err().to_string();
        assert!(
            text("#scenario=%%%").contains("not base64url"),
            "{}",
            text("#scenario=%%%")
        );
        assert!(text("#scenario=aGVsbG8").contains("not a compressed session"));
        assert!(text("#other=1").contains("does not start with #scenario="));
        let not_json = format!(
            "#scenario={}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(b"hello", 6))
        );
        assert!(
            text(&not_json).starts_with("not a valid scenario"),
            "{}",
            text(&not_json)
        );
    }

    #[test]
    fn imports_are_checked_completely_and_errors_say_where() {
        let message = |text: &str| import(text).err().unwrap().to_string();
        assert!(message("{\"version\": 1,").starts_with("not a valid scenario: EOF while parsing"));
        assert_eq!(
            message(r#"{"version": 3, "seed": 1}"#),
            "scenario version 3 is not supported: this build reads version 1"
        );
        assert_eq!(
            message(r#"{"version": 1, "seed": 1, "entries": [{"type": "teleport"}]}"#),
            "entries[0]: unknown command type \"teleport\""
        );
        assert!(
            message(r#"{"version": 1, "seed": 1, "entries": [{"type": "step", "count": 0}]}"#)
                .starts_with("entries[0]: step count must be 1 to")
        );
        assert!(message(
            r#"{"version": 1, "seed": 1, "entries": [
                {"type": "create_topic", "name": "t", "partitions": 1, "replication_factor": 7}]}"#
        )
        .starts_with("entries[0]: InvalidReplicationFactor"));
        assert!(
            message(r#"{"version": 1, "seed": 1, "config": {"brokers": 40}}"#)
                .starts_with("config: ")
        );
        let huge = " ".repeat(MAX_IMPORT_BYTES + 1);
        assert_eq!(
            message(&huge),
            format!(
                "the file is {} bytes, more than the limit of {MAX_IMPORT_BYTES} bytes",
                MAX_IMPORT_BYTES + 1
            )
        );
    }
}
