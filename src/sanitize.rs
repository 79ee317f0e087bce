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
    clean(s, max, true).into_owned()
}

/// Clean a single-line field: like [`text`] but newlines become spaces.
pub fn line(s: &str, max: usize) -> String {
    clean(s, max, false).into_owned()
}

/// [`line`], borrowing when there is nothing to clean (the common case on
/// ingest: no allocation at all for a short id).
pub fn line_cow(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    clean(s, max, false)
}

/// [`text`], borrowing when there is nothing to clean.
pub fn text_cow(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    clean(s, max, true)
}

fn clean(s: &str, max: usize, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    // Most platform text is short printable ASCII: nothing to strip or
    // fold, and byte length bounds the char count, so it is kept as it is.
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return std::borrow::Cow::Borrowed(s);
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
            return (cut + TRUNCATED).into();
        }
    }
    out.into()
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

/// Deepest nesting of arrays and objects kept in platform JSON.
pub const MAX_DEPTH: usize = 16;
/// Most items kept in one platform JSON array or object.
pub const MAX_ITEMS: usize = 256;

/// Platform JSON text that [`json`] would leave as it is, compacted; `None`
/// when it needs the full cleaner. Short enough that no string or
/// container can be over its cap, printable ASCII with no escapes (so no
/// control or bidi character can hide in it), nested no deeper than the
/// cap, no string longer than a key may be. Most `data` objects are like this, and the check is one pass over
/// the bytes instead of building and walking a tree.
pub fn json_text_if_clean(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    // An array of MAX_ITEMS + 1 values needs at least 2 * MAX_ITEMS + 1
    // bytes; a string's chars are at most its bytes.
    if raw.len() > 2 * MAX_ITEMS || raw.len() > MAX_TEXT {
        return None;
    }
    let mut out = String::with_capacity(raw.len());
    // Keys are capped shorter than values: keep every string within both.
    let (mut in_str, mut depth, mut len) = (false, 0usize, 0usize);
    for b in raw.bytes() {
        match b {
            b'\\' => return None,
            b'"' => {
                in_str = !in_str;
                len = 0;
            }
            _ if in_str => {
                len += 1;
                if !(0x20..0x7f).contains(&b) || len > MAX_SHORT {
                    return None;
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            0x21..0x7f => {}
            _ => return None,
        }
        out.push(b as char);
    }
    Some(if out.len() == raw.len() {
        raw.into()
    } else {
        out.into()
    })
}

/// Clean every string inside a JSON value in place, capping depth, string
/// length and the number of items kept, so a hostile payload cannot grow
/// without bound downstream.
pub fn json(v: &mut serde_json::Value, depth: usize) {
    use serde_json::Value;
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

    /// Whenever the one-pass check says JSON text is clean, the full
    /// cleaner leaves its value unchanged; and it does say so for the
    /// common small object.
    #[test]
    fn clean_json_text_agrees_with_the_full_cleaner() {
        fn random_value(rng: &mut fastrand::Rng, depth: usize) -> serde_json::Value {
            use serde_json::Value;
            match rng.usize(0..if depth > 18 { 3 } else { 6 }) {
                0 => Value::from(rng.u32(..)),
                1 => {
                    let long = rng.u8(..) < 8;
                    let len = rng.usize(0..if long { 300 } else { 12 });
                    // Mostly printable ASCII; sometimes a quote, a backslash,
                    // a control char or a bidi override.
                    Value::from(
                        (0..len)
                            .map(|_| match rng.u8(..) {
                                0 => '"',
                                1 => '\\',
                                2 => '\u{1b}',
                                3 => '\u{202e}',
                                _ => rng.u8(0x20..0x7f) as char,
                            })
                            .collect::<String>(),
                    )
                }
                2 => Value::Bool(rng.bool()),
                3 => (0..rng.usize(0..4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
                _ => (0..rng.usize(0..4))
                    .map(|i| (format!("k{i}"), random_value(rng, depth + 1)))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
            }
        }
        let mut rng = fastrand::Rng::with_seed(11);
        let mut fast = 0;
        for _ in 0..20_000 {
            let v = random_value(&mut rng, 0);
            let raw = if rng.bool() {
                serde_json::to_string(&v).unwrap()
            } else {
                serde_json::to_string_pretty(&v).unwrap()
            };
            let mut cleaned = v.clone();
            json(&mut cleaned, 0);
            if let Some(t) = json_text_if_clean(&raw) {
                fast += 1;
                assert!(!t.contains(char::is_whitespace) || t.contains('"'), "{t}");
                let got: serde_json::Value = serde_json::from_str(&t).unwrap();
                assert_eq!(got, cleaned, "{raw}");
                assert_eq!(got, v, "{raw}");
            }
        }
        assert!(fast > 2_000, "the fast path is taken: {fast}");
        assert_eq!(
            json_text_if_clean("{\"recipients\": 48112, \"template\": \"refund approved\"}")
                .as_deref(),
            Some("{\"recipients\":48112,\"template\":\"refund approved\"}")
        );
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
