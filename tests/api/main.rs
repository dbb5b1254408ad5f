//! Black-box tests over real HTTP against the real server, on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_pass_by_value,
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::many_single_char_names,
    clippy::struct_field_names,
    clippy::float_cmp,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    clippy::default_trait_access,
    reason = "test code: a failed expectation is a panic by design, a scenario reads best as one function, and test data need not satisfy the pedantic numeric and naming lints"
)]

mod helpers;

mod architecture;
mod audit;
mod auth;
mod authz;
mod backup;
mod calendars;
mod citizen;
mod clarifications;
mod cli;
mod console;
mod console_admin;
mod errors;
mod escalation;
mod evidence;
mod hoaxes;
mod import;
mod issues_edit;
mod issues_file;
mod issues_lifecycle;
mod issues_lists;
mod ops;
mod report_tallies;
mod reports;
mod similar;
mod sla;
mod smtp_client;
mod smtp_sink;
mod units;
mod users;
