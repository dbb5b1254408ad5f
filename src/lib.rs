//! Tanggap: rapid-response public-issue tracking for Indonesian regional government.
//!
//! Layers: `domain` (pure rules), `store` (all SQL), `audit` (hash chain), `service` (use
//! cases, one transaction each), `http` (thin handlers), `cli` (subcommands), `app` (start-up).

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod console;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod runtime;
pub mod service;
pub mod store;
pub mod telemetry;
