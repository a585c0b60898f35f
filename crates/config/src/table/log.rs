//! Which requests get an access-log line.

/// Which requests get an access-log line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::log))]
pub enum LogMode {
    /// Every request (the default).
    #[default]
    All,
    /// Only errors.
    Errors,
    /// Errors, and this share (0-1] of the rest, drawn per request.
    Sample(f64),
}
