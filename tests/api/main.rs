//! Black-box tests over real HTTP against the real server, on SQLite and on PostgreSQL.

mod helpers;

mod audit;
mod auth;
mod cli;
mod errors;
mod issues_edit;
mod issues_file;
mod issues_lifecycle;
mod issues_lists;
mod ops;
mod sla;
mod units;
mod users;
