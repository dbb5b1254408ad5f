//! Evidence files over real HTTP, on both backends: a photo's GPS metadata is gone from what is
//! kept and served, its SHA-256 is in the audit trail, the file is served as an attachment only
//! to those who may see the issue, and every bad upload is refused whole with nothing kept.

use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A small JPEG whose EXIF segment carries a GPS position, as a phone's photo does.
fn photo() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let exif = b"Exif\0\0MM\0*GPSLatitude -3.2416 GPSLongitude 116.2216";
    let len = u16::try_from(exif.len() + 2).expect("short").to_be_bytes();
    v.extend([0xFF, 0xE1, len[0], len[1]]);
    v.extend(exif);
    v.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    v.extend([0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]);
    v
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn upload(
    app: &TestApp,
    token: &str,
    reference: &str,
    files: &[(&str, &str, &[u8])],
) -> (u16, Value) {
    let (ct, body) = multipart(files);
    let (status, _, bytes) = app.send_bytes(
        "POST",
        &format!("/api/v1/issues/{reference}/evidence"),
        token,
        &ct,
        &body,
    );
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn evidence_is_kept_clean_and_served_only_to_who_may_see_it(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Antrean obat di Puskesmas");
    body["category"] = json!("kesehatan");
    let reference = app.file(&pic, body);
    let original = photo();
    let (status, r) = upload(
        &app,
        &pic,
        &reference,
        &[
            ("file", "foto lokasi.jpeg", &original),
            ("file", "surat.pdf", PDF),
        ],
    );
    assert_eq!(status, 201, "{r}");
    let items = r["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "foto_lokasi.jpg");
    assert_eq!(items[0]["content_type"], "image/jpeg");
    assert_eq!(items[1]["content_type"], "application/pdf");
    let id = items[0]["id"].as_i64().expect("id");
    // Served: without the GPS position, as an attachment, nosniff, the SHA-256 it was listed with.
    let (status, h, bytes) = app.send_bytes(
        "GET",
        &format!("/api/v1/issues/{reference}/evidence/{id}"),
        &trc,
        "",
        &[],
    );
    assert_eq!(status, 200);
    assert!(has(&original, b"GPSLatitude") && !has(&bytes, b"GPSLatitude"));
    assert!(
        bytes.ends_with(&[0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]),
        "the image stays"
    );
    assert_eq!(header(&h, "content-type"), Some("image/jpeg"));
    assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(
        header(&h, "content-disposition"),
        Some("attachment; filename=\"foto_lokasi.jpg\"")
    );
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(items[0]["sha256"], json!(sha));
    // The audit trail has each file's SHA-256, in the issue's history.
    let history = app
        .get(&format!("/api/v1/issues/{reference}/history"), &trc)
        .expect(200)
        .body;
    let added: Vec<&Value> = history["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "issue.evidence_added")
        .collect();
    assert_eq!(added.len(), 2);
    assert_eq!(
        added[0]["changes"]["evidence_file"]["after"]["sha256"],
        json!(sha)
    );
    // Someone who may not see the issue: 404 for the list, the file and the upload alike.
    let other = app.login(PIC_DPUPR, DEMO_PASSWORD);
    app.get(&format!("/api/v1/issues/{reference}/evidence"), &other)
        .problem(404);
    let (status, _, bytes) = app.send_bytes(
        "GET",
        &format!("/api/v1/issues/{reference}/evidence/{id}"),
        &other,
        "",
        &[],
    );
    assert_eq!(status, 404);
    assert!(!has(&bytes, b"JFIF"));
    let (status, _) = upload(&app, &other, &reference, &[("file", "x.pdf", PDF)]);
    assert_eq!(status, 404);
    // The region's leader (no unit: sees every issue) reads, but does not add.
    let leader = app.login(LEADER, DEMO_PASSWORD);
    app.get(&format!("/api/v1/issues/{reference}/evidence"), &leader)
        .expect(200);
    let (status, _) = upload(&app, &leader, &reference, &[("file", "x.pdf", PDF)]);
    assert_eq!(status, 403);
    // Another issue's file id is not this issue's.
    let elsewhere = app.file(&trc, issue_body("Jalan berlubang"));
    let (status, _, _) = app.send_bytes(
        "GET",
        &format!("/api/v1/issues/{elsewhere}/evidence/{id}"),
        &trc,
        "",
        &[],
    );
    assert_eq!(status, 404);
}
both!(evidence_is_kept_clean_and_served_only_to_who_may_see_it);

fn bad_uploads_are_refused_whole(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Hoaks bantuan tunai"));
    let listed = |app: &TestApp| {
        app.get(&format!("/api/v1/issues/{reference}/evidence"), &trc)
            .expect(200)
            .body["items"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let good = photo();
    // A script named as a photo, beside a good photo: 422 naming it and the types; nothing kept.
    let (status, r) = upload(
        &app,
        &trc,
        &reference,
        &[
            ("file", "ok.jpg", &good),
            ("file", "foto.jpg", b"#!/bin/sh\nrm -rf /\n"),
        ],
    );
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["errors"][0]["field"], "file");
    assert!(r["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("foto.jpg")));
    assert!(
        r["errors"][0]["valid"].to_string().contains("image/png"),
        "{r}"
    );
    assert_eq!(listed(&app), 0);
    // Empty; cut off; in another field; not multipart; no file at all.
    for (files, field) in [
        (vec![("file", "kosong.png", &b""[..])], "file"),
        (
            vec![("file", "potong.jpg", &good[..good.len() - 4])],
            "file",
        ),
        (vec![("lampiran", "ok.jpg", &good[..])], "lampiran"),
        (vec![], "file"),
    ] {
        let (status, r) = upload(&app, &trc, &reference, &files);
        assert_eq!(status, 422, "{r}");
        assert_eq!(r["errors"][0]["field"], field, "{r}");
        assert_eq!(r["type"], "urn:tanggap:problem:validation");
    }
    let (status, _, bytes) = app.send_bytes(
        "POST",
        &format!("/api/v1/issues/{reference}/evidence"),
        &trc,
        "application/json",
        b"{}",
    );
    assert_eq!(status, 415, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(listed(&app), 0);
    // Too large: one file beyond the limit, then an issue beyond its total (64 KiB / 100 KiB
    // in this test's configuration); each a 413 naming the setting, nothing kept.
    let pdf_of = |n: usize| {
        let mut v = b"%PDF-1.4\n".to_vec();
        v.extend(std::iter::repeat_n(b'x', n));
        v.extend(b"\n%%EOF\n");
        v
    };
    let big = pdf_of(70 * 1024);
    let (status, r) = upload(&app, &trc, &reference, &[("file", "besar.pdf", &big)]);
    assert_eq!(status, 413, "{r}");
    assert!(r["detail"].to_string().contains("evidence.max_file"), "{r}");
    let part = pdf_of(40 * 1024);
    let (status, r) = upload(
        &app,
        &trc,
        &reference,
        &[("file", "a.pdf", &part), ("file", "b.pdf", &part)],
    );
    assert_eq!(status, 201, "{r}");
    let (status, r) = upload(&app, &trc, &reference, &[("file", "c.pdf", &part)]);
    assert_eq!(status, 413, "{r}");
    assert!(
        r["detail"].to_string().contains("evidence.max_per_issue"),
        "{r}"
    );
    assert_eq!(listed(&app), 2);
}
both!(
    bad_uploads_are_refused_whole,
    "[evidence]\nmax_file = \"64KiB\"\nmax_per_issue = \"100KiB\"\n"
);

/// The console's issue page: the upload form (its CSRF token required), the files listed, each
/// downloaded without its GPS position; a leader gets no form.
fn the_issue_page_takes_and_shows_evidence(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let reference = app.file(&pic, issue_body("Foto jalan longsor"));
    let mut b = crate::console::Browser::new(&app);
    b.login(PIC_DINKES);
    let page = b.get(&format!("/isu/{reference}"));
    assert!(
        page.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        page.body
    );
    let csrf = crate::console::field(&page.body, "csrf");
    let original = photo();
    let post = |b: &mut crate::console::Browser, csrf: &str| {
        let mut files: Vec<(&str, &str, &[u8])> = vec![("file", "longsor.jpg", &original)];
        let (ct, mut body) = multipart(&files);
        // The token as a text field before the files (as a browser sends the form's fields).
        let boundary = ct.rsplit('=').next().expect("boundary").to_owned();
        let mut with_token = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        )
        .into_bytes();
        with_token.append(&mut body);
        files.clear();
        b.bytes("POST", &format!("/isu/{reference}/bukti"), &ct, &with_token)
    };
    // Without the session's token: refused, nothing kept.
    let (status, _, _, _) = post(&mut b, "forged");
    assert_eq!(status, 403);
    assert!(!b
        .get(&format!("/isu/{reference}"))
        .body
        .contains("longsor.jpg"));
    let (status, location, _, _) = post(&mut b, &csrf);
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("/isu/{reference}").as_str())
    );
    let page = b.get(&format!("/isu/{reference}"));
    let link = format!("/isu/{reference}/bukti/");
    let at = page.body.find(&link).expect("a link to the file") + link.len();
    let id: String = page.body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let (status, _, disposition, bytes) = b.bytes("GET", &format!("{link}{id}"), "", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        disposition.as_deref(),
        Some("attachment; filename=\"longsor.jpg\"")
    );
    assert!(!has(&bytes, b"GPSLatitude") && has(&bytes, b"JFIF"));
    // The region's leader reads the list but gets no form.
    let mut l = crate::console::Browser::new(&app);
    l.login(LEADER);
    let page = l.get(&format!("/isu/{reference}"));
    assert!(page.body.contains("longsor.jpg"));
    assert!(!page.body.contains("multipart/form-data"));
}
both!(the_issue_page_takes_and_shows_evidence);

/// The filing form carries evidence: kept with the new issue; the same form sent again files
/// nothing new and keeps no file twice; a file that would be refused refuses the whole form
/// before anything is filed.
fn the_filing_form_takes_evidence(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut b = crate::console::Browser::new(&app);
    b.login(PIC_DINKES);
    let form = b.get("/laporkan");
    let csrf = crate::console::field(&form.body, "csrf");
    let key = crate::console::field(&form.body, "key");
    let original = photo();
    let send = |b: &mut crate::console::Browser, title: &str, file: &[u8]| {
        let boundary = "tanggap-form-boundary";
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("step", "send"),
            ("title", title),
            ("description", "Antrean panjang sejak pagi"),
            ("category", "kesehatan"),
            ("channel", "langsung"),
        ] {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"antrean.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
                .as_bytes(),
        );
        body.extend(file);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        b.bytes(
            "POST",
            "/laporkan",
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
        )
    };
    // A file cut off: the form comes back naming it; nothing is filed.
    let before = app
        .get("/api/v1/issues?q=Antrean%20berkas", &trc)
        .expect(200)
        .body["items"]
        .as_array()
        .map_or(0, Vec::len);
    let (status, _, _, page) = send(
        &mut b,
        "Antrean berkas Puskesmas",
        &original[..original.len() - 4],
    );
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&page));
    assert!(String::from_utf8_lossy(&page).contains("antrean.jpg"));
    let after = app
        .get("/api/v1/issues?q=Antrean%20berkas", &trc)
        .expect(200)
        .body["items"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(before, after);
    // Whole: filed with its file.
    let (status, location, _, _) = send(&mut b, "Antrean berkas Puskesmas", &original);
    assert_eq!(status, 303);
    let location = location.expect("to the new issue");
    let reference = location
        .trim_start_matches("/isu/")
        .split('?')
        .next()
        .expect("ref")
        .to_owned();
    let files = |app: &TestApp| {
        app.get(&format!("/api/v1/issues/{reference}/evidence"), &trc)
            .expect(200)
            .body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let kept = files(&app);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["uploaded_by"], PIC_DINKES);
    // Sent again (a double tap, a retried connection): the same issue, no second file.
    let (status, again, _, _) = send(&mut b, "Antrean berkas Puskesmas", &original);
    assert_eq!(status, 303);
    assert_eq!(again.as_deref(), Some(location.as_str()));
    assert_eq!(files(&app).len(), 1);
}
both!(the_filing_form_takes_evidence);
