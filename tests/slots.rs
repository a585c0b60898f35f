//! `slots::Slots`: per-isolate values by table index.

use gatehouse::slots::Slots;

#[test]
fn a_value_is_built_once_and_found_by_its_index() {
    let mut s: Slots<String> = Slots::new();
    assert_eq!(s.get(3), None);
    let mut builds = 0;
    for _ in 0..3 {
        s.get_or_insert_with(3, || {
            builds += 1;
            "three".to_string()
        });
    }
    assert_eq!(builds, 1);
    assert_eq!(s.get(3).map(String::as_str), Some("three"));
    assert_eq!(s.get(2), None, "indexes below stay empty");
    assert_eq!(s.get(4), None);
}

#[test]
fn insert_replaces_and_get_mut_changes_in_place() {
    let mut s = Slots::new();
    s.insert(0, 1);
    s.insert(0, 2);
    *s.get_mut(0).unwrap() += 1;
    assert_eq!(s.get(0), Some(&3));
    assert_eq!(s.get_mut(9), None);
}
