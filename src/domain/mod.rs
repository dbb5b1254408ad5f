//! Pure domain rules: parsed value types, roles, vocabularies, durations. No I/O, no system clock.

pub mod duration;
pub mod enums;
pub mod escalation;
pub mod ids;
pub mod size;

pub use duration::SlaDuration;
pub use enums::{Category, Channel, ClockKind, Priority, Sensitivity};
pub use ids::{Email, Role, UnitCode};
