//! The web console over real HTTP (no browser): sessions, CSRF, the triage board, actions with
//! their version, and the signed links in emails. The browser journeys are in tests/browser.

use crate::both;
use crate::helpers::*;
use serde_json::json;

/// A client that keeps cookies and does not follow redirects.
pub(crate) struct Browser {
    agent: ureq::Agent,
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
}

pub(crate) struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(std::time::Duration::from_secs(30))
                .build(),
            base: app.base.clone(),
            cookies: std::collections::BTreeMap::new(),
        }
    }

    fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Cookie", &cookie.join("; "));
        let res = match form {
            Some(f) => req.send_form(f),
            None => req.call(),
        };
        let res = match res {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        for set in res.all("set-cookie") {
            let (kv, _) = set.split_once(';').unwrap_or((set, ""));
            if let Some((k, v)) = kv.split_once('=') {
                if v.is_empty() || set.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Page {
            status: res.status(),
            location: res.header("location").map(str::to_owned),
            body: res.into_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form))
    }

    /// Sends raw bytes (a multipart form) or reads raw bytes (a file): status, `Location`,
    /// `Content-Disposition` and the body.
    pub fn bytes(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Option<String>, Option<String>, Vec<u8>) {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Cookie", &cookie.join("; "));
        let (status, headers, bytes) = send_raw(req, content_type, body);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        (
            status,
            header("location"),
            header("content-disposition"),
            bytes,
        )
    }

    /// Signs in through the login form.
    pub fn login(&mut self, email: &str) -> Page {
        let form = self.get("/masuk?next=/triase");
        assert_eq!(form.status, 200);
        let csrf = field(&form.body, "csrf");
        self.post(
            "/masuk",
            &[
                ("csrf", &csrf),
                ("next", "/triase"),
                ("email", email),
                ("password", DEMO_PASSWORD),
            ],
        )
    }
}

/// The value of the first hidden field `name` in a page.
pub(crate) fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn sessions_csrf_and_the_board(app: TestApp) {
    let mut b = Browser::new(&app);
    // Not signed in: every page sends to the login, which comes back.
    let r = b.get("/triase");
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/masuk?next=/triase"));
    // A login without the form's token is refused.
    let r = b.post(
        "/masuk",
        &[
            ("csrf", "forged"),
            ("email", TRC),
            ("password", DEMO_PASSWORD),
        ],
    );
    assert_eq!(r.status, 403);
    let r = b.login(TRC);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/triase"));
    let board = b.get("/triase");
    assert_eq!(board.status, 200);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let reference = app.file(&pic, issue_body("Jalan berlubang di Sigam"));
    let board = b.get("/triase");
    assert!(board.body.contains(&reference), "{}", board.body);
    // The card says which rule proposes the unit: its name as it was at filing, kept when the
    // rule is renamed afterwards.
    let rule = "Jalan, jembatan dan lampu ke DPUPR";
    assert!(
        board.body.contains(&format!("DPUPR · aturan “{rule}”")),
        "{}",
        board.body
    );
    let admin = app.admin();
    let rules = app.get("/api/v1/routing-rules", &admin).expect(200);
    let id = rules.body["items"]
        .as_array()
        .and_then(|v| v.iter().find(|r| r["name"] == rule))
        .and_then(|r| r["id"].as_i64())
        .expect("the demo's road rule");
    app.patch(
        &format!("/api/v1/routing-rules/{id}"),
        &admin,
        json!({"name": "Jalan ke PUPR"}),
    )
    .expect(200);
    let issue = app
        .get(&format!("/api/v1/issues/{reference}"), &pic)
        .expect(200);
    assert_eq!(issue.body["proposed_by_rule"], rule);
    let csrf = field(&board.body, "csrf");

    // A form without the session's token changes nothing.
    let r = b.post(
        &format!("/isu/{reference}/aksi"),
        &[
            ("csrf", "x"),
            ("action", "triage"),
            ("version", "1"),
            ("unit", "DPUPR"),
        ],
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        app.issue(&pic, &reference).expect(200).body["status"],
        "new"
    );

    // Triage from the board.
    let r = b.post(
        &format!("/isu/{reference}/aksi"),
        &[
            ("csrf", &csrf),
            ("action", "triage"),
            ("version", "1"),
            ("unit", "DPUPR"),
            ("back", "/triase"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let issue = app.issue(&pic, &reference).expect(200).body;
    assert_eq!(issue["status"], "assigned");
    assert_eq!(issue["assigned_unit"], "DPUPR");

    // The page shows the actions of the state, with the version it read; a form from before
    // a change meanwhile is refused and says so.
    let page = b.get(&format!("/isu/{reference}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Tunda") && !page.body.contains(">Triase</summary>"));
    let r = b.post(
        &format!("/isu/{reference}/aksi"),
        &[
            ("csrf", &csrf),
            ("action", "hold"),
            ("version", "1"),
            ("reason", "menunggu"),
        ],
    );
    assert_eq!(r.status, 409);
    assert!(r.body.contains("diubah orang lain"), "{}", r.body);
    assert_eq!(
        app.issue(&pic, &reference).expect(200).body["status"],
        "assigned"
    );

    // An internal note from the page lands in the issue's comments.
    let r = b.post(
        &format!("/isu/{reference}/catatan"),
        &[
            ("csrf", &csrf),
            ("body", "Sudah dikoordinasikan dengan Kepala Bidang"),
        ],
    );
    assert_eq!(r.status, 303);
    let notes = app
        .get(&format!("/api/v1/issues/{reference}/comments"), &pic)
        .expect(200);
    assert_eq!(notes.body["items"][0]["kind"], "internal");
    assert!(b
        .get(&format!("/isu/{reference}"))
        .body
        .contains("Kepala Bidang"));

    // Logout ends the session: its cookie no longer opens a page.
    let kept = b.cookies.clone();
    let r = b.post("/keluar", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    b.cookies = kept;
    assert_eq!(b.get("/triase").status, 303);
}
both!(sessions_csrf_and_the_board);

fn a_password_change_ends_console_sessions(app: TestApp) {
    let mut b = Browser::new(&app);
    assert_eq!(b.login(TRC).status, 303);
    assert_eq!(b.get("/triase").status, 200);
    let token = app.login(TRC, DEMO_PASSWORD);
    app.post(
        "/api/v1/me/password",
        &token,
        json!({"current_password": DEMO_PASSWORD, "new_password": "kata-sandi-baru-yang-panjang"}),
    )
    .expect(200);
    assert_eq!(b.get("/triase").status, 303, "the session ended");
}
both!(a_password_change_ends_console_sessions);

/// The session and its user are read together: a deactivated user's open console session
/// ends at their next page, and stays ended when they are active again (its row is gone).
fn deactivating_a_user_ends_their_console_session(app: TestApp) {
    let mut b = Browser::new(&app);
    assert_eq!(b.login(TRC).status, 303);
    assert_eq!(b.get("/triase").status, 200);
    let id = app.user_id(&app.login(TRC, DEMO_PASSWORD));
    app.set_active(id, false);
    assert_eq!(b.get("/triase").status, 303, "the session ended");
    app.set_active(id, true);
    assert_eq!(b.get("/triase").status, 303, "the old cookie opens nothing");
}
both!(deactivating_a_user_ends_their_console_session);

fn a_pic_cannot_open_another_units_restricted_issue(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Isu SARA di Desa Sebelimbingan");
    body["sensitivity"] = json!("restricted");
    let reference = app.file(&trc, body);
    app.act(&trc, &reference, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    let mut b = Browser::new(&app);
    b.login(PIC_DINKES);
    let r = b.get(&format!("/isu/{reference}"));
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("Sebelimbingan"));
}
both!(a_pic_cannot_open_another_units_restricted_issue);

/// Decodes a quoted-printable body (the file transport's mail).
fn unquote(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The console links in the emails about `reference`, waiting for at least one.
fn links_about(app: &TestApp, reference: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        app.settle();
        let dir = app.db.dir.path().join("mail");
        let found: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .map(|m| unquote(&m))
                    .filter(|m| m.contains(reference))
                    .flat_map(|m| {
                        m.split_whitespace()
                            .filter(|w| w.contains("/tautan/"))
                            .map(|w| w.trim_end_matches(['"', '>']).to_owned())
                            .collect::<Vec<_>>()
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !found.is_empty() || std::time::Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn email_links_open_their_issue_read_only(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Banjir di Desa Hilir Muara"));
    let other = app.file(&trc, issue_body("Pohon tumbang"));
    app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    let links = links_about(&app, &reference);
    let link = links
        .first()
        .expect("a link in the assignment email")
        .clone();
    let path = &link[link.find("/tautan/").expect("path")..];
    assert!(path.starts_with(&format!("/tautan/{reference}?")), "{path}");
    let mut b = Browser::new(&app);
    // Opens without a password, read-only (no action form), audited.
    let r = b.get(path);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Banjir di Desa Hilir Muara"));
    assert!(!r.body.contains("/aksi"), "read-only");
    assert!(r.body.contains(&format!("/masuk?next=/isu/{reference}")));
    let h = app
        .get(&format!("/api/v1/issues/{reference}/history"), &trc)
        .expect(200);
    assert!(h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|e| e["action"] == "issue.link_opened"));
    // A changed signature, recipient or expiry, or another issue's path: refused.
    let tampered = [
        path.replacen("&t=", "&t=A", 1),
        path.replacen("?u=", "?u=bGVhZGVy", 1),
        path.replacen("&s=", "&s=9", 1),
        path.replacen(&reference, &other, 1),
    ];
    for t in &tampered {
        let r = b.get(t);
        assert_eq!(r.status, 403, "{t}");
        assert!(!r.body.contains("Banjir"), "{t}");
    }
    // Expired: after the link's lifetime (72 h by default).
    app.advance(std::time::Duration::from_secs(73 * 3600));
    let r = b.get(path);
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("expired") || r.body.contains("kedaluwarsa"),
        "{}",
        r.body
    );
}
both!(email_links_open_their_issue_read_only);

fn a_restricted_issue_opens_only_for_a_recipient_who_may_see_it(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Isu SARA rahasiatautan");
    body["sensitivity"] = json!("restricted");
    let reference = app.file(&trc, body);
    app.act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    // The assignment goes to the unit's mailbox, which is no user: its link does not open a
    // restricted issue.
    let links = links_about(&app, &reference);
    let link = links.first().expect("a link").clone();
    let mut b = Browser::new(&app);
    let r = b.get(&link[link.find("/tautan/").expect("path")..]);
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("rahasiatautan"));
    // A leader of no unit (who sees every issue) opens it from their own link.
    let ctx = app.system_ctx(0);
    let r = b.get(&tanggap::service::links::path(&ctx, &reference, LEADER));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("rahasiatautan"));
}
both!(a_restricted_issue_opens_only_for_a_recipient_who_may_see_it);

fn the_filing_form_shows_the_proposal_and_files_once(app: TestApp) {
    let mut b = Browser::new(&app);
    b.login(PIC_DINKES);
    let form = b.get("/laporkan");
    assert_eq!(form.status, 200);
    let (csrf, key) = (field(&form.body, "csrf"), field(&form.body, "key"));
    let fields = |step: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("step", step.to_owned()),
            ("title", "Hoaks vaksin berbahaya beredar".to_owned()),
            ("description", "Pesan berantai di grup WhatsApp".to_owned()),
            ("category", "hoaks_disinformasi".to_owned()),
            ("channel", "whatsapp".to_owned()),
            ("source_urls", "https://chat.whatsapp.com/x\n".to_owned()),
            ("reach", "5000".to_owned()),
            ("tags", "vaksin, hoaks".to_owned()),
        ]
    };
    let send = |b: &mut Browser, v: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post("/laporkan", &pairs)
    };
    // The demo rule for health hoaxes proposes Dinkes before anything is filed.
    let check = send(&mut b, fields("check"));
    assert_eq!(check.status, 200, "{}", check.body);
    assert!(
        check.body.contains("Usulan unit") && check.body.contains("DINKES"),
        "{}",
        check.body
    );
    let trc = app.login(TRC, DEMO_PASSWORD);
    let before = app.get("/api/v1/queues/triage?limit=200", &trc).expect(200);
    // Sent: the issue page; sent again (a phone's retry), the same issue, nothing new.
    let sent = send(&mut b, fields("send"));
    assert_eq!(sent.status, 303, "{}", sent.body);
    let at = sent.location.clone().expect("location");
    assert!(
        at.starts_with("/isu/ISU-") && at.ends_with("?baru=1"),
        "{at}"
    );
    let again = send(&mut b, fields("send"));
    assert_eq!(again.location.as_deref(), Some(at.as_str()));
    let after = app.get("/api/v1/queues/triage?limit=200", &trc).expect(200);
    let count = |r: &Reply| r.body["items"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&after), count(&before) + 1);
    let reference = at.trim_start_matches("/isu/").trim_end_matches("?baru=1");
    let issue = app.issue(&trc, reference).expect(200).body;
    assert_eq!(issue["evidence"]["reach"], 5000);
    assert_eq!(issue["tags"], json!(["vaksin", "hoaks"]));
    // A wrong field comes back with the values kept and the field named.
    let mut bad = fields("send");
    bad.retain(|(k, _)| *k != "key");
    bad.push(("key", "another".into()));
    bad.retain(|(k, _)| *k != "source_urls");
    bad.push(("source_urls", "bukan-tautan".into()));
    let r = send(&mut b, bad);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("source_urls.0") && r.body.contains("Hoaks vaksin berbahaya beredar"));
}
both!(the_filing_form_shows_the_proposal_and_files_once);

fn changing_ones_password_in_the_console_ends_every_session(app: TestApp) {
    let mut b = Browser::new(&app);
    b.login(PIC_DINKES);
    let mut other = Browser::new(&app);
    other.login(PIC_DINKES);
    let form = b.get("/sandi");
    assert_eq!(form.status, 200);
    let csrf = field(&form.body, "csrf");
    let wrong = b.post(
        "/sandi",
        &[
            ("csrf", &csrf),
            ("current_password", "bukan-sandi-ini"),
            ("new_password", "sandi-baru-yang-panjang"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("current_password"), "{}", wrong.body);
    let done = b.post(
        "/sandi",
        &[
            ("csrf", &csrf),
            ("current_password", DEMO_PASSWORD),
            ("new_password", "sandi-baru-yang-panjang"),
        ],
    );
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some("/masuk?next=/"));
    // Both devices are signed out; the new password works, the old one does not.
    assert_eq!(other.get("/antrean").status, 303);
    assert_eq!(b.get("/antrean").status, 303);
    app.login_reply(PIC_DINKES, DEMO_PASSWORD).problem(401);
    app.login(PIC_DINKES, "sandi-baru-yang-panjang");
}
both!(changing_ones_password_in_the_console_ends_every_session);

fn the_dashboard_reports_and_downloads_within_scope(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Drainase tersumbat di Stagen"));
    app.act(&trc, &reference, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    let mut b = Browser::new(&app);
    b.login(LEADER);
    let page = b.get("/dasbor?kelompok=unit");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<svg") && page.body.contains("DPUPR"),
        "{}",
        page.body
    );
    assert!(page.body.contains("8 minggu"));
    let csv = b.get("/dasbor.csv?kelompok=unit");
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.lines().count() >= 2 && csv.body.contains("DPUPR"),
        "{}",
        csv.body
    );
    // A wrong grouping names the parameter and the valid values.
    let bad = b.get("/dasbor?kelompok=kota");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("group_by"), "{}", bad.body);
    // Without a session: to the login page.
    let mut anon = Browser::new(&app);
    assert_eq!(anon.get("/dasbor.csv").status, 303);
}
both!(the_dashboard_reports_and_downloads_within_scope);

fn search_finds_only_what_one_may_see(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let open = app.file(&trc, issue_body("Kabel listrik menjuntai di Sungai Bali"));
    let mut secret = issue_body("Kabel listrik rahasia di Sungai Bali");
    secret["sensitivity"] = json!("restricted");
    let hidden = app.file(&trc, secret);
    app.act(&trc, &hidden, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    let mut b = Browser::new(&app);
    b.login(TRC);
    let all = b.get("/cari?q=kabel+listrik&status=");
    assert_eq!(all.status, 200);
    assert!(
        all.body.contains(&open) && all.body.contains(&hidden),
        "{}",
        all.body
    );
    let new_only = b.get("/cari?q=kabel+listrik&status=new");
    assert!(new_only.body.contains(&open) && !new_only.body.contains(&hidden));
    // A PIC of another unit finds the normal issue only if it is theirs to see, never the
    // restricted one.
    let mut pic = Browser::new(&app);
    pic.login(PIC_DINKES);
    let theirs = pic.get("/cari?q=kabel+listrik");
    assert_eq!(theirs.status, 200);
    assert!(!theirs.body.contains(&hidden) && !theirs.body.contains("rahasia"));
    // A wrong value names the filter and what it accepts.
    let bad = b.get("/cari?status=dibuang");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("status"), "{}", bad.body);
}
both!(search_finds_only_what_one_may_see);

fn a_merge_target_is_found_by_words_and_merged_in_one_tap(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let first = app.file(&trc, issue_body("Hoaks beras plastik di pasar Kotabaru"));
    let second = app.file(&trc, issue_body("Beras plastik dijual di pasar, katanya"));
    let mut unrelated = issue_body("Lampu jalan padam di Sigam");
    unrelated["sensitivity"] = json!("restricted");
    let other = app.file(&trc, unrelated);
    let mut b = Browser::new(&app);
    b.login(TRC);
    let page = b.get(&format!("/isu/{second}?gabung=beras+plastik"));
    assert_eq!(page.status, 200);
    // The other issue is offered, this one and the unrelated are not.
    assert!(
        page.body
            .contains(&format!("name=\"into\" value=\"{first}\"")),
        "{}",
        page.body
    );
    assert!(!page
        .body
        .contains(&format!("name=\"into\" value=\"{second}\"")));
    assert!(!page.body.contains(&other));
    let csrf = field(&page.body, "csrf");
    let version = field(&page.body, "version");
    let r = b.post(
        &format!("/isu/{second}/aksi"),
        &[
            ("csrf", &csrf),
            ("action", "merge"),
            ("version", &version),
            ("into", &first),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let merged = app
        .get(&format!("/api/v1/issues/{second}"), &trc)
        .expect(200);
    assert_eq!(merged.body["duplicate_of"], json!(first));
    assert_eq!(merged.body["status"], "duplicate");
    // Nothing found says so.
    let none = b.get(&format!("/isu/{first}?gabung=tidak+ada+yang+cocok+xyz"));
    assert!(none.body.contains("Tidak ada isu lain yang cocok."));
}
both!(a_merge_target_is_found_by_words_and_merged_in_one_tap);

/// The refs of the cards on a page.
fn refs_on(html: &str) -> Vec<String> {
    html.split("<h2><a href=\"/isu/")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

/// The next page's address on a page, if any.
fn next_of(html: &str) -> Option<String> {
    let at = html.find("<p class=\"next\"><a class=\"button\" href=\"")?;
    let rest = &html[at + "<p class=\"next\"><a class=\"button\" href=\"".len()..];
    rest.split('"')
        .next()
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
}

fn long_lists_page_through_everything_once(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut filed = std::collections::BTreeSet::new();
    for i in 0..56 {
        filed.insert(app.file(
            &trc,
            issue_body(&format!("Genangan air nomor {i} di Baharu")),
        ));
    }
    let mut b = Browser::new(&app);
    b.login(TRC);
    for start in ["/triase", "/cari?q=genangan+air&status=new"] {
        let mut seen = Vec::new();
        let mut at = Some(start.to_owned());
        let mut pages = 0;
        while let Some(path) = at {
            let page = b.get(&path);
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            let refs = refs_on(&page.body);
            assert!(refs.len() <= 50, "{path}: {} cards", refs.len());
            seen.extend(refs);
            at = next_of(&page.body);
            if let Some(n) = &at {
                // The search's next page keeps its filters.
                if start.starts_with("/cari") {
                    assert!(
                        n.contains("q=genangan%20air") && n.contains("status=new"),
                        "{n}"
                    );
                }
            }
            pages += 1;
            assert!(pages < 5, "{start}: no end");
        }
        assert_eq!(pages, 2, "{start}");
        let unique: std::collections::BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{start}: a card shown twice");
        assert!(filed.is_subset(&unique), "{start}: a card never shown");
    }
    // A place that is not one is refused by name.
    let bad = b.get("/triase?setelah=kemarin");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("setelah"), "{}", bad.body);
}
both!(long_lists_page_through_everything_once);

fn a_board_tells_its_script_when_it_changed(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut b = Browser::new(&app);
    b.login(TRC);
    let board = b.get("/triase");
    let shown = field_after(&board.body, "data-mark=\"");
    let polled = b.get("/triase?tanda=1");
    assert_eq!(polled.status, 200);
    assert_eq!(polled.body, shown, "nothing changed, the same mark");
    let reference = app.file(&trc, issue_body("Pohon tumbang di jalan Stagen"));
    let changed = b.get("/triase?tanda=1").body;
    assert_ne!(changed, shown, "a new issue changes the board's mark");
    // A change of an issue on the board (its version) changes it too.
    app.act(&trc, &reference, "hold", json!({"reason": "menunggu foto"}))
        .expect(200);
    assert_ne!(b.get("/triase?tanda=1").body, changed);
    // The unit queue and the escalated list answer the same way.
    let mut pic = Browser::new(&app);
    pic.login(PIC_DINKES);
    let queue = pic.get("/antrean");
    assert_eq!(
        pic.get("/antrean?tanda=1").body,
        field_after(&queue.body, "data-mark=\"")
    );
    // Without a session, no mark: to the login.
    let mut anon = Browser::new(&app);
    assert_eq!(anon.get("/triase?tanda=1").status, 303);
}
both!(a_board_tells_its_script_when_it_changed);

/// The text after `marker` up to the next quote.
fn field_after(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap_or_default().to_owned()
}
