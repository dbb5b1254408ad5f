//! Emails: rendering (plain text and HTML, Bahasa Indonesia or English) and transports.
//! Templates live in `templates/` and are filled by name; HTML values are escaped.

pub mod render;
pub mod smtp;
pub mod transport;

pub use render::{Mail, MailKind};
pub use transport::{SendError, Transport};

/// Messages delivered at once, and SMTP connections kept open for them.
pub const PARALLEL: usize = 32;
