//! Colours and styles. Meaning never rests on colour alone: symbols and
//! text badges carry it too (for NO_COLOR and colour-blind readers).

use ratatui::style::{Color, Modifier, Style};

use crate::model::{EventKind, RunState};

#[derive(Debug, Clone)]
pub struct Theme {
    /// The name or path it was loaded from.
    pub name: String,
    /// What the terminal can show (frames are adapted to it).
    pub mode: super::colors::ColorMode,
    /// Per event kind / run state colours a theme overrides.
    pub kinds: std::collections::BTreeMap<String, Color>,
    pub states: std::collections::BTreeMap<String, Color>,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub focus_border: Style,
    pub border: Style,
    pub selected: Style,
    pub header: Style,
    pub ok: Style,
    pub warn: Style,
    pub danger: Style,
    pub badge_outbound: Style,
    pub badge_irreversible: Style,
}

impl Theme {
    /// The styles a dialog's roles take in this theme.
    pub fn roles(&self) -> crate::app::confirm_lines::Roles {
        crate::app::confirm_lines::Roles {
            text: self.text,
            dim: self.dim,
            title: self.title,
            selected: self.selected,
            header: self.header,
            ok: self.ok,
            warn: self.warn,
            danger: self.danger,
            badge_irreversible: self.badge_irreversible,
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            name: "dark".into(),
            mode: super::colors::ColorMode::TrueColor,
            kinds: Default::default(),
            states: Default::default(),
            text: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            title: Style::default().add_modifier(Modifier::BOLD),
            focus_border: Style::default().fg(Color::Cyan),
            border: Style::default().fg(Color::DarkGray),
            selected: Style::default()
                .bg(Color::Rgb(40, 52, 72))
                .add_modifier(Modifier::BOLD),
            header: Style::default().fg(Color::Black).bg(Color::Cyan),
            ok: Style::default().fg(Color::Green),
            warn: Style::default().fg(Color::Yellow),
            danger: Style::default()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            badge_outbound: Style::default().fg(Color::Black).bg(Color::LightRed),
            badge_irreversible: Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        }
    }
}

/// One-cell symbol per event kind (checked single-width by a test).
pub fn kind_symbol(k: &EventKind) -> &'static str {
    match k {
        EventKind::Assignment => "◆",
        EventKind::Instruction => "¶",
        EventKind::ModelOutput => "✎",
        EventKind::ToolCall => "⚙",
        EventKind::ToolResult => "↩",
        EventKind::Retrieval => "⌕",
        EventKind::MemoryRead => "◎",
        EventKind::FileRead => "▤",
        EventKind::FileWrite => "✍",
        EventKind::DbWrite => "⛁",
        EventKind::MessageSent => "✉",
        EventKind::ExternalAction => "⇗",
        EventKind::Retry => "↻",
        EventKind::Error => "✖",
        EventKind::ReviewRequested => "⚑",
        EventKind::ReviewDecision => "✔",
        EventKind::HumanIntervention => "☝",
        EventKind::PermissionChange => "⚿",
        EventKind::Containment => "⊘",
        EventKind::StateChange => "⇄",
        EventKind::Other(_) => "·",
    }
}

impl Theme {
    /// An event kind's colour, the theme's if it names one.
    pub fn kind(&self, k: &EventKind) -> Style {
        match self.kinds.get(k.as_str()) {
            Some(c) => Style::default().fg(*c),
            None => kind_style(k),
        }
    }

    /// A run state's colour, the theme's if it names one.
    pub fn state(&self, s: &RunState) -> Style {
        match self.states.get(s.as_str()) {
            Some(c) => Style::default().fg(*c),
            None => state_style(s),
        }
    }
}

pub fn kind_style(k: &EventKind) -> Style {
    let c = match k {
        EventKind::Assignment | EventKind::Instruction => Color::Cyan,
        EventKind::ModelOutput => Color::White,
        EventKind::ToolCall => Color::Yellow,
        EventKind::ToolResult | EventKind::StateChange => Color::Gray,
        EventKind::Retrieval | EventKind::MemoryRead | EventKind::FileRead => Color::Blue,
        EventKind::FileWrite | EventKind::DbWrite => Color::Magenta,
        EventKind::MessageSent | EventKind::ExternalAction => Color::LightRed,
        EventKind::Retry => Color::Yellow,
        EventKind::Error => Color::Red,
        EventKind::ReviewRequested | EventKind::ReviewDecision => Color::LightCyan,
        EventKind::HumanIntervention | EventKind::Containment => Color::Green,
        EventKind::PermissionChange => Color::LightMagenta,
        EventKind::Other(_) => Color::Gray,
    };
    Style::default().fg(c)
}

pub fn state_symbol(s: &RunState) -> &'static str {
    match s {
        RunState::Running => "▶",
        RunState::WaitingReview => "⚑",
        RunState::Queued => "…",
        RunState::Paused => "‖",
        RunState::Succeeded => "✔",
        RunState::Failed => "✖",
        RunState::Stopped | RunState::Ended(_) => "■",
        RunState::Other(_) => "?",
    }
}

pub fn state_style(s: &RunState) -> Style {
    match s {
        RunState::Running => Style::default().fg(Color::LightGreen),
        RunState::WaitingReview => Style::default().fg(Color::LightCyan),
        RunState::Queued => Style::default().fg(Color::Yellow),
        RunState::Paused => Style::default().fg(Color::LightBlue),
        RunState::Failed => Style::default().fg(Color::Red),
        RunState::Stopped | RunState::Ended(_) => Style::default().fg(Color::LightMagenta),
        RunState::Succeeded | RunState::Other(_) => Style::default().fg(Color::DarkGray),
    }
}

/// The xterm 256-colour palette as RGB.
pub fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASE[i as usize],
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn symbols_are_one_cell() {
        for k in EventKind::known() {
            assert_eq!(kind_symbol(k).width(), 1, "{k:?}");
        }
        for s in [
            "queued",
            "running",
            "waiting_review",
            "paused",
            "succeeded",
            "failed",
            "stopped",
            "x",
        ] {
            assert_eq!(state_symbol(&RunState::parse(s)).width(), 1, "{s}");
        }
    }
}
