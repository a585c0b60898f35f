//! The hot tier's rules (`cache::hot`), natively: what a copy may be, how long it is kept,
//! what goes when the byte budget is full, and that the index stays bounded.

use gatehouse::cache::hot::{
    Admission, HotIndex, MAX_BYTES, MAX_ENTRY_BYTES, OVERHEAD_BYTES, ROOM_BYTES,
};

const NOW: f64 = 1_700_000_000_000.0;
const MINUTE: f64 = 60_000.0;

fn keep(drop: &[&str]) -> Admission {
    Admission::Keep {
        drop: drop.iter().map(|s| s.to_string()).collect(),
    }
}

/// Fills the budget with the largest copies, `u0` first; returns how many fit.
fn fill(hot: &mut HotIndex) -> usize {
    let fits = (MAX_BYTES / (MAX_ENTRY_BYTES + OVERHEAD_BYTES)) as usize;
    for i in 0..fits {
        let admitted = hot.admit(&format!("u{i}"), MAX_ENTRY_BYTES, NOW + MINUTE, NOW);
        assert_eq!(admitted, keep(&[]), "u{i} fits");
    }
    fits
}

#[test]
fn a_copy_is_kept_until_the_cache_api_drops_the_entry_then_dropped() {
    let mut hot = HotIndex::default();
    assert_eq!(hot.admit("a", 100, NOW + 1_000.0, NOW), keep(&[]));
    assert_eq!(hot.usable("a", NOW + 999.0), Some(true));
    assert_eq!(
        hot.usable("a", NOW + 1_000.0),
        Some(false),
        "past its time: dropped"
    );
    assert_eq!(hot.usable("a", NOW + 1_000.0), None);
    assert_eq!(hot.bytes(), 0);
}

#[test]
fn entries_over_64_kib_or_already_dropped_by_the_cache_api_are_not_kept() {
    let mut hot = HotIndex::default();
    let big = hot.admit("big", MAX_ENTRY_BYTES + 1, NOW + 1_000.0, NOW);
    assert_eq!(big, Admission::Refuse);
    assert_eq!(hot.admit("old", 10, NOW, NOW), Admission::Refuse);
    assert_eq!(
        hot.admit("edge", MAX_ENTRY_BYTES, NOW + 1.0, NOW),
        keep(&[])
    );
    assert_eq!(hot.usable("big", NOW), None);
    assert_eq!(hot.usable("old", NOW), None);
    assert_eq!(hot.usable("edge", NOW), Some(true));
}

#[test]
fn a_refused_copy_replaces_nothing_and_drops_the_older_copy_of_its_key() {
    let mut hot = HotIndex::default();
    hot.admit("a", 100, NOW + MINUTE, NOW);
    assert_eq!(
        hot.admit("a", MAX_ENTRY_BYTES + 1, NOW + MINUTE, NOW),
        Admission::Refuse
    );
    assert_eq!(
        hot.usable("a", NOW),
        None,
        "the older copy is not served for a newer entry"
    );
    assert_eq!(hot.bytes(), 0);
}

#[test]
fn over_the_byte_budget_the_least_recently_used_go_until_an_eighth_is_free() {
    let mut hot = HotIndex::default();
    let fits = fill(&mut hot);
    // u0 and u1 are used again: they are now the most recently used.
    assert_eq!(hot.usable("u0", NOW), Some(true));
    assert_eq!(hot.usable("u1", NOW), Some(true));
    let Admission::Keep { mut drop } = hot.admit("new", MAX_ENTRY_BYTES, NOW + MINUTE, NOW) else {
        panic!("a copy that fits after room is made is kept");
    };
    drop.sort_by_key(|u| u[1..].parse::<usize>().unwrap());
    let per = MAX_ENTRY_BYTES + OVERHEAD_BYTES;
    let enough = ROOM_BYTES.div_ceil(per) as usize; // an eighth of the budget
                                                    // The oldest uses go (u2, u3, ... in order of use), never u0 or u1; room is made in
                                                    // steps of an eighth of the span of uses, so a step may take a few more than enough.
    let expected: Vec<String> = (2..2 + drop.len()).map(|i| format!("u{i}")).collect();
    assert_eq!(drop, expected, "the oldest uses go, never u0 or u1");
    assert!(
        (enough..=2 * enough + 1).contains(&drop.len()),
        "{} dropped",
        drop.len()
    );
    assert!(hot.bytes() + ROOM_BYTES <= MAX_BYTES + per);
    assert_eq!(hot.len(), fits - drop.len() + 1);
    assert_eq!(hot.usable("u0", NOW), Some(true));
    assert_eq!(hot.usable("new", NOW), Some(true));
    assert_eq!(hot.usable("u2", NOW), None);
}

#[test]
fn over_the_byte_budget_a_copy_past_its_time_goes_even_when_recently_used() {
    let mut hot = HotIndex::default();
    let fits = fill(&mut hot);
    hot.admit(
        &format!("u{}", fits - 1),
        MAX_ENTRY_BYTES,
        NOW + 1_000.0,
        NOW,
    );
    assert_eq!(hot.usable(&format!("u{}", fits - 1), NOW), Some(true));
    let later = NOW + 2_000.0;
    let Admission::Keep { drop } = hot.admit("new", MAX_ENTRY_BYTES, later + MINUTE, later) else {
        panic!("kept");
    };
    assert!(drop.contains(&format!("u{}", fits - 1)), "{drop:?}");
}

#[test]
fn after_making_room_the_next_admissions_drop_nothing() {
    let mut hot = HotIndex::default();
    fill(&mut hot);
    let Admission::Keep { drop } = hot.admit("a", MAX_ENTRY_BYTES, NOW + MINUTE, NOW) else {
        panic!("kept");
    };
    assert!(!drop.is_empty());
    for i in 0..(ROOM_BYTES / (MAX_ENTRY_BYTES + OVERHEAD_BYTES)) - 1 {
        let admitted = hot.admit(&format!("b{i}"), MAX_ENTRY_BYTES, NOW + MINUTE, NOW);
        assert_eq!(admitted, keep(&[]), "b{i}");
    }
}

#[test]
fn small_copies_make_room_for_a_large_one() {
    let mut hot = HotIndex::default();
    let small = 1_024 - OVERHEAD_BYTES;
    for i in 0..(MAX_BYTES / 1_024) {
        assert_eq!(
            hot.admit(&format!("s{i}"), small, NOW + MINUTE, NOW),
            keep(&[])
        );
    }
    assert_eq!(hot.bytes(), MAX_BYTES);
    let Admission::Keep { drop } = hot.admit("large", MAX_ENTRY_BYTES, NOW + MINUTE, NOW) else {
        panic!("a large copy fits once small ones go");
    };
    assert_eq!(drop.len() as u64, ROOM_BYTES / 1_024, "the oldest eighth");
    assert!(drop
        .iter()
        .all(|u| u[1..].parse::<u64>().unwrap() < ROOM_BYTES / 1_024));
    assert_eq!(hot.usable("large", NOW), Some(true));
    assert!(hot.bytes() <= MAX_BYTES);
}

#[test]
fn a_new_copy_of_a_key_replaces_the_old_one_in_the_budget() {
    let mut hot = HotIndex::default();
    hot.admit("a", 1_000, NOW + MINUTE, NOW);
    hot.admit("a", 2_000, NOW + MINUTE, NOW);
    assert_eq!((hot.len(), hot.bytes()), (1, 2_000 + OVERHEAD_BYTES));
    hot.forget("a");
    assert!(hot.is_empty());
    assert_eq!(hot.bytes(), 0);
}

#[test]
fn under_endless_distinct_keys_the_index_stays_within_its_bounds() {
    let mut hot = HotIndex::default();
    let max_copies = (MAX_BYTES / OVERHEAD_BYTES) as usize;
    for i in 0..100_000u64 {
        let url = format!("k{i}");
        hot.admit(&url, i % 2_000, NOW + MINUTE, NOW);
        if i % 3 == 0 {
            hot.usable(&format!("k{}", i / 2), NOW);
        }
        if i % 7 == 0 {
            hot.forget(&format!("k{}", i - i / 4));
        }
        assert!(hot.bytes() <= MAX_BYTES);
    }
    assert!(hot.len() <= max_copies);
}

#[test]
fn re_storing_one_key_over_and_over_keeps_one_copy() {
    let mut hot = HotIndex::default();
    for _ in 0..10_000 {
        hot.admit("same", 100, NOW + MINUTE, NOW);
    }
    assert_eq!((hot.len(), hot.bytes()), (1, 100 + OVERHEAD_BYTES));
}
