use super::*;

fn facts(title: &str, restricted: bool) -> Facts {
    Facts {
        recipient: "Dinas Kesehatan".into(),
        reference: "ISU-2026-000001".into(),
        title: title.into(),
        restricted,
        priority: Priority::High,
        unit: Some("Dinas Kesehatan (DINKES)".into()),
        link: "https://tanggap.example.id/i/ISU-2026-000001".into(),
    }
}

fn every_message(title: &str, secret: &str, restricted: bool) -> Vec<Message> {
    let f = || facts(title, restricted);
    vec![
        Message::Assignment(Assignment {
            facts: f(),
            unit_code: "DINKES".into(),
        }),
        Message::Returned(Returned {
            facts: f(),
            from_unit: "DINKES".into(),
            reason: secret.into(),
        }),
        Message::Resolved(Resolved {
            facts: f(),
            text: secret.into(),
            merged_from: None,
        }),
        Message::Responded(Responded {
            facts: f(),
            text: secret.into(),
            merged_from: Some("ISU-2026-000002".into()),
        }),
        Message::Escalation(Escalation {
            facts: f(),
            clock: ClockKind::Response,
            due_local: "Senin, 2 Maret 2026 pukul 10.00 WITA".into(),
            step: 2,
            overdue: true,
            span: "2 jam".into(),
        }),
    ]
}

#[test]
fn the_assignment_reads_as_before() {
    let m = every_message("Jalan rusak di Sebatik", "", false).remove(0);
    let mail = m.render(Lang::Id).unwrap();
    assert_eq!(
        mail.subject,
        "[Tanggap] ISU-2026-000001 ditugaskan ke DINKES: Jalan rusak di Sebatik"
    );
    assert_eq!(
        mail.text,
        "Yth. Dinas Kesehatan,\n\n\
         Sebuah isu publik ditugaskan kepada unit Anda.\n\n\
         Isu       : ISU-2026-000001 — Jalan rusak di Sebatik\n\
         Prioritas : tinggi\n\
         Unit      : Dinas Kesehatan (DINKES)\n\
         Mohon berikan tanggapan publik dan selesaikan sesuai SLA.\n\n\
         Buka isu: https://tanggap.example.id/i/ISU-2026-000001\n\n\
         --\n\
         Tanggap — Tim Reaksi Cepat. Pesan otomatis, mohon tidak dibalas."
    );
}

#[test]
fn an_escalation_in_english_says_how_late() {
    let m = every_message("Banjir", "", false).remove(4);
    let mail = m.render(Lang::En).unwrap();
    assert_eq!(
        mail.subject,
        "[Tanggap] ISU-2026-000001 escalation 2 (response): Banjir"
    );
    assert!(mail
        .text
        .contains("The response deadline of this issue has passed (escalation level 2)."));
    assert!(mail.text.contains("Status   : overdue by 2 jam\n"));
    assert!(mail.html.contains("<td>overdue by 2 jam</td>"));
}

#[test]
fn values_are_escaped_in_html_and_subjects_stay_one_line() {
    let title = "<script>alert(1)</script> & co\r\nBcc: evil@x.id";
    for lang in [Lang::Id, Lang::En] {
        for m in every_message(title, "<b>x</b>", false) {
            let mail = m.render(lang).unwrap();
            assert!(!mail.subject.contains(['\r', '\n']), "{}", mail.subject);
            assert!(!mail.html.contains("<script>"), "{:?}", m.kind());
            assert!(!mail.html.contains("<b>x</b>"), "{:?}", m.kind());
            assert!(
                mail.html
                    .contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; co"),
                "{:?}: {}",
                m.kind(),
                mail.html
            );
            assert!(mail.text.contains("<script>alert(1)</script>"));
        }
    }
}

#[test]
fn a_restricted_issue_keeps_its_title_and_texts_out_of_every_message() {
    for lang in [Lang::Id, Lang::En] {
        for m in every_message("Rahasia pasien", "nama pasien Fulan", true) {
            let mail = m.render(lang).unwrap();
            for part in [&mail.subject, &mail.text, &mail.html] {
                assert!(!part.contains("Rahasia pasien"), "{:?}: {part}", m.kind());
                assert!(!part.contains("Fulan"), "{:?}: {part}", m.kind());
                assert!(part.contains("ISU-2026-000001"), "the ref stays");
            }
            assert!(mail
                .text
                .contains("https://tanggap.example.id/i/ISU-2026-000001"));
        }
    }
}

#[test]
fn each_message_is_in_its_language() {
    for m in every_message("Banjir", "x", false) {
        let id = m.render(Lang::Id).unwrap();
        let en = m.render(Lang::En).unwrap();
        assert!(id.text.starts_with("Yth. ") && id.html.contains("lang=\"id\""));
        assert!(en.text.starts_with("Dear ") && en.html.contains("lang=\"en\""));
        assert_ne!(id.subject, en.subject, "{:?}", m.kind());
    }
}
