//! The `tanggap` binary: parse the command line and dispatch.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = tanggap::cli::Cli::parse();
    tanggap::cli::run(cli)
}
