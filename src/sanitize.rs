//! The one place untrusted text is cleaned. Everything a platform sends passes
//! through here where it enters, so nothing downstream (screen, journal,
//! exports) can carry a terminal escape or a bidi override.

/// Longest single-line field kept (ids, names, states).
pub const MAX_SHORT: usize = 256;
/// Longest free-text field kept (summaries, assignments).
pub const MAX_TEXT: usize = 4096;
/// Mark appended when text was cut.
pub const TRUNCATED: &str = "…[truncated]";

/// Is this char one we never pass on? C0 (except \n and \t), DEL, C1,
/// bidi embeddings/overrides/isolates, and the BOM/zero-width no-break.
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{feff}')
}

/// Clean free text: escape sequences are removed whole (so `ESC[2J` leaves
/// nothing behind, not `[2J`), other forbidden chars dropped, tabs become a
/// space, length capped at `max` chars with a visible mark.
pub fn text(s: &str, max: usize) -> String {
    clean(s, max, true)
}

/// Clean a single-line field: like [`text`] but newlines become spaces.
pub fn line(s: &str, max: usize) -> String {
    clean(s, max, false)
}

fn clean(s: &str, max: usize, keep_newlines: bool) -> String {
    // Most platform text is short printable ASCII: nothing to strip or
    // fold, and byte length bounds the char count, so copy it as it is.
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len().min(max + 16));
    let mut chars = s.chars().peekable();
    let mut n = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // 8-bit CSI / OSC / DCS / SOS / PM / APC introducers.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep_newlines => push(&mut out, '\n', &mut n),
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    push(&mut out, ' ', &mut n)
                }
            }
            c if is_forbidden(c) => {}
            c => push(&mut out, c, &mut n),
        }
        if n > max {
            // Cut at max chars exactly, then mark.
            let cut: String = out.chars().take(max).collect();
            return cut + TRUNCATED;
        }
    }
    out
}

fn push(out: &mut String, c: char, n: &mut usize) {
    out.push(c);
    *n += 1;
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            skip_string(chars);
        }
        // Two-char escapes (ESC c, ESC 7, ESC ( B ...): drop the next char,
        // and for charset designators one more.
        Some('(') | Some(')') | Some('*') | Some('+') | Some('#') | Some('%') => {
            chars.next();
            chars.next();
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte 0x40..=0x7e.
fn skip_csi(chars: &mut Chars) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // Malformed: stop swallowing at anything outside the grammar.
            return;
        }
    }
}

/// OSC/DCS/SOS/PM/APC: everything up to BEL, ST (ESC \) or 8-bit ST. An
/// unterminated string swallows the rest of the field, which is the safe
/// reading: a terminal would have done the same.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// True when the text holds nothing a terminal would interpret.
pub fn is_clean(s: &str) -> bool {
    !s.chars()
        .any(|c| (is_forbidden(c) && c != '\n' && c != '\t') || c == '\u{1b}')
}

/// Clean every string inside a JSON value in place, capping depth, string
/// length and the number of items kept, so a hostile payload cannot grow
/// without bound downstream.
pub fn json(v: &mut serde_json::Value, depth: usize) {
    use serde_json::Value;
    const MAX_DEPTH: usize = 16;
    const MAX_ITEMS: usize = 256;
    match v {
        Value::String(s) => *s = text(s, MAX_TEXT),
        Value::Array(a) => {
            if depth >= MAX_DEPTH {
                *v = Value::String(TRUNCATED.into());
                return;
            }
            if a.len() > MAX_ITEMS {
                a.truncate(MAX_ITEMS);
                a.push(Value::String(TRUNCATED.into()));
            }
            for x in a.iter_mut() {
                json(x, depth + 1);
            }
        }
        Value::Object(m) => {
            if depth >= MAX_DEPTH {
                *v = Value::String(TRUNCATED.into());
                return;
            }
            let entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            let over = entries.len() > MAX_ITEMS;
            for (k, mut x) in entries.into_iter().take(MAX_ITEMS) {
                json(&mut x, depth + 1);
                m.insert(line(&k, MAX_SHORT), x);
            }
            if over {
                m.insert("…".into(), Value::String(TRUNCATED.into()));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_the_full_cleaner() {
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..5_000 {
            let len = rng.usize(0..40);
            let s: String = (0..len).map(|_| rng.u8(0x20..0x7f) as char).collect();
            assert_eq!(line(&s, 64), s);
            // Over the cap: the slow path, with its mark.
            assert_eq!(line(&s, 10).len() > 10, s.len() > 10);
        }
        // Just outside the fast path's bytes: tab, DEL, ESC.
        assert_eq!(line("a\tb", 64), "a b");
        assert_eq!(line("a\u{7f}b", 64), "ab");
        assert_eq!(line("a\u{1b}[2Jb", 64), "ab");
    }

    #[test]
    fn strips_csi_whole() {
        assert_eq!(line("a\x1b[2Jb\x1b[6nc", 100), "abc");
        assert_eq!(line("a\u{9b}31mb", 100), "ab");
    }

    #[test]
    fn strips_osc_and_dcs() {
        assert_eq!(line("x\x1b]52;c;aGVsbG8=\x07y", 100), "xy");
        assert_eq!(
            line("x\x1b]8;;http://e\x1b\\link\x1b]8;;\x1b\\y", 100),
            "xlinky"
        );
        assert_eq!(line("x\x1bPq#0;2;0\x1b\\y", 100), "xy");
        assert_eq!(line("x\x1b]0;title never ends", 100), "x");
    }

    #[test]
    fn strips_bidi_and_c0() {
        assert_eq!(line("ab\u{202e}cd\u{2066}e\u{7}\u{0}", 100), "abcde");
        assert!(is_clean(&line("\u{202e}\u{9b}\u{85}", 10)));
    }

    #[test]
    fn keeps_newlines_only_in_text() {
        assert_eq!(text("a\nb\r\n", 100), "a\nb \n");
        assert_eq!(line("a\nb", 100), "a b");
    }

    #[test]
    fn caps_length_with_mark() {
        let s = "é".repeat(10_000);
        let out = text(&s, 100);
        assert!(out.ends_with(TRUNCATED));
        assert_eq!(out.chars().count(), 100 + TRUNCATED.chars().count());
    }

    #[test]
    fn keeps_wide_and_zwj() {
        let s = "👩\u{200d}💻 数据";
        assert_eq!(line(s, 100), s);
    }

    #[test]
    fn json_cleaned_and_capped() {
        let mut v = serde_json::json!({"a\x1b[1m": ["\x1b]52;c;x\x07ok"], "n": 1});
        json(&mut v, 0);
        assert_eq!(v, serde_json::json!({"a": ["ok"], "n": 1}));
        let mut deep = serde_json::json!(1);
        for _ in 0..100 {
            deep = serde_json::json!([deep]);
        }
        json(&mut deep, 0);
        assert!(deep.to_string().contains("truncated"));
    }
}
