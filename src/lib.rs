//! Kafka Playground: a Kafka broker for learning, running in the browser.
//!
//! * [`broker`] — the deterministic core: a simulated Kafka cluster.
//! * [`scenario`] — sessions and scenario files: seed + config + commands.
//! * [`json`] — the scenario format's JSON (and the coordinator's records) by hand.
//! * [`session`] — what the page does with a session's timeline, testable natively.
//! * `storage` and `ui` (wasm only) — IndexedDB persistence and the Yew app.

pub mod broker;
pub mod json;
/// Decimal numbers for the page, without the float formatter.
pub mod number;
pub mod scenario;
/// The page's session model without the page: stepping, auto-consume, the starter session.
pub mod session;

/// The produce benchmark (`kplay bench`, `cargo bench`); it reads the wall clock, so it
/// is for native runs only and lives outside the core.
pub mod bench;

#[cfg(target_arch = "wasm32")]
pub mod storage;
#[cfg(target_arch = "wasm32")]
pub mod ui;
