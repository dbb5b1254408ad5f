//! Black-box tests over real HTTP against the real server, on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_pass_by_value,
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    reason = "test code: a failed expectation is a panic by design, each test takes its app by value, and a scenario reads best as one function"
)]

mod helpers;

mod architecture;
mod audit;
mod auth;
mod authz;
mod backup;
mod cli;
mod errors;
mod escalation;
mod import;
mod issues_edit;
mod issues_file;
mod issues_lifecycle;
mod issues_lists;
mod ops;
mod reports;
mod sla;
mod smtp_sink;
mod units;
mod users;
