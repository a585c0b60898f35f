//! Settings shared by the property tests (`tests/properties_*.rs`, `tests/path_properties.rs`,
//! `tests/jose_header.rs`, `crates/config/tests/properties_checker.rs`).
//!
//! Reproducibility: every run draws fresh random cases, and a failure's seed is saved in
//! `proptest-regressions/<test file>.txt` (committed), which proptest replays before any new
//! case on every later run, so a failure found once (here, in `make fuzz` or in CI) stays a
//! failing test until it is fixed. `PROPTEST_RNG_SEED=<u64>` pins a whole run's cases.
//!
//! Budget: `make test` runs each property's default number of cases (seconds in all);
//! `make fuzz` multiplies every property's cases by `FUZZ_FACTOR` (default 50).

use proptest::test_runner::{Config, FileFailurePersistence};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// The config for a property in `source` (pass `file!()`): `default_cases` cases (sized so
/// `make test` stays quick), times `FUZZ_FACTOR` when set (`make fuzz`), or exactly
/// `PROPTEST_CASES` when set; failures persisted under `proptest-regressions/`.
pub fn config(source: &'static str, default_cases: u32) -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
    let cases = env("PROPTEST_CASES")
        .unwrap_or_else(|| default_cases.saturating_mul(env("FUZZ_FACTOR").unwrap_or(1).max(1)));
    let stem = Path::new(source)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("properties");
    let file: &'static str = Box::leak(format!("proptest-regressions/{stem}.txt").into_boxed_str());
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        // Shrinking a slow failure must not itself look like a hang.
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

/// How long one case may take before it counts as a hang (generous: debug builds on a busy
/// 2-core machine; a real case takes microseconds to milliseconds).
pub const CASE_BUDGET: Duration = Duration::from_secs(5);

/// Runs `f` on its own thread and returns its result; panics (failing the case, with
/// `what` in the message) when it takes longer than [`CASE_BUDGET`], or panics itself.
/// A hung thread is left behind; the test still fails.
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a case thread");
    match rx.recv_timeout(CASE_BUDGET) {
        Ok(v) => {
            let _ = worker.join();
            v
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("took longer than {CASE_BUDGET:?} (a hang?): {what}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let reason = worker.join().err().map(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            });
            panic!("panicked ({}): {what}", reason.unwrap_or_default())
        }
    }
}
