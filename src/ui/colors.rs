//! Themes from TOML files and the terminal's colour depth.
//!
//! A theme file names styles (`danger = "lightred bold"`,
//! `selected = "white on #283448 bold"`) and per-kind / per-state colours;
//! it overrides only what it names, on top of the default dark theme. Colour
//! depth: `NO_COLOR` strips colour (meaning stays in symbols, badges and
//! reverse video), truecolor only when COLORTERM says so, else a 256-colour
//! palette, else the 16 ANSI colours.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use super::theme::{Theme, indexed_rgb};
use crate::app::palette::THEMES;

/// The builtin themes, by the names the `:theme` command completes.
pub const BUILTIN: [(&str, &str); 4] = [
    (THEMES[0], include_str!("../../themes/dark.toml")),
    (THEMES[1], include_str!("../../themes/light.toml")),
    (THEMES[2], include_str!("../../themes/high-contrast.toml")),
    (THEMES[3], include_str!("../../themes/colorblind.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    NoColor,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl ColorMode {
    /// From the environment, the way terminals announce themselves.
    pub fn detect(get: impl Fn(&str) -> Option<String>) -> ColorMode {
        if get("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorMode::NoColor;
        }
        if get("COLORTERM").is_some_and(|v| v == "truecolor" || v == "24bit") {
            return ColorMode::TrueColor;
        }
        match get("TERM") {
            Some(t)
                if t.contains("256color") || t.starts_with("tmux") || t.starts_with("screen") =>
            {
                ColorMode::Ansi256
            }
            Some(t) if t == "dumb" => ColorMode::NoColor,
            _ => ColorMode::Ansi16,
        }
    }
}

fn parse_color(s: &str) -> Option<Color> {
    s.parse::<Color>().ok()
}

/// `"FG [on BG] [bold] [italic] [underlined] [reversed]"`.
pub fn parse_style(s: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "bold" => style = style.add_modifier(Modifier::BOLD),
            "italic" => style = style.add_modifier(Modifier::ITALIC),
            "underlined" => style = style.add_modifier(Modifier::UNDERLINED),
            "reversed" => style = style.add_modifier(Modifier::REVERSED),
            "dim" => style = style.add_modifier(Modifier::DIM),
            "on" => {
                let bg = words
                    .get(i + 1)
                    .and_then(|c| parse_color(c))
                    .ok_or_else(|| format!("'on' needs a colour in \"{s}\""))?;
                style = style.bg(bg);
                i += 1;
            }
            c => {
                style = style.fg(parse_color(c)
                    .ok_or_else(|| format!("unknown colour or modifier '{c}' in \"{s}\""))?)
            }
        }
        i += 1;
    }
    Ok(style)
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|n| n + 1)
        .unwrap_or(0)
}

impl Theme {
    /// A builtin name or a file path; `Err` names the file and the line.
    pub fn load(name_or_path: &str) -> Result<Theme, String> {
        let (label, text) = match BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            Some((n, t)) => (format!("theme {n}"), t.to_string()),
            None => {
                let t = std::fs::read_to_string(name_or_path).map_err(|e| {
                    let names: Vec<&str> = BUILTIN.iter().map(|b| b.0).collect();
                    format!(
                        "theme '{name_or_path}': {e} (builtin themes: {})",
                        names.join(", ")
                    )
                })?;
                (format!("theme file {name_or_path}"), t)
            }
        };
        let mut theme = Theme {
            name: name_or_path.to_string(),
            ..Theme::default()
        };
        theme
            .apply_toml(&text)
            .map_err(|e| format!("{label}: {e}"))?;
        Ok(theme)
    }

    /// `:theme NAME`: another theme, kept at this terminal's colour depth
    /// (NO_COLOR stays without colour).
    pub fn switch(&mut self, name_or_path: &str) -> Result<(), String> {
        let mode = self.mode;
        *self = Theme::load(name_or_path)?;
        self.mode = mode;
        Ok(())
    }

    /// Override what the TOML names.
    pub fn apply_toml(&mut self, text: &str) -> Result<(), String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(0);
            format!("line {line}: {}", e.message())
        })?;
        for (section, v) in &table {
            let entries = v.as_table().ok_or_else(|| {
                format!(
                    "line {}: [{section}] must be a table",
                    line_of(text, &format!("[{section}]"))
                )
            })?;
            for (key, val) in entries {
                let s = val.as_str().ok_or_else(|| {
                    format!("line {}: {key} must be a string", line_of(text, key))
                })?;
                let at = |e: String| format!("line {}: {key}: {e}", line_of(text, key));
                match section.as_str() {
                    "styles" => {
                        let style = parse_style(s).map_err(at)?;
                        let slot = match key.as_str() {
                            "text" => &mut self.text,
                            "dim" => &mut self.dim,
                            "title" => &mut self.title,
                            "focus_border" => &mut self.focus_border,
                            "border" => &mut self.border,
                            "selected" => &mut self.selected,
                            "header" => &mut self.header,
                            "ok" => &mut self.ok,
                            "warn" => &mut self.warn,
                            "danger" => &mut self.danger,
                            "badge_outbound" => &mut self.badge_outbound,
                            "badge_irreversible" => &mut self.badge_irreversible,
                            _ => {
                                return Err(format!(
                                    "line {}: unknown style '{key}'",
                                    line_of(text, key)
                                ));
                            }
                        };
                        *slot = style;
                    }
                    "kinds" | "states" => {
                        let c =
                            parse_color(s).ok_or_else(|| at(format!("unknown colour '{s}'")))?;
                        let map: &mut BTreeMap<String, Color> = if section == "kinds" {
                            &mut self.kinds
                        } else {
                            &mut self.states
                        };
                        map.insert(key.clone(), c);
                    }
                    o => {
                        return Err(format!(
                            "line {}: unknown section [{o}] (styles, kinds, states)",
                            line_of(text, &format!("[{o}]"))
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The nearest xterm-256 index for an RGB colour (cube or grey ramp).
pub fn to_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| -> u8 {
        match v {
            0..=47 => 0,
            48..=114 => 1,
            _ => ((v as u16 - 35) / 40) as u8,
        }
    };
    let (cr, cg, cb) = (level(r), level(g), level(b));
    let cube = 16 + 36 * cr + 6 * cg + cb;
    let grey_level = (((r as u16 + g as u16 + b as u16) / 3).saturating_sub(3) / 10).min(23) as u8;
    let grey = 232 + grey_level;
    let dist = |i: u8| {
        let (x, y, z) = indexed_rgb(i);
        (x as i32 - r as i32).pow(2) + (y as i32 - g as i32).pow(2) + (z as i32 - b as i32).pow(2)
    };
    if dist(grey) < dist(cube) { grey } else { cube }
}

/// The nearest of the 16 ANSI colours.
pub fn to_16(r: u8, g: u8, b: u8) -> Color {
    const ANSI: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    (0u8..16)
        .min_by_key(|&i| {
            let (x, y, z) = indexed_rgb(i);
            (x as i32 - r as i32).pow(2)
                + (y as i32 - g as i32).pow(2)
                + (z as i32 - b as i32).pow(2)
        })
        .map(|i| ANSI[i as usize])
        .unwrap_or(Color::Reset)
}

fn map_color(c: Color, mode: ColorMode) -> Color {
    match (c, mode) {
        (Color::Rgb(r, g, b), ColorMode::Ansi256) => Color::Indexed(to_256(r, g, b)),
        (Color::Rgb(r, g, b), ColorMode::Ansi16) => to_16(r, g, b),
        (Color::Indexed(i), ColorMode::Ansi16) if i >= 16 => {
            let (r, g, b) = indexed_rgb(i);
            to_16(r, g, b)
        }
        (c, _) => c,
    }
}

/// Bring a drawn frame down to what the terminal can show. Without colour,
/// anything that had a background (selection, badges, the header) is shown
/// in reverse video so it still stands out.
pub fn adapt(buf: &mut Buffer, mode: ColorMode) {
    if mode == ColorMode::TrueColor {
        return;
    }
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            if mode == ColorMode::NoColor {
                if cell.bg != Color::Reset {
                    cell.modifier.insert(Modifier::REVERSED);
                }
                cell.fg = Color::Reset;
                cell.bg = Color::Reset;
            } else {
                cell.fg = map_color(cell.fg, mode);
                cell.bg = map_color(cell.bg, mode);
            }
        }
    }
}
