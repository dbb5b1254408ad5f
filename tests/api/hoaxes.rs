//! Hoaxes over real HTTP, on both backends: the disinformation type a verdict found (checked,
//! dropped when the verdict no longer finds false content, filterable), the report's detection →
//! first public response, and LAPOR! tracking ids (a list filter, `q`, and the warning when a
//! second issue carries the same id).

use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};

fn hoax(title: &str) -> Value {
    json!({
        "title": title,
        "description": format!("Pesan berantai: {title}"),
        "category": "hoaks_disinformasi",
        "channel": "whatsapp",
        "source_urls": [format!("https://chat.whatsapp.com/{}", title.len())],
    })
}

fn a_verdict_names_the_kind_of_false_content(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut b = hoax("Foto banjir lama disebut banjir hari ini");
    b["verdict"] = json!("hoaks");
    b["disinformation_type"] = json!("false_context");
    let filed = app.post("/api/v1/issues", &trc, b).expect(201);
    assert_eq!(filed.body["disinformation_type"], "false_context");
    let reference = filed.body["ref"].as_str().expect("ref").to_owned();
    // Not a kind there is; a kind beside a verdict that found nothing false: 422 naming it.
    let mut wrong = hoax("Bantuan sembako lewat tautan");
    wrong["verdict"] = json!("hoaks");
    wrong["disinformation_type"] = json!("lies");
    let r = app.post("/api/v1/issues", &trc, wrong).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "disinformation_type");
    assert!(r.text.contains("false_connection"), "{}", r.text);
    let mut wrong = hoax("Jembatan baru diresmikan");
    wrong["verdict"] = json!("benar");
    wrong["disinformation_type"] = json!("fabricated");
    let r = app.post("/api/v1/issues", &trc, wrong).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "disinformation_type");
    // Filterable.
    let r = app
        .get("/api/v1/issues?disinformation_type=false_context", &trc)
        .expect(200);
    assert_eq!(refs(&r.body["items"]), vec![reference.clone()]);
    app.get("/api/v1/issues?disinformation_type=lies", &trc)
        .problem(422);
    // The verdict turns out `benar`: the kind is dropped, and the history shows both.
    let path = format!("/api/v1/issues/{reference}");
    let r = app
        .request(
            "PATCH",
            &path,
            Some(&trc),
            &[
                ("If-Match", "\"1\""),
                ("Content-Type", "application/merge-patch+json"),
            ],
            Some(&json!({"verdict": "benar"}).to_string()),
        )
        .expect(200);
    assert_eq!(r.body["disinformation_type"], Value::Null);
    let h = app.get(&format!("{path}/history"), &trc).expect(200);
    let last = h.body["items"]
        .as_array()
        .and_then(|v| v.last())
        .expect("an event");
    assert_eq!(
        last["changes"]["disinformation_type"],
        json!({"before": "false_context", "after": null}),
        "{last}"
    );
    // The assigned unit's PIC may name it too; a PIC of another unit may not.
    app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    app.request(
        "PATCH",
        &path,
        Some(&pic),
        &[
            ("If-Match", "\"3\""),
            ("Content-Type", "application/merge-patch+json"),
        ],
        Some(&json!({"verdict": "misleading", "disinformation_type": "false_context"}).to_string()),
    )
    .expect(200);
    let other = app.login(PIC_DPUPR, DEMO_PASSWORD);
    let r = app.request(
        "PATCH",
        &path,
        Some(&other),
        &[
            ("If-Match", "\"4\""),
            ("Content-Type", "application/merge-patch+json"),
        ],
        Some(&json!({"disinformation_type": "satire"}).to_string()),
    );
    assert!(r.status == 403 || r.status == 404, "{}", r.text);
}
both!(a_verdict_names_the_kind_of_false_content);

/// The report gives, for the period's hoaxes, how long the first public answer took from the
/// filing (the detection), against the 3-hour target, and what the verdicts found.
fn the_report_measures_detection_to_first_public_response(app: TestApp) {
    // Next month, where the demo's issues are not: the report's default period is this month.
    // At 01:00 local, so the test's seven hours stay in that day's month whatever the hour the
    // test runs.
    app.advance(std::time::Duration::from_secs(40 * 86_400));
    let now = tanggap::service::Clock::now(&*app.clock);
    let one_am = local_date(now)
        .tomorrow()
        .expect("tomorrow")
        .at(1, 0, 0, 0)
        .to_zoned(local_zone())
        .expect("local")
        .timestamp();
    app.advance(std::time::Duration::from_secs(
        u64::try_from(one_am.as_second() - now.as_second()).expect("ahead"),
    ));
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut fast = hoax("Vaksin campak bikin mandul");
    fast["verdict"] = json!("hoaks");
    fast["disinformation_type"] = json!("fabricated");
    let fast = app.file(&trc, fast);
    let slow = app.file(&trc, hoax("Gempa besar akan terjadi malam ini"));
    let silent = app.file(&trc, hoax("Pembagian beras gratis di kantor camat"));
    // A duplicate merged into another is not a hoax of its own.
    let merged = app.file(&trc, hoax("Vaksin campak bikin anak mandul"));
    app.act(&trc, &merged, "merge", json!({"into": fast}))
        .expect(200);
    for r in [&fast, &slow, &silent] {
        app.act(&trc, r, "triage", json!({"unit": "DINKES"}))
            .expect(200);
    }
    app.advance(std::time::Duration::from_secs(2 * 3600));
    app.act(&trc, &fast, "respond", json!({"text": "Itu hoaks."}))
        .expect(200);
    app.advance(std::time::Duration::from_secs(3 * 3600));
    app.act(&trc, &slow, "respond", json!({"text": "Tidak benar."}))
        .expect(200);
    // The fast one's clarification is approved and published an hour later (5 h + 1 h after
    // its detection); the slow one's only proposed: not counted.
    app.advance(std::time::Duration::from_secs(3600));
    for (r, approve) in [(&fast, true), (&slow, false)] {
        let id = app
            .post(
                &format!("/api/v1/issues/{r}/clarifications"),
                &trc,
                json!({"text": "Klarifikasi resmi."}),
            )
            .expect(201)
            .body["id"]
            .as_i64()
            .expect("id");
        if approve {
            app.post(
                &format!("/api/v1/clarifications/{id}/approve"),
                &trc,
                json!({}),
            )
            .expect(200);
        }
    }
    let r = app.get("/api/v1/reports", &trc).expect(200);
    let h = &r.body["hoaxes"];
    assert_eq!(h["clarified"], 1, "{h}");
    let to_clarification = h["median_seconds_to_clarification"]
        .as_i64()
        .expect("a median");
    assert!((6 * 3600..6 * 3600 + 60).contains(&to_clarification), "{h}");
    assert_eq!(h["filed"], 3, "{h}");
    assert_eq!(h["responded"], 2, "{h}");
    assert_eq!(h["target_seconds"], 3 * 3600, "{h}");
    assert_eq!(h["within_target"], 1, "{h}");
    let median = h["median_seconds"].as_i64().expect("a median");
    assert!((2 * 3600..2 * 3600 + 60).contains(&median), "{h}");
    let p90 = h["p90_seconds"].as_i64().expect("a p90");
    assert!((5 * 3600..5 * 3600 + 60).contains(&p90), "{h}");
    assert_eq!(h["verdicts"], json!({"hoaks": 1, "none": 2}), "{h}");
    assert_eq!(
        h["disinformation_types"],
        json!({"fabricated": 1, "none": 2}),
        "{h}"
    );
    // A PIC of another unit sees none of them (the report is scoped as the lists are).
    let other = app.login(PIC_DPUPR, DEMO_PASSWORD);
    let r = app.get("/api/v1/reports", &other).expect(200);
    assert_eq!(r.body["hoaxes"]["filed"], 0, "{}", r.body);
    // The leaders' dashboard shows the same.
    let mut b = crate::console::Browser::new(&app);
    b.login(TRC);
    let page = b.get("/dasbor");
    assert!(page.body.contains("Hoaks: dari deteksi"), "{}", page.body);
    assert!(page.body.contains("fabricated: 1"), "{}", page.body);
}
both!(the_report_measures_detection_to_first_public_response);

fn a_lapor_id_is_found_and_a_second_one_warned(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut first = issue_body("Lampu jalan padam di Jalan Veteran");
    first["lapor_id"] = json!("LAPOR-2026-7001");
    let first = app.file(&trc, first);
    // Another PIC files the same complaint from LAPOR!, in other words, the id in lower case:
    // the answer names the first, for the same LAPOR! id.
    let pic = app.login(PIC_DPUPR, DEMO_PASSWORD);
    let mut second = json!({
        "title": "Penerangan jalan mati dua minggu",
        "description": "Warga mengadu lewat LAPOR!",
        "category": "infrastruktur",
        "channel": "langsung",
        "lapor_id": " lapor-2026-7001 ",
    });
    second["location"] = json!({"district": "Pulau Laut Utara"});
    let filed = app.post("/api/v1/issues", &trc, second).expect(201);
    // First, for its id (the demo's other lamp on Jalan Veteran may follow, for its words).
    assert_eq!(
        refs(&filed.body["similar"]).first(),
        Some(&first),
        "{}",
        filed.body
    );
    assert!(filed.body["similar"][0]["reasons"]
        .to_string()
        .contains("same_lapor_id"));
    let second = filed.body["ref"].as_str().expect("ref").to_owned();
    // A list filter (exact) and `q` (part of it, any case).
    let r = app
        .get("/api/v1/issues?lapor_id=LAPOR-2026-7001", &trc)
        .expect(200);
    assert_eq!(refs(&r.body["items"]), vec![first.clone()]);
    let r = app.get("/api/v1/issues?q=2026-7001", &trc).expect(200);
    let found = refs(&r.body["items"]);
    assert!(
        found.contains(&first) && found.contains(&second),
        "{found:?}"
    );
    // Setting the id on a third issue later: the edit's answer warns of both.
    let third = app.file(&trc, issue_body("Keluhan lampu jalan"));
    let r = app
        .request(
            "PATCH",
            &format!("/api/v1/issues/{third}"),
            Some(&trc),
            &[
                ("If-Match", "\"1\""),
                ("Content-Type", "application/merge-patch+json"),
            ],
            Some(&json!({"lapor_id": "LAPOR-2026-7001"}).to_string()),
        )
        .expect(200);
    let mut warned = refs(&r.body["similar"]);
    warned.sort();
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(warned, both, "{}", r.body);
    // A PIC who may see neither is warned of nothing (the same id says nothing of them).
    let r = app
        .post(
            "/api/v1/issues/similar",
            &pic,
            json!({"title": "Pengaduan", "description": "Nomor pengaduan", "category": "infrastruktur",
                   "channel": "langsung", "lapor_id": "LAPOR-2026-7001"}),
        )
        .expect(200);
    assert_eq!(r.body["items"], json!([]), "{}", r.body);
}
both!(a_lapor_id_is_found_and_a_second_one_warned);

/// Merging keeps one issue and one answer for everyone who filed it: the issue that stays
/// gathers the duplicates' posts, reach and channels (its history shows each), and every filer
/// of a merged issue receives its response and its resolution, once per address.
fn a_merge_gathers_posts_and_every_filer_hears_the_answer(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let dinkes = app.login(PIC_DINKES, DEMO_PASSWORD);
    let dpupr = app.login(PIC_DPUPR, DEMO_PASSWORD);
    let report = |title: &str, channel: &str, url: &str, reach: i64| {
        json!({
            "title": title, "description": format!("Beredar: {title}"),
            "category": "hoaks_disinformasi", "channel": channel, "source_urls": [url],
            "evidence": {"reach": reach},
        })
    };
    let stays = app.file(
        &dinkes,
        report(
            "Hoaks air PDAM beracun",
            "tiktok",
            "https://vt.tiktok.com/ZSm1/",
            1000,
        ),
    );
    let from_fb = app.file(
        &dpupr,
        report(
            "Air PDAM disebut beracun",
            "facebook",
            "https://www.facebook.com/groups/k/posts/9/",
            500,
        ),
    );
    let from_trc = app.file(
        &trc,
        report(
            "PDAM beracun, kata pesan WA",
            "whatsapp",
            "https://chat.whatsapp.com/Pd1",
            0,
        ),
    );
    let again = app.file(
        &dinkes,
        report(
            "Air PDAM beracun lagi",
            "instagram",
            "https://www.instagram.com/p/Pd2/",
            200,
        ),
    );
    for d in [&from_fb, &from_trc, &again] {
        app.act(&trc, d, "merge", json!({"into": stays}))
            .expect(200);
    }
    let issue = app.issue(&trc, &stays).expect(200).body;
    assert_eq!(issue["evidence"]["reach"], 1700, "{issue}");
    let urls = issue["source_urls"].to_string();
    for u in ["ZSm1", "posts/9", "Pd1", "Pd2"] {
        assert!(urls.contains(u), "{urls}");
    }
    // The same post filed again later is found as the issue that stays.
    let r = app
        .post(
            "/api/v1/issues/similar",
            &trc,
            report(
                "lihat",
                "facebook",
                "https://m.facebook.com/groups/k/posts/9",
                0,
            ),
        )
        .expect(200);
    assert_eq!(refs(&r.body["items"]).first(), Some(&stays), "{}", r.body);
    let history = app
        .get(&format!("/api/v1/issues/{stays}/history"), &trc)
        .expect(200)
        .body;
    let channels: Vec<&Value> = history["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["changes"].get("merged_channel"))
        .map(|c| &c["after"])
        .collect();
    assert_eq!(
        channels,
        vec![&json!("facebook"), &json!("whatsapp"), &json!("instagram")]
    );
    // One answer, heard by every filer once: the Dinkes PIC filed two of them.
    app.act(&trc, &stays, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    app.act(
        &dinkes,
        &stays,
        "respond",
        json!({"text": "Air PDAM aman diminum."}),
    )
    .expect(200);
    app.act(
        &dinkes,
        &stays,
        "resolve",
        json!({"text": "Klarifikasi terbit."}),
    )
    .expect(200);
    let admin = app.admin();
    let listed = app
        .get("/api/v1/notifications?limit=200", &admin)
        .expect(200)
        .body;
    let to = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["kind"] == kind && n["issue"] == json!(stays))
            .map(|n| n["to"].as_str().expect("to").to_owned())
            .collect();
        v.sort();
        v
    };
    let everyone = vec![PIC_DINKES.to_owned(), PIC_DPUPR.to_owned(), TRC.to_owned()];
    assert_eq!(to("response"), everyone, "{listed}");
    assert_eq!(to("resolution"), everyone, "{listed}");
    // The merged filer's mail says which of theirs was merged.
    let theirs = mails_about(&app, &from_fb, 2);
    assert_eq!(theirs.len(), 2, "{theirs:?}");
    assert!(
        theirs
            .iter()
            .all(|m| m.contains(&stays) && m.contains("digabungkan ke isu ini")),
        "{theirs:?}"
    );
}
both!(a_merge_gathers_posts_and_every_filer_hears_the_answer);
