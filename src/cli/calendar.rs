//! `tanggap calendar show NAME --from DATE --to DATE`: what a calendar does each day — its
//! open hours, the holidays and their lists, and the days a list does not reach yet. Reads the
//! configuration only (no database).

use crate::config::Config;
use crate::domain::calendar::holidays::{days, Day};
use clap::Subcommand;
use jiff::civil::Date;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// List a calendar's days: open hours, holidays (with their list) and days beyond what a
    /// holiday list covers.
    Show {
        /// The calendar (e.g. office, always).
        name: String,
        /// First day, YYYY-MM-DD (default: today).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default: 30 days after the first; at most two years).
        #[arg(long)]
        to: Option<String>,
    },
}

fn date(flag: &str, text: &str) -> anyhow::Result<Date> {
    text.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--{flag}: `{text}` is not a date written YYYY-MM-DD"))
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One line of the listing.
pub fn line(d: &Day) -> String {
    let hours = match d.hours {
        Some((open, close)) => format!("{}-{}", hhmm(open), hhmm(close)),
        None => "closed".to_owned(),
    };
    let mut notes: Vec<String> = d
        .holidays
        .iter()
        .map(|(list, name)| match name {
            Some(n) => format!("{n} ({list})"),
            None => format!("holiday ({list})"),
        })
        .collect();
    notes.extend(d.beyond.iter().map(|l| {
        format!("WARNING: beyond holidays.{l}: its holidays for this day are not known yet")
    }));
    format!(
        "{}  {}  {:<11}  {}",
        d.date,
        d.date.strftime("%a"),
        hours,
        notes.join("; ")
    )
    .trim_end()
    .to_owned()
}

pub fn run(cfg: &Config, cmd: CalendarCommand) -> anyhow::Result<ExitCode> {
    let CalendarCommand::Show { name, from, to } = cmd;
    let Some(cal) = cfg.sla.calendars.get(&name) else {
        let known: Vec<&str> = cfg.sla.calendars.keys().map(String::as_str).collect();
        anyhow::bail!("no calendar `{name}`; calendars: {}", known.join(", "));
    };
    let from = match from {
        Some(f) => date("from", &f)?,
        None => jiff::Zoned::now().with_time_zone(cfg.zone.clone()).date(),
    };
    let to = match to {
        Some(t) => date("to", &t)?,
        None => from.checked_add(jiff::Span::new().days(30))?,
    };
    if to < from {
        anyhow::bail!("--to {to} is before --from {from}");
    }
    if from.until(to)?.get_days() > 731 {
        anyhow::bail!("at most two years at a time (--from {from} --to {to})");
    }
    let lists = cfg.sla.lists_of(&name);
    let covered: Vec<String> = lists
        .iter()
        .map(|l| match l.covers_until {
            Some(end) => format!("{} (covers until {end})", l.name),
            None => format!("{} (empty)", l.name),
        })
        .collect();
    println!(
        "# calendar {name}, {}; holidays: {}",
        cfg.settings.time.zone,
        if covered.is_empty() {
            "none".to_owned()
        } else {
            covered.join(", ")
        }
    );
    for d in days(cal, &lists, from, to) {
        println!("{}", line(&d));
    }
    Ok(ExitCode::SUCCESS)
}
