//! UTC calendar windows for quotas: a day starts at 00:00 UTC, a month on the 1st at 00:00 UTC.

const DAY_MS: u64 = 86_400_000;

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_shared::dates))]
pub enum Period {
    Day,
    Month,
}

/// `[start, end)` of the calendar period containing `now_ms`.
#[inline]
pub fn window(period: Period, now_ms: u64) -> (u64, u64) {
    match period {
        Period::Day => {
            let start = now_ms - now_ms % DAY_MS;
            (start, start + DAY_MS)
        }
        Period::Month => {
            let (y, m, _) = civil_from_days((now_ms / DAY_MS) as i64);
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let start = days_from_civil(y, m, 1) as u64 * DAY_MS;
            let end = days_from_civil(ny, nm, 1) as u64 * DAY_MS;
            (start, end)
        }
    }
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (proleptic Gregorian).
#[inline]
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a civil date.
#[inline]
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
