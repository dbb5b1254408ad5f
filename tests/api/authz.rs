//! Who may call what. Every operation of the OpenAPI document is called with no token and as
//! each role, and must answer the status the matrix gives; an operation missing from the
//! matrix fails the test. Changes are sent with bodies refused after the permission check (422)
//! or aimed at things that do not exist, so walking the matrix changes nothing.

use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Callers, in the order of the matrix's columns.
const CALLERS: [&str; 5] = ["no token", "admin", "trc", "pic", "leader"];

struct Row {
    method: &'static str,
    /// The path as the OpenAPI document writes it.
    template: &'static str,
    path: String,
    body: Option<Value>,
    expected: [u16; 5],
}

fn row(
    method: &'static str,
    template: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    expected: [u16; 5],
) -> Row {
    Row {
        method,
        template,
        path: path.into(),
        body,
        expected,
    }
}

fn every_operation_by_role(app: TestApp) {
    let admin = app.admin();
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    let tokens = [None, Some(&admin), Some(&trc), Some(&pic), Some(&leader)];
    // An issue the PIC of Dinkes may not see: filed by the TRC, not yet assigned.
    let hidden = app.file(&trc, issue_body("Matriks akses: isu TRC"));
    let admin_id = app.get("/api/v1/me", &admin).expect(200).body["id"].clone();
    let rule_id =
        app.get("/api/v1/routing-rules", &admin).expect(200).body["items"][0]["id"].clone();
    let bad = |v: Value| Some(v);
    let (u, i, r) = ("/api/v1/users", "/api/v1/issues", "/api/v1/routing-rules");
    #[rustfmt::skip]
    let rows = vec![
        //   method    documented path                      called path                                  body                          none admin trc  pic  leader
        row("GET",    "/healthz",                            "/healthz",                                  None,                         [200, 200, 200, 200, 200]),
        row("GET",    "/readyz",                             "/readyz",                                   None,                         [200, 200, 200, 200, 200]),
        row("GET",    "/metrics",                            "/metrics",                                  None,                         [200, 200, 200, 200, 200]),
        row("POST",   "/api/v1/auth/token",                  "/api/v1/auth/token",                        bad(json!({})),               [422, 422, 422, 422, 422]),
        row("GET",    "/api/v1/me",                          "/api/v1/me",                                None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/units",                       "/api/v1/units",                             None,                         [401, 200, 200, 200, 200]),
        row("POST",   "/api/v1/units",                       "/api/v1/units",                             bad(json!({})),               [401, 422, 403, 403, 403]),
        row("GET",    "/api/v1/units/{code}",                "/api/v1/units/DINKES",                      None,                         [401, 200, 200, 200, 200]),
        row("PATCH",  "/api/v1/units/{code}",                "/api/v1/units/DINKES",                      bad(json!({"name": ""})),     [401, 422, 403, 403, 403]),
        row("DELETE", "/api/v1/units/{code}",                "/api/v1/units/NO_SUCH_UNIT",                None,                         [401, 404, 403, 403, 403]),
        row("GET",    "/api/v1/users",                       u,                                           None,                         [401, 200, 403, 403, 403]),
        row("POST",   "/api/v1/users",                       u,                                           bad(json!({})),               [401, 422, 403, 403, 403]),
        row("GET",    "/api/v1/users/{id}",                  format!("{u}/{admin_id}"),                   None,                         [401, 200, 403, 403, 403]),
        row("PATCH",  "/api/v1/users/{id}",                  format!("{u}/{admin_id}"),                   bad(json!({"name": ""})),     [401, 422, 403, 403, 403]),
        row("DELETE", "/api/v1/users/{id}",                  format!("{u}/999999"),                       None,                         [401, 404, 403, 403, 403]),
        row("GET",    "/api/v1/audit/verify",                "/api/v1/audit/verify",                      None,                         [401, 200, 403, 403, 403]),
        row("GET",    "/api/v1/issues",                      i,                                           None,                         [401, 200, 200, 200, 200]),
        row("POST",   "/api/v1/issues",                      i,                                           bad(json!({})),               [401, 422, 422, 422, 403]),
        row("POST",   "/api/v1/issues/similar",              format!("{i}/similar"),                      Some(issue_body("Jalan rusak")), [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/issues/{ref}",                format!("{i}/{hidden}"),                     None,                         [401, 200, 200, 404, 200]),
        row("PATCH",  "/api/v1/issues/{ref}",                format!("{i}/{hidden}"),                     bad(json!({"priority": "x"})), [401, 422, 422, 404, 403]),
        // Each action on the hidden issue (new): refused by role (403: the leader; `return` is the
        // assigned unit's PIC's), by state (409) or by its missing fields (422), never taken.
        row("POST",   "/api/v1/issues/{ref}/triage",         format!("{i}/{hidden}/triage"),              bad(json!({})),               [401, 422, 422, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/reassign",       format!("{i}/{hidden}/reassign"),            bad(json!({})),               [401, 409, 409, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/return",         format!("{i}/{hidden}/return"),              bad(json!({})),               [401, 403, 403, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/respond",        format!("{i}/{hidden}/respond"),             bad(json!({})),               [401, 409, 409, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/hold",           format!("{i}/{hidden}/hold"),                bad(json!({})),               [401, 422, 422, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/resume",         format!("{i}/{hidden}/resume"),              bad(json!({})),               [401, 409, 409, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/resolve",        format!("{i}/{hidden}/resolve"),             bad(json!({})),               [401, 409, 409, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/reopen",         format!("{i}/{hidden}/reopen"),              bad(json!({})),               [401, 409, 409, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/close",          format!("{i}/{hidden}/close"),               bad(json!({})),               [401, 409, 409, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/reject",         format!("{i}/{hidden}/reject"),              bad(json!({})),               [401, 422, 422, 404, 403]),
        row("POST",   "/api/v1/issues/{ref}/merge",          format!("{i}/{hidden}/merge"),               bad(json!({})),               [401, 422, 422, 404, 403]),
        row("GET",    "/api/v1/issues/{ref}/comments",       format!("{i}/{hidden}/comments"),            None,                         [401, 200, 200, 404, 200]),
        row("POST",   "/api/v1/issues/{ref}/comments",       format!("{i}/{hidden}/comments"),            bad(json!({"body": ""})),     [401, 422, 422, 404, 422]),
        row("GET",    "/api/v1/issues/{ref}/history",        format!("{i}/{hidden}/history"),             None,                         [401, 200, 200, 404, 200]),
        // Evidence: the body (here JSON, not multipart: 415) is read only after the rights.
        row("GET",    "/api/v1/issues/{ref}/evidence",       format!("{i}/{hidden}/evidence"),            None,                         [401, 200, 200, 404, 200]),
        row("POST",   "/api/v1/issues/{ref}/evidence",       format!("{i}/{hidden}/evidence"),            bad(json!({})),               [401, 415, 415, 404, 403]),
        row("GET",    "/api/v1/issues/{ref}/evidence/{id}",  format!("{i}/{hidden}/evidence/999999"),     None,                         [401, 404, 404, 404, 404]),
        // Clarifications: proposing is the TRC's and the assigned PIC's (the body, {}, is read after
        // the rights: 422); the approval flow on a clarification that does not exist.
        row("POST",   "/api/v1/issues/{ref}/clarifications", format!("{i}/{hidden}/clarifications"),      bad(json!({})),               [401, 422, 422, 404, 403]),
        row("GET",    "/api/v1/clarifications",              "/api/v1/clarifications",                    None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/clarifications/{id}",         "/api/v1/clarifications/999999",             None,                         [401, 404, 404, 404, 404]),
        row("PATCH",  "/api/v1/clarifications/{id}",         "/api/v1/clarifications/999999",             bad(json!({"text": ""})),     [401, 404, 404, 404, 404]),
        row("POST",   "/api/v1/clarifications/{id}/{action}", "/api/v1/clarifications/999999/approve",    bad(json!({})),               [401, 404, 404, 404, 404]),
        // Partners: the TRC's and the administrators' registry.
        row("GET",    "/api/v1/partners",                    "/api/v1/partners",                          None,                         [401, 200, 200, 403, 403]),
        row("POST",   "/api/v1/partners",                    "/api/v1/partners",                          bad(json!({})),               [401, 422, 422, 403, 403]),
        row("GET",    "/api/v1/partners/{id}",               "/api/v1/partners/999999",                   None,                         [401, 404, 404, 403, 403]),
        row("PATCH",  "/api/v1/partners/{id}",               "/api/v1/partners/999999",                   bad(json!({"name": ""})),     [401, 404, 404, 403, 403]),
        row("DELETE", "/api/v1/partners/{id}",               "/api/v1/partners/999999",                   None,                         [401, 404, 404, 403, 403]),
        row("GET",    "/api/v1/partners/report",             "/api/v1/partners/report",                   None,                         [401, 200, 200, 403, 403]),
        row("GET",    "/api/v1/queues/triage",               "/api/v1/queues/triage",                     None,                         [401, 200, 200, 403, 403]),
        row("GET",    "/api/v1/queues/unit/{code}",          "/api/v1/queues/unit/DPUPR",                 None,                         [401, 200, 200, 403, 200]),
        row("GET",    "/api/v1/queues/escalated",            "/api/v1/queues/escalated",                  None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/routing-rules",               r,                                           None,                         [401, 200, 200, 403, 403]),
        row("POST",   "/api/v1/routing-rules",               r,                                           bad(json!({})),               [401, 422, 403, 403, 403]),
        row("GET",    "/api/v1/routing-rules/{id}",          format!("{r}/{rule_id}"),                    None,                         [401, 200, 200, 403, 403]),
        row("PATCH",  "/api/v1/routing-rules/{id}",          format!("{r}/{rule_id}"),                    bad(json!({"name": ""})),     [401, 422, 403, 403, 403]),
        row("DELETE", "/api/v1/routing-rules/{id}",          format!("{r}/999999"),                       None,                         [401, 404, 403, 403, 403]),
        row("POST",   "/api/v1/routing-rules/preview",       format!("{r}/preview"),                      bad(json!({})),               [401, 422, 422, 403, 403]),
        row("GET",    "/api/v1/notifications",               "/api/v1/notifications",                     None,                         [401, 200, 403, 403, 403]),
        row("POST",   "/api/v1/notifications/{id}/retry",    "/api/v1/notifications/999999/retry",        None,                         [401, 404, 403, 403, 403]),
        row("GET",    "/api/v1/reports",                     "/api/v1/reports",                           None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/sla/policies",                "/api/v1/sla/policies",                      None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/sla/calendars",               "/api/v1/sla/calendars",                     None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/sla/ladders",                 "/api/v1/sla/ladders",                       None,                         [401, 200, 200, 200, 200]),
        row("GET",    "/api/v1/sla/preview",                 "/api/v1/sla/preview?priority=high",         None,                         [401, 200, 200, 200, 200]),
        row("POST",   "/api/v1/me/password",                 "/api/v1/me/password",                       bad(json!({})),               [401, 422, 422, 422, 422]),
        row("POST",   "/api/v1/users/{id}/sign-out",         format!("{u}/999999/sign-out"),              None,                         [401, 404, 403, 403, 403]),
        // Last: it ends the caller's tokens.
        row("POST",   "/api/v1/me/sign-out",                 "/api/v1/me/sign-out",                       None,                         [401, 204, 204, 204, 204]),
    ];

    // The matrix covers the document exactly.
    let doc = app
        .request("GET", "/api-docs/openapi.json", None, &[], None)
        .expect(200)
        .body;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_owned(), r.template.to_owned()))
        .collect();
    assert_eq!(
        documented, covered,
        "every documented operation has a row in the matrix, and only those"
    );

    let mut wrong = Vec::new();
    for r in &rows {
        for (who, (token, want)) in CALLERS.iter().zip(tokens.iter().zip(r.expected)) {
            let body = r.body.as_ref().map(Value::to_string);
            let got = app.request(
                r.method,
                &r.path,
                token.map(String::as_str),
                &[],
                body.as_deref(),
            );
            if got.status != want {
                wrong.push(format!(
                    "{} {} as {who}: {} (expected {want}) {}",
                    r.method, r.path, got.status, got.text
                ));
            } else if want >= 400 {
                let ct = got.header("content-type").unwrap_or("");
                assert!(
                    ct.starts_with("application/problem+json"),
                    "{} {} as {who}: {want} as `{ct}`",
                    r.method,
                    r.path
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "answers off the matrix:\n{}",
        wrong.join("\n")
    );

    // Nothing changed: the hidden issue is still new and untouched, the rule and unit unchanged.
    let admin = app.admin();
    let issue = app.issue(&admin, &hidden).expect(200);
    assert_eq!(issue.body["status"], "new");
    assert_eq!(issue.body["version"], 1);
    assert_eq!(
        app.get("/api/v1/units/DINKES", &admin).expect(200).body["name"],
        "Dinas Kesehatan"
    );
}
both!(every_operation_by_role);

/// A restricted issue the caller may not see answers exactly like an issue that does not exist,
/// on every issue operation; it is not counted in the caller's reports or lists.
fn restricted_issue_answers_like_a_missing_one(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    let filed = |t: &str| -> i64 {
        app.get("/api/v1/reports", t).expect(200).body["total"]["filed"]
            .as_i64()
            .expect("filed")
    };
    let csv_total = |t: &str| -> String {
        let r = app.get("/api/v1/reports?format=csv", t).expect(200);
        r.text.lines().last().unwrap_or_default().to_owned()
    };
    let (pic_before, leader_before, pic_csv_before) =
        (filed(&pic), filed(&leader), csv_total(&pic));
    let pic_listed_before = app.get("/api/v1/issues?limit=200", &pic).expect(200).body["items"]
        .as_array()
        .map(Vec::len);

    let mut body = issue_body("Dugaan kekerasan terhadap anak RAHASIA");
    body["sensitivity"] = json!("restricted");
    body["category"] = json!("sosial");
    let secret = app.file(&trc, body);
    app.act(&trc, &secret, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    let missing = "ISU-2026-999999";

    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "{ref}".into(), None),
        ("GET", "{ref}/history".into(), None),
        ("GET", "{ref}/comments".into(), None),
        (
            "POST",
            "{ref}/comments".into(),
            Some(json!({"body": "Mohon info"})),
        ),
        (
            "PATCH",
            "{ref}".into(),
            Some(json!({"title": "Judul baru"})),
        ),
        (
            "POST",
            "{ref}/respond".into(),
            Some(json!({"text": "Sudah ditangani"})),
        ),
        ("POST", "{ref}/close".into(), Some(json!({}))),
        (
            "POST",
            "{ref}/resolve".into(),
            Some(json!({"text": "Selesai"})),
        ),
    ];
    for (method, path, body) in &calls {
        let answer = |reference: &str| {
            let p = format!("/api/v1/issues/{}", path.replace("{ref}", reference));
            let b = body.as_ref().map(Value::to_string);
            let r = app.request(method, &p, Some(&pic), &[], b.as_deref());
            (
                r.status,
                r.header("content-type").map(str::to_owned),
                r.text.replace(reference, "REF"),
            )
        };
        let (hidden, absent) = (answer(&secret), answer(missing));
        assert_eq!(hidden.0, 404, "{method} {path}: {}", hidden.2);
        assert_eq!(
            hidden, absent,
            "{method} {path}: the answer tells them apart"
        );
        assert!(
            !hidden.2.contains("RAHASIA"),
            "{method} {path}: {}",
            hidden.2
        );
    }
    // Merging into it, as the PIC's own filing is merged by the TRC, is the TRC's business; the
    // PIC searching for it finds nothing.
    let found = app.get("/api/v1/issues?q=RAHASIA", &pic).expect(200);
    assert_eq!(found.body["items"], json!([]));
    // Not counted for the PIC (JSON and CSV), counted for a leader without a unit.
    assert_eq!(filed(&pic), pic_before, "the PIC's report counts it");
    assert_eq!(
        csv_total(&pic),
        pic_csv_before,
        "the PIC's CSV report counts it"
    );
    assert_eq!(
        filed(&leader),
        leader_before + 1,
        "the leader's report misses it"
    );
    let pic_listed_after = app.get("/api/v1/issues?limit=200", &pic).expect(200).body["items"]
        .as_array()
        .map(Vec::len);
    assert_eq!(pic_listed_before, pic_listed_after);
    // Nor through the escalated queue or the unit queue of the PIC's own unit.
    for q in ["/api/v1/queues/escalated", "/api/v1/queues/unit/DINKES"] {
        let r = app.get(q, &pic).expect(200);
        assert!(!r.text.contains(&secret), "{q}");
    }
}
both!(restricted_issue_answers_like_a_missing_one);

/// Every email the file transport wrote, as text.
fn restricted_issues_mail_their_ref_not_their_content(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let admin = app.admin();
    let dpupr = app.login("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD);
    let mut body = issue_body("Isu SARA rahasiasurel di Desa Sebelimbingan");
    body["sensitivity"] = json!("restricted");
    let secret = app.file(&trc, body);
    app.act(&trc, &secret, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    app.act(
        &dpupr,
        &secret,
        "return",
        json!({"reason": "alasanrahasia menyangkut tokoh"}),
    )
    .expect(200);
    app.act(&trc, &secret, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    app.act(
        &dpupr,
        &secret,
        "resolve",
        json!({"text": "penyelesaianrahasia sudah dimediasi"}),
    )
    .expect(200);
    // Assignment twice, the return notice, the resolution notice.
    let sent = mails_about(&app, &secret, 4);
    assert!(sent.len() >= 4, "{} emails about {secret}", sent.len());
    for m in &sent {
        let lower = m.to_lowercase();
        for word in [
            "rahasiasurel",
            "sebelimbingan",
            "alasanrahasia",
            "penyelesaianrahasia",
        ] {
            assert!(
                !lower.contains(word),
                "`{word}` in a restricted issue's mail:\n{m}"
            );
        }
        assert!(m.contains(&format!("/tautan/{secret}?")), "the link: {m}");
    }
    let listed = app
        .get("/api/v1/notifications?limit=200", &admin)
        .expect(200);
    assert!(!listed.text.contains("rahasiasurel"), "{}", listed.text);
    // A normal issue's mail still carries its title.
    let open = app.file(&trc, issue_body("Jalan terbukasurel berlubang"));
    app.act(&trc, &open, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    let sent = mails_about(&app, &open, 1);
    assert!(sent.iter().any(|m| m.contains("terbukasurel")));
}
both!(restricted_issues_mail_their_ref_not_their_content);

fn merges_do_not_reveal_issues_the_caller_may_not_see(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    // The PIC's own issue, and a restricted one filed by the TRC that the PIC may not see.
    let visible = app.file(&pic, issue_body("Antrean obat Puskesmas gabung"));
    let mut body = issue_body("Isu SARA gabung rahasia");
    body["sensitivity"] = json!("restricted");
    let secret = app.file(&trc, body);
    app.issue(&pic, &secret).problem(404);
    app.act(&trc, &secret, "merge", json!({"into": visible}))
        .expect(200);
    let seen = app.issue(&pic, &visible).expect(200);
    assert!(!seen.text.contains(&secret), "{}", seen.text);
    assert_eq!(seen.body["duplicates"], json!([]));
    let history = app
        .get(&format!("/api/v1/issues/{visible}/history"), &pic)
        .expect(200);
    assert!(!history.text.contains(&secret), "{}", history.text);
    assert!(history.text.contains("(restricted)"), "{}", history.text);
    let listed = app.get("/api/v1/issues?limit=200", &pic).expect(200);
    assert!(!listed.text.contains(&secret));
    // The TRC sees both links.
    let full = app.issue(&trc, &visible).expect(200);
    assert_eq!(full.body["duplicates"], json!([secret]));

    // The other way: the PIC's issue merged into a restricted one.
    let mine = app.file(&pic, issue_body("Laporan PIC digabung ke isu terbatas"));
    let mut body = issue_body("Isu SARA induk rahasia");
    body["sensitivity"] = json!("restricted");
    let target = app.file(&trc, body);
    app.act(&trc, &mine, "merge", json!({"into": target}))
        .expect(200);
    let seen = app.issue(&pic, &mine).expect(200);
    assert_eq!(seen.body["status"], "duplicate");
    assert_eq!(seen.body["duplicate_of"], json!(null), "{}", seen.text);
    // Lists keep what an issue shows between pages, whoever asked: the TRC's page, which
    // shows the link, is written first; the PIC's list of the same issue still does not.
    let trc_list = app.get("/api/v1/issues?limit=200", &trc).expect(200);
    assert!(trc_list.text.contains(&target), "{}", trc_list.text);
    let listed = app.get("/api/v1/issues?limit=200", &pic).expect(200);
    assert!(!listed.text.contains(&target), "{}", listed.text);
    assert_eq!(item_on(&listed.body, &mine)["duplicate_of"], json!(null));
    let history = app
        .get(&format!("/api/v1/issues/{mine}/history"), &pic)
        .expect(200);
    assert!(!history.text.contains(&target), "{}", history.text);
    assert_eq!(
        app.issue(&trc, &mine).expect(200).body["duplicate_of"],
        json!(target)
    );
}
both!(merges_do_not_reveal_issues_the_caller_may_not_see);
