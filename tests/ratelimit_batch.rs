//! Exact mode's batches: the isolate's bookkeeping (who leads, who queues, what each waiter
//! learns, the bounds) and the object's arithmetic for a batch take (`lease = n`, no lease
//! lifetime) against every algorithm.

use gatehouse::http::dates::{self, Period};
use gatehouse::ratelimit::batch::{share, Batches, CallId, Outcome, Step, Ticket};
use gatehouse::ratelimit::{
    answer, take_all, Algorithm, Decision, Limit, State, TakeRequest, WireLimit,
};

const T0: u64 = 1_800_000_000_000;
const KEY: (usize, &str) = (1, "policy|client");
const STALE: u64 = 2_000;

fn limit(limit: u64, window_ms: u64, algorithm: Algorithm) -> Limit {
    Limit {
        limit,
        window_ms,
        algorithm,
    }
}

fn decision(remaining: u64, reset_ms: u64) -> Decision {
    Decision {
        allowed: true,
        remaining,
        reset_ms,
        retry_after_ms: None,
    }
}

fn decided(outcome: &Outcome) -> &[Decision] {
    match outcome {
        Outcome::Decided(d) => d,
        Outcome::Failed(why) => panic!("failed: {why}"),
    }
}

// --- the isolate's bookkeeping ---

fn failed(n: usize) -> Vec<Outcome> {
    (0..n)
        .map(|i| Outcome::Failed(format!("unit {i}")))
        .collect()
}

fn lead(step: Step) -> (CallId, usize) {
    match step {
        Step::Lead(call, n) => (call, n),
        other => panic!("expected to lead, got {other:?}"),
    }
}

fn outcome(step: Step) -> String {
    match step {
        Step::Done(Outcome::Failed(label)) => label,
        other => panic!("expected an outcome, got {other:?}"),
    }
}

#[test]
fn a_request_alone_leads_its_own_call_at_once_and_leaves_no_state() {
    let mut b = Batches::new(10, 10);
    let (t, step) = b.join(KEY, T0, STALE);
    let (call, n) = lead(step);
    assert_eq!(n, 1);
    b.finish(KEY, call, failed(1), T0 + 5, STALE);
    assert_eq!(outcome(b.poll(KEY, t, T0 + 5, STALE)), "unit 0");
    assert!(
        b.is_empty(),
        "nothing in flight, queued or unread: the key's state is gone"
    );
}

#[test]
fn requests_arriving_during_a_call_go_together_in_the_next_in_arrival_order() {
    let mut b = Batches::new(10, 10);
    let (first, step) = b.join(KEY, T0, STALE);
    let (call, _) = lead(step);
    let queued: Vec<Ticket> = (1..=5)
        .map(|i| {
            let (t, step) = b.join(KEY, T0 + i, STALE);
            assert_eq!(step, Step::Wait);
            t
        })
        .collect();
    assert_eq!(b.queued(KEY), 5);
    assert_eq!(
        b.poll(KEY, queued[2], T0 + 6, STALE),
        Step::Wait,
        "a call is in flight"
    );
    b.finish(KEY, call, failed(1), T0 + 10, STALE);
    assert_eq!(outcome(b.poll(KEY, first, T0 + 10, STALE)), "unit 0");
    // The first of the queue to poll (here the third to arrive) leads all five, in arrival
    // order.
    let (second, n) = lead(b.poll(KEY, queued[2], T0 + 11, STALE));
    assert_eq!(n, 5);
    assert_eq!(b.poll(KEY, queued[0], T0 + 11, STALE), Step::Wait);
    b.finish(KEY, second, failed(5), T0 + 20, STALE);
    for (unit, t) in queued.iter().enumerate() {
        assert_eq!(
            outcome(b.poll(KEY, *t, T0 + 21, STALE)),
            format!("unit {unit}")
        );
    }
    assert!(b.is_empty());
}

#[test]
fn a_request_arriving_when_the_queue_waits_for_its_leader_leads_it_at_once() {
    let mut b = Batches::new(10, 10);
    let (_, step) = b.join(KEY, T0, STALE);
    let (call, _) = lead(step);
    let (waiting, _) = b.join(KEY, T0 + 1, STALE);
    b.finish(KEY, call, failed(1), T0 + 2, STALE);
    // Nobody of the queue has polled yet: a new arrival leads it, itself last.
    let (newcomer, step) = b.join(KEY, T0 + 3, STALE);
    let (next, n) = lead(step);
    assert_eq!(n, 2);
    assert_eq!(b.poll(KEY, waiting, T0 + 3, STALE), Step::Wait);
    b.finish(KEY, next, failed(2), T0 + 4, STALE);
    assert_eq!(outcome(b.poll(KEY, waiting, T0 + 4, STALE)), "unit 0");
    assert_eq!(outcome(b.poll(KEY, newcomer, T0 + 4, STALE)), "unit 1");
}

#[test]
fn another_key_or_limit_list_is_batched_apart() {
    let mut b = Batches::new(10, 10);
    assert!(matches!(b.join(KEY, T0, STALE).1, Step::Lead(_, 1)));
    assert!(matches!(
        b.join((1, "policy|other"), T0, STALE).1,
        Step::Lead(_, 1)
    ));
    assert!(matches!(
        b.join((2, "policy|client"), T0, STALE).1,
        Step::Lead(_, 1)
    ));
    assert_eq!(b.len(), 3);
}

#[test]
fn a_full_batch_sends_further_requests_alone() {
    let mut b = Batches::new(10, 3);
    let (_, step) = b.join(KEY, T0, STALE);
    let (call, _) = lead(step);
    let queued: Vec<Ticket> = (0..3).map(|_| b.join(KEY, T0, STALE).0).collect();
    assert_eq!(b.join(KEY, T0, STALE).1, Step::Alone);
    assert_eq!(b.queued(KEY), 3, "the batch stays at its bound");
    b.finish(KEY, call, failed(1), T0 + 1, STALE);
    assert_eq!(lead(b.poll(KEY, queued[0], T0 + 1, STALE)).1, 3);
}

#[test]
fn keys_with_state_stay_at_most_the_capacity_and_the_rest_take_alone() {
    let mut b = Batches::new(100, 10);
    let mut calls = Vec::new();
    for i in 0..150 {
        let name = format!("client-{i}");
        match b.join((0, &name), T0, STALE) {
            (t, Step::Lead(call, 1)) => calls.push((name, t, call)),
            (_, Step::Alone) => assert!(i >= 100, "key {i} taken alone below the bound"),
            other => panic!("key {i}: {other:?}"),
        }
    }
    assert_eq!(b.len(), 100);
    for (name, t, call) in calls {
        b.finish((0, &name), call, failed(1), T0 + 1, STALE);
        assert_eq!(outcome(b.poll((0, &name), t, T0 + 1, STALE)), "unit 0");
    }
    assert!(b.is_empty(), "answered and read calls leave nothing behind");
    // Lost calls (older than the stale bound) make room for new keys.
    for i in 0..100 {
        b.join((0, &format!("lost-{i}")), T0, STALE);
    }
    assert!(matches!(
        b.join((0, "new"), T0 + STALE, STALE).1,
        Step::Lead(_, 1)
    ));
    assert_eq!(b.len(), 1);
}

#[test]
fn a_lost_call_sends_its_live_requests_again_and_its_late_answer_admits_nobody() {
    let mut b = Batches::new(10, 10);
    let (first, step) = b.join(KEY, T0, STALE);
    let (c1, _) = lead(step);
    let (w1, _) = b.join(KEY, T0 + 1, STALE);
    let (w2, _) = b.join(KEY, T0 + 2, STALE);
    b.finish(KEY, c1, failed(1), T0 + 3, STALE);
    assert_eq!(outcome(b.poll(KEY, first, T0 + 3, STALE)), "unit 0");
    // w1 leads a call for both; then its request is cancelled: the call never answers.
    let (lost, n) = lead(b.poll(KEY, w1, T0 + 4, STALE));
    assert_eq!(n, 2);
    // w2 keeps looking while the call is out; w3 arrives.
    assert_eq!(b.poll(KEY, w2, T0 + STALE, STALE), Step::Wait);
    let (w3, step) = b.join(KEY, T0 + STALE + 1, STALE);
    assert_eq!(step, Step::Wait);
    // Past the stale bound the call is lost: the first to look leads a new one for the lost
    // call's live request (w2, first: it arrived first) and the queue; w1, which has not
    // looked since, is gone and left out.
    let (again, n) = lead(b.poll(KEY, w3, T0 + 4 + STALE, STALE));
    assert_eq!(n, 2, "w2 and w3");
    // The lost call's late answer is ignored: nobody learns anything from it.
    let admitted = Outcome::Decided(vec![decision(9, 1_000)]);
    b.finish(
        KEY,
        lost,
        vec![admitted.clone(), admitted],
        T0 + 5 + STALE,
        STALE,
    );
    assert_eq!(b.poll(KEY, w2, T0 + 5 + STALE, STALE), Step::Wait);
    b.finish(KEY, again, failed(2), T0 + 6 + STALE, STALE);
    assert_eq!(outcome(b.poll(KEY, w2, T0 + 6 + STALE, STALE)), "unit 0");
    assert_eq!(outcome(b.poll(KEY, w3, T0 + 6 + STALE, STALE)), "unit 1");
    // w1, were it still alive, takes alone.
    assert_eq!(b.poll(KEY, w1, T0 + 6 + STALE, STALE), Step::Alone);
    assert!(b.is_empty());
}

#[test]
fn a_lost_call_requeued_ahead_of_a_full_queue_keeps_the_queue_at_its_bound() {
    let mut b = Batches::new(10, 3);
    let (_, step) = b.join(KEY, T0, STALE);
    let (c1, _) = lead(step);
    let q: Vec<Ticket> = (0..3).map(|_| b.join(KEY, T0 + 1, STALE).0).collect();
    b.finish(KEY, c1, failed(1), T0 + 2, STALE);
    let (_lost, n) = lead(b.poll(KEY, q[0], T0 + 3, STALE));
    assert_eq!(n, 3);
    let r: Vec<Ticket> = (0..3).map(|_| b.join(KEY, T0 + 4, STALE).0).collect();
    // Everyone but the cancelled leader keeps looking; the call is lost.
    for t in q[1..].iter().chain(&r) {
        assert_eq!(b.poll(KEY, *t, T0 + STALE + 2, STALE), Step::Wait);
    }
    // The lost call's leader is gone; its live requests go first, then the queue up to the
    // bound: q1, q2, r0.
    let (_, n) = lead(b.poll(KEY, r[0], T0 + STALE + 3, STALE));
    assert_eq!(n, 3, "at most max_batch units in one call");
    assert_eq!(b.queued(KEY), 0);
    assert_eq!(b.poll(KEY, q[1], T0 + STALE + 3, STALE), Step::Wait);
    // The newest beyond the bound were forgotten: they take alone.
    assert_eq!(b.poll(KEY, r[2], T0 + STALE + 3, STALE), Step::Alone);
    assert_eq!(b.poll(KEY, r[1], T0 + STALE + 3, STALE), Step::Alone);
}

#[test]
fn requests_queued_long_ago_that_never_looked_again_are_not_charged_to_a_new_arrival() {
    let mut b = Batches::new(10, 10);
    let (_, step) = b.join(KEY, T0, STALE);
    let (c1, _) = lead(step);
    // 500 requests queue, then all their clients go away (the load generator stops).
    for _ in 0..500 {
        b.join(KEY, T0 + 1, STALE);
    }
    b.finish(KEY, c1, failed(1), T0 + 2, STALE);
    // Much later, one request arrives: it leads a call for itself alone.
    let (_, step) = b.join(KEY, T0 + 86_400_000, STALE);
    assert_eq!(lead(step).1, 1);
}

#[test]
fn requests_that_never_poll_again_strand_nobody_and_are_forgotten() {
    let mut b = Batches::new(10, 10);
    let (_, step) = b.join(KEY, T0, STALE);
    let (call, _) = lead(step);
    // Two queued requests whose clients went away: they never poll again.
    let (_gone1, _) = b.join(KEY, T0 + 1, STALE);
    let (_gone2, _) = b.join(KEY, T0 + 2, STALE);
    let (live, _) = b.join(KEY, T0 + 3, STALE);
    b.finish(KEY, call, failed(1), T0 + 4, STALE);
    // Whoever of the queue polls first leads it: the live request, not the first in line.
    let (next, n) = lead(b.poll(KEY, live, T0 + 5, STALE));
    assert_eq!(
        n, 3,
        "gone so recently, they are still counted: never fewer units than admissions"
    );
    b.finish(KEY, next, failed(3), T0 + 6, STALE);
    assert_eq!(
        outcome(b.poll(KEY, live, T0 + 6, STALE)),
        "unit 2",
        "it arrived third"
    );
    assert_eq!(b.len(), 1, "the gone requests' outcomes wait to be read");
    // After the stale bound they are dropped with the next answer for the key.
    let (t, step) = b.join(KEY, T0 + 6 + STALE, STALE);
    let (call, _) = lead(step);
    b.finish(KEY, call, failed(1), T0 + 6 + STALE, STALE);
    assert_eq!(outcome(b.poll(KEY, t, T0 + 6 + STALE, STALE)), "unit 0");
    assert!(b.is_empty());
}

#[test]
fn a_request_that_stops_waiting_leaves_the_queue_and_is_not_counted_in_the_next_call() {
    let mut b = Batches::new(10, 10);
    let (_, step) = b.join(KEY, T0, STALE);
    let (call, _) = lead(step);
    let (leaving, _) = b.join(KEY, T0 + 1, STALE);
    let (staying, _) = b.join(KEY, T0 + 2, STALE);
    b.leave(KEY, leaving);
    assert_eq!(
        b.poll(KEY, leaving, T0 + 3, STALE),
        Step::Alone,
        "it takes alone"
    );
    b.finish(KEY, call, failed(1), T0 + 4, STALE);
    assert_eq!(lead(b.poll(KEY, staying, T0 + 5, STALE)).1, 1);
}

// --- what each waiter learns ---

#[test]
fn a_batch_granted_in_full_admits_everyone_with_distinct_decreasing_remaining_counts() {
    // The object granted 4 and has 6 left afterwards.
    let out = share(4, 4, &[decision(6, 900)], 0);
    let remaining: Vec<u64> = out.iter().map(|o| decided(o)[0].remaining).collect();
    assert_eq!(remaining, [9, 8, 7, 6], "as if they had come one by one");
    assert!(out.iter().all(|o| decided(o)[0].allowed));
    assert!(out.iter().all(|o| decided(o)[0].reset_ms == 900));
}

#[test]
fn a_batch_granted_in_part_admits_the_first_in_arrival_order_and_refuses_the_rest_with_retry() {
    let out = share(5, 2, &[decision(0, 700)], 700);
    let admitted: Vec<bool> = out.iter().map(|o| decided(o)[0].allowed).collect();
    assert_eq!(admitted, [true, true, false, false, false]);
    assert_eq!(decided(&out[0])[0].remaining, 1);
    assert_eq!(decided(&out[1])[0].remaining, 0);
    for refused in &out[2..] {
        assert_eq!(
            decided(refused)[0],
            Decision {
                allowed: false,
                remaining: 0,
                reset_ms: 700,
                retry_after_ms: Some(700),
            }
        );
    }
}

#[test]
fn a_batch_granted_nothing_refuses_everyone_as_the_object_refused() {
    let refusal = Decision {
        allowed: false,
        remaining: 0,
        reset_ms: 400,
        retry_after_ms: Some(400),
    };
    let out = share(3, 0, &[refusal], 0);
    assert!(out.iter().all(|o| decided(o) == [refusal]));
}

#[test]
fn with_several_limits_each_admitted_waiter_counts_down_every_limit_and_only_spent_ones_say_when() {
    // Per-second has 3 left, the daily quota 0 after granting 2 of 3.
    let after = [decision(3, 1_000), decision(0, 50_000)];
    let out = share(3, 2, &after, 50_000);
    assert_eq!(
        decided(&out[0])
            .iter()
            .map(|d| d.remaining)
            .collect::<Vec<_>>(),
        [4, 1]
    );
    assert_eq!(
        decided(&out[1])
            .iter()
            .map(|d| d.remaining)
            .collect::<Vec<_>>(),
        [3, 0]
    );
    let refused = decided(&out[2]);
    assert!(refused.iter().all(|d| !d.allowed));
    assert_eq!(refused[0].retry_after_ms, None, "per-second did not refuse");
    assert_eq!(refused[1].retry_after_ms, Some(50_000));
}

#[test]
fn an_answer_granting_more_than_asked_admits_only_the_batch() {
    let out = share(2, 9, &[decision(5, 1)], 0);
    assert_eq!(out.len(), 2);
    assert_eq!(decided(&out[0])[0].remaining, 6);
}

// --- the object's arithmetic for a batch take ---

/// What the object answers a batch of `n` (lease `n`, no lease lifetime) at `now`.
fn batch_take(limits: &[Limit], states: &mut [State], now: u64, n: u64) -> (u64, Vec<Decision>) {
    let take = TakeRequest {
        limits: limits
            .iter()
            .enumerate()
            .map(|(i, l)| WireLimit::from_limit(&format!("l{i}"), l))
            .collect(),
        cost: 1,
        lease: n,
        lease_ttl_ms: 0,
        settle: 0,
        taken_ms: 0,
    };
    let r = answer(&take, limits, states, now);
    assert_eq!(r.lease_ms, 0, "an exact batch holds nothing for later");
    let decisions = r.decisions.into_iter().map(Into::into).collect();
    (r.granted, decisions)
}

/// Single takes admitted from `states` at `now` (up to 1,000).
fn singles_left(limits: &[Limit], states: &[State], now: u64) -> u64 {
    let mut states = states.to_vec();
    (0..1_000)
        .take_while(|_| {
            take_all(limits, &mut states, now, 1)
                .iter()
                .all(|d| d.allowed)
        })
        .count() as u64
}

#[test]
fn a_batch_take_grants_exactly_what_a_fixed_window_has_left() {
    let limits = [limit(25, 10_000, Algorithm::FixedWindow)];
    let mut states = vec![State::default()];
    assert_eq!(batch_take(&limits, &mut states, T0, 10).0, 10);
    let (granted, d) = batch_take(&limits, &mut states, T0 + 1, 40);
    assert_eq!(granted, 15);
    assert_eq!(d[0].remaining, 0);
    assert_eq!(states[0].count, 25, "granted units are consumed at once");
    assert_eq!(batch_take(&limits, &mut states, T0 + 2, 3).0, 0);
    assert_eq!(
        batch_take(&limits, &mut states, T0 + 10_000, 3).0,
        3,
        "the next window"
    );
}

#[test]
fn a_batch_take_grants_exactly_what_a_sliding_window_admits() {
    let limits = [limit(10, 1_000, Algorithm::SlidingWindow)];
    let mut states = vec![State::default()];
    let start = T0 - T0 % 1_000;
    assert_eq!(batch_take(&limits, &mut states, start + 100, 8).0, 8);
    // Half-way through the next window the previous 8 weigh 4: 6 more fit.
    let mid = start + 1_500;
    let expected = singles_left(&limits, &states, mid);
    assert_eq!(expected, 6);
    let (granted, d) = batch_take(&limits, &mut states, mid, 20);
    assert_eq!(granted, expected);
    assert_eq!(d[0].remaining, 0);
    assert_eq!(singles_left(&limits, &states, mid), 0);
}

#[test]
fn a_batch_take_grants_exactly_the_tokens_a_bucket_holds() {
    let limits = [limit(5, 1_000, Algorithm::TokenBucket { burst: 10 })];
    let mut states = vec![State::default()];
    assert_eq!(batch_take(&limits, &mut states, T0, 7).0, 7);
    // 3 left, plus 2 refilled in 400 ms.
    let later = T0 + 400;
    assert_eq!(singles_left(&limits, &states, later), 5);
    assert_eq!(batch_take(&limits, &mut states, later, 9).0, 5);
    assert_eq!(singles_left(&limits, &states, later), 0);
}

#[test]
fn a_batch_take_grants_exactly_what_a_daily_quota_has_left_until_midnight() {
    let limits = [limit(12, 0, Algorithm::Calendar(Period::Day))];
    let mut states = vec![State::default()];
    assert_eq!(batch_take(&limits, &mut states, T0, 5).0, 5);
    let (granted, d) = batch_take(&limits, &mut states, T0 + 60_000, 50);
    assert_eq!(granted, 7);
    let midnight = dates::window(Period::Day, T0).1;
    assert_eq!(d[0].reset_ms, midnight - (T0 + 60_000));
    assert_eq!(
        batch_take(&limits, &mut states, midnight, 50).0,
        12,
        "a fresh day"
    );
}

#[test]
fn a_batch_take_over_several_limits_grants_what_all_admit_and_charges_all_alike() {
    let limits = [
        limit(10, 1_000, Algorithm::FixedWindow),
        limit(4, 0, Algorithm::Calendar(Period::Day)),
    ];
    let mut states = vec![State::default(); 2];
    let (granted, d) = batch_take(&limits, &mut states, T0, 6);
    assert_eq!(granted, 4, "the daily quota bounds the batch");
    assert_eq!((d[0].remaining, d[1].remaining), (6, 0));
    assert_eq!((states[0].count, states[1].count), (4, 4));
    let (granted, d) = batch_take(&limits, &mut states, T0 + 1, 2);
    assert_eq!(granted, 0);
    assert!(d.iter().all(|d| !d.allowed));
    assert_eq!(
        states[0].count, 4,
        "a refused batch takes nothing from the other limits"
    );
}
