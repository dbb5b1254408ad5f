//! The `tanggap` binary: parse the command line and dispatch.

use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = tanggap::cli::Cli::parse();
    tanggap::cli::run(cli)
}
