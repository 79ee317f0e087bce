//! Text as cells on a terminal. Terminals do not agree on how wide some
//! characters are: one draws an emoji ZWJ sequence (👩‍💻) in two cells,
//! another (tmux, xterm, vt100) in four; flags, skin tones, VS16 emoji and
//! tag sequences likewise. A string measured one way and drawn another
//! shifts every column after it, leaves stray glyphs across panes and half
//! characters where a dialog was. So text is measured and cut by grapheme
//! cluster and display width (unicode-segmentation + unicode-width), and
//! every frame is settled ([`settle`]) before it is sent: each cell then
//! holds only characters whose width every terminal agrees on (a cluster's
//! width is the sum of its characters'), in exactly the cells ratatui
//! measured for it.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Width in cells as a terminal that measures char by char draws it
/// (wcwidth: tmux, xterm, vt100).
pub fn char_width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Width in cells, by grapheme cluster (as ratatui lays text out).
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// The longest prefix of whole grapheme clusters that fits in `cells`.
/// Cut before handing a long string to a widget: it would otherwise cost
/// its whole length in grapheme work, and a cut inside a cluster leaves a
/// dangling joiner or mark.
pub fn fit(s: &str, cells: usize) -> &str {
    if s.is_ascii() {
        return &s[..s.len().min(cells)];
    }
    let mut w = 0;
    for (i, g) in s.grapheme_indices(true) {
        w += g.width();
        if w > cells {
            return &s[..i];
        }
    }
    s
}

/// Exactly `cells` wide: cut by [`fit`], then padded with spaces (a
/// column that holds a wide id stays the width it was given).
pub fn pad(s: &str, cells: usize) -> String {
    let cut = fit(s, cells);
    let mut out = String::with_capacity(cut.len() + cells);
    out.push_str(cut);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(width(cut))));
    out
}

/// Chars that change how wide the cluster around them is drawn,
/// differently from terminal to terminal: the zero-width joiner, variation
/// selectors, skin-tone modifiers, tag characters; and chars drawn by some
/// terminals and not others (soft hyphen, zero-width spaces, BOM, halfwidth
/// sound marks).
fn dropped(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}'
        | '\u{e0000}'..='\u{e007f}' | '\u{e0100}'..='\u{e01ef}' | '\u{180b}'..='\u{180f}'
        // Halfwidth (semi-)voiced sound marks: zero-width to unicode-width,
        // one cell to ratatui and most terminals, either to vt100.
        | '\u{ff9e}' | '\u{ff9f}')
}

/// Chars [`safe`] changes.
fn special(c: char) -> bool {
    dropped(c) || matches!(c, '\u{1f1e6}'..='\u{1f1ff}' | '\u{2028}' | '\u{2029}')
}

/// A cluster (or any text) with only chars every terminal draws the same
/// width: the chars above dropped, a regional indicator (half a flag) as
/// its letter, line and paragraph separators as spaces.
pub fn safe(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter(|&c| !dropped(c))
            .map(|c| match c {
                '\u{1f1e6}'..='\u{1f1ff}' => {
                    char::from_u32('A' as u32 + (c as u32 - 0x1f1e6)).unwrap_or('?')
                }
                '\u{2028}' | '\u{2029}' => ' ',
                c => c,
            })
            .collect(),
    )
}

/// A cell's symbol as it will be drawn in the `cells` cells ratatui
/// measured for it, as pieces of one cell each or two (a char and the
/// zero-width marks on it): made [`safe`], then laid out char by char as a
/// char-measuring terminal would, cut to fit (a ZWJ family measured as one
/// wide cluster keeps its first member). `None`: already settled.
fn pieces(sym: &str, cells: usize) -> Option<Vec<(String, usize)>> {
    let t = safe(sym);
    let lead_mark = t.chars().next().is_some_and(|c| c.width() == Some(0));
    // One char that takes cells (and marks on it) per cell, as a char-
    // measuring terminal stores it: a run of jamo measured as one cluster
    // is split.
    let bases = t.chars().filter(|c| c.width() != Some(0)).count();
    if matches!(t, Cow::Borrowed(_)) && char_width(sym) == cells && !lead_mark && bases == 1 {
        return None;
    }
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut w = 0;
    for c in t.chars() {
        let cw = c.width().unwrap_or(0);
        if cw == 0 {
            match out.last_mut() {
                Some(last) => last.0.push(c),
                // A mark with nothing to sit on: on the dotted circle.
                None if w < cells => {
                    out.push((format!("\u{25cc}{c}"), 1));
                    w += 1;
                }
                None => {}
            }
            continue;
        }
        if w + cw > cells {
            break;
        }
        out.push((c.to_string(), cw));
        w += cw;
    }
    // Narrower than measured: the rest is blank.
    out.extend(std::iter::repeat_n((" ".to_string(), 1), cells - w));
    Some(out)
}

/// Settle a finished frame for the terminal: every cell's symbol becomes
/// one whose width all terminals agree on, in the cells ratatui measured
/// for it; a wide character whose second half was drawn over (an overlay
/// beside it) becomes a space, so no half-glyph covers the overlay's edge
/// and nothing is left behind when it closes.
pub fn settle(buf: &mut Buffer) {
    let w = buf.area.width as usize;
    if w == 0 {
        return;
    }
    for row in buf.content.chunks_mut(w) {
        settle_row(row);
    }
}

fn settle_row(row: &mut [ratatui::buffer::Cell]) {
    let mut x = 0;
    while x < row.len() {
        let sym = row[x].symbol();
        if sym.len() == 1 {
            x += 1;
            continue;
        }
        // The common cells: ASCII, and one narrow char every terminal
        // agrees on (borders, symbols, accented letters).
        let mut chars = sym.chars();
        let one_narrow = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                c.is_ascii()
                    // Box drawing, blocks, shapes: every border cell.
                    || ('\u{2500}'..='\u{25ff}').contains(&c)
                    || (c.width() == Some(1) && !special(c))
            }
            _ => false,
        };
        if one_narrow {
            x += 1;
            continue;
        }
        let cells = sym.width().max(1).min(row.len() - x);
        // The cells a wide symbol covers must be blank: anything drawn
        // there would be hidden by it (or, on a terminal that disagrees,
        // pushed right).
        if cells > 1 && row[x + 1..x + cells].iter().any(|c| c.symbol() != " ") {
            row[x].set_symbol(" ");
            x += 1;
            continue;
        }
        if let Some(pieces) = pieces(sym, cells) {
            let mut cx = x;
            for (p, pw) in pieces {
                row[cx].set_symbol(&p);
                cx += pw;
            }
        }
        x += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_and_cut_by_cluster() {
        assert_eq!(width("数据"), 4);
        assert_eq!(fit("数据x", 3), "数");
        assert_eq!(fit("e\u{301}\u{301}x", 1), "e\u{301}\u{301}");
        assert_eq!(pad("数据", 5), "数据 ");
        assert_eq!(width(&pad("👩\u{200d}💻abc", 3)), 3);
        assert_eq!(fit("abc", 2), "ab");
    }

    #[test]
    fn safe_symbols_are_as_wide_char_by_char_as_by_cluster() {
        for s in [
            "👩\u{200d}💻",
            "🇺🇸",
            "👍🏽",
            "❤\u{fe0f}",
            "1\u{fe0f}\u{20e3}",
            "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",
            "e\u{301}",
            "ᄀᄀᄀ",
            "\u{301}",
            "a\u{200c}",
        ] {
            for g in s.graphemes(true) {
                let cells = g.width().max(1);
                let p = pieces(g, cells).unwrap_or_else(|| vec![(g.to_string(), cells)]);
                assert_eq!(
                    p.iter().map(|x| x.1).sum::<usize>(),
                    cells,
                    "{g:?} -> {p:?}"
                );
                for (t, w) in p {
                    assert_eq!(char_width(&t), w, "{g:?} -> {t:?}");
                    assert_eq!(t.width(), w, "{g:?} -> {t:?}");
                }
            }
        }
        assert_eq!(safe("🇺🇸"), "US");
        assert_eq!(safe("a\u{2028}b"), "a b");
    }
}
