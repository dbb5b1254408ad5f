//! Black-box tests over real HTTP against the real server, on SQLite and on PostgreSQL.

mod helpers;

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
