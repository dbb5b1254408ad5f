//! Backups taken while the service runs restore into a database whose audit trail verifies:
//! SQLite's online copy (`VACUUM INTO`), PostgreSQL's `pg_dump`/`pg_restore`.

use crate::both;
use crate::helpers::*;
use diesel::connection::SimpleConnection;
use serde_json::json;
use std::process::Command;
use tanggap::store::Db;

fn count_issues(url: &str) -> i64 {
    let mut conn = tanggap::store::connect(url).expect("connect to the restored database");
    tanggap::store::issues::count(&mut conn).expect("count")
}

fn a_backup_taken_while_serving_restores_and_verifies(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Isu sebelum pencadangan"));
    app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    // Evidence lives in the database: the backup carries it, byte for byte.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let (ct, body) = multipart(&[("file", "surat.pdf", pdf)]);
    let (status, _, _) = app.send_bytes(
        "POST",
        &format!("/api/v1/issues/{reference}/evidence"),
        &trc,
        &ct,
        &body,
    );
    assert_eq!(status, 201);
    let dir = tempfile::tempdir().expect("dir");
    // Kept alive until the end: the restored PostgreSQL database is dropped with it.
    let mut restored_pg: Option<TestDb> = None;
    let restored = match app.db.connect() {
        Db::Sqlite(mut c) => {
            let file = dir.path().join("cadangan.db");
            c.batch_execute(&format!("VACUUM INTO '{}'", file.display()))
                .expect("online backup");
            format!("sqlite://{}", file.display())
        }
        Db::Pg(_) => {
            let dump = dir.path().join("cadangan.dump");
            let out = Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(&dump)
                .arg(&app.db.url)
                .output()
                .expect("pg_dump (PostgreSQL client tools)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let target = TestDb::create(Backend::Postgres).expect("an empty database");
            let out = Command::new("pg_restore")
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                ])
                .arg(&target.url)
                .arg(&dump)
                .output()
                .expect("pg_restore");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let url = target.url.clone();
            restored_pg = Some(target);
            url
        }
    };
    // Work goes on after the backup; the copy holds what was there when it was taken.
    app.file(&trc, issue_body("Isu sesudah pencadangan"));
    let before = count_issues(&app.db.url) - 1;
    assert_eq!(count_issues(&restored), before);
    let out = run_cli(
        &app.overlay,
        &["audit", "verify"],
        None,
        &[("DATABASE_URL", restored.as_str())],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("intact"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The restored trail holds the triage of the issue, as the original does.
    let mut conn = tanggap::store::connect(&restored).expect("connect");
    let events: Vec<String> =
        tanggap::store::audit::stream(&mut conn, &format!("issue:{reference}"))
            .expect("stream")
            .into_iter()
            .map(|e| e.action)
            .collect();
    // (The outbox's `notification.sent` may come between, as the mail goes.)
    assert!(
        events.starts_with(&["issue.filed".to_owned(), "issue.triage".to_owned()])
            && events.contains(&"issue.evidence_added".to_owned()),
        "{events:?}"
    );
    let issue = tanggap::store::issues::find_by_ref(&mut conn, &reference, false)
        .expect("read")
        .expect("the issue");
    let files = tanggap::store::evidence::of_issue(&mut conn, issue.id).expect("files");
    let (_, bytes) = tanggap::store::evidence::get(&mut conn, issue.id, files[0].id)
        .expect("read")
        .expect("the file");
    assert_eq!(bytes, pdf);
    drop(conn);
    drop(restored_pg);
}
both!(a_backup_taken_while_serving_restores_and_verifies);
