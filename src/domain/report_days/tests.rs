use super::*;
use proptest::prelude::*;

fn units() -> Vec<(String, Option<String>)> {
    [
        ("DINKES", None),
        ("PKM_A", Some("DINKES")),
        ("POSYANDU", Some("PKM_A")),
        ("DPUPR", None),
        ("KOMINFO", None),
    ]
    .iter()
    .map(|(c, p)| ((*c).to_owned(), p.map(str::to_owned)))
    .collect()
}

fn pics() -> Vec<(i64, String)> {
    vec![
        (7, "PKM_A".into()),
        (8, "KOMINFO".into()),
        (9, "GONE".into()),
    ]
}

fn issue(id: i64, assigned: Option<&str>, filing: &str, sensitivity: &str) -> IssueFact {
    IssueFact {
        id,
        created_at: 0,
        assigned_unit: assigned.map(str::to_owned),
        filing_unit: Some(filing.to_owned()),
        sensitivity: sensitivity.to_owned(),
        category: "infrastruktur".into(),
        priority: "high".into(),
        channel: "facebook".into(),
        district: None,
        status: "closed".into(),
        is_open: false,
        filer: None,
        steps: 0,
        hoax: None,
    }
}

#[test]
fn leaders_see_by_the_visibility_rule() {
    let tree = Tree::new(&units(), &pics());
    let normal = issue(1, Some("POSYANDU"), "KOMINFO", "normal");
    assert_eq!(
        tree.leaders_of(&normal),
        ["DINKES", "KOMINFO", "PKM_A", "POSYANDU"]
    );
    // A restricted issue is seen through its assigned unit only, not the filing unit.
    let restricted = issue(2, Some("PKM_A"), "KOMINFO", "restricted");
    assert_eq!(tree.leaders_of(&restricted), ["DINKES", "PKM_A"]);
    let unassigned_restricted = issue(3, None, "KOMINFO", "restricted");
    assert!(tree.leaders_of(&unassigned_restricted).is_empty());
    // A unit the tree does not know is its own only.
    let stray = issue(4, Some("GONE"), "KOMINFO", "normal");
    assert_eq!(tree.leaders_of(&stray), ["GONE", "KOMINFO"]);
}

#[test]
fn pics_see_by_the_visibility_rule() {
    let tree = Tree::new(&units(), &pics());
    // Normal, assigned under PKM_A, filed by KOMINFO: PKM_A's PIC (its subtree) and KOMINFO's.
    assert_eq!(
        tree.pics_of(&issue(1, Some("POSYANDU"), "KOMINFO", "normal")),
        [7, 8]
    );
    // Restricted: only the PIC of the assigned unit itself, not of a unit above it.
    assert!(tree
        .pics_of(&issue(2, Some("POSYANDU"), "KOMINFO", "restricted"))
        .is_empty());
    assert_eq!(
        tree.pics_of(&issue(3, Some("PKM_A"), "KOMINFO", "restricted")),
        [7]
    );
    // Its filer sees it, restricted or not; a filer who is no PIC adds nobody.
    let mut filed = issue(4, Some("DPUPR"), "DPUPR", "restricted");
    filed.filer = Some(8);
    assert_eq!(tree.pics_of(&filed), [8]);
    filed.filer = Some(1);
    assert!(tree.pics_of(&filed).is_empty());
    assert_eq!(tree.pic_unit(7), Some("PKM_A"));
    assert_eq!(tree.pic_unit(1), None);
}

#[test]
fn a_cycle_in_the_tree_ends() {
    let looped = vec![
        ("A".to_owned(), Some("B".to_owned())),
        ("B".to_owned(), Some("A".to_owned())),
    ];
    let tree = Tree::new(&looped, &[]);
    assert_eq!(
        tree.leaders_of(&issue(1, Some("A"), "A", "normal")),
        ["A", "B"]
    );
}

#[test]
fn the_basis_changes_with_the_zone_the_tree_and_the_pics() {
    let u = units();
    let p = pics();
    let a = basis("Asia/Makassar", &u, &p);
    let reversed: Vec<_> = u.iter().rev().cloned().collect();
    assert_eq!(a, basis("Asia/Makassar", &reversed, &p));
    assert_ne!(a, basis("Asia/Jakarta", &u, &p));
    let mut moved = u.clone();
    moved[2].1 = Some("DINKES".into());
    assert_ne!(a, basis("Asia/Makassar", &moved, &p));
    let mut pic_moved = p.clone();
    pic_moved[0].1 = "DPUPR".into();
    assert_ne!(a, basis("Asia/Makassar", &u, &pic_moved));
}

fn clock(
    issue_id: i64,
    kind: &str,
    state: &str,
    elapsed: Option<i64>,
    due_at: i64,
    breached: bool,
) -> ClockFact {
    ClockFact {
        issue_id,
        kind: kind.into(),
        state: state.into(),
        elapsed,
        due_at,
        breached,
    }
}

#[test]
fn a_tally_counts_as_the_report_defines() {
    let tree = Tree::new(&units(), &pics());
    let mut open = issue(1, Some("PKM_A"), "KOMINFO", "normal");
    open.is_open = true;
    open.status = "assigned".into();
    open.steps = 2;
    let done = issue(2, Some("PKM_A"), "KOMINFO", "normal");
    let clocks = [
        clock(1, "response", "running", None, 100, false), // past due at 150: missed
        clock(1, "resolution", "running", None, 200, false), // running
        clock(1, "triage", "met", Some(5), 10, false),
        clock(2, "response", "met", Some(30), 0, false),
        clock(2, "resolution", "missed", Some(90), 0, true),
        clock(2, "response", "cancelled", None, 0, false),
    ];
    let rows = tally(
        &[open, done],
        &clocks,
        &tree,
        Scopes::Only(EVERY_ISSUE),
        &[ReportGroup::Unit],
        150,
    )
    .rows;
    assert_eq!(rows.len(), 1);
    let t = &rows[0].tally;
    assert_eq!(
        (t.filed, t.resolved, t.breached_now, t.escalations),
        (2, 1, 1, 2)
    );
    assert_eq!(
        (t.response.met, t.response.missed, t.response.clocks),
        (1, 1, 2)
    );
    assert_eq!(
        (t.resolution.met, t.resolution.missed, t.resolution.clocks),
        (0, 1, 2)
    );
    assert_eq!(t.response.times, [30]);
    assert_eq!(t.resolution.times, [90]);
    assert!(!settled(&[issue(3, None, "KOMINFO", "normal")], &clocks));
    assert!(settled(
        &[issue(3, None, "KOMINFO", "normal")],
        &clocks[2..]
    ));
}

proptest! {
    #[test]
    fn packed_times_come_back_sorted(v in proptest::collection::vec(any::<i64>(), 0..300)) {
        let mut sorted = v.clone();
        sorted.sort_unstable();
        prop_assert_eq!(unpack_times(&pack_times(&v)), Some(sorted));
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = unpack_times(&bytes);
    }

    /// Tallying day by day and adding the tallies gives what tallying all at once gives, for
    /// every scope and grouping: what lets a report add stored days to fresh ones.
    #[test]
    fn tallies_add_up(
        specs in proptest::collection::vec(
            (0usize..6, 0usize..5, any::<bool>(), 0usize..3, 0i64..4, proptest::collection::vec((0usize..3, 0usize..5, 0i64..1000, 0i64..300, any::<bool>()), 0..4)),
            0..40,
        ),
        split in 0usize..40,
        p in 1usize..=100,
    ) {
        let names = ["DINKES", "PKM_A", "POSYANDU", "DPUPR", "KOMINFO", "GONE"];
        let states = ["running", "paused", "met", "missed", "cancelled"];
        let kinds = ["triage", "response", "resolution"];
        let mut issues = Vec::new();
        let mut clocks = Vec::new();
        for (n, (a, f, restricted, cat, steps, cs)) in specs.iter().enumerate() {
            let id = i64::try_from(n).unwrap();
            let mut i = issue(id, (*a < 5).then_some(names[*a]), names[*f], if *restricted { "restricted" } else { "normal" });
            i.category = ["a", "b", "c"][*cat].into();
            i.district = (*cat > 0).then(|| "x".to_owned());
            i.steps = *steps;
            i.is_open = steps % 2 == 0;
            i.filer = Some(6 + *steps);
            if *cat == 2 {
                i.hoax = Some(HoaxFact {
                    verdict: (*steps > 1).then(|| "hoaks".to_owned()),
                    kind: None,
                    responded: (*steps > 0).then_some(*steps * 7),
                    clarified: (*steps > 2).then_some(*steps * 11),
                });
            }
            for (k, s, e, due, br) in cs {
                clocks.push(clock(id, kinds[*k], states[*s], Some(*e), *due, *br));
            }
            issues.push(i);
        }
        let tree = Tree::new(&units(), &pics());
        let Tallies { rows: whole, hoaxes: whole_hoaxes } = tally(&issues, &clocks, &tree, Scopes::All, &GROUPINGS, 150);
        let cut = split.min(issues.len());
        let (first, second) = issues.split_at(cut);
        let mut parts = tally(first, &clocks, &tree, Scopes::All, &GROUPINGS, 150);
        let second = tally(second, &clocks, &tree, Scopes::All, &GROUPINGS, 150);
        for (s, h) in &second.hoaxes {
            parts.hoaxes.entry(s.clone()).or_default().add(h);
        }
        let mut hoaxes_added = parts.hoaxes;
        let mut parts = parts.rows;
        parts.extend(second.rows);
        let mut added: BTreeMap<(String, &str, Option<String>), Tally> = BTreeMap::new();
        for r in parts {
            added.entry((r.scope, r.group_by.as_str(), r.key)).or_default().add(&r.tally);
        }
        prop_assert_eq!(added.len(), whole.len());
        for r in whole {
            let mut a = added.remove(&(r.scope.clone(), r.group_by.as_str(), r.key.clone())).unwrap();
            let mut w = r.tally.clone();
            prop_assert_eq!(a.response.percentile(p), w.response.percentile(p));
            prop_assert_eq!(a.resolution.percentile(p), w.resolution.percentile(p));
            a.response.times.sort_unstable();
            w.response.times.sort_unstable();
            a.resolution.times.sort_unstable();
            w.resolution.times.sort_unstable();
            prop_assert_eq!(a, w);
        }
        for (s, mut h) in whole_hoaxes {
            let mut a = hoaxes_added.remove(&s).unwrap();
            for t in [&mut a.responded, &mut a.clarified, &mut h.responded, &mut h.clarified] {
                t.sort_unstable();
            }
            prop_assert_eq!(a, h);
        }
        prop_assert!(hoaxes_added.is_empty());
        // One scope alone is that scope's rows of all of them.
        for s in ["*", "DINKES", "PKM_A", "KOMINFO", "GONE", "pic:7", "pic:8", "pic:9"] {
            let only = tally(&issues, &clocks, &tree, Scopes::Only(s), &GROUPINGS, 150).rows;
            let of_all: Vec<Row> = tally(&issues, &clocks, &tree, Scopes::All, &GROUPINGS, 150)
                .rows
                .into_iter()
                .filter(|r| r.scope == s)
                .collect();
            prop_assert_eq!(only, of_all);
        }
    }
}

#[test]
fn nearest_rank_of_a_tally() {
    let mut c = ClockTally {
        times: (1..=10).rev().collect(),
        ..ClockTally::default()
    };
    assert_eq!(c.percentile(50), Some(5));
    assert_eq!(c.percentile(90), Some(9));
    assert_eq!(ClockTally::default().percentile(50), None);
}
