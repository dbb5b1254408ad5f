//! Emails: rendering (plain text and HTML, Bahasa Indonesia or English) and transports.
//! Each message is data ([`render::Message`]) with its templates in `templates/<message>/`,
//! compiled in by askama; HTML values are escaped.

pub mod render;
pub mod smtp;
pub mod transport;

pub use render::{Lang, Mail, MailKind, Message};
pub use transport::{SendError, Transport};

/// Messages delivered at once, and SMTP connections kept open for them.
pub const PARALLEL: usize = 32;
