//! The console's administration pages over real HTTP, and the language kept per user: each
//! change lands through the API's use case (so the API sees it), a form without the session's
//! token changes nothing, and only administrators get in.

use crate::both;
use crate::console::{field, Browser};
use crate::helpers::*;
use crate::smtp_sink::Sink;
use serde_json::json;
use std::time::Duration;

fn admin_browser(app: &TestApp) -> (Browser, String) {
    let mut b = Browser::new(app);
    assert_eq!(b.login(ADMIN).status, 303);
    let page = b.get("/admin/unit");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "csrf");
    (b, csrf)
}

fn units_are_made_and_changed_in_the_tree(app: TestApp) {
    let admin = app.admin();
    let (mut b, csrf) = admin_browser(&app);
    let new_unit = [
        ("code", "PKM_SAMPAGA"),
        ("name", "Puskesmas Sampaga"),
        ("parent", "DINKES"),
        ("email", ""),
        ("head_name", ""),
        ("head_email", ""),
        ("active", "on"),
    ];
    // Without the session's token: refused, nothing made.
    let mut forged = vec![("csrf", "forged")];
    forged.extend(new_unit);
    assert_eq!(b.post("/admin/unit", &forged).status, 403);
    app.get("/api/v1/units/PKM_SAMPAGA", &admin).problem(404);

    let mut sent = vec![("csrf", csrf.as_str())];
    sent.extend(new_unit);
    let r = b.post("/admin/unit", &sent);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some("/admin/unit/PKM_SAMPAGA?selesai=1")
    );
    let u = app.get("/api/v1/units/PKM_SAMPAGA", &admin).expect(200);
    assert_eq!(u.body["parent"], "DINKES");
    assert_eq!(u.body["active"], true);
    // The tree shows it under its parent, one level in.
    let tree = b.get("/admin/unit");
    let dinkes = tree.body.find("/admin/unit/DINKES\"").expect("DINKES");
    let child = tree
        .body
        .find("class=\"d1\"><a href=\"/admin/unit/PKM_SAMPAGA\"")
        .expect("the new unit one level in");
    assert!(child > dinkes);

    // A wrong code names the field, and the form comes back as typed.
    let bad = b.post(
        "/admin/unit",
        &[
            ("csrf", &csrf),
            ("code", "puskesmas baru"),
            ("name", "Puskesmas Baru"),
            ("parent", ""),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("code:"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Puskesmas Baru\""));

    // Changing: the email set, the unit deactivated; a cycle is refused naming the parent.
    let r = b.post(
        "/admin/unit/PKM_SAMPAGA",
        &[
            ("csrf", &csrf),
            ("name", "Puskesmas Sampaga"),
            ("parent", "DINKES"),
            ("email", "pkm.sampaga@demo.tanggap.id"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let u = app.get("/api/v1/units/PKM_SAMPAGA", &admin).expect(200);
    assert_eq!(u.body["email"], "pkm.sampaga@demo.tanggap.id");
    assert_eq!(u.body["active"], false);
    let cycle = b.post(
        "/admin/unit/DINKES",
        &[
            ("csrf", &csrf),
            ("name", "Dinas Kesehatan"),
            ("parent", "PKM_SAMPAGA"),
            ("active", "on"),
        ],
    );
    assert_eq!(cycle.status, 422);
    assert!(cycle.body.contains("parent:"), "{}", cycle.body);
    let d = app.get("/api/v1/units/DINKES", &admin).expect(200);
    assert_eq!(d.body["parent"], json!(null));
}
both!(units_are_made_and_changed_in_the_tree);

fn users_are_made_and_changed_and_the_last_admin_kept(app: TestApp) {
    let admin = app.admin();
    let (mut b, csrf) = admin_browser(&app);
    let r = b.post(
        "/admin/pengguna",
        &[
            ("csrf", &csrf),
            ("email", "pic.sampaga@demo.tanggap.id"),
            ("name", "Siti"),
            ("role", "pic"),
            ("unit", "DINKES"),
            ("active", "on"),
            ("password", "sampaga-2026-awal"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let id: i64 = r
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/admin/pengguna/"))
        .and_then(|l| l.split('?').next())
        .and_then(|l| l.parse().ok())
        .expect("the new user's page");
    // The new PIC signs in with the password the administrator set.
    app.login("pic.sampaga@demo.tanggap.id", "sampaga-2026-awal");
    // A PIC without a unit and a short password: both fields named, the password not shown.
    let bad = b.post(
        "/admin/pengguna",
        &[
            ("csrf", &csrf),
            ("email", "x@demo.tanggap.id"),
            ("name", "X"),
            ("role", "pic"),
            ("unit", ""),
            ("active", "on"),
            ("password", "pendek"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("password:") && bad.body.contains("unit:"));
    assert!(!bad.body.contains("pendek"));
    // Changed to a leader, the password kept (empty field).
    let r = b.post(
        &format!("/admin/pengguna/{id}"),
        &[
            ("csrf", &csrf),
            ("name", "Siti Aminah"),
            ("role", "leader"),
            ("unit", "DINKES"),
            ("active", "on"),
            ("password", ""),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let u = app.get(&format!("/api/v1/users/{id}"), &admin).expect(200);
    assert_eq!(u.body["role"], "leader");
    assert_eq!(u.body["name"], "Siti Aminah");
    app.login("pic.sampaga@demo.tanggap.id", "sampaga-2026-awal");
    // The last administrator cannot demote themself.
    let me = app.get("/api/v1/me", &admin).expect(200);
    let my_id = me.body["id"].as_i64().expect("id");
    let r = b.post(
        &format!("/admin/pengguna/{my_id}"),
        &[
            ("csrf", &csrf),
            ("name", "Admin"),
            ("role", "trc"),
            ("unit", ""),
            ("active", "on"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let me = app.get("/api/v1/me", &admin).expect(200);
    assert_eq!(me.body["role"], "admin");
}
both!(users_are_made_and_changed_and_the_last_admin_kept);

fn rules_are_edited_and_previewed(app: TestApp) {
    let admin = app.admin();
    let (mut b, csrf) = admin_browser(&app);
    // Two categories as two checkboxes of the same name, districts as a comma list.
    let r = b.post(
        "/admin/aturan",
        &[
            ("csrf", &csrf),
            ("name", "Sampaga ke Dinkes"),
            ("position", "1"),
            ("categories", "kesehatan"),
            ("categories", "layanan_publik"),
            ("districts", "Sampaga, Pulau Laut Utara"),
            ("keywords", "puskesmas sampaga"),
            ("keyword_mode", "any"),
            ("unit", "DINKES"),
            ("enabled", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let rules = app.get("/api/v1/routing-rules", &admin).expect(200);
    let first = &rules.body["items"][0];
    assert_eq!(first["name"], "Sampaga ke Dinkes");
    assert_eq!(
        first["conditions"]["categories"],
        json!(["kesehatan", "layanan_publik"])
    );
    assert_eq!(
        first["conditions"]["districts"],
        json!(["Sampaga", "Pulau Laut Utara"])
    );
    let id = first["id"].as_i64().expect("id");
    // The preview says where a draft goes and by which rule, each rule's checks listed.
    let p = b.get(
        "/admin/aturan?uji_judul=Antrean+Puskesmas+Sampaga+panjang&uji_uraian=&uji_kategori=layanan_publik&uji_kanal=facebook&uji_kecamatan=Sampaga",
    );
    assert_eq!(p.status, 200);
    assert!(
        p.body
            .contains("<strong>DINKES</strong> oleh aturan “Sampaga ke Dinkes”"),
        "{}",
        p.body
    );
    // A wrong value in the preview names it, the page still shows.
    let p = b.get("/admin/aturan?uji_kategori=cuaca&uji_kanal=facebook");
    assert_eq!(p.status, 200);
    assert!(p.body.contains("category"), "{}", p.body);
    // A bad position and keyword mode are refused naming both; nothing changes.
    let bad = b.post(
        &format!("/admin/aturan/{id}"),
        &[
            ("csrf", &csrf),
            ("name", "Sampaga ke Dinkes"),
            ("position", "pertama"),
            ("keyword_mode", "sebagian"),
            ("unit", "DINKES"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("position:") && bad.body.contains("keyword_mode:"));
    // Deleted: gone from the API's list too.
    let r = b.post(&format!("/admin/aturan/{id}/hapus"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let rules = app.get("/api/v1/routing-rules", &admin).expect(200);
    assert!(!rules.body.to_string().contains("Sampaga ke Dinkes"));
}
both!(rules_are_edited_and_previewed);

fn only_administrators_get_in(app: TestApp) {
    let (_, admin_csrf) = admin_browser(&app);
    for who in [TRC, PIC_DINKES, LEADER] {
        let mut b = Browser::new(&app);
        assert_eq!(b.login(who).status, 303);
        for path in [
            "/admin/unit",
            "/admin/unit/DINKES",
            "/admin/pengguna",
            "/admin/aturan",
            "/admin/kotak-keluar",
            "/admin/audit?periksa=1",
        ] {
            assert_eq!(b.get(path).status, 403, "{who} {path}");
        }
        let csrf = field(&b.get("/cari").body, "csrf");
        let r = b.post(
            "/admin/unit",
            &[("csrf", &csrf), ("code", "SUSUP"), ("name", "Susup")],
        );
        assert_eq!(r.status, 403, "{who}");
        // Nor with an administrator's token from another session.
        let r = b.post(
            "/admin/unit",
            &[("csrf", &admin_csrf), ("code", "SUSUP"), ("name", "Susup")],
        );
        assert_eq!(r.status, 403, "{who}");
    }
    app.get("/api/v1/units/SUSUP", &app.admin()).problem(404);
    // Without a session: to the login, which comes back.
    let mut anon = Browser::new(&app);
    let r = anon.get("/admin/aturan");
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/masuk?next=/admin/aturan"));
    // The audit check reads the trail and says it is intact.
    let (mut b, _) = admin_browser(&app);
    let audit = b.get("/admin/audit?periksa=1");
    assert_eq!(audit.status, 200);
    assert!(audit.body.contains("Utuh"), "{}", audit.body);
}
both!(only_administrators_get_in);

fn dead_letters_are_sent_again_from_the_outbox_page(backend: Backend) {
    let sink = Sink::start();
    sink.reject("trc@localhost", true);
    let config = format!(
        r#"
[mail]
transport = "smtp"
from = "Tanggap <tanggap@kotabarukab.go.id>"
retry_base = "1s"
give_up_after = "1s"
[mail.smtp]
host = "127.0.0.1"
port = {}
tls = "none"
timeout = "5s"
[sla.priority.critical]
calendar = "always"
triage = "4s"
response = "1h"
resolution = "2h"
[escalation.triage]
steps = [{{ at = "50%", notify = ["trc"] }}]
"#,
        sink.port
    );
    let Some(app) = TestApp::spawn_with(backend, &config) else {
        return;
    };
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Alamat TRC ditolak server surat");
    body["priority"] = json!("critical");
    body["category"] = json!("sosial");
    let reference = app.file(&trc, body);
    let (mut b, csrf) = admin_browser(&app);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let page = loop {
        let p = b.get("/admin/kotak-keluar");
        assert_eq!(p.status, 200);
        if p.body.contains(&reference) {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "no dead letter");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(page.body.contains("550"), "{}", page.body);
    let at = page.body.find(&reference).expect("the dead letter");
    let action = "action=\"/admin/kotak-keluar/";
    let start = page.body[..at]
        .rfind("<li class=\"card\">")
        .expect("its card");
    let form = page.body[start..]
        .find(action)
        .map(|i| start + i + action.len())
        .expect("its retry button");
    let id: String = page.body[form..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // Without the token nothing is queued; with it, the message goes out once.
    let path = format!("/admin/kotak-keluar/{id}/ulang");
    assert_eq!(b.post(&path, &[("csrf", "x")]).status, 403);
    sink.reject("trc@localhost", false);
    let r = b.post(&path, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let again = b.post(&path, &[("csrf", &csrf)]);
    assert_eq!(again.status, 409, "{}", again.body);
    let msgs = sink.wait(Duration::from_secs(10), |m| {
        m.iter()
            .any(|x| x.subject().contains(&reference) && x.to == ["trc@localhost"])
    });
    assert_eq!(
        msgs.iter()
            .filter(|x| x.subject().contains(&reference) && x.to == ["trc@localhost"])
            .count(),
        1
    );
}

#[test]
fn outbox_sqlite() {
    dead_letters_are_sent_again_from_the_outbox_page(Backend::Sqlite);
}
#[test]
fn outbox_postgres() {
    dead_letters_are_sent_again_from_the_outbox_page(Backend::Postgres);
}

fn the_language_is_kept_per_user(app: TestApp) {
    let mut phone = Browser::new(&app);
    assert_eq!(phone.login(TRC).status, 303);
    let page = phone.get("/cari");
    assert!(page.body.contains("<html lang=\"id\">"));
    let csrf = field(&page.body, "csrf");
    // Not from another site: without the token the language stays.
    assert_eq!(
        phone
            .post("/bahasa", &[("ke", "en"), ("kembali", "/cari")])
            .status,
        403
    );
    let r = phone.post(
        "/bahasa",
        &[("csrf", &csrf), ("ke", "en"), ("kembali", "/cari")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/cari"));
    assert!(phone.get("/cari").body.contains("<html lang=\"en\">"));
    // Another device, a new session: English already.
    let mut desk = Browser::new(&app);
    assert_eq!(desk.login(TRC).status, 303);
    assert!(desk.get("/cari").body.contains("<html lang=\"en\">"));
    // Another user is not affected.
    let mut other = Browser::new(&app);
    assert_eq!(other.login(PIC_DINKES).status, 303);
    assert!(other.get("/cari").body.contains("<html lang=\"id\">"));
    // Never sent to another site.
    let r = phone.post(
        "/bahasa",
        &[("csrf", &csrf), ("ke", "id"), ("kembali", "//evil.example")],
    );
    assert_eq!(r.location.as_deref(), Some("/"));
}
both!(the_language_is_kept_per_user);
