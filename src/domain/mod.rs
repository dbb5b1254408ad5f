//! Pure domain rules: parsed value types, roles, vocabularies, durations. No I/O, no system clock.

pub mod calendar;
pub mod citizen;
pub mod clarification;
pub mod clock;
pub mod duration;
pub mod enums;
pub mod escalation;
pub mod evidence;
pub mod ids;
pub mod issue;
pub mod lifecycle;
pub mod report_days;
pub mod routing;
pub mod similar;
pub mod size;
pub mod sla;
pub mod spreadsheet;
pub mod visibility;

pub use duration::SlaDuration;
pub use enums::{Category, Channel, ClockKind, DisinformationType, Priority, Sensitivity, Verdict};
pub use ids::{Email, Role, UnitCode};
pub use lifecycle::{Action, Status};
