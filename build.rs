//! Fingerprints the broker's source so that a stored checkpoint (the cluster's state in
//! binary) is only ever read by the code that wrote it. Any other build replays the
//! session's entries instead, which is always right.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

fn main() {
    let dir = Path::new("src/broker");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src/broker is readable")
        .map(|entry| entry.expect("src/broker lists").path())
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.file_name().hash(&mut hasher);
        std::fs::read(&file)
            .expect("broker source is readable")
            .hash(&mut hasher);
    }
    println!(
        "cargo::rustc-env=KPLAY_BROKER_FINGERPRINT={:016x}",
        hasher.finish()
    );
}
