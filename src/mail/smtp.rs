//! An SMTP client over lettre's connection type with sockets of our own: `TCP_NODELAY` on, a
//! small pool of open connections, and the envelope pipelined (RFC 2920) when the relay offers
//! it.
//!
//! Why not lettre's pooled transport: it writes a message's body and the closing `.` in two
//! writes and then waits for the reply; with Nagle's algorithm on, the second write waits for
//! the server's delayed ACK — about 40 ms per message on Linux, which capped delivery at ~25
//! messages per second per connection. And it says `MAIL`, `RCPT` and `DATA` one at a time,
//! waiting for each reply, and tests an idle connection with `NOOP` before using it: five round
//! trips per message where a relay offering `PIPELINING` needs two (the envelope as one group,
//! then the body) — over a relay a few milliseconds away, that is most of a message's time.
//! (Implicit TLS, port 465, still goes through lettre's own transport, which opens its sockets
//! itself.)

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Message;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An idle connection older than this is closed rather than used: relays close idle sessions
/// after a while (RFC 5321 asks them to wait at least five minutes; some wait less), and a
/// peer gone without a word would only show as a timeout.
const IDLE_MAX: Duration = Duration::from_secs(60);

/// How a connection is secured before anything else is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// `STARTTLS` required.
    StartTls,
}

pub struct SmtpClient {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<Open>>,
    max_idle: usize,
}

/// An open, greeted (and, as configured, secured and authenticated) session.
struct Open {
    conn: AsyncSmtpConnection,
    /// The relay offers `PIPELINING` (RFC 2920).
    pipelining: bool,
    idle_since: Instant,
}

type SmtpError = lettre::transport::smtp::Error;

/// Why one attempt failed: `permanent` for an SMTP 5xx reply.
#[derive(Debug)]
pub struct Failure {
    pub permanent: bool,
    pub message: String,
}

impl From<SmtpError> for Failure {
    fn from(e: SmtpError) -> Self {
        Failure {
            permanent: e.is_permanent(),
            message: e.to_string(),
        }
    }
}

fn transient(message: impl Into<String>) -> Failure {
    Failure {
        permanent: false,
        message: message.into(),
    }
}

impl SmtpClient {
    pub fn new(
        host: &str,
        port: u16,
        security: Security,
        credentials: Option<Credentials>,
        timeout: Duration,
        max_idle: usize,
    ) -> SmtpClient {
        SmtpClient {
            host: host.to_owned(),
            port,
            security,
            credentials,
            timeout,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    async fn connect(&self) -> Result<Open, Failure> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                transient(format!(
                    "cannot connect to {}:{}: {e}",
                    self.host, self.port
                ))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| transient(format!("cannot set TCP_NODELAY: {e}")))?;
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
        if self.security == Security::StartTls {
            let tls = TlsParameters::new(self.host.clone())?;
            conn.starttls(tls, &self.hello).await?;
        }
        // lettre keeps only the extensions it uses from its greeting; ask once more (before
        // authenticating, so that the session's state is not reset after it) to learn whether
        // the relay pipelines. One round trip per connection, not per message.
        let ehlo = conn.command(Ehlo::new(self.hello.clone())).await?;
        let pipelining = ehlo.message().any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("PIPELINING"))
        });
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c).await?;
        }
        Ok(Open {
            conn,
            pipelining,
            idle_since: Instant::now(),
        })
    }

    /// An idle connection (with `true`), not tested: should the relay have closed it, that
    /// shows in the envelope's replies, before anything of the message is handed over, and
    /// [`SmtpClient::send`] then opens a new one. Without an idle one, a new one (`false`).
    async fn checkout(&self) -> Result<(Open, bool), Failure> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
            match idle {
                // Dropping closes the socket; a `QUIT` could wait on a peer that is gone.
                Some(open) if open.idle_since.elapsed() > IDLE_MAX => drop(open),
                Some(open) => return Ok((open, true)),
                None => return Ok((self.connect().await?, false)),
            }
        }
    }

    fn checkin(&self, mut open: Open) {
        if open.conn.has_broken() {
            return;
        }
        open.idle_since = Instant::now();
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < self.max_idle {
                v.push(open);
            }
        }
    }

    /// `MAIL`, `RCPT` for each recipient and `DATA`, up to the relay's `354`: as one group
    /// when it pipelines, else one command at a time. Stops at the first refusal.
    async fn envelope(open: &mut Open, envelope: &Envelope, body: &[u8]) -> Result<(), Failure> {
        let mut options = vec![];
        let info = open.conn.server_info();
        let ascii = |a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii();
        if !envelope.from().into_iter().chain(envelope.to()).all(ascii) {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(transient(
                    "an address is not ASCII and the relay does not offer SMTPUTF8",
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !body.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(transient(
                    "the message is not ASCII and the relay does not offer 8BITMIME",
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(envelope.from().cloned(), options);
        let rcpts = envelope.to().iter().map(|a| Rcpt::new(a.clone(), vec![]));
        if open.pipelining {
            // One write; then the replies, in order (RFC 2920 §3.1: DATA ends the group).
            let mut group = mail.to_string();
            for rcpt in rcpts {
                group.push_str(&rcpt.to_string());
            }
            group.push_str(&Data.to_string());
            open.conn.command(group).await?;
            for _ in envelope.to() {
                open.conn.read_response().await?;
            }
            open.conn.read_response().await?;
        } else {
            open.conn.command(mail).await?;
            for rcpt in rcpts {
                open.conn.command(rcpt).await?;
            }
            open.conn.command(Data).await?;
        }
        Ok(())
    }

    /// Hands one message to the server, within the configured timeout. A connection that
    /// failed is closed, never reused (it may still hold pipelined replies).
    pub async fn send(&self, message: &Message) -> Result<(), Failure> {
        let envelope = message.envelope();
        let bytes = message.formatted();
        let attempt = async {
            let (mut open, mut reused) = self.checkout().await?;
            while let Err(e) = Self::envelope(&mut open, envelope, &bytes).await {
                if !reused || e.permanent {
                    return Err(e);
                }
                // An idle connection the relay had closed (or was closing): nothing of this
                // message was handed over, so once more on a new one.
                tracing::debug!(error = %e.message, "an idle SMTP connection failed; opening a new one");
                open = self.connect().await?;
                reused = false;
            }
            open.conn.message(&bytes).await?;
            self.checkin(open);
            Ok(())
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(transient(format!(
                    "no answer from {}:{} within {:?}",
                    self.host, self.port, self.timeout
                )))
            })
    }
}
