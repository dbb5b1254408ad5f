use crate::both;
use crate::helpers::*;
use serde_json::json;
use std::path::PathBuf;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/import-example.csv")
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn count(app: &TestApp, token: &str) -> usize {
    let mut n = 0;
    let mut cursor = String::new();
    loop {
        let r = app
            .get(&format!("/api/v1/issues?limit=200{cursor}"), token)
            .expect(200);
        n += r.body["items"].as_array().map_or(0, Vec::len);
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return n,
        }
    }
}

fn importing_the_example_spreadsheet(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let before = count(&app, &trc);
    let file = example();
    let path = file.to_str().expect("path");
    let dry = app.cli(&["import", path, "--dry-run"], None);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would import 5 issue(s)"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(count(&app, &trc), before, "a dry run writes nothing");

    let out = app.cli(&["import", path, "--as", ADMIN], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("imported 5 issue(s); 0 already imported"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("imported 5/5 rows"),
        "progress lines off a terminal: {}",
        stderr(&out)
    );
    assert_eq!(count(&app, &trc), before + 5);

    let r = app
        .get("/api/v1/issues?q=antrean%20panjang%20di%20puskesmas", &trc)
        .expect(200);
    let issue = &r.body["items"][0];
    assert!(
        issue["ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("ISU-2025-")),
        "the year it was filed: {issue}"
    );
    assert_eq!(issue["created_at"], "2025-01-14T01:15:00Z", "09:15 WITA");
    assert_eq!(
        (issue["status"].as_str(), issue["assigned_unit"].as_str()),
        (Some("resolved"), Some("DINKES"))
    );
    assert_eq!(
        (issue["category"].as_str(), issue["channel"].as_str()),
        (Some("layanan_publik"), Some("instagram"))
    );
    let response = issue["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "response")
        .expect("response");
    assert_eq!(response["stopped_at"], "2025-01-14T05:00:00Z");
    assert!(matches!(response["state"].as_str(), Some("met" | "missed")));
    let reference = issue["ref"].as_str().expect("ref");
    let h = app
        .get(&format!("/api/v1/issues/{reference}/history"), &trc)
        .expect(200);
    assert_eq!(h.body["items"][0]["action"], "issue.imported");
    assert_eq!(
        h.body["items"][0]["changes"]["imported_from"]["after"]["row"],
        2
    );
    let comments = app
        .get(&format!("/api/v1/issues/{reference}/comments"), &trc)
        .expect(200);
    assert_eq!(comments.body["items"][0]["kind"], "public_response");
    // The open imported issue keeps counting, but its past steps send nothing.
    let open = app
        .get(
            "/api/v1/issues?q=jalan%20poros%20kelumpang&status=assigned",
            &trc,
        )
        .expect(200);
    assert!(open.body["items"]
        .as_array()
        .is_some_and(|i| i.iter().any(|x| x["ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("ISU-2025-")))));

    // Again: nothing new.
    let again = app.cli(&["import", path], None);
    assert!(
        stdout(&again).contains("imported 0 issue(s); 5 already imported"),
        "{}",
        stdout(&again)
    );
    assert_eq!(count(&app, &trc), before + 5);
    // Imported issues list their clocks as they read alone.
    crate::issues_lists::lists_match_single_reads(&app, &trc);
}
both!(importing_the_example_spreadsheet);

fn bad_rows_are_all_reported_and_nothing_is_imported(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let before = count(&app, &trc);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("buruk.csv");
    std::fs::write(
        &file,
        "Tanggal,Judul,Uraian,Kategori,Kanal,Unit,Status\n\
         14/01/2026,Baik,Baris yang benar,Sosial,Facebook,,\n\
         14/01/2026,Kategori salah,x,Gosip,Facebook,,\n\
         31/02/2026,Tanggal salah,x,Sosial,WA,,\n\
         15/01/2026,Unit salah,x,Sosial,Facebook,DINAS_HANTU,Ditugaskan\n\
         15/01/2026,,Tanpa judul,Sosial,Facebook,,Selesai\n",
    )
    .expect("write");
    let out = app.cli(&["import", file.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in [
        "row 3: kategori",
        "row 4: tanggal",
        "row 5: unit: there is no unit `DINAS_HANTU`",
        "row 6: judul",
        "row 6: unit",
        "row 6: tanggal_selesai",
    ] {
        assert!(err.contains(expected), "{expected} missing from:\n{err}");
    }
    assert!(!err.contains("row 2:"), "the good row has no error");
    assert!(err.contains("nothing was imported"));
    assert_eq!(count(&app, &trc), before);
    let missing = dir.path().join("kolom.csv");
    std::fs::write(&missing, "Judul,Uraian\nx,y\n").expect("write");
    let out = app.cli(&["import", missing.to_str().expect("path")], None);
    assert!(
        stderr(&out).contains("row 1: tanggal: this column is required"),
        "{}",
        stderr(&out)
    );
}
both!(bad_rows_are_all_reported_and_nothing_is_imported);

fn exports_stream_and_import_again(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("=HYPERLINK(\"http://evil\") rumus");
    body["tags"] = json!(["rumus"]);
    app.file(&trc, body);
    let total = count(&app, &trc);
    let jsonl = app.cli(&["export", "--format", "jsonl"], None);
    assert!(jsonl.status.success(), "{}", stderr(&jsonl));
    let lines: Vec<serde_json::Value> = stdout(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), total);
    assert!(lines
        .iter()
        .all(|l| l["ref"].is_string() && l["clocks"].is_array()));
    let csv = app.cli(&["export", "--format", "csv"], None);
    let text = stdout(&csv);
    assert!(text.starts_with("id_eksternal,tanggal,judul,uraian,kategori,kanal"));
    assert!(text.contains("'=HYPERLINK"), "formula cells are escaped");
    assert_eq!(text.lines().count(), total + 1);
    let none = app.cli(
        &[
            "export",
            "--format",
            "csv",
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
        ],
        None,
    );
    assert_eq!(stdout(&none).lines().count(), 1, "only the header");

    // Into an empty instance: every issue arrives, the formula text as it was.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ekspor.csv");
    std::fs::write(&file, &text).expect("write");
    let fresh = TestApp::spawn_with(app.backend(), "[demo]\nseed = false\n").expect("second app");
    let add = fresh.cli(
        &[
            "user",
            "add",
            "--email",
            "admin@kotabaru.go.id",
            "--name",
            "Admin",
            "--role",
            "admin",
            "--unit",
            "DISKOMINFO",
        ],
        Some("long-enough-pw\n"),
    );
    assert!(!add.status.success(), "no units yet in an empty database");
    let add = fresh.cli(
        &[
            "user",
            "add",
            "--email",
            "admin@kotabaru.go.id",
            "--name",
            "Admin",
            "--role",
            "admin",
        ],
        Some("long-enough-pw\n"),
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let admin = fresh.login("admin@kotabaru.go.id", "long-enough-pw");
    for code in [
        "DISKOMINFO",
        "DINKES",
        "PUSKESMAS_KOTABARU",
        "DPUPR",
        "BPBD",
        "DINSOS",
        "SATPOLPP",
        "UPT_A",
    ] {
        fresh
            .post("/api/v1/units", &admin, json!({"code": code, "name": code}))
            .expect(201);
    }
    let out = fresh.cli(&["import", file.to_str().expect("path")], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("imported {total} issue(s)")),
        "{}",
        stdout(&out)
    );
    let r = fresh.get("/api/v1/issues?q=hyperlink", &admin).expect(200);
    assert_eq!(
        r.body["items"][0]["title"],
        "=HYPERLINK(\"http://evil\") rumus"
    );
    let again = fresh.cli(&["import", file.to_str().expect("path")], None);
    assert!(
        stdout(&again).contains("imported 0 issue(s)"),
        "{}",
        stdout(&again)
    );
}
both!(exports_stream_and_import_again);

/// The issues an import of `csv` created, as `token` lists them by `q`.
fn imported(app: &TestApp, token: &str, q: &str) -> Vec<serde_json::Value> {
    app.get(&format!("/api/v1/issues?q={q}&limit=200"), token)
        .expect(200)
        .body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn restricted_issues_stay_restricted_through_export_and_import(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let dinkes = app.login(PIC_DINKES, DEMO_PASSWORD);
    let dpupr = app.login("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD);
    let mut body = issue_body("Isu SARA rahasiaekspor di grup warga");
    body["sensitivity"] = json!("restricted");
    let original = app.file(&dinkes, body);

    let csv = app.cli(&["export", "--format", "csv"], None);
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let header = text.lines().next().expect("header");
    assert!(header.ends_with(",kerahasiaan,unit_pelapor"), "{header}");
    let row = text
        .lines()
        .find(|l| l.contains("rahasiaekspor"))
        .expect("the restricted issue is exported");
    assert!(row.ends_with(",terbatas,DINKES"), "{row}");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ekspor.csv");
    std::fs::write(&file, format!("{header}\n{row}\n")).expect("write");
    // Into another instance (the same one knows the ref and skips it).
    let fresh = TestApp::spawn_with(app.backend(), "").expect("second app");
    let out = fresh.cli(
        &["import", file.to_str().expect("path"), "--as", ADMIN],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("imported 1 issue(s)"),
        "{}",
        stdout(&out)
    );
    let all = imported(&fresh, &fresh.login(TRC, DEMO_PASSWORD), "rahasiaekspor");
    assert_eq!(all.len(), 1, "{all:?}");
    let copy = &all[0];
    assert_eq!(copy["sensitivity"], "restricted", "{copy}");
    assert_eq!(copy["filing_unit"], "DINKES", "{copy}");
    let dpupr_there = fresh.login("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD);
    assert!(
        imported(&fresh, &dpupr_there, "rahasiaekspor").is_empty(),
        "a PIC of another unit does not see it"
    );
    let reference = copy["ref"].as_str().expect("ref");
    fresh.issue(&dpupr_there, reference).problem(404);
    assert!(imported(&app, &dpupr, "rahasiaekspor").is_empty());
    let _ = original;

    // A spreadsheet that does not say: restricted, and the import says so; `--sensitivity
    // normal` declares a file of normal issues; a bad value is a row error.
    let plain = dir.path().join("tanpa-kolom.csv");
    std::fs::write(
        &plain,
        "Tanggal,Judul,Uraian,Kategori,Kanal\n\
         14/01/2026,Tanpakolom pertama,Isi,Sosial,Langsung\n",
    )
    .expect("write");
    let out = app.cli(&["import", plain.to_str().expect("path")], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 row(s) do not say their sensitivity")
            && stderr(&out).contains("imported as restricted"),
        "{}",
        stderr(&out)
    );
    let items = imported(&app, &trc, "tanpakolom%20pertama");
    assert_eq!(items[0]["sensitivity"], "restricted");
    let declared = dir.path().join("normal.csv");
    std::fs::write(
        &declared,
        "Tanggal,Judul,Uraian,Kategori,Kanal\n\
         14/01/2026,Tanpakolom kedua,Isi,Sosial,Langsung\n",
    )
    .expect("write");
    let out = app.cli(
        &[
            "import",
            declared.to_str().expect("path"),
            "--sensitivity",
            "normal",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let items = imported(&app, &trc, "tanpakolom%20kedua");
    assert_eq!(items[0]["sensitivity"], "normal");
    let bad = dir.path().join("salah.csv");
    std::fs::write(
        &bad,
        "Tanggal,Judul,Uraian,Kategori,Kanal,Kerahasiaan\n\
         14/01/2026,Tanpakolom ketiga,Isi,Sosial,Langsung,setengah\n",
    )
    .expect("write");
    let out = app.cli(&["import", bad.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("row 2: kerahasiaan: `setengah` is not a sensitivity"),
        "{}",
        stderr(&out)
    );
}
both!(restricted_issues_stay_restricted_through_export_and_import);
