//! An SMTP client over lettre's connection type with sockets of our own: `TCP_NODELAY` on, and a
//! small pool of open connections.
//!
//! Why not lettre's pooled transport: it writes a message's body and the closing `.` in two
//! writes and then waits for the reply; with Nagle's algorithm on, the second write waits for
//! the server's delayed ACK — about 40 ms per message on Linux, which capped delivery at ~25
//! messages per second per connection. (Implicit TLS, port 465, still goes through lettre's own
//! transport, which opens its sockets itself.)

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use std::sync::Mutex;
use std::time::Duration;

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
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    max_idle: usize,
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

    async fn connect(&self) -> Result<AsyncSmtpConnection, Failure> {
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
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c).await?;
        }
        Ok(conn)
    }

    /// An open connection: an idle one that still answers `NOOP`, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, Failure> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
            match idle {
                Some(mut conn) => {
                    if conn.test_connected().await {
                        return Ok(conn);
                    }
                    conn.abort().await;
                }
                None => return self.connect().await,
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < self.max_idle {
                v.push(conn);
            }
        }
    }

    /// Hands one message to the server, within the configured timeout.
    pub async fn send(&self, message: &Message) -> Result<(), Failure> {
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let attempt = async {
            let mut conn = self.checkout().await?;
            let sent = conn.send(&envelope, &bytes).await;
            self.checkin(conn);
            sent.map(drop).map_err(Failure::from)
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
