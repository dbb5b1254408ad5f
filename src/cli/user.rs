//! `tanggap user add`

use crate::config::Config;
use crate::service::{self, Actor, Ctx};
use crate::store;
use clap::Subcommand;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// admin, trc, pic or leader.
        #[arg(long)]
        role: String,
        /// Unit code (required for a PIC).
        #[arg(long)]
        unit: Option<String>,
    },
}

pub fn run(cfg: &Config, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        email,
        name,
        role,
        unit,
    } = cmd;
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let mut conn = store::connect(&cfg.settings.database.url.0)?;
    crate::app::migrate(cfg, &mut conn)?;
    let ctx = Ctx {
        actor: Actor::System,
        now: service::micros(jiff::Timestamp::now()),
        request_id: None,
        client_request_id: None,
        sla: cfg.sla.clone(),
    };
    let input = service::users::NewUser {
        email,
        name,
        role,
        unit,
        password,
        active: Some(true),
    };
    match service::users::create(&mut conn, &ctx, input) {
        Ok(u) => {
            println!(
                "added user {} ({}) with id {}",
                u.email,
                u.role.as_str(),
                u.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::error::AppError::Invalid(errors)) => {
            for e in errors {
                match e.valid {
                    Some(v) => eprintln!(
                        "tanggap: --{}: {} (valid: {})",
                        e.field,
                        e.message,
                        v.join(", ")
                    ),
                    None => eprintln!("tanggap: --{}: {}", e.field, e.message),
                }
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}
