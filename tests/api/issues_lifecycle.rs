//! The lifecycle over HTTP against a model of the spec's table written independently here.

use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const STATES: [&str; 8] = [
    "new",
    "assigned",
    "responded",
    "on_hold",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
];
const ACTIONS: [&str; 11] = [
    "triage", "reassign", "return", "respond", "hold", "resume", "resolve", "reopen", "close",
    "reject", "merge",
];

/// The table of spec section 3: (action, who, from).
fn from(action: &str) -> &'static [&'static str] {
    match action {
        "triage" | "reject" => &["new"],
        "reassign" => &["assigned", "responded", "on_hold"],
        "return" | "respond" => &["assigned"],
        "hold" => &["new", "assigned", "responded"],
        "resume" => &["on_hold"],
        "resolve" => &["assigned", "responded"],
        "reopen" => &["resolved", "closed"],
        "close" => &["resolved"],
        "merge" => &["new", "assigned", "responded", "on_hold"],
        _ => &[],
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Admin,
    Trc,
    PicAssigned,
    PicOther,
    Leader,
    LeaderOfUnit,
}

fn may(action: &str, who: Who, assigned: bool) -> bool {
    let trc = matches!(who, Who::Admin | Who::Trc);
    let unit_pic = who == Who::PicAssigned && assigned;
    match action {
        "triage" | "reassign" | "reopen" | "close" | "reject" | "merge" => trc,
        "return" => unit_pic,
        _ => trc || unit_pic,
    }
}

/// Whether `who` sees an issue filed by the TRC, assigned to DINKES when `assigned`.
/// Restricted or not makes no difference here: the filer is the TRC and the assigned unit's
/// own PIC and leader see both kinds; the other PIC sees neither.
fn sees(who: Who, _restricted: bool, assigned: bool) -> bool {
    match who {
        Who::Admin | Who::Trc | Who::Leader => true,
        Who::PicAssigned | Who::LeaderOfUnit => assigned,
        Who::PicOther => false,
    }
}

fn expected(action: &str, state: &str, who: Who, restricted: bool) -> u16 {
    let assigned = !matches!(state, "new" | "rejected");
    if !sees(who, restricted, assigned) {
        404
    } else if !may(action, who, assigned) {
        403
    } else if !from(action).contains(&state) {
        409
    } else {
        200
    }
}

fn body_for(action: &str, target: &str) -> Value {
    match action {
        "triage" => json!({"unit": "DINKES"}),
        "reassign" => json!({"unit": "BPBD", "reason": "Kewenangan BPBD"}),
        "return" | "hold" | "reopen" | "reject" => json!({"reason": "Alasan tertulis"}),
        "respond" | "resolve" => json!({"text": "Jawaban resmi"}),
        "merge" => json!({"into": target}),
        _ => json!({}),
    }
}

struct Fixture {
    tokens: HashMap<&'static str, String>,
    target: String,
}

impl Fixture {
    fn new(app: &TestApp) -> Fixture {
        let admin = app.admin();
        app.post("/api/v1/users", &admin, json!({"email": "kadinkes@demo.tanggap.id", "name": "Kadinkes", "role": "leader", "unit": "DINKES", "password": "long-enough-pw"})).expect(201);
        let mut tokens = HashMap::new();
        tokens.insert("admin", admin);
        tokens.insert("trc", app.login(TRC, DEMO_PASSWORD));
        tokens.insert("pic", app.login(PIC_DINKES, DEMO_PASSWORD));
        tokens.insert(
            "pic_other",
            app.login("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD),
        );
        tokens.insert("leader", app.login(LEADER, DEMO_PASSWORD));
        tokens.insert(
            "leader_unit",
            app.login("kadinkes@demo.tanggap.id", "long-enough-pw"),
        );
        let target = app.file(&tokens["trc"], issue_body("Isu induk untuk merge"));
        Fixture { tokens, target }
    }

    /// A fresh issue filed by the TRC in `state`; assigned to DINKES unless new or rejected.
    fn issue_in(&self, app: &TestApp, state: &str, restricted: bool) -> String {
        let trc = &self.tokens["trc"];
        let mut body = issue_body(&format!("Isu {state}"));
        body["sensitivity"] = json!(if restricted { "restricted" } else { "normal" });
        let r = app.file(trc, body);
        let step = |action: &str, body: Value| {
            app.act(trc, &r, action, body).expect(200);
        };
        match state {
            "new" => {}
            "rejected" => step("reject", json!({"reason": "Bukan isu"})),
            _ => {
                step("triage", json!({"unit": "DINKES"}));
                match state {
                    "responded" => step("respond", json!({"text": "Jawaban"})),
                    "on_hold" => step("hold", json!({"reason": "Menunggu data"})),
                    "resolved" => step("resolve", json!({"text": "Selesai"})),
                    "closed" => {
                        step("resolve", json!({"text": "Selesai"}));
                        step("close", json!({}));
                    }
                    "duplicate" => step("merge", json!({"into": self.target})),
                    _ => {}
                }
            }
        }
        r
    }
}

fn the_authorisation_matrix(app: TestApp) {
    let fx = Fixture::new(&app);
    let people = [
        ("admin", Who::Admin),
        ("trc", Who::Trc),
        ("pic", Who::PicAssigned),
        ("pic_other", Who::PicOther),
        ("leader", Who::Leader),
        ("leader_unit", Who::LeaderOfUnit),
    ];
    let mut checked = 0;
    for restricted in [false, true] {
        for state in STATES {
            let mut issue = fx.issue_in(&app, state, restricted);
            for (name, who) in people {
                for action in ACTIONS {
                    let want = expected(action, state, who, restricted);
                    let r = app.act(
                        &fx.tokens[name],
                        &issue,
                        action,
                        body_for(action, &fx.target),
                    );
                    assert_eq!(
                        r.status,
                        want,
                        "{name} {action} on a {} issue in {state}: {}",
                        if restricted { "restricted" } else { "normal" },
                        r.text
                    );
                    if want != 200 {
                        assert_eq!(r.header("content-type"), Some("application/problem+json"));
                    }
                    if want == 409 {
                        let allowed: Vec<&str> = ACTIONS
                            .iter()
                            .copied()
                            .filter(|a| from(a).contains(&state))
                            .collect();
                        assert_eq!(r.body["allowed_actions"], json!(allowed), "{state}");
                    }
                    if want == 200 {
                        issue = fx.issue_in(&app, state, restricted);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 8 * 6 * 11);
}
both!(the_authorisation_matrix);

fn reasons_and_bodies_are_checked_last(app: TestApp) {
    let fx = Fixture::new(&app);
    let trc = &fx.tokens["trc"];
    for (state, action) in [
        ("new", "reject"),
        ("assigned", "reassign"),
        ("assigned", "hold"),
        ("resolved", "reopen"),
    ] {
        let issue = fx.issue_in(&app, state, false);
        let mut body = body_for(action, &fx.target);
        body.as_object_mut().expect("object").remove("reason");
        let r = app.act(trc, &issue, action, body).problem(422);
        assert_eq!(r.body["errors"][0]["field"], "reason", "{action}");
    }
    let issue = fx.issue_in(&app, "assigned", false);
    let pic = &fx.tokens["pic"];
    app.act(pic, &issue, "return", json!({})).problem(422);
    app.act(pic, &issue, "respond", json!({"text": "   "}))
        .problem(422);
    app.act(
        trc,
        &issue,
        "reassign",
        json!({"unit": "NOPE", "reason": "x"}),
    )
    .problem(422);
    app.act(
        trc,
        &issue,
        "reassign",
        json!({"unit": "DINKES", "reason": "x"}),
    )
    .problem(422);
    app.act(
        trc,
        &issue,
        "resolve",
        json!({"text": "ok", "colour": "red"}),
    )
    .problem(422);
    app.act(trc, &issue, "merge", json!({"into": issue}))
        .problem(422);
    // Malformed JSON is 400, another media type 415, an unknown action 404.
    app.request(
        "POST",
        &format!("/api/v1/issues/{issue}/respond"),
        Some(pic),
        &[],
        Some("{oops"),
    )
    .problem(400);
    app.request(
        "POST",
        &format!("/api/v1/issues/{issue}/respond"),
        Some(pic),
        &[("Content-Type", "text/plain")],
        Some("hi"),
    )
    .problem(415);
    app.act(trc, &issue, "explode", json!({})).problem(404);
    // 409 comes before 422: a wrong state with a bad body still says 409.
    app.act(trc, &issue, "close", json!({"nonsense": true}))
        .problem(409);
    // An action body may be left out entirely where the action takes none.
    let held = fx.issue_in(&app, "on_hold", false);
    app.request(
        "POST",
        &format!("/api/v1/issues/{held}/resume"),
        Some(trc),
        &[],
        None,
    )
    .expect(200);
}
both!(reasons_and_bodies_are_checked_last);

fn actions_do_what_the_table_says(app: TestApp) {
    let fx = Fixture::new(&app);
    let (trc, pic) = (&fx.tokens["trc"], &fx.tokens["pic"]);
    let issue = fx.issue_in(&app, "new", false);
    let r = app
        .act(
            trc,
            &issue,
            "triage",
            json!({"unit": "DINKES", "priority": "critical", "category": "kesehatan"}),
        )
        .expect(200);
    assert_eq!(
        (
            r.body["status"].as_str(),
            r.body["assigned_unit"].as_str(),
            r.body["priority"].as_str()
        ),
        (Some("assigned"), Some("DINKES"), Some("critical"))
    );
    assert_eq!(r.header("etag"), Some("\"2\""));
    let r = app
        .act(pic, &issue, "hold", json!({"reason": "Menunggu hasil lab"}))
        .expect(200);
    assert_eq!(r.body["status"], "on_hold");
    let r = app.act(pic, &issue, "resume", json!({})).expect(200);
    assert_eq!(r.body["status"], "assigned");
    let r = app
        .act(
            pic,
            &issue,
            "respond",
            json!({"text": "Dinkes menurunkan tim."}),
        )
        .expect(200);
    assert_eq!(r.body["status"], "responded");
    let r = app
        .act(pic, &issue, "hold", json!({"reason": "Libur"}))
        .expect(200);
    let r2 = app.act(pic, &issue, "resume", json!({})).expect(200);
    assert_eq!(
        (r.body["status"].as_str(), r2.body["status"].as_str()),
        (Some("on_hold"), Some("responded")),
        "resume returns to the state before hold"
    );
    app.act(
        trc,
        &issue,
        "reassign",
        json!({"unit": "RSUD", "reason": "Kewenangan RSUD"}),
    )
    .expect(200);
    // Assigned elsewhere (and filed by the TRC), the issue is out of DINKES's PIC's sight.
    app.act(pic, &issue, "resolve", json!({"text": "x"}))
        .problem(404);
    let r = app
        .act(
            trc,
            &issue,
            "resolve",
            json!({"text": "RSUD menambah armada ambulans."}),
        )
        .expect(200);
    assert_eq!(r.body["status"], "resolved");
    app.act(trc, &issue, "close", json!({})).expect(200);
    let r = app
        .act(
            trc,
            &issue,
            "reopen",
            json!({"reason": "Warga melapor lagi"}),
        )
        .expect(200);
    assert_eq!(
        (r.body["status"].as_str(), r.body["assigned_unit"].as_str()),
        (Some("assigned"), Some("RSUD"))
    );
    // Return sends it back to the TRC queue without a unit.
    let other = fx.issue_in(&app, "assigned", false);
    let r = app
        .act(
            pic,
            &other,
            "return",
            json!({"reason": "Bukan kewenangan kami"}),
        )
        .expect(200);
    assert_eq!(
        (r.body["status"].as_str(), r.body["assigned_unit"].clone()),
        (Some("new"), Value::Null)
    );
    // Merge links both ways.
    let dup = fx.issue_in(&app, "new", false);
    let r = app
        .act(trc, &dup, "merge", json!({"into": fx.target}))
        .expect(200);
    assert_eq!(r.body["duplicate_of"], json!(fx.target));
    let t = app.issue(trc, &fx.target).expect(200);
    assert!(t.body["duplicates"]
        .as_array()
        .is_some_and(|d| d.contains(&json!(dup))));
    let twice = fx.issue_in(&app, "new", false);
    app.act(trc, &twice, "merge", json!({"into": dup}))
        .problem(422);
    // The public response is a comment; the history has every step with before and after.
    let comments = app
        .get(&format!("/api/v1/issues/{issue}/comments"), trc)
        .expect(200);
    let kinds: Vec<&str> = comments.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["public_response", "public_response"]);
    let h = app
        .get(&format!("/api/v1/issues/{issue}/history"), trc)
        .expect(200);
    // The issue's own stream also carries its notifications' outcomes; the actions are these.
    let events: Vec<&serde_json::Value> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("issue."))
        })
        .collect();
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "issue.filed",
            "issue.triage",
            "issue.hold",
            "issue.resume",
            "issue.respond",
            "issue.hold",
            "issue.resume",
            "issue.reassign",
            "issue.resolve",
            "issue.close",
            "issue.reopen"
        ]
    );
    let reassign = events[7];
    assert_eq!(reassign["actor"], TRC);
    assert_eq!(
        reassign["changes"]["assigned_unit"],
        json!({"before": "DINKES", "after": "RSUD"})
    );
    assert_eq!(reassign["changes"]["reason"]["after"], "Kewenangan RSUD");
    assert_eq!(h.body["items"][0]["seq"], 1);
}
both!(actions_do_what_the_table_says);

/// Random action sequences by random callers, each answer checked against the model.
fn random_walks_match_the_model(app: TestApp) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let fx = Fixture::new(&app);
    let people = [
        ("admin", Who::Admin),
        ("trc", Who::Trc),
        ("pic", Who::PicAssigned),
        ("pic_other", Who::PicOther),
        ("leader", Who::Leader),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let step = (0usize..people.len(), 0usize..ACTIONS.len(), 0u8..4);
    runner
        .run(&prop::collection::vec(step, 1..25), |steps| {
            let issue = app.file(&fx.tokens["trc"], issue_body("Jalan acak"));
            let (mut state, mut assigned, mut held_from) =
                ("new".to_owned(), None::<String>, None::<String>);
            for (p, a, unit_pick) in steps {
                let (name, who) = people[p];
                let action = ACTIONS[a];
                let unit = ["DINKES", "BPBD", "DPUPR", "RSUD"][usize::from(unit_pick)];
                let mut body = body_for(action, &fx.target);
                if matches!(action, "triage" | "reassign") {
                    body["unit"] = json!(unit);
                }
                let is_assigned_pic = assigned.as_deref() == Some("DINKES");
                let visible = match who {
                    Who::PicAssigned => is_assigned_pic,
                    Who::PicOther => assigned.as_deref() == Some("DPUPR"),
                    _ => true,
                };
                let mut want = if !visible {
                    404
                } else if !may(
                    action,
                    if who == Who::PicOther {
                        Who::PicAssigned
                    } else {
                        who
                    },
                    if who == Who::PicOther {
                        assigned.as_deref() == Some("DPUPR")
                    } else {
                        is_assigned_pic
                    },
                ) {
                    403
                } else if !from(action).contains(&state.as_str()) {
                    409
                } else {
                    200
                };
                if want == 200 && action == "reassign" && assigned.as_deref() == Some(unit) {
                    want = 422;
                }
                let r = app.act(&fx.tokens[name], &issue, action, body);
                prop_assert_eq!(
                    r.status,
                    want,
                    "{} {} in {}: {}",
                    name,
                    action,
                    state,
                    r.text
                );
                if want == 200 {
                    let next = match action {
                        "triage" | "reassign" | "reopen" => "assigned".to_owned(),
                        "return" => "new".to_owned(),
                        "respond" => "responded".to_owned(),
                        "hold" => {
                            held_from = Some(state.clone());
                            "on_hold".to_owned()
                        }
                        "resume" => held_from.take().unwrap_or_default(),
                        "resolve" => "resolved".to_owned(),
                        "close" => "closed".to_owned(),
                        "reject" => "rejected".to_owned(),
                        _ => "duplicate".to_owned(),
                    };
                    match action {
                        "triage" | "reassign" => assigned = Some(unit.to_owned()),
                        "return" => assigned = None,
                        _ => {}
                    }
                    prop_assert_eq!(r.body["status"].as_str(), Some(next.as_str()));
                    prop_assert_eq!(r.body["assigned_unit"].as_str(), assigned.as_deref());
                    state = next;
                }
            }
            Ok(())
        })
        .expect("every answer matches the model");
}
both!(random_walks_match_the_model);
