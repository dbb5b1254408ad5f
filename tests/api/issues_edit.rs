use crate::both;
use crate::helpers::*;
use serde_json::json;

fn patch_honours_roles_fields_and_versions(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    let mut body = issue_body("Hoaks jembatan putus");
    body["category"] = json!("hoaks_disinformasi");
    let r = app.file(&pic, body);
    let path = format!("/api/v1/issues/{r}");
    // The filer edits text and evidence while the issue is new (merge-patch: only what is sent).
    let res = app
        .request("PATCH", &path, Some(&pic), &[("If-Match", "\"1\""), ("Content-Type", "application/merge-patch+json")],
            Some(&json!({"title": "Hoaks: jembatan Serongga putus", "evidence": {"reach": 900}, "location": {"district": "Kelumpang Hilir"}}).to_string()))
        .expect(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    assert_eq!(res.body["title"], "Hoaks: jembatan Serongga putus");
    assert_eq!(res.body["evidence"]["reach"], 900);
    assert_eq!(
        res.body["description"],
        "Laporan warga: Hoaks jembatan putus"
    );
    // A stale If-Match is 412; a field the caller may not change is 403; an unknown one 422.
    app.request(
        "PATCH",
        &path,
        Some(&pic),
        &[("If-Match", "\"1\"")],
        Some(&json!({"title": "x"}).to_string()),
    )
    .problem(412);
    app.patch(&path, &pic, json!({"priority": "critical"}))
        .problem(403);
    app.patch(&path, &trc, json!({"flavour": "spicy"}))
        .problem(422);
    app.patch(&path, &leader, json!({"title": "x"}))
        .problem(403);
    // The TRC sets the verdict and the clarification; null clears.
    let res = app
        .patch(&path, &trc, json!({"priority": "high", "verdict": "hoaks", "clarification": {"text": "Jembatan utuh; foto lama 2019.", "urls": ["https://kotabarukab.go.id/klarifikasi/1"]}, "tags": ["hoaks", "jembatan"]}))
        .expect(200);
    assert_eq!(res.body["verdict"], "hoaks");
    assert_eq!(
        res.body["clarification"]["urls"][0],
        "https://kotabarukab.go.id/klarifikasi/1"
    );
    assert_eq!(res.body["version"], 3);
    let res = app
        .patch(&path, &trc, json!({"lapor_id": "LAPOR-9", "tags": null}))
        .expect(200);
    assert_eq!(res.body["tags"], json!([]));
    app.patch(&path, &trc, json!({"verdict": "palsu"}))
        .problem(422);
    // After triage the filer's text fields are closed; the unit's PIC may set verdict and tags.
    app.act(&trc, &r, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    app.patch(&path, &pic, json!({"title": "y"})).problem(403);
    app.patch(
        &path,
        &pic,
        json!({"verdict": "misleading", "tags": ["klarifikasi"]}),
    )
    .expect(200);
    // Changing the category away from hoaks drops the verdict; setting one on it is refused.
    let res = app
        .patch(&path, &trc, json!({"category": "infrastruktur"}))
        .expect(200);
    assert_eq!(res.body["verdict"], json!(null));
    app.patch(&path, &trc, json!({"verdict": "hoaks"}))
        .problem(422);
    // Not JSON, not an object, another media type.
    app.request("PATCH", &path, Some(&trc), &[], Some("{bad"))
        .problem(400);
    app.request(
        "PATCH",
        &path,
        Some(&trc),
        &[("Content-Type", "text/plain")],
        Some("{}"),
    )
    .problem(415);
    // Every edit is in the history with before and after.
    let h = app.get(&format!("{path}/history"), &trc).expect(200);
    let edits: Vec<&serde_json::Value> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "issue.updated")
        .collect();
    assert_eq!(edits.len(), 5);
    assert_eq!(
        edits[0]["changes"]["title"],
        json!({"before": "Hoaks jembatan putus", "after": "Hoaks: jembatan Serongga putus"})
    );
    assert_eq!(edits[0]["actor"], PIC_DINKES);
}
both!(patch_honours_roles_fields_and_versions);

fn racing_edits_with_one_if_match(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let r = app.file(&trc, issue_body("Balapan"));
    let path = format!("/api/v1/issues/{r}");
    for round in 0..5 {
        let version = app.issue(&trc, &r).body["version"]
            .as_i64()
            .expect("version");
        let tag = format!("\"{version}\"");
        let (a, b) = std::thread::scope(|s| {
            let x = s.spawn(|| {
                app.request(
                    "PATCH",
                    &path,
                    Some(&trc),
                    &[("If-Match", &tag)],
                    Some(&json!({"priority": "high", "lapor_id": format!("A{round}")}).to_string()),
                )
                .status
            });
            let y = s.spawn(|| {
                app.request(
                    "PATCH",
                    &path,
                    Some(&trc),
                    &[("If-Match", &tag)],
                    Some(&json!({"priority": "low", "lapor_id": format!("B{round}")}).to_string()),
                )
                .status
            });
            (x.join().expect("a"), y.join().expect("b"))
        });
        let mut got = [a, b];
        got.sort_unstable();
        assert_eq!(got, [200, 412], "round {round}");
    }
}
both!(racing_edits_with_one_if_match);

fn comments_and_disposisi(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    let other = app.login("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD);
    let r = app.file(&pic, issue_body("Komentar"));
    let path = format!("/api/v1/issues/{r}/comments");
    let c = app
        .post(
            &path,
            &leader,
            json!({"body": "Disposisi: segera tindak lanjuti, laporkan ke Sekda."}),
        )
        .expect(201);
    assert_eq!(
        (c.body["kind"].as_str(), c.body["author"].as_str()),
        (Some("internal"), Some(LEADER))
    );
    app.post(&path, &pic, json!({"body": "Siap.", "kind": "internal"}))
        .expect(201);
    // A public response is for the TRC and the assigned unit's PIC only.
    app.post(
        &path,
        &pic,
        json!({"body": "Jawaban", "kind": "public_response"}),
    )
    .problem(403);
    app.post(
        &path,
        &trc,
        json!({"body": "Jawaban resmi", "kind": "public_response"}),
    )
    .expect(201);
    app.post(&path, &trc, json!({"body": "x", "kind": "gossip"}))
        .problem(422);
    app.post(&path, &trc, json!({"body": ""})).problem(422);
    app.post(&path, &other, json!({"body": "x"})).problem(404);
    let list = app.get(&format!("{path}?limit=2"), &pic).expect(200);
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(2));
    let next = list.body["next_cursor"].as_str().expect("more");
    let rest = app.get(&format!("{path}?cursor={next}"), &pic).expect(200);
    assert_eq!(rest.body["items"][0]["body"], "Jawaban resmi");
    // A public_response comment stops no clock and changes no state.
    assert_eq!(app.issue(&trc, &r).body["status"], "new");
    let h = app
        .get(&format!("/api/v1/issues/{r}/history"), &trc)
        .expect(200);
    assert_eq!(
        h.body["items"]
            .as_array()
            .map(|i| i.iter().filter(|e| e["action"] == "comment.added").count()),
        Some(3)
    );
}
both!(comments_and_disposisi);
