//! The messages Tanggap sends, as data: each message's values here, its words in
//! `templates/<message>/` (subject, text and HTML, one file per language), compiled in by
//! askama. Shared parts: `facts.*.txt` (the lines), `title.*.txt`, `footer.*.txt` and
//! the HTML `layout.*.html`. A restricted issue's title and free texts never reach its mail (it
//! travels to shared unit inboxes): the templates show a note in their place.

use crate::domain::{ClockKind, Priority};
use askama::Template;

/// What kind of email (the outbox's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Escalation,
    Assignment,
    Return,
    Resolution,
    Response,
    /// A published clarification, to a partner.
    Clarification,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Escalation => "escalation",
            MailKind::Assignment => "assignment",
            MailKind::Return => "return",
            MailKind::Resolution => "resolution",
            MailKind::Response => "response",
            MailKind::Clarification => "clarification",
        }
    }
}

/// The language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    Id,
    En,
}

impl Lang {
    /// `en` is English; anything else Bahasa Indonesia.
    pub fn of(code: &str) -> Lang {
        if code == "en" {
            Lang::En
        } else {
            Lang::Id
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

/// What every message about an issue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub recipient: String,
    pub reference: String,
    pub title: String,
    /// The issue is restricted: its title and texts stay out of the message.
    pub restricted: bool,
    pub priority: Priority,
    /// The unit shown, `name (CODE)`; `None` when the issue is not assigned.
    pub unit: Option<String>,
    /// Where the issue opens.
    pub link: String,
}

/// To the unit: the issue is theirs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub facts: Facts,
    pub unit_code: String,
}

/// To the TRC: a unit gave the issue back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    pub facts: Facts,
    pub from_unit: String,
    pub reason: String,
}

/// To the filer: the issue is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub facts: Facts,
    pub text: String,
    /// The filer's own issue, when it was merged into this one.
    pub merged_from: Option<String>,
}

/// To the filer: the public response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responded {
    pub facts: Facts,
    pub text: String,
    /// The filer's own issue, when it was merged into this one.
    pub merged_from: Option<String>,
}

/// To a step's recipients: a deadline comes or has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub facts: Facts,
    pub clock: ClockKind,
    /// The due instant in the deployment's local time, in words.
    pub due_local: String,
    pub step: i32,
    /// Whether the due instant has passed.
    pub overdue: bool,
    /// How long past due, or how long left, in words.
    pub span: String,
}

/// To a partner: a published clarification to share, with its personal link to acknowledge it
/// and report where it was republished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClarificationMail {
    pub partner: String,
    pub public_id: String,
    pub title: String,
    /// The verdict in words, for a hoax.
    pub verdict: Option<String>,
    pub claim: Option<String>,
    pub text: String,
    pub public_url: String,
    pub partner_link: String,
    /// When the partner link expires, local time in words.
    pub link_expires: String,
}

/// A message, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Assignment(Assignment),
    Returned(Returned),
    Resolved(Resolved),
    Responded(Responded),
    Escalation(Escalation),
    Clarification(ClarificationMail),
}

impl Message {
    pub fn kind(&self) -> MailKind {
        match self {
            Message::Assignment(_) => MailKind::Assignment,
            Message::Returned(_) => MailKind::Return,
            Message::Resolved(_) => MailKind::Resolution,
            Message::Responded(_) => MailKind::Response,
            Message::Escalation(_) => MailKind::Escalation,
            Message::Clarification(_) => MailKind::Clarification,
        }
    }

    /// The message in `lang`: its subject on one line, its text, its HTML.
    pub fn render(&self, lang: Lang) -> Result<Mail, askama::Error> {
        match self {
            Message::Assignment(m) => m.render(lang),
            Message::Returned(m) => m.render(lang),
            Message::Resolved(m) => m.render(lang),
            Message::Responded(m) => m.render(lang),
            Message::Escalation(m) => m.render(lang),
            Message::Clarification(m) => m.render(lang),
        }
    }
}

/// The six templates of a message (subject, text, HTML; Indonesian and English) and its
/// `render`.
macro_rules! templates {
    ($message:ident: $subject_id:tt $subject_en:tt $text_id:tt $text_en:tt $html_id:tt $html_en:tt) => {
        impl $message {
            fn render(&self, lang: Lang) -> Result<Mail, askama::Error> {
                #[derive(Template)]
                #[template(path = $subject_id)]
                struct SubjectId<'a> {
                    m: &'a $message,
                }
                #[derive(Template)]
                #[template(path = $subject_en)]
                struct SubjectEn<'a> {
                    m: &'a $message,
                }
                #[derive(Template)]
                #[template(path = $text_id)]
                struct TextId<'a> {
                    m: &'a $message,
                }
                #[derive(Template)]
                #[template(path = $text_en)]
                struct TextEn<'a> {
                    m: &'a $message,
                }
                #[derive(Template)]
                #[template(path = $html_id)]
                struct HtmlId<'a> {
                    m: &'a $message,
                    subject: &'a str,
                }
                #[derive(Template)]
                #[template(path = $html_en)]
                struct HtmlEn<'a> {
                    m: &'a $message,
                    subject: &'a str,
                }
                let m = self;
                let (subject, text) = match lang {
                    Lang::Id => (SubjectId { m }.render()?, TextId { m }.render()?),
                    Lang::En => (SubjectEn { m }.render()?, TextEn { m }.render()?),
                };
                let subject = one_line(&subject);
                let html = match lang {
                    Lang::Id => HtmlId {
                        m,
                        subject: &subject,
                    }
                    .render()?,
                    Lang::En => HtmlEn {
                        m,
                        subject: &subject,
                    }
                    .render()?,
                };
                Ok(Mail {
                    subject,
                    text,
                    html,
                })
            }
        }
    };
}

templates!(Assignment:
    "assignment/subject.id.txt" "assignment/subject.en.txt"
    "assignment/text.id.txt" "assignment/text.en.txt"
    "assignment/html.id.html" "assignment/html.en.html");
templates!(Returned:
    "returned/subject.id.txt" "returned/subject.en.txt"
    "returned/text.id.txt" "returned/text.en.txt"
    "returned/html.id.html" "returned/html.en.html");
templates!(Resolved:
    "resolved/subject.id.txt" "resolved/subject.en.txt"
    "resolved/text.id.txt" "resolved/text.en.txt"
    "resolved/html.id.html" "resolved/html.en.html");
templates!(Responded:
    "responded/subject.id.txt" "responded/subject.en.txt"
    "responded/text.id.txt" "responded/text.en.txt"
    "responded/html.id.html" "responded/html.en.html");
templates!(Escalation:
    "escalation/subject.id.txt" "escalation/subject.en.txt"
    "escalation/text.id.txt" "escalation/text.en.txt"
    "escalation/html.id.html" "escalation/html.en.html");

templates!(ClarificationMail:
    "clarification/subject.id.txt" "clarification/subject.en.txt"
    "clarification/text.id.txt" "clarification/text.en.txt"
    "clarification/html.id.html" "clarification/html.en.html");

/// One line of text fit for a header: control characters (CR, LF...) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests;
