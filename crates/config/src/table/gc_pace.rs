//! `[gateway] gc_pace_slots`: GC pacing, the size of the short-lived array `src/entry.js`
//! allocates per event (a request, a Durable Object call) so that V8 collects its young
//! generation more often, in shorter pauses. docs/src/operations/gc-pacing.md.

/// The default: measured on local workerd (BENCHMARKS.md, "The latency tail"): 16 KiB per
/// event (V8 stores a slot in 4 bytes), which cut Gatehouse's scavenge pauses from 20-25 ms
/// to about 5 ms for the same CPU per request.
pub const DEFAULT: u32 = 4096;

/// The largest value the checker accepts: 4 MiB per event, so with workerd's young generation
/// of about 33 MB V8 would already collect every eight or so events.
pub const MAX: u32 = 1 << 20;

/// `0` turns pacing off: `pace()` in `src/entry.js` allocates nothing.
pub const OFF: u32 = 0;
