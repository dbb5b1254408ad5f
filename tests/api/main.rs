//! Black-box tests over real HTTP against the real server, on SQLite and on PostgreSQL.

mod helpers;

mod audit;
mod auth;
mod cli;
mod errors;
mod ops;
mod units;
mod users;
