//! A circuit breaker for one target, per isolate. Pure: time comes in as milliseconds.
//!
//! - **Closed** (normal): every request is admitted. The breaker trips after `failures`
//!   consecutive failures, or when the failure ratio over the rolling `window` reaches
//!   `error_ratio` with at least `min_requests` requests in it.
//! - **Open**: nothing is admitted until the open period ends. The period is `open` on the
//!   first trip and doubles on each trip that follows without a close in between, up to
//!   `max_open`.
//! - **Half-open**: up to `probes` requests are admitted; that many successes close the
//!   breaker (and reset its trip count); any failure opens it again for a longer period.

pub use gatehouse_config::table::upstream::BreakerSettings;

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum State {
    Closed,
    Open { until_ms: f64 },
    HalfOpen { admitted: u32, succeeded: u32 },
}

/// The window is kept as this many buckets, so it rolls in steps of a tenth.
const BUCKETS: usize = 10;

/// One target's breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    state: State,
    consecutive: u32,
    /// Trips since it last closed after a half-open success.
    trips: u32,
    /// (bucket start ms, requests, failures).
    window: [(f64, u32, u32); BUCKETS],
}

impl Breaker {
    pub fn new(settings: BreakerSettings) -> Breaker {
        Breaker {
            settings,
            state: State::Closed,
            consecutive: 0,
            trips: 0,
            window: [(f64::NEG_INFINITY, 0, 0); BUCKETS],
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Whether a request may go to this target now; admitting a half-open probe counts it.
    pub fn admit(&mut self, now_ms: f64) -> bool {
        if let State::Open { until_ms } = self.state {
            if now_ms < until_ms {
                return false;
            }
            self.state = State::HalfOpen {
                admitted: 0,
                succeeded: 0,
            };
        }
        match &mut self.state {
            State::Closed => true,
            State::HalfOpen { admitted, .. } if *admitted < self.settings.probes.max(1) => {
                *admitted += 1;
                true
            }
            _ => false,
        }
    }

    /// Whether [`Breaker::admit`] would admit a request now (without counting a probe).
    pub fn would_admit(&self, now_ms: f64) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { until_ms } => now_ms >= until_ms,
            State::HalfOpen { admitted, .. } => admitted < self.settings.probes.max(1),
        }
    }

    /// Records an admitted request's outcome.
    pub fn record(&mut self, ok: bool, now_ms: f64) {
        match &mut self.state {
            State::HalfOpen { succeeded, .. } => {
                if !ok {
                    self.trip(now_ms);
                    return;
                }
                *succeeded += 1;
                if *succeeded >= self.settings.probes.max(1) {
                    self.close();
                }
            }
            // A request admitted before the breaker opened: its outcome changes nothing.
            State::Open { .. } => {}
            State::Closed => {
                self.consecutive = if ok { 0 } else { self.consecutive + 1 };
                let bucket = self.bucket(now_ms);
                bucket.1 += 1;
                if !ok {
                    bucket.2 += 1;
                }
                if self.should_trip(now_ms) {
                    self.trip(now_ms);
                }
            }
        }
    }

    /// Seconds until an open breaker admits probes (rounded up, at least 1); 0 otherwise.
    pub fn retry_after_s(&self, now_ms: f64) -> u64 {
        match self.state {
            State::Open { until_ms } if until_ms > now_ms => {
                (((until_ms - now_ms) / 1_000.0).ceil() as u64).max(1)
            }
            _ => 0,
        }
    }

    fn should_trip(&self, now_ms: f64) -> bool {
        let s = &self.settings;
        if s.failures > 0 && self.consecutive >= s.failures {
            return true;
        }
        let Some(ratio) = s.error_ratio else {
            return false;
        };
        let since = now_ms - f64::from(s.window_ms);
        let (requests, failures) = self
            .window
            .iter()
            .filter(|(start, _, _)| *start > since)
            .fold((0, 0), |(r, f), (_, br, bf)| (r + br, f + bf));
        requests >= s.min_requests.max(1) && failures as f32 >= ratio * requests as f32
    }

    fn bucket(&mut self, now_ms: f64) -> &mut (f64, u32, u32) {
        let width = (f64::from(self.settings.window_ms) / BUCKETS as f64).max(1.0);
        let start = (now_ms / width).floor() * width;
        let slot = ((now_ms / width).floor() as u64 % BUCKETS as u64) as usize;
        if self.window[slot].0 != start {
            self.window[slot] = (start, 0, 0);
        }
        &mut self.window[slot]
    }

    fn trip(&mut self, now_ms: f64) {
        let s = &self.settings;
        let doubled = u64::from(s.open_ms).saturating_mul(1u64 << self.trips.min(20));
        let period = doubled.min(u64::from(s.max_open_ms.max(s.open_ms)));
        self.trips += 1;
        self.consecutive = 0;
        self.state = State::Open {
            until_ms: now_ms + period as f64,
        };
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.trips = 0;
        self.consecutive = 0;
        self.window = [(f64::NEG_INFINITY, 0, 0); BUCKETS];
    }
}
