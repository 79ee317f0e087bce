//! Where each pane goes, as a pure function of the terminal size, so the
//! app can know list heights without drawing.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

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
