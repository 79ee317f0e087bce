//! Where each pane goes, as a pure function of the terminal size: the app
//! pages, clicks and refuses what a window cannot show from it without
//! drawing, and the Screen draws into the same areas.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

use super::{App, ContainRow, Pane};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub runs: Rect,
    pub timeline: Rect,
    /// Side column (Containment, Triage, Notes); empty when too narrow.
    pub side: [Rect; 3],
    pub status: Rect,
    /// Everything between header and status (a zoomed pane's area).
    pub body: Rect,
}

/// Side panes appear from this width on.
pub const WIDE: u16 = 120;

impl Areas {
    /// The rows of list `pane` as paging sees them: the zoomed pane fills
    /// the body, the Runs list its own area, any other list the big area
    /// (where a focused side pane is drawn).
    pub fn list_rows(&self, pane: Pane, zoomed: bool) -> Rect {
        let area = match pane {
            _ if zoomed => self.body,
            Pane::Runs => self.runs,
            _ => self.timeline,
        };
        rows_in(pane, area)
    }
}

/// The rows of list `pane` drawn in `area`: inside its border and, for
/// Runs, below the header row. The one place these offsets live, so paging,
/// clicks and drawing agree.
pub fn rows_in(pane: Pane, area: Rect) -> Rect {
    let top = if pane == Pane::Runs { 2 } else { 1 };
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(top),
        area.width.saturating_sub(2),
        area.height.saturating_sub(top + 1),
    )
}

pub fn compute(area: Rect) -> Areas {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(4),
            Constraint::Length(1),
        ])
        .split(area);
    let (header, body, status) = (rows[0], rows[1], rows[2]);
    let (main, side) = if area.width >= WIDE {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([
                Constraint::Min(80),
                Constraint::Length(area.width * 28 / 100),
            ])
            .split(body);
        let side = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Percentage(40),
                Constraint::Percentage(30),
                Constraint::Percentage(30),
            ])
            .split(cols[1]);
        (cols[0], [side[0], side[1], side[2]])
    } else {
        (body, [Rect::default(); 3])
    };
    let split = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(40), Constraint::Percentage(60)])
        .split(main);
    Areas {
        header,
        runs: split[0],
        timeline: split[1],
        side,
        status,
        body,
    }
}

/// The side column sized by what each pane holds: an empty pane collapses
/// to one line, the rest is shared out (no pane gets more than it wants
/// while another is short).
pub fn compute_for(app: &App, area: Rect) -> Areas {
    let mut a = compute(area);
    if a.side[0].width == 0 {
        return a;
    }
    let col = a.side[0].union(a.side[2]);
    let h = share(col.height, side_wants(app));
    let mut y = col.y;
    for (i, r) in a.side.iter_mut().enumerate() {
        *r = Rect::new(col.x, y, col.width, h[i]);
        y += h[i];
    }
    a
}

/// Lines each side pane (Containment, Triage, Notes) would use; 1 means
/// it has nothing to show and collapses to its title line. The focused
/// pane's slot shows the timeline, which always wants more.
pub fn side_wants(app: &App) -> [u16; 3] {
    let contain = {
        let rows = app.contain_rows();
        let controls = rows
            .iter()
            .filter(|r| matches!(r, ContainRow::Control { .. }))
            .count();
        let actions = rows.len() - controls;
        if rows.is_empty() && app.custom_log.is_empty() {
            1
        } else {
            // Borders, "no controls", each control, three lines an action,
            // custom actions, the key hint.
            2 + (controls == 0) as usize + controls + 3 * actions + app.custom_log.len() + 2
        }
    };
    let triage = {
        let t = app.triage();
        let targets: Vec<String> = t.changes.iter().map(|c| c.target.clone()).collect();
        // Borders, the record's head (wrapped), section titles, rows.
        2 + 8 + 4 + app.triage_rows(&targets).len()
    };
    let notes = {
        let n = &app.incident;
        if n.notes.is_empty() && !app.notes_editing && app.draft_text().is_empty() {
            1
        } else {
            let lines: usize = n.notes.iter().map(|x| 1 + x.text.lines().count()).sum();
            2 + lines + 5
        }
    };
    let mut w = [contain, triage, notes].map(|x| x.min(u16::MAX as usize) as u16);
    for (i, p) in [Pane::Containment, Pane::Triage, Pane::Notes]
        .into_iter()
        .enumerate()
    {
        if p == app.focus {
            w[i] = u16::MAX;
        }
    }
    w
}

/// Share `total` rows among wants: the smallest wants are met first,
/// what is left is split evenly among the rest (water filling).
pub fn share(total: u16, wants: [u16; 3]) -> [u16; 3] {
    let mut out = [0u16; 3];
    let mut order = [0usize, 1, 2];
    order.sort_by_key(|&i| wants[i]);
    let mut left = total;
    for (k, &i) in order.iter().enumerate() {
        let fair = left / (3 - k) as u16;
        out[i] = wants[i].max(1).min(fair.max(1)).min(left);
        left -= out[i];
    }
    // Rounding leftovers go to the largest want.
    out[order[2]] += left;
    out
}

/// The inspector's header, middle (evidence and detail) and pattern
/// finder, in an area.
pub fn inspector(area: Rect) -> [Rect; 3] {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(INSPECTOR_HEAD_LINES + 2),
            Constraint::Min(5),
            Constraint::Length(7),
        ])
        .split(area);
    [rows[0], rows[1], rows[2]]
}

/// The inspected run's header lines (the last, parent / children, only
/// when the platform links runs).
pub const INSPECTOR_HEAD_LINES: u16 = 7;

/// The inspector's area on a terminal of this size: all but the header and
/// status lines.
pub fn inspector_area(size: (u16, u16)) -> Rect {
    Rect::new(0, 1, size.0, size.1.saturating_sub(2))
}

/// Evidence lines the inspector's list shows at this terminal size (the
/// app keeps the selection inside them).
pub fn inspector_list_height(size: (u16, u16)) -> usize {
    inspector(inspector_area(size))[1].height.saturating_sub(2) as usize
}

/// Rows `lines` take in `width` columns when word-wrapped as a Paragraph
/// draws them.
pub fn wrapped_height(lines: &[ratatui::text::Line], width: u16) -> u16 {
    ratatui::widgets::Paragraph::new(lines.to_vec())
        .wrap(ratatui::widgets::Wrap { trim: false })
        .line_count(width.max(1))
        .min(u16::MAX as usize) as u16
}

/// Columns and rows a bordered dialog of these lines takes on a screen
/// this wide (at most 96 columns; wrapped, so its last lines are never cut).
pub fn dialog_size(lines: &[ratatui::text::Line], width: u16) -> (u16, u16) {
    let w = 96.min(width);
    (w, wrapped_height(lines, w.saturating_sub(2)) + 2)
}

#[cfg(test)]
mod tests {
    use super::{Pane, Rect, compute, rows_in, share};

    #[test]
    fn list_rows_sit_inside_the_border_and_below_the_runs_header() {
        let area = Rect::new(3, 5, 40, 10);
        assert_eq!(rows_in(Pane::Runs, area), Rect::new(4, 7, 38, 7));
        assert_eq!(rows_in(Pane::Timeline, area), Rect::new(4, 6, 38, 8));
        assert_eq!(rows_in(Pane::Runs, Rect::new(0, 0, 1, 2)).height, 0);
        let a = compute(Rect::new(0, 0, 160, 48));
        assert_eq!(a.list_rows(Pane::Runs, false), rows_in(Pane::Runs, a.runs));
        assert_eq!(
            a.list_rows(Pane::Notes, false),
            rows_in(Pane::Notes, a.timeline)
        );
        assert_eq!(a.list_rows(Pane::Runs, true), rows_in(Pane::Runs, a.body));
    }

    #[test]
    fn empty_panes_collapse_and_the_rest_is_shared() {
        assert_eq!(share(46, [1, 60, 1]), [1, 44, 1]);
        assert_eq!(share(46, [9, 60, 1]), [9, 36, 1]);
        assert_eq!(share(45, [100, 100, 100]), [15, 15, 15]);
        assert_eq!(share(46, [100, 100, 100]).iter().sum::<u16>(), 46);
        assert_eq!(share(3, [1, 60, 1]), [1, 1, 1]);
    }
}
