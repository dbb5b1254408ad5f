//! The SMTP client against a real server on loopback: the envelope pipelined when the relay
//! offers it, one command at a time when it does not, idle connections the relay closed
//! replaced without a failed attempt, and a refused recipient ending its session.

use super::smtp_sink::{Options, Sink};
use std::sync::Arc;
use std::time::Duration;
use tanggap::mail::smtp::{Security, SmtpClient};
use tanggap::mail::transport::Outgoing;
use tanggap::mail::{SendError, Transport};

fn client(sink: &Sink) -> Transport {
    Transport::Smtp(Arc::new(SmtpClient::new(
        "127.0.0.1",
        sink.port,
        Security::None,
        None,
        Duration::from_secs(5),
        4,
    )))
}

fn mail(i: usize, to: &str) -> Outgoing {
    Outgoing {
        from: "tanggap@localhost".into(),
        to: to.into(),
        subject: format!("Pesan uji {i}"),
        text: "Isi pesan uji.".into(),
        html: "<p>Isi pesan uji.</p>".into(),
        message_id: format!("<uji-{i}@tanggap.test>"),
    }
}

/// Sends one after the other, as the outbox worker does on one connection.
fn send_each(t: &Transport, to: &[&str]) -> Vec<Result<(), SendError>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut out = Vec::new();
        for (i, to) in to.iter().enumerate() {
            out.push(t.send(&mail(i, to)).await);
        }
        out
    })
}

#[test]
fn a_pipelining_relay_takes_a_message_in_two_round_trips() {
    let sink = Sink::start();
    let n = 20;
    let sent = send_each(&client(&sink), &vec!["trc@localhost"; n]);
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    assert_eq!(sink.messages().len(), n);
    assert_eq!(sink.sessions(), 1, "one connection, reused");
    // The session: its two EHLOs; each message: the envelope as one group, then the body and
    // its closing dot (one or two reads); the last wait is for a command that never comes.
    // One command at a time, with a NOOP before each reuse, it was five or six per message.
    let waits = sink.waits();
    assert!(waits <= 2 + 3 * n + 1, "{waits} waits for {n} messages");
}

#[test]
fn a_relay_without_pipelining_hears_one_command_at_a_time() {
    let sink = Sink::start_with(Options {
        pipelining: false,
        ..Options::default()
    });
    let n = 5;
    let sent = send_each(&client(&sink), &vec!["trc@localhost"; n]);
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    assert_eq!(sink.messages().len(), n);
    assert_eq!(sink.unasked_pipelining(), 0);
    assert!(
        sink.waits() >= 4 * n,
        "MAIL, RCPT, DATA and the body each waited"
    );
}

#[test]
fn an_idle_connection_the_relay_closed_costs_no_failed_attempt() {
    let sink = Sink::start_with(Options {
        close_after_message: true,
        ..Options::default()
    });
    let n = 4;
    let sent = send_each(&client(&sink), &vec!["trc@localhost"; n]);
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    let got = sink.messages();
    assert_eq!(got.len(), n, "each message once");
    assert_eq!(
        sink.sessions(),
        n,
        "a new session for each after the relay's 421"
    );
}

#[test]
fn a_refused_recipient_is_permanent_and_the_next_message_goes_through() {
    let sink = Sink::start();
    sink.reject("nobody@localhost", true);
    let sent = send_each(
        &client(&sink),
        &["trc@localhost", "nobody@localhost", "trc@localhost"],
    );
    assert!(sent[0].is_ok() && sent[2].is_ok(), "{sent:?}");
    let refused = sent[1].as_ref().unwrap_err();
    assert!(refused.permanent, "{refused:?}");
    assert!(refused.message.contains("550"), "{refused:?}");
    let got = sink.messages();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.to == ["trc@localhost"]));
}
