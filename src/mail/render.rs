//! Filling the templates.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What kind of email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Escalation,
    Assignment,
    Return,
    Resolution,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Escalation => "escalation",
            MailKind::Assignment => "assignment",
            MailKind::Return => "return",
            MailKind::Resolution => "resolution",
        }
    }
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Replaces `{{name}}` with the values; `escape` HTML-escapes them.
pub fn fill(template: &str, vars: &BTreeMap<&str, String>, escape: bool) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        if let Some(end) = after.find("}}") {
            let name = after[..end].trim();
            let value = vars.get(name).map_or("", String::as_str);
            if escape {
                out.push_str(&html_escape(value));
            } else {
                out.push_str(value);
            }
            rest = &after[end + 2..];
        } else {
            out.push_str(&rest[start..]);
            rest = "";
        }
    }
    out.push_str(rest);
    out
}

pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// One line of text fit for a header: control characters (CR, LF...) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

const ESCALATION_ID: &str = include_str!("templates/escalation.id.txt");
const ESCALATION_EN: &str = include_str!("templates/escalation.en.txt");
const NOTICE_ID: &str = include_str!("templates/notice.id.txt");
const NOTICE_EN: &str = include_str!("templates/notice.en.txt");
const BASE_HTML: &str = include_str!("templates/base.html");

/// Renders an email of `kind` from its values. Expected values: recipient, headline, ref,
/// title, priority, unit, link, and for escalations clock, due_local, lateness, step, advice;
/// for notices detail.
pub fn render(kind: MailKind, lang: &str, subject: &str, vars: &BTreeMap<&str, String>) -> Mail {
    let en = lang == "en";
    let text_tpl = match (kind, en) {
        (MailKind::Escalation, false) => ESCALATION_ID,
        (MailKind::Escalation, true) => ESCALATION_EN,
        (_, false) => NOTICE_ID,
        (_, true) => NOTICE_EN,
    };
    let text = fill(text_tpl, vars, false);
    let labels: &[(&str, &str)] = if en {
        &[
            ("ref", "Issue"),
            ("title", "Title"),
            ("priority", "Priority"),
            ("unit", "Unit"),
            ("clock", "Deadline"),
            ("due_local", "Due"),
            ("lateness", "Status"),
            ("step", "Escalation level"),
            ("detail", ""),
        ]
    } else {
        &[
            ("ref", "Isu"),
            ("title", "Judul"),
            ("priority", "Prioritas"),
            ("unit", "Unit"),
            ("clock", "Tenggat"),
            ("due_local", "Batas waktu"),
            ("lateness", "Status"),
            ("step", "Tingkat eskalasi"),
            ("detail", ""),
        ]
    };
    let mut rows = String::new();
    for (key, label) in labels {
        if let Some(v) = vars.get(key).filter(|v| !v.is_empty()) {
            let _ = writeln!(
                rows,
                "<tr><td style=\"padding: 2px 12px 2px 0; color: #555;\">{}</td><td>{}</td></tr>",
                html_escape(label),
                html_escape(v)
            );
        }
    }
    let mut hv: BTreeMap<&str, String> = vars.clone();
    hv.insert("lang", lang.to_owned());
    hv.insert("subject", subject.to_owned());
    hv.insert("greeting", if en { "Dear" } else { "Yth." }.to_owned());
    hv.insert(
        "open",
        if en { "Open the issue" } else { "Buka isu" }.to_owned(),
    );
    hv.insert(
        "footer",
        if en {
            "Tanggap — rapid-response team. Automatic message; please do not reply."
        } else {
            "Tanggap — Tim Reaksi Cepat. Pesan otomatis, mohon tidak dibalas."
        }
        .to_owned(),
    );
    let mut html = fill(BASE_HTML, &hv, true);
    // The rows are markup built above from escaped values.
    html = html.replace("{{rows}}", "");
    if let Some(pos) = html.find("</table>") {
        html.insert_str(pos, &rows);
    }
    Mail {
        subject: one_line(subject),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_html_and_headers_stay_one_line() {
        let mut v = BTreeMap::new();
        v.insert("title", "<script>alert(1)</script> & co".to_owned());
        v.insert("ref", "ISU-2026-000001".to_owned());
        v.insert("headline", "Peringatan".to_owned());
        let m = render(MailKind::Escalation, "id", "Judul\r\nBcc: evil@x.id", &v);
        assert_eq!(m.subject, "Judul  Bcc: evil@x.id");
        assert!(m
            .html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(!m.html.contains("<script>"));
        assert!(
            m.text.contains("<script>alert(1)</script>"),
            "plain text is not escaped"
        );
        assert!(m.text.contains("Isu       : ISU-2026-000001"));
    }

    #[test]
    fn unknown_names_are_empty_and_unclosed_braces_kept() {
        let v = BTreeMap::from([("a", "1".to_owned())]);
        assert_eq!(fill("x{{a}}y{{b}}z{{", &v, false), "x1yz{{");
    }
}
