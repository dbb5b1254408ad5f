//! Clarifications, partners and the public pages over real HTTP, on both backends: the TRC's
//! approval flow and its refusals, restricted issues only as standalone texts, the fan-out to
//! partners exactly once across two instances and a restart, the partner's signed link
//! (acknowledge, reshare; tampered and expired links refused), the yearly partner report, and
//! the public list, page, ClaimReview and feed.

use crate::both;
use crate::helpers::*;
use crate::smtp_sink::Sink;
use serde_json::{json, Value};
use std::time::Duration;

fn hoax(title: &str) -> Value {
    json!({
        "title": title,
        "description": format!("Pesan berantai: {title}"),
        "category": "hoaks_disinformasi",
        "channel": "whatsapp",
        "source_urls": ["https://chat.whatsapp.com/ABCdef123"],
        "location": {"district": "Pulau Laut Utara", "village": "Baharu Utara"},
        "verdict": "hoaks",
        "disinformation_type": "fabricated",
    })
}

/// Files a hoax and routes it to DINKES; answers its ref.
fn routed_hoax(app: &TestApp, trc: &str, title: &str) -> String {
    let r = app.file(trc, hoax(title));
    app.act(trc, &r, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    r
}

fn propose(app: &TestApp, token: &str, reference: &str, body: Value) -> Reply {
    app.post(
        &format!("/api/v1/issues/{reference}/clarifications"),
        token,
        body,
    )
}

fn step(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> Reply {
    app.post(
        &format!("/api/v1/clarifications/{id}/{action}"),
        token,
        body,
    )
}

fn public(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.request("GET", path, None, &[], None);
    (r.status, r.text)
}

fn id_of(r: &Reply) -> i64 {
    r.body["id"].as_i64().expect("id")
}

fn the_trc_approves_returns_and_withdraws(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let other_pic = app.login(PIC_DPUPR, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    let reference = routed_hoax(&app, &trc, "Vaksin campak menyebabkan kemandulan");
    let text = "Dinas Kesehatan menegaskan vaksin campak aman dan tidak menyebabkan kemandulan.";
    // Who may propose: the assigned unit's PIC and the TRC; not a leader (who sees it), not
    // another unit's PIC (who does not: 404, as if it did not exist).
    propose(&app, &leader, &reference, json!({"text": text})).problem(403);
    propose(&app, &other_pic, &reference, json!({"text": text})).problem(404);
    // Bad values: 422 naming each field.
    let r = propose(
        &app,
        &pic,
        &reference,
        json!({"text": " ", "urls": ["javascript:alert(1)"], "title": "a\nb"}),
    )
    .problem(422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["title", "text", "urls.0"], "{}", r.text);
    let r = propose(
        &app,
        &pic,
        &reference,
        json!({"text": text, "claim": "Vaksin campak menyebabkan kemandulan"}),
    )
    .expect(201);
    let id = id_of(&r);
    assert_eq!(r.body["state"], "proposed");
    assert_eq!(r.body["title"], "Vaksin campak menyebabkan kemandulan");
    assert_eq!(r.body["public_id"], Value::Null);
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/clarifications/{id}").as_str())
    );
    // One waiting clarification per issue.
    propose(&app, &trc, &reference, json!({"text": text})).problem_of(409, "already-exists");
    // Not yet public: nothing on the public side.
    assert!(!public(&app, "/klarifikasi").1.contains(text));
    // Only the TRC decides.
    step(&app, &pic, id, "approve", json!({})).problem(403);
    step(&app, &leader, id, "approve", json!({})).problem(403);
    // Returned with a reason; it cannot be approved until revised.
    step(&app, &trc, id, "return", json!({})).problem(422);
    let r = step(
        &app,
        &trc,
        id,
        "return",
        json!({"reason": "Sebutkan sumber resmi"}),
    )
    .expect(200);
    assert_eq!(r.body["state"], "returned");
    assert_eq!(r.body["allowed_actions"], json!(["revise"]));
    let r = step(&app, &trc, id, "approve", json!({})).problem(409);
    assert_eq!(r.body["allowed_actions"], json!(["revise"]));
    // The proposer revises (If-Match honoured).
    let path = format!("/api/v1/clarifications/{id}");
    let revise = |version: &str| {
        app.request(
            "PATCH",
            &path,
            Some(&pic),
            &[("If-Match", version), ("Content-Type", "application/json")],
            Some(&json!({"urls": ["https://dinkes.kotabarukab.go.id/vaksin"]}).to_string()),
        )
    };
    revise("\"1\"").problem(412);
    let r = revise("\"2\"").expect(200);
    assert_eq!(r.body["state"], "proposed");
    assert_eq!(r.header("etag"), Some("\"3\""));
    // Approved with an edit: published under a public id, with the issue's public fields.
    let r = step(
        &app,
        &trc,
        id,
        "approve",
        json!({"title": "[HOAKS] Vaksin campak tidak menyebabkan kemandulan"}),
    )
    .expect(200);
    assert_eq!(r.body["state"], "published");
    let public_id = r.body["public_id"].as_str().expect("public id").to_owned();
    assert!(public_id.starts_with("KLR-20"), "{public_id}");
    assert_eq!(r.body["verdict"], "hoaks");
    assert_eq!(r.body["disinformation_type"], "fabricated");
    assert_eq!(r.body["district"], "Pulau Laut Utara");
    assert_eq!(r.body["unit"], "Dinas Kesehatan (DINKES)");
    assert_eq!(r.body["decided_by"], TRC);
    // Approving twice: 409.
    step(&app, &trc, id, "approve", json!({})).problem(409);
    // Public: in the list, its page (with ClaimReview), the feed.
    let (status, list) = public(&app, "/klarifikasi");
    assert_eq!(status, 200);
    assert!(
        list.contains(&public_id) && list.contains("Hoaks"),
        "{list}"
    );
    let (status, page) = public(&app, &format!("/klarifikasi/{public_id}"));
    assert_eq!(status, 200);
    assert!(page.contains(text), "{page}");
    assert!(page.contains("\"@type\":\"ClaimReview\""), "{page}");
    assert!(page.contains("\"claimReviewed\":\"Vaksin campak menyebabkan kemandulan\""));
    assert!(page.contains("Konten palsu"), "{page}");
    let (_, found) = public(&app, "/klarifikasi?q=kemandulan+vaksin");
    assert!(found.contains(&public_id));
    let (_, none) = public(&app, "/klarifikasi?q=banjir");
    assert!(!none.contains(&public_id));
    let feed = app.request("GET", "/klarifikasi/feed.atom", None, &[], None);
    assert_eq!(
        feed.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert!(
        feed.text
            .contains(&format!("/klarifikasi/{public_id}</id>")),
        "{}",
        feed.text
    );
    // Every step is on the issue's history, by whom.
    let h = app
        .get(
            &format!("/api/v1/issues/{reference}/history?limit=200"),
            &trc,
        )
        .expect(200);
    let actions: Vec<(String, String)> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("clarification."))
        })
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("clarification.proposed".into(), PIC_DINKES.into()),
            ("clarification.returned".into(), TRC.into()),
            ("clarification.revised".into(), PIC_DINKES.into()),
            ("clarification.approved".into(), TRC.into()),
        ]
    );
    // Withdrawn: the page says so (410), the list and the feed drop it.
    step(
        &app,
        &trc,
        id,
        "withdraw",
        json!({"reason": "Data diperbarui"}),
    )
    .expect(200);
    let (status, page) = public(&app, &format!("/klarifikasi/{public_id}"));
    assert_eq!(status, 410);
    assert!(page.contains("telah ditarik") && page.contains("Data diperbarui"));
    assert!(!page.contains("ClaimReview"));
    assert!(!public(&app, "/klarifikasi").1.contains(&public_id));
    assert!(!public(&app, "/klarifikasi/feed.atom")
        .1
        .contains(&public_id));
    // Unknown ids and actions.
    assert_eq!(public(&app, "/klarifikasi/KLR-2026-999999").0, 404);
    assert_eq!(public(&app, "/klarifikasi/anything").0, 404);
    step(&app, &trc, id, "publish", json!({})).problem(404);
    app.get("/api/v1/clarifications/999999", &trc).problem(404);
    // Staff list by state.
    let r = app
        .get("/api/v1/clarifications?state=withdrawn", &trc)
        .expect(200);
    assert_eq!(r.body["items"][0]["id"], id);
    app.get("/api/v1/clarifications?state=gone", &trc)
        .problem(422);
}
both!(the_trc_approves_returns_and_withdraws);

fn a_restricted_issue_is_clarified_only_by_a_text_for_the_public(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let mut b = hoax("Isu SARA RAHASIA-7741 di Desa Baharu");
    b["sensitivity"] = json!("restricted");
    b["description"] = json!("Nama korban RAHASIA-7741 dan alamatnya");
    let reference = app.file(&trc, b);
    app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    // The assigned PIC sees the issue but may not propose its clarification.
    propose(&app, &pic, &reference, json!({"text": "x"})).problem(403);
    // The TRC must write a public title (the issue's is not used).
    let r = propose(&app, &trc, &reference, json!({"text": "Situasi aman."})).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "title");
    let r = propose(
        &app,
        &trc,
        &reference,
        json!({"title": "Situasi di Pulau Laut kondusif", "text": "Aparat memastikan situasi aman."}),
    )
    .expect(201);
    assert_eq!(r.body["standalone"], true);
    let r = step(&app, &trc, id_of(&r), "approve", json!({})).expect(200);
    for field in [
        "verdict",
        "disinformation_type",
        "category",
        "district",
        "unit",
    ] {
        assert_eq!(r.body[field], Value::Null, "{field}: {}", r.text);
    }
    let public_id = r.body["public_id"].as_str().expect("public id").to_owned();
    let (status, page) = public(&app, &format!("/klarifikasi/{public_id}"));
    assert_eq!(status, 200);
    assert!(page.contains("Situasi di Pulau Laut kondusif"));
    for secret in [
        "RAHASIA-7741",
        "Baharu",
        "Hoaks",
        "ClaimReview",
        &reference,
        "Dinas Kesehatan",
    ] {
        assert!(!page.contains(secret), "{secret} leaked: {page}");
    }
    // A clarification proposed while the issue was normal, the issue restricted since: not
    // approved as it was; the TRC's own revision for the public goes out, without the issue.
    let normal = routed_hoax(&app, &trc, "Isu BIASA-5521 yang kemudian dibatasi");
    let k = id_of(
        &propose(
            &app,
            &pic,
            &normal,
            json!({"text": "Teks unit BIASA-5521."}),
        )
        .expect(201),
    );
    app.request(
        "PATCH",
        &format!("/api/v1/issues/{normal}"),
        Some(&trc),
        &[("Content-Type", "application/merge-patch+json")],
        Some(&json!({"sensitivity": "restricted"}).to_string()),
    )
    .expect(200);
    let r = step(&app, &trc, k, "approve", json!({})).problem(409);
    assert_eq!(r.body["allowed_actions"], json!(["revise", "return"]));
    app.request(
        "PATCH",
        &format!("/api/v1/clarifications/{k}"),
        Some(&pic),
        &[("Content-Type", "application/json")],
        Some(&json!({"text": "x"}).to_string()),
    )
    .problem(403);
    let r = app
        .request(
            "PATCH",
            &format!("/api/v1/clarifications/{k}"),
            Some(&trc),
            &[("Content-Type", "application/json")],
            Some(&json!({"title": "Informasi resmi", "text": "Situasi terkendali."}).to_string()),
        )
        .expect(200);
    assert_eq!(r.body["standalone"], true);
    let r = step(&app, &trc, k, "approve", json!({})).expect(200);
    let (_, page) = public(
        &app,
        &format!("/klarifikasi/{}", r.body["public_id"].as_str().expect("id")),
    );
    assert!(
        page.contains("Situasi terkendali.") && !page.contains("BIASA-5521"),
        "{page}"
    );
    // A PIC of another unit does not learn of it through the staff API either.
    let other = app.login(PIC_DPUPR, DEMO_PASSWORD);
    let l = app.get("/api/v1/clarifications", &other).expect(200);
    assert_eq!(l.body["items"], json!([]), "{}", l.text);
    app.get(&format!("/api/v1/clarifications/{}", r.body["id"]), &other)
        .problem(404);
}
both!(a_restricted_issue_is_clarified_only_by_a_text_for_the_public);

fn partner(app: &TestApp, token: &str, body: Value) -> i64 {
    app.post("/api/v1/partners", token, body).expect(201).body["id"]
        .as_i64()
        .expect("id")
}

/// The partner link in a mail (quoted-printable undone).
fn link_in(mail: &str) -> String {
    let plain = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = plain.find("/mitra/").expect("a partner link");
    plain[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .expect("link")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn partners_acknowledge_and_report_through_their_links(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    // Registry: the TRC manages it; a PIC may not; bad values name their fields.
    app.get("/api/v1/partners", &pic).problem(403);
    let r = app
        .post(
            "/api/v1/partners",
            &trc,
            json!({"name": "X", "kind": "tv", "email": "nope", "topics": ["sport"]}),
        )
        .problem(422);
    assert!(
        r.text.contains("\"kind\"") && r.text.contains("creator"),
        "{}",
        r.text
    );
    let radar = partner(
        &app,
        &trc,
        json!({"name": "Radar Kotabaru", "kind": "media", "email": "redaksi@radar.example",
               "topics": ["hoaks_disinformasi"],
               "agreement": {"number": "027/PKS/2026", "year": 2026, "from": "2026-01-01", "to": "2099-12-31"}}),
    );
    let kim = partner(
        &app,
        &trc,
        json!({"name": "KIM Pulau Laut", "kind": "kim", "email": "kim@pulaulaut.example",
               "districts": ["pulau laut utara"]}),
    );
    // Not interested (another district), and inactive: neither receives.
    partner(
        &app,
        &trc,
        json!({"name": "KIM Sebuku", "kind": "kim", "email": "kim@sebuku.example", "districts": ["Sebuku"]}),
    );
    partner(
        &app,
        &trc,
        json!({"name": "Kreator Lama", "kind": "creator", "email": "lama@example.id", "active": false}),
    );
    let reference = routed_hoax(&app, &trc, "Bantuan sembako lewat tautan");
    let id =
        id_of(&propose(&app, &pic, &reference, json!({"text": "Tautan itu palsu."})).expect(201));
    let r = step(&app, &trc, id, "approve", json!({})).expect(200);
    let public_id = r.body["public_id"].as_str().expect("public id").to_owned();
    let got = mails_about(&app, &public_id, 2);
    assert_eq!(got.len(), 2, "two partners receive it");
    let to_radar = got
        .iter()
        .find(|m| m.contains("redaksi@radar.example"))
        .expect("Radar's mail");
    assert!(got.iter().any(|m| m.contains("kim@pulaulaut.example")));
    let link = link_in(to_radar);
    assert!(link.contains(&format!("p={radar}")), "{link}");
    // The link opens the partner's page without an account.
    let r = app.request("GET", &link, None, &[], None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Radar Kotabaru") && r.text.contains("Tautan itu palsu."));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    // Tampered: another partner's id, another clarification, a changed signature or expiry.
    for bad in [
        link.replace(&format!("p={radar}"), &format!("p={kim}")),
        link.replace(&public_id, "KLR-2026-000999"),
        link.replace("&t=", "&t=A"),
        link.replace("&s=", "&s=9"),
    ] {
        let r = app.request("GET", &bad, None, &[], None);
        assert_eq!(r.status, 403, "{bad}: {}", r.text);
    }
    // Acknowledge, then report two reshares (one of them twice: counted once).
    let query = link.split_once('?').expect("query").1.to_owned();
    let form = |extra: &str| {
        app.request(
            "POST",
            &format!("/mitra/{public_id}"),
            None,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(&format!("{query}&{extra}")),
        )
    };
    let r = form("langkah=terima");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Diterima pada"));
    assert_eq!(
        form("langkah=sebar&url=https%3A%2F%2Fradar.example%2Fb%2F1&jangkauan=12.500").status,
        200
    );
    assert_eq!(
        form("langkah=sebar&url=https%3A%2F%2Fradar.example%2Fb%2F1&jangkauan=13000").status,
        200
    );
    assert_eq!(
        form("langkah=sebar&url=https%3A%2F%2Fwww.facebook.com%2Fradar%2F2&jangkauan=2000").status,
        200
    );
    let r = form("langkah=sebar&url=javascript%3Aalert(1)");
    assert_eq!(r.status, 422);
    assert!(
        r.text.contains("harus diawali http:// atau https://"),
        "{}",
        r.text
    );
    // A forged form without the link's signature is refused.
    let r = app.request(
        "POST",
        &format!("/mitra/{public_id}"),
        None,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!("p={radar}&s=99999999999&t=AAAA&langkah=terima")),
    );
    assert_eq!(r.status, 403);
    // The evaluation of the year.
    let year = &r_year(&app);
    let rep = app
        .get(&format!("/api/v1/partners/report?year={year}"), &trc)
        .expect(200);
    let of = |pid: i64| {
        rep.body["partners"]
            .as_array()
            .expect("partners")
            .iter()
            .find(|p| p["partner"] == pid)
            .cloned()
            .expect("partner row")
    };
    let radar_row = of(radar);
    assert_eq!(
        (
            radar_row["received"].as_i64(),
            radar_row["acknowledged"].as_i64(),
            radar_row["republished"].as_i64(),
            radar_row["reshares"].as_i64(),
            radar_row["reach"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(2), Some(15_000)),
        "{radar_row}"
    );
    assert!(radar_row["median_seconds_to_republish"].is_i64());
    let kim_row = of(kim);
    assert_eq!(
        (
            kim_row["received"].as_i64(),
            kim_row["acknowledged"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let csv = app.request(
        "GET",
        &format!("/api/v1/partners/report?year={year}&format=csv"),
        Some(&trc),
        &[],
        None,
    );
    assert_eq!(csv.status, 200);
    assert!(
        csv.text.contains(&format!(
            "{year},{radar},Radar Kotabaru,media,027/PKS/2026,1,1,1,2,15000,"
        )),
        "{}",
        csv.text
    );
    app.get("/api/v1/partners/report?year=12", &trc)
        .problem(422);
    // Every use of the link is on the issue's history.
    let h = app
        .get(
            &format!("/api/v1/issues/{reference}/history?limit=200"),
            &trc,
        )
        .expect(200);
    let uses: Vec<&str> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("partner."))
        .collect();
    assert_eq!(
        uses,
        [
            "partner.link_opened",
            "partner.acknowledged",
            "partner.reshare_reported",
            "partner.reshare_reported",
            "partner.reshare_reported",
            "partner.link_opened"
        ],
        "{}",
        h.text
    );
    // A partner that received something is deactivated, not deleted.
    app.delete(&format!("/api/v1/partners/{radar}"), &trc)
        .problem_of(409, "in-use");
    // The link expires (30 days by default).
    app.advance(Duration::from_secs(31 * 86_400));
    let r = app.request("GET", &link, None, &[], None);
    assert_eq!(r.status, 403);
    assert!(
        r.text.contains("kedaluwarsa") || r.text.contains("expired"),
        "{}",
        r.text
    );
}
both!(partners_acknowledge_and_report_through_their_links);

/// The current local year as the service sees it.
fn r_year(app: &TestApp) -> String {
    local_date(tanggap::service::Clock::now(&*app.clock))
        .year()
        .to_string()
}

fn fan_out_once(backend: Backend) {
    let sink = Sink::start();
    let config = format!(
        "[mail]\ntransport = \"smtp\"\nretry_base = \"1s\"\nlease = \"10s\"\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout = \"5s\"\n",
        sink.port
    );
    let Some(first) = TestApp::spawn_with(backend, &config) else {
        return;
    };
    let second = TestApp::spawn_on(&first);
    let trc = first.login(TRC, DEMO_PASSWORD);
    for i in 0..4 {
        partner(
            &first,
            &trc,
            json!({"name": format!("Media {i}"), "kind": "media", "email": format!("m{i}@media.example")}),
        );
    }
    // Published on one instance, delivered by whichever: each partner once.
    let reference = routed_hoax(&first, &trc, "Gempa susulan besar malam ini");
    let pic = second.login(PIC_DINKES, DEMO_PASSWORD);
    let id = id_of(
        &propose(
            &second,
            &pic,
            &reference,
            json!({"text": "Tidak ada peringatan resmi."}),
        )
        .expect(201),
    );
    let r = step(&second, &trc, id, "approve", json!({})).expect(200);
    let one = r.body["public_id"].as_str().expect("id").to_owned();
    let msgs = sink.wait(Duration::from_secs(20), |m| {
        m.iter().filter(|x| x.subject().contains(&one)).count() >= 4
    });
    std::thread::sleep(Duration::from_millis(500));
    let mut to: Vec<String> = sink.about(&one).iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "m0@media.example",
            "m1@media.example",
            "m2@media.example",
            "m3@media.example"
        ],
        "{msgs:?}"
    );
    // The relay down when the next is published; every instance stops; a new one delivers
    // each message once.
    sink.set_down(true);
    let reference = routed_hoax(&first, &trc, "Air PDAM tercemar");
    let id = id_of(
        &propose(
            &first,
            &trc,
            &reference,
            json!({"text": "Air PDAM aman diminum."}),
        )
        .expect(201),
    );
    let r = step(&first, &trc, id, "approve", json!({})).expect(200);
    let two = r.body["public_id"].as_str().expect("id").to_owned();
    std::thread::sleep(Duration::from_millis(300));
    first.stop();
    second.stop();
    sink.set_down(false);
    first.clock.advance(Duration::from_secs(30));
    let third = TestApp::spawn_on(&first);
    sink.wait(Duration::from_secs(20), |m| {
        m.iter().filter(|x| x.subject().contains(&two)).count() >= 4
    });
    third.settle();
    let mut to: Vec<String> = sink.about(&two).iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "m0@media.example",
            "m1@media.example",
            "m2@media.example",
            "m3@media.example"
        ]
    );
    assert_eq!(sink.about(&one).len(), 4, "nothing of the first sent again");
}

#[test]
fn fan_out_once_sqlite() {
    fan_out_once(Backend::Sqlite);
}
#[test]
fn fan_out_once_postgres() {
    fan_out_once(Backend::Postgres);
}

/// What one generated issue and its clarification are.
#[derive(Debug, Clone)]
struct Case {
    restricted: bool,
    /// 0 proposed, 1 returned, 2 published, 3 withdrawn.
    fate: u8,
    hoax: bool,
}

/// Whatever issues, sensitivities and clarification states exist, the public pages, the feed
/// and every public id show only published clarifications, and of them only the public title,
/// claim, text, sources and (for normal issues) verdict, category, district and unit — never
/// an unpublished text, a restricted issue's fields, the issue's description, village, posts,
/// ref, filer or internal notes.
fn public_pages_show_only_published_public_data(app: TestApp) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut runner = TestRunner::new(Config {
        cases: 8,
        failure_persistence: None,
        ..Config::default()
    });
    let case = (any::<bool>(), 0u8..4, any::<bool>()).prop_map(|(restricted, fate, hoax)| Case {
        restricted,
        fate,
        hoax,
    });
    let counter = std::cell::Cell::new(0u32);
    // Markers that may appear publicly (when published) and ones that never may.
    let shown = std::cell::RefCell::new(Vec::<String>::new());
    let hidden = std::cell::RefCell::new(Vec::<String>::new());
    let ids = std::cell::RefCell::new(Vec::<i64>::new());
    runner
        .run(&prop::collection::vec(case, 1..4), |cases| {
            for c in cases {
                let n = counter.get() + 1;
                counter.set(n);
                let mut body = json!({
                    "title": format!("ISUTITLE{n}X"),
                    "description": format!("DESCR{n}X nama pelapor"),
                    "category": if c.hoax { "hoaks_disinformasi" } else { "kesehatan" },
                    "channel": "facebook",
                    "source_urls": [format!("https://www.facebook.com/POST{n}X")],
                    "location": {"district": format!("KEC{n}X"), "village": format!("DESA{n}X"), "lat": -3.2, "lon": 116.2},
                    "sensitivity": if c.restricted { "restricted" } else { "normal" },
                });
                if c.hoax {
                    body["verdict"] = json!("hoaks");
                }
                let reference = app.file(&trc, body);
                app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
                    .expect(200);
                app.post(
                    &format!("/api/v1/issues/{reference}/comments"),
                    &trc,
                    json!({"body": format!("NOTE{n}X"), "kind": "internal"}),
                )
                .expect(201);
                let mut req = json!({"text": format!("TEXT{n}X"), "claim": format!("CLAIM{n}X")});
                if c.restricted {
                    req["title"] = json!(format!("PUBTITLE{n}X"));
                }
                let id = id_of(&propose(&app, &trc, &reference, req).expect(201));
                ids.borrow_mut().push(id);
                match c.fate {
                    1 => {
                        step(&app, &trc, id, "return", json!({"reason": "x"})).expect(200);
                    }
                    2 | 3 => {
                        step(&app, &trc, id, "approve", json!({})).expect(200);
                    }
                    _ => {}
                }
                if c.fate == 3 {
                    step(&app, &trc, id, "withdraw", json!({"reason": "x"})).expect(200);
                }
                let published = c.fate == 2;
                let mut h = hidden.borrow_mut();
                let mut s = shown.borrow_mut();
                for never in ["DESCR", "DESA", "POST", "NOTE"] {
                    h.push(format!("{never}{n}X"));
                }
                h.push(reference.clone());
                let title = if c.restricted { "PUBTITLE" } else { "ISUTITLE" };
                // A withdrawn clarification keeps only its title and the notice.
                if c.fate != 3 {
                    let m = format!("{title}{n}X");
                    if published {
                        s.push(m);
                    } else {
                        h.push(m);
                    }
                }
                for (m, public_when) in [
                    (format!("TEXT{n}X"), published),
                    (format!("CLAIM{n}X"), published),
                    (format!("KEC{n}X"), published && !c.restricted),
                ] {
                    if public_when {
                        s.push(m);
                    } else {
                        h.push(m);
                    }
                }
                if c.restricted {
                    h.push(format!("ISUTITLE{n}X"));
                    h.push(format!("KEC{n}X"));
                }
            }
            // Everything public: every page of the list, the feed, every possible public id.
            let mut seen = String::new();
            let mut next = Some("/klarifikasi".to_owned());
            while let Some(path) = next.take() {
                let (status, page) = public(&app, &path);
                prop_assert_eq!(status, 200);
                next = page
                    .split("href=\"")
                    .filter_map(|p| p.split('"').next())
                    .find(|h| h.contains("setelah="))
                    .map(|h| h.replace("&amp;", "&"));
                seen.push_str(&page);
            }
            seen.push_str(&public(&app, "/klarifikasi/feed.atom").1);
            let year = r_year(&app);
            for id in ids.borrow().iter() {
                let path = format!("/klarifikasi/KLR-{year}-{id:06}");
                let (status, page) = public(&app, &path);
                prop_assert!([200, 404, 410].contains(&status), "{path}: {status}");
                seen.push_str(&page);
            }
            for m in hidden.borrow().iter() {
                prop_assert!(!seen.contains(m.as_str()), "{} is public", m);
            }
            for m in shown.borrow().iter() {
                prop_assert!(seen.contains(m.as_str()), "{} is missing", m);
            }
            prop_assert!(!seen.contains(TRC) && !seen.contains(PIC_DINKES));
            Ok(())
        })
        .expect("public pages show only published public data");
}
both!(public_pages_show_only_published_public_data);

/// The console's forms: a proposal and a decision without their CSRF token are refused; a PIC
/// opens neither the TRC's page nor the partner registry; a decision on the version the page
/// showed after someone else changed it is refused (412), not applied.
fn the_consoles_forms_are_guarded(app: TestApp) {
    use crate::console::{field, Browser};
    let trc_api = app.login(TRC, DEMO_PASSWORD);
    let reference = routed_hoax(&app, &trc_api, "Beras plastik beredar di pasar");
    let mut pic = Browser::new(&app);
    pic.login(PIC_DINKES);
    let page = pic.get(&format!("/isu/{reference}"));
    assert!(page.body.contains("Ajukan ke TRC"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let form = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("title".to_owned(), "Beras plastik tidak beredar".to_owned()),
            (
                "text".to_owned(),
                "Hasil uji laboratorium: beras aman.".to_owned(),
            ),
            (
                "urls".to_owned(),
                "https://dinkes.example/uji\n\nhttps://bpom.example/r".to_owned(),
            ),
        ]
    };
    let as_refs = |f: &[(String, String)]| -> Vec<(String, String)> { f.to_vec() };
    let send = |b: &mut Browser, path: &str, f: &[(String, String)]| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post(path, &pairs)
    };
    let path = format!("/isu/{reference}/klarifikasi");
    assert_eq!(send(&mut pic, &path, &as_refs(&form("forged"))).status, 403);
    let r = send(&mut pic, &path, &as_refs(&form(&csrf)));
    assert_eq!(r.status, 303, "{}", r.body);
    let listed = app
        .get("/api/v1/clarifications?state=proposed", &trc_api)
        .expect(200);
    let item = &listed.body["items"][0];
    assert_eq!(item["issue"], reference.as_str());
    assert_eq!(
        item["urls"],
        json!(["https://dinkes.example/uji", "https://bpom.example/r"])
    );
    let id = item["id"].as_i64().expect("id").to_string();
    // The TRC's page and the registry are not the PIC's.
    assert_eq!(pic.get("/klarifikasi-masuk").status, 403);
    assert_eq!(pic.get("/mitra-kerja-sama").status, 403);
    let pic_csrf = field(&pic.get(&format!("/isu/{reference}")).body, "csrf");
    let r = pic.post(
        &format!("/klarifikasi-masuk/{id}"),
        &[
            ("csrf", &pic_csrf),
            ("langkah", "approve"),
            ("version", "1"),
        ],
    );
    assert_eq!(r.status, 403);
    // The TRC decides from its page: without the token refused; on a stale version refused.
    let mut trc = Browser::new(&app);
    trc.login(TRC);
    let page = trc.get("/klarifikasi-masuk");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Beras plastik tidak beredar"));
    let csrf = field(&page.body, "csrf");
    let decide = format!("/klarifikasi-masuk/{id}");
    assert_eq!(
        trc.post(
            &decide,
            &[("csrf", "x"), ("langkah", "approve"), ("version", "1")]
        )
        .status,
        403
    );
    // Someone revises it meanwhile (version 2): the page's version 1 is refused.
    app.request(
        "PATCH",
        &format!("/api/v1/clarifications/{id}"),
        Some(&trc_api),
        &[("Content-Type", "application/json")],
        Some(&json!({"text": "Hasil uji laboratorium BPOM: beras aman dikonsumsi."}).to_string()),
    )
    .expect(200);
    let r = trc.post(
        &decide,
        &[("csrf", &csrf), ("langkah", "approve"), ("version", "1")],
    );
    assert_eq!(r.status, 412, "{}", r.body);
    let r = trc.post(
        &decide,
        &[
            ("csrf", &csrf),
            ("langkah", "approve"),
            ("version", "2"),
            ("title", "Beras plastik: hoaks"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let c = app
        .get(&format!("/api/v1/clarifications/{id}"), &trc_api)
        .expect(200);
    assert_eq!(c.body["state"], "published");
    assert_eq!(c.body["title"], "Beras plastik: hoaks");
    assert_eq!(
        c.body["text"],
        "Hasil uji laboratorium BPOM: beras aman dikonsumsi."
    );
    // A partner through the console's form: saved, and a PIC's post is refused.
    let page = trc.get("/mitra-kerja-sama");
    let csrf = field(&page.body, "csrf");
    let r = trc.post(
        "/mitra-kerja-sama",
        &[
            ("csrf", &csrf),
            ("name", "Kotabaru TV"),
            ("kind", "media"),
            ("email", "redaksi@kotabaru.tv"),
            ("districts", "Sebuku, Pulau Laut Utara"),
            ("topics", "kesehatan"),
            ("topics", "bencana"),
            ("agreement_number", "12/PKS/2026"),
            ("agreement_year", "2026"),
            ("active", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let p = app.get("/api/v1/partners", &trc_api).expect(200);
    assert_eq!(
        p.body["items"][0]["districts"],
        json!(["Sebuku", "Pulau Laut Utara"])
    );
    assert_eq!(
        p.body["items"][0]["topics"],
        json!(["kesehatan", "bencana"])
    );
    assert_eq!(
        pic.post(
            "/mitra-kerja-sama",
            &[
                ("csrf", &pic_csrf),
                ("name", "X"),
                ("kind", "media"),
                ("email", "x@y.z")
            ]
        )
        .status,
        403
    );
}
both!(the_consoles_forms_are_guarded);

/// A query that gives a parameter twice is refused naming it, never read as the last value
/// (found by the fuzzer: `?limit=0.0&limit=` listed with the default limit); a caller without
/// a token still learns only that it needs one.
fn a_repeated_query_parameter_is_refused(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    for path in [
        "/api/v1/clarifications?limit=0.0&limit=",
        "/api/v1/issues?status=new&status=assigned",
        "/api/v1/reports?group_by=unit&group_by=category",
        "/api/v1/partners/report?year=2026&year=2027",
    ] {
        let r = app.get(path, &trc).problem(422);
        assert!(r.text.contains("more than once"), "{path}: {}", r.text);
        let anon = app.request("GET", path, None, &[], None);
        assert_eq!(anon.status, 401, "{path}");
    }
    app.get("/api/v1/clarifications?limit=5", &trc).expect(200);
}
both!(a_repeated_query_parameter_is_refused);

/// People saving the same partner at once: every change either lands (and raises the version)
/// or is refused as stale — none is silently overwritten.
fn concurrent_partner_changes_are_never_lost(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let id = partner(
        &app,
        &trc,
        json!({"name": "Radio Kotabaru", "kind": "media", "email": "radio@example.id"}),
    );
    let path = format!("/api/v1/partners/{id}");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (app, trc, path) = (&app, &trc, &path);
                s.spawn(move || {
                    app.request(
                        "PATCH",
                        path,
                        Some(trc),
                        &[("Content-Type", "application/json")],
                        Some(&json!({"name": format!("Radio Kotabaru {i}")}).to_string()),
                    )
                    .status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let landed = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 412),
        "{statuses:?}"
    );
    assert!(landed >= 1);
    let now = app.get(&path, &trc).expect(200);
    assert_eq!(
        now.body["version"],
        json!(1 + landed),
        "{statuses:?}: {}",
        now.text
    );
}
both!(concurrent_partner_changes_are_never_lost);
