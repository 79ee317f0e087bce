//! Run ids in narrow columns. A plain prefix makes every LangGraph run read
//! `01a22f6a-` (a UUIDv7 starts with its timestamp) and every execution of
//! one Temporal workflow the same; so ids that do not fit keep the part
//! that tells them apart.

/// `id` in at most `width` characters:
/// - it fits: as it is;
/// - a UUID: `…` and its random tail (`…36c3e9fa`);
/// - a Temporal execution (`workflow@run-uuid`): the workflow's start,
///   `@`, the run's last four (`bill…@e8c2`);
/// - anything else: its start and `…`.
pub fn short_run(id: &str, width: usize) -> String {
    let n = id.chars().count();
    if n <= width || width < 2 {
        return id.chars().take(width).collect();
    }
    if is_uuid(id) {
        return tail(id, width);
    }
    if let Some((w, r)) = id.rsplit_once('@')
        && is_uuid(r)
        && width >= 7
    {
        let run: String = r.chars().skip(32).collect();
        return format!("{}@{run}", head(w, width - 5));
    }
    head(id, width)
}

use crate::model::is_uuid;

/// The first `width - 1` characters and `…` (or all of it if it fits).
fn head(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `…` and the last `width - 1` characters.
fn tail(s: &str, width: usize) -> String {
    let n = s.chars().count();
    let mut out = String::from("…");
    out.extend(s.chars().skip(n + 1 - width));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishing_short_forms() {
        let a = "01a22f9b-6477-7303-b64c-c1f4946a2e9f";
        let b = "01a22f9b-62d2-767e-8e60-7b7040936194";
        assert_eq!(short_run(a, 9), "…946a2e9f");
        assert_ne!(short_run(a, 9), short_run(b, 9));
        assert_eq!(short_run("run_7f3a", 9), "run_7f3a");
        assert_eq!(
            short_run("bill-1@01a22f9d-2b48-7596-a961-942d02cab658", 9),
            "bil…@b658"
        );
        assert_eq!(
            short_run("agent-with-worker@01a22f9d-2b48-7596-a961-942d02cab658", 12),
            "agent-…@b658"
        );
        assert_eq!(short_run("a-very-long-workflow-id", 9), "a-very-l…");
        for id in [
            a,
            "x@y",
            "run_7f3a",
            "agent-with-worker@01a22f9d-2b48-7596-a961-942d02cab658",
        ] {
            for w in 2..40 {
                assert!(short_run(id, w).chars().count() <= w, "{id} {w}");
            }
        }
    }
}
