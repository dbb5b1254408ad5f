use super::*;
use proptest::prelude::*;

fn event(i: i64) -> NewEvent {
    let mut changes = Changes::new();
    diff(
        &mut changes,
        "name",
        "Dinas Kesehatan",
        format!("Dinas Kesehatan {i}"),
    );
    NewEvent {
        stream: "system".into(),
        actor: "admin@demo.tanggap.id".into(),
        action: "unit.updated".into(),
        subject: "unit:DINKES".into(),
        changes,
        request_id: Some(format!("req-{i}")),
        // Every other event carries a client's id, so chains mix both forms.
        client_request_id: (i % 2 == 0).then(|| format!("client-{i}")),
        at: 1_780_000_000_000_000 + i,
        keys: None,
    }
}

fn chain(n: i64) -> Vec<StoredEvent> {
    let mut prev = GENESIS.to_owned();
    (1..=n)
        .map(|seq| {
            let e = event(seq);
            let canonical = e.canonical(seq);
            let hash = link(&prev, &canonical);
            let stored = StoredEvent {
                id: seq * 10,
                stream: e.stream.clone(),
                seq,
                at: e.at,
                actor: e.actor.clone(),
                action: e.action.clone(),
                subject: e.subject.clone(),
                changes: e.changes_json(),
                request_id: e.request_id.clone(),
                client_request_id: e.client_request_id.clone(),
                canonical,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            };
            prev = hash;
            stored
        })
        .collect()
}

fn verify(events: &[StoredEvent], head: Option<(i64, &str)>) -> Result<(), Broken> {
    let mut walk = StreamWalk::new("system");
    for e in events {
        walk.step(e)?;
    }
    walk.finish(head)
}

#[test]
fn a_fixed_vector() {
    // Pins the link function: changing the hashing breaks every stored chain.
    assert_eq!(
        link(GENESIS, "{}"),
        hex::encode(Sha256::digest(format!("{GENESIS}\n{{}}").as_bytes()))
    );
    assert_eq!(
        link("", ""),
        "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
    );
}

#[test]
fn the_canonical_form_is_stable() {
    let e = event(1);
    assert_eq!(
        e.canonical(1),
        r#"{"stream":"system","seq":1,"at":1780000000000001,"actor":"admin@demo.tanggap.id","action":"unit.updated","subject":"unit:DINKES","changes":{"name":{"after":"Dinas Kesehatan 1","before":"Dinas Kesehatan"}},"request_id":"req-1"}"#
    );
}

#[test]
fn a_client_request_id_is_hashed_beside_ours() {
    // Events without one keep the form above byte for byte (the trail written before the
    // field existed still verifies); with one, it follows ours.
    assert_eq!(
        event(2).canonical(2),
        r#"{"stream":"system","seq":2,"at":1780000000000002,"actor":"admin@demo.tanggap.id","action":"unit.updated","subject":"unit:DINKES","changes":{"name":{"after":"Dinas Kesehatan 2","before":"Dinas Kesehatan"}},"request_id":"req-2","client_request_id":"client-2"}"#
    );
}

#[test]
fn an_intact_chain_verifies() {
    let events = chain(5);
    let last = events.last().map(|e| e.hash.clone()).unwrap_or_default();
    assert_eq!(verify(&events, Some((5, &last))), Ok(()));
}

#[test]
fn removing_the_newest_event_is_seen_through_the_head() {
    let events = chain(5);
    let last = events[4].hash.clone();
    let err = verify(&events[..4], Some((5, &last))).expect_err("tail removal");
    assert_eq!(err.seq, 5);
}

proptest! {
    #[test]
    fn any_single_mutation_is_detected(n in 1i64..8, victim in 0usize..8, field in 0u8..10, salt in "[a-z0-9]{1,6}") {
        let mut events = chain(n);
        let victim = victim % events.len();
        let last = events.last().map(|e| e.hash.clone()).unwrap_or_default();
        let e = &mut events[victim];
        match field {
            0 => e.actor.push_str(&salt),
            1 => e.action.push_str(&salt),
            2 => e.subject.push_str(&salt),
            3 => e.changes = format!("{{\"x\":\"{salt}\"}}"),
            4 => e.at += 1,
            5 => e.canonical = e.canonical.replacen("unit", &salt, 1),
            6 => e.hash = link(&salt, &e.canonical),
            7 => e.request_id = Some(salt.clone()),
            8 => e.client_request_id = Some(salt.clone()),
            _ => e.seq += 1,
        }
        let r = verify(&events, Some((n, &last)));
        let broken = r.expect_err("mutation must be detected");
        prop_assert_eq!(broken.seq <= events[victim].seq, true);
    }

    #[test]
    fn removing_any_event_is_detected(n in 2i64..8, victim in 0usize..8) {
        let mut events = chain(n);
        let last = events.last().map(|e| e.hash.clone()).unwrap_or_default();
        events.remove(victim % events.len());
        prop_assert!(verify(&events, Some((n, &last))).is_err());
    }
}
