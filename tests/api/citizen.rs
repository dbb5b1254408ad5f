//! A citizen asks for clarification without an account, on both backends: the form's sum, its
//! minimum fill time and its trap field; a replayed form files nothing; the request lands in
//! the TRC's triage queue from the `publik` channel even where a rule would assign it; the
//! tracking code shows the status and the published answer and nothing personal; requests are
//! limited per client address.

use crate::both;
use crate::console::{field, Browser, Page};
use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

/// The form's hidden fields and the right answer to its sum.
fn fresh_form(b: &mut Browser) -> Vec<(String, String)> {
    let page = b.get("/klarifikasi/minta");
    assert_eq!(page.status, 200);
    let sum = page
        .body
        .split("berapa ")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .expect("the sum");
    let (a, c) = sum.split_once(" + ").expect("a + b");
    let answer = a.trim().parse::<u32>().expect("a") + c.trim().parse::<u32>().expect("b");
    vec![
        ("benih".into(), field(&page.body, "benih")),
        ("dibuat".into(), field(&page.body, "dibuat")),
        ("tanda".into(), field(&page.body, "tanda")),
        ("jawaban".into(), answer.to_string()),
    ]
}

fn send(b: &mut Browser, form: &[(String, String)], extra: &[(&str, &str)]) -> Page {
    let mut pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.extend_from_slice(extra);
    b.post("/klarifikasi/minta", &pairs)
}

const QUESTION: &[(&str, &str)] = &[
    (
        "pertanyaan",
        "Benarkah air PDAM Kotabaru tercemar bakteri minggu ini?",
    ),
    (
        "tautan",
        "https://www.facebook.com/groups/kotabaru/posts/991",
    ),
    ("kontak", "budi.warga@example.id 0812-5555-0101"),
];

fn a_citizen_asks_and_follows_the_answer(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    // A rule that would assign every hoax to DINKES at once: a citizen's request still waits.
    app.post(
        "/api/v1/routing-rules",
        &trc_admin(&app),
        json!({"name": "Hoaks ke Dinkes", "position": 0, "enabled": true,
               "conditions": {"categories": ["hoaks_disinformasi"]}, "unit": "DINKES", "auto_assign": true}),
    )
    .expect(201);
    let mut b = Browser::new(&app);
    let form = fresh_form(&mut b);
    // Sent at once: too fast for a person.
    let r = send(&mut b, &form, QUESTION);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("jawaban penjumlahan salah"), "{}", r.body);
    app.advance(Duration::from_secs(5));
    // A wrong sum; the trap field filled; a changed signature: refused.
    let mut wrong = form.clone();
    wrong[3].1 = "999".into();
    assert_eq!(send(&mut b, &wrong, QUESTION).status, 422);
    assert_eq!(
        send(
            &mut b,
            &form,
            &[QUESTION[0], ("situs", "http://spam.example")]
        )
        .status,
        422
    );
    let mut forged = form.clone();
    forged[2].1 = "00".repeat(32);
    assert_eq!(send(&mut b, &forged, QUESTION).status, 422);
    // Bad fields name themselves in Bahasa Indonesia.
    let r = send(
        &mut b,
        &form,
        &[("pertanyaan", "Hoaks?"), ("tautan", "javascript:alert(1)")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("sedikitnya 10 huruf") && r.body.contains("http:// atau https://"),
        "{}",
        r.body
    );
    // Nothing filed so far.
    let q = app.get("/api/v1/queues/triage?limit=200", &trc).expect(200);
    let before = q.body["items"].as_array().map_or(0, Vec::len);
    // Sent: to the tracking page, the code in a cookie (not in the URL).
    let r = send(&mut b, &form, QUESTION);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/klarifikasi/lacak"));
    let page = b.get("/klarifikasi/lacak");
    assert_eq!(page.status, 200);
    let code = page
        .body
        .split("<strong class=\"code\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the code")
        .to_owned();
    assert!(
        page.body.contains("Diterima, menunggu pemeriksaan"),
        "{}",
        page.body
    );
    // Shown once: the cookie is gone.
    assert!(!b.get("/klarifikasi/lacak").body.contains(&code));
    // The same form again files nothing.
    let r = send(&mut b, &form, QUESTION);
    assert_eq!(r.status, 409, "{}", r.body);
    // In the TRC's queue: from `publik`, new, the rule's unit only proposed.
    let q = app.get("/api/v1/queues/triage?limit=200", &trc).expect(200);
    let items = q.body["items"].as_array().expect("items");
    assert_eq!(items.len(), before + 1);
    let issue = items
        .iter()
        .find(|i| i["channel"] == "publik")
        .expect("the request");
    assert_eq!(issue["status"], "new");
    assert_eq!(issue["proposed_unit"], "DINKES");
    assert_eq!(issue["category"], "hoaks_disinformasi");
    assert_eq!(
        issue["source_urls"],
        json!(["https://www.facebook.com/groups/kotabaru/posts/991"])
    );
    let reference = issue["ref"].as_str().expect("ref").to_owned();
    let full = app.issue(&trc, &reference).expect(200);
    assert!(full.body["description"]
        .as_str()
        .unwrap_or_default()
        .contains("budi.warga@example.id"));
    // Answered, clarified, published: the tracking page shows the answer, nothing personal.
    app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    let id = app
        .post(
            &format!("/api/v1/issues/{reference}/clarifications"),
            &trc,
            json!({"title": "Air PDAM Kotabaru aman diminum", "text": "Hasil uji laboratorium menunjukkan air PDAM aman."}),
        )
        .expect(201)
        .body["id"]
        .as_i64()
        .expect("id");
    app.post(
        &format!("/api/v1/clarifications/{id}/approve"),
        &trc,
        json!({}),
    )
    .expect(200);
    let mut anyone = Browser::new(&app);
    let page = anyone.get(&format!(
        "/klarifikasi/lacak?kode={}",
        code.to_lowercase().replace('-', " ")
    ));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sedang ditangani"), "{}", page.body);
    assert!(page.body.contains("Air PDAM Kotabaru aman diminum"));
    for personal in [
        "budi.warga",
        "0812",
        "tercemar bakteri",
        &reference,
        "facebook.com",
    ] {
        assert!(
            !page.body.contains(personal),
            "{personal} shown: {}",
            page.body
        );
    }
    // Unknown and odd codes: 404, the same words.
    assert_eq!(
        anyone.get("/klarifikasi/lacak?kode=ACDE-FGHJ-KMNP").status,
        404
    );
    assert_eq!(
        anyone.get("/klarifikasi/lacak?kode=%3Cscript%3E").status,
        404
    );
}
both!(a_citizen_asks_and_follows_the_answer);

fn trc_admin(app: &TestApp) -> String {
    app.admin()
}

fn requests_are_limited_per_address(app: TestApp) {
    let ask = |from: &str| {
        let mut b = Browser::new(&app);
        let form = fresh_form(&mut b);
        app.advance(Duration::from_secs(4));
        let mut body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
        body.push("pertanyaan=Benarkah+ada+pemadaman+listrik+besok%3F".into());
        app.request(
            "POST",
            "/klarifikasi/minta",
            None,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Forwarded-For", from),
            ],
            Some(&body.join("&")),
        )
    };
    assert_eq!(ask("203.0.113.7").status, 200);
    assert_eq!(ask("203.0.113.7").status, 200);
    let r = ask("203.0.113.7");
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.header("retry-after"), Some("3600"));
    assert!(r.text.contains("dalam satu jam terakhir"));
    // Another address is not held back; the first again after the hour.
    assert_eq!(ask("198.51.100.9").status, 200);
    app.advance(Duration::from_secs(3600));
    assert_eq!(ask("203.0.113.7").status, 200);
}
both!(
    requests_are_limited_per_address,
    "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n[console]\npublic_requests_per_hour = 2\n"
);
