//! `cargo bench --bench produce`: produce → replicate throughput (RF=3, acks=all) and the
//! memory each stored record costs beyond its payload. The same code as `kplay bench`;
//! see docs/BENCHMARKS.md for the figures and how they were taken.

use kafka_playground::bench::produce_replicate;

fn main() {
    // `cargo bench` passes `--bench`; a name filter may follow. Neither changes the run.
    let records = 1_000_000;
    let mut throughputs = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let report = produce_replicate(records, 10_000);
        throughputs.push(report.records_per_second);
        last = Some(report);
    }
    throughputs.sort_by(f64::total_cmp);
    let report = last.expect("five runs");
    println!(
        "produce_replicate/{records}: median {:.0} records/s (slowest {:.0}, fastest {:.0}); {:.1} bytes per record beyond the payload",
        throughputs[2], throughputs[0], throughputs[4], report.overhead_bytes_per_record
    );
}
