//! A small SMTP server on loopback for the tests: records every message, can be taken down
//! (answers 421, a temporary failure) and can refuse addresses (550, a permanent one). It offers
//! `PIPELINING` unless told not to, counts the times it waited for the client (round trips), and
//! can close each session after its first message (a relay's idle timeout).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
    pub at: jiff::Timestamp,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The decoded subject (lettre encodes non-ASCII subjects; ours are ASCII in tests).
    pub fn subject(&self) -> String {
        self.header("subject").unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    down: bool,
    reject: HashSet<String>,
    /// Reads that found nothing buffered and waited on the socket.
    waits: usize,
    /// Commands sent before the reply to the one before, to a sink not offering `PIPELINING`.
    unasked_pipelining: usize,
    sessions: usize,
}

/// How the sink behaves.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Offer `PIPELINING` in the answer to `EHLO`.
    pub pipelining: bool,
    /// After a message is accepted, say `421` and close the session.
    pub close_after_message: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pipelining: true,
            close_after_message: false,
        }
    }
}

#[derive(Clone)]
pub struct Sink {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Sink {
    pub fn start() -> Sink {
        Sink::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &s, options);
                });
            }
        });
        Sink { port, state }
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().expect("sink").down = down;
    }

    pub fn reject(&self, address: &str, yes: bool) {
        let mut st = self.state.lock().expect("sink");
        if yes {
            st.reject.insert(address.to_owned());
        } else {
            st.reject.remove(address);
        }
    }

    /// The times the sink waited for the client, over all sessions.
    pub fn waits(&self) -> usize {
        self.state.lock().expect("sink").waits
    }

    /// Commands that came before the previous reply while `PIPELINING` was not offered.
    pub fn unasked_pipelining(&self) -> usize {
        self.state.lock().expect("sink").unasked_pipelining
    }

    /// Sessions opened so far.
    pub fn sessions(&self) -> usize {
        self.state.lock().expect("sink").sessions
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state.lock().expect("sink").messages.clone()
    }

    /// Messages whose subject contains `needle`.
    pub fn about(&self, needle: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| m.subject().contains(needle))
            .collect()
    }

    /// Waits until `pred` holds for the messages, or `timeout` passes; answers them.
    pub fn wait(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let m = self.messages();
            if pred(&m) || start.elapsed() > timeout {
                return m;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads a line, counting a wait when nothing was buffered.
fn next_line(
    r: &mut BufReader<TcpStream>,
    line: &mut String,
    state: &Mutex<State>,
) -> std::io::Result<usize> {
    line.clear();
    if r.buffer().is_empty() {
        if let Ok(mut s) = state.lock() {
            s.waits += 1;
        }
    }
    r.read_line(line)
}

fn serve(stream: TcpStream, state: &Mutex<State>, options: Options) -> std::io::Result<()> {
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    if let Ok(mut s) = state.lock() {
        s.sessions += 1;
    }
    if state.lock().is_ok_and(|s| s.down) {
        w.write_all(b"421 4.3.2 sink is down\r\n")?;
        return Ok(());
    }
    w.write_all(b"220 sink ESMTP\r\n")?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        if next_line(&mut r, &mut line, state)? == 0 {
            return Ok(());
        }
        if !options.pipelining && !r.buffer().is_empty() {
            if let Ok(mut s) = state.lock() {
                s.unasked_pipelining += 1;
            }
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if state.lock().is_ok_and(|s| s.down) {
            w.write_all(b"421 4.3.2 sink is down\r\n")?;
            return Ok(());
        }
        if upper.starts_with("EHLO") {
            if options.pipelining {
                w.write_all(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")?;
            } else {
                w.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
            }
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            w.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RSET") || upper.starts_with("MAIL FROM") {
            to.clear();
            w.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO") {
            let addr = cmd
                .split_once('<')
                .and_then(|(_, a)| a.split_once('>'))
                .map(|(a, _)| a.to_lowercase())
                .unwrap_or_default();
            if state.lock().is_ok_and(|s| s.reject.contains(&addr)) {
                w.write_all(b"550 5.1.1 no such mailbox\r\n")?;
            } else {
                to.push(addr);
                w.write_all(b"250 OK\r\n")?;
            }
        } else if upper.starts_with("DATA") {
            if to.is_empty() {
                w.write_all(b"554 5.5.1 no valid recipients\r\n")?;
                continue;
            }
            w.write_all(b"354 end with .\r\n")?;
            let mut data = String::new();
            loop {
                if next_line(&mut r, &mut line, state)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            if let Ok(mut s) = state.lock() {
                s.messages.push(Received {
                    to: to.clone(),
                    data,
                    at: jiff::Timestamp::now(),
                });
            }
            w.write_all(b"250 OK queued\r\n")?;
            if options.close_after_message {
                w.write_all(b"421 4.4.2 sink closing the session\r\n")?;
                return Ok(());
            }
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            w.write_all(b"502 not implemented\r\n")?;
        }
    }
}
