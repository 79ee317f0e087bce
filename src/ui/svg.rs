//! Render a ratatui buffer as SVG: real screenshots from the real render,
//! with no terminal or browser involved.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const BG: &str = "#0d1117";
const FG: &str = "#d0d7de";

fn hex(c: Color, default: &str) -> String {
    let named = |s: &str| s.to_string();
    match c {
        Color::Reset => named(default),
        Color::Black => named("#000000"),
        Color::Red => named("#cd3131"),
        Color::Green => named("#0dbc79"),
        Color::Yellow => named("#e5e510"),
        Color::Blue => named("#2472c8"),
        Color::Magenta => named("#bc3fbc"),
        Color::Cyan => named("#11a8cd"),
        Color::Gray => named("#b0b0b0"),
        Color::DarkGray => named("#666666"),
        Color::LightRed => named("#f14c4c"),
        Color::LightGreen => named("#23d18b"),
        Color::LightYellow => named("#f5f543"),
        Color::LightBlue => named("#3b8eea"),
        Color::LightMagenta => named("#d670d6"),
        Color::LightCyan => named("#29b8db"),
        Color::White => named("#e5e5e5"),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => {
            let (r, g, b) = crate::ui::theme::indexed_rgb(i);
            format!("#{r:02x}{g:02x}{b:02x}")
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The whole buffer as a standalone SVG document.
pub fn render(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n",
        w as f32 * CELL_W,
        h as f32 * CELL_H
    );
    for y in 0..h {
        // Backgrounds as runs of equal colour.
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let bg = if cell.modifier.contains(Modifier::REVERSED) {
                cell.fg
            } else {
                cell.bg
            };
            let start = x;
            while x < w {
                let c = &buf[(x, y)];
                let b = if c.modifier.contains(Modifier::REVERSED) {
                    c.fg
                } else {
                    c.bg
                };
                if b != bg {
                    break;
                }
                x += 1;
            }
            if bg != Color::Reset {
                out.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{CELL_H}\" fill=\"{}\"/>\n",
                    start as f32 * CELL_W,
                    y as f32 * CELL_H,
                    (x - start) as f32 * CELL_W,
                    hex(bg, BG)
                ));
            }
        }
        // Text, one element per cell run of equal style; each glyph placed
        // on its cell so wide symbols cannot shift the columns.
        for x in 0..w {
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let fg = if cell.modifier.contains(Modifier::REVERSED) {
                cell.bg
            } else {
                cell.fg
            };
            let bold = if cell.modifier.contains(Modifier::BOLD) {
                " font-weight=\"bold\""
            } else {
                ""
            };
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\"{bold}>{}</text>\n",
                x as f32 * CELL_W,
                y as f32 * CELL_H + 13.0,
                hex(fg, FG),
                esc(sym)
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}
