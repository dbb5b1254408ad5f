//! Delivering a rendered email: SMTP (lettre; STARTTLS, implicit TLS or none; optional
//! authentication; timeouts) or files (one `.eml` per message).

use crate::config::Config;
use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// One message to deliver.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `<...@...>`, stable for the outbox row: a re-send after a crash carries the same id.
    pub message_id: String,
}

/// Why a delivery failed; permanent failures (SMTP 5xx, a malformed address) are not retried.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

#[derive(Clone)]
pub enum Transport {
    File(PathBuf),
    /// Plain SMTP or STARTTLS, through our own sockets (see [`super::smtp`]).
    Smtp(std::sync::Arc<super::smtp::SmtpClient>),
    /// Implicit TLS (port 465), through lettre's pooled transport.
    SmtpTls(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::File(d) => write!(f, "File({})", d.display()),
            Transport::Smtp(_) => f.write_str("Smtp"),
            Transport::SmtpTls(_) => f.write_str("SmtpTls"),
        }
    }
}

impl Transport {
    /// The transport the configuration names (parsed once, in `config`).
    pub fn from_config(cfg: &Config) -> anyhow::Result<Transport> {
        use crate::config::{MailRoute, SmtpSecurity};
        let timeout = cfg.mail.send_timeout;
        let (host, port, security, credentials) = match &cfg.mail_route {
            MailRoute::File(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create the mail folder {}", dir.display()))?;
                return Ok(Transport::File(dir.clone()));
            }
            MailRoute::Smtp {
                host,
                port,
                security,
                credentials,
            } => (host, *port, *security, credentials),
        };
        let credentials = credentials
            .as_ref()
            .map(|(user, password)| Credentials::new(user.clone(), password.expose().to_owned()));
        let security = match security {
            SmtpSecurity::Tls => {
                let pool = lettre::transport::smtp::PoolConfig::new()
                    .max_size(u32::try_from(super::PARALLEL).unwrap_or(10));
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::relay(host)?
                    .port(port)
                    .timeout(Some(timeout))
                    .pool_config(pool);
                if let Some(c) = credentials {
                    builder = builder.credentials(c);
                }
                return Ok(Transport::SmtpTls(builder.build()));
            }
            SmtpSecurity::StartTls => super::smtp::Security::StartTls,
            SmtpSecurity::None => super::smtp::Security::None,
        };
        Ok(Transport::Smtp(std::sync::Arc::new(
            super::smtp::SmtpClient::new(
                host,
                port,
                security,
                credentials,
                timeout,
                super::PARALLEL,
            ),
        )))
    }

    fn build(mail: &Outgoing) -> Result<Message, SendError> {
        let permanent = |e: String| SendError {
            permanent: true,
            message: e,
        };
        let from: Mailbox = mail
            .from
            .parse()
            .map_err(|e| permanent(format!("bad sender {}: {e}", mail.from)))?;
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| permanent(format!("bad recipient {}: {e}", mail.to)))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(crate::mail::render::one_line(&mail.subject))
            .message_id(Some(mail.message_id.clone()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(mail.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(mail.html.clone()),
                    ),
            )
            .map_err(|e| permanent(format!("cannot build the message: {e}")))
    }

    /// Delivers one message.
    pub async fn send(&self, mail: &Outgoing) -> Result<(), SendError> {
        let message = Self::build(mail)?;
        match self {
            Transport::Smtp(c) => c.send(&message).await.map_err(|e| SendError {
                permanent: e.permanent,
                message: e.message,
            }),
            Transport::SmtpTls(t) => t.send(message).await.map(drop).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Transport::File(dir) => {
                let name: String = mail
                    .message_id
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
                    .collect();
                let path = dir.join(format!("{name}.eml"));
                let tmp = dir.join(format!(".{name}.tmp"));
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, &path)
                })
                .await
                .map_err(|e| SendError {
                    permanent: false,
                    message: e.to_string(),
                })?
                .map_err(|e| SendError {
                    permanent: false,
                    message: format!("cannot write the mail file: {e}"),
                })
            }
        }
    }
}
