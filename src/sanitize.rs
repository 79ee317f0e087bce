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
    // fold, and byte length bounds the char count, so it is kept as it is
    // (unless it may hold a URL's userinfo, or a known secret).
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'@') {
        return crate::secret::redact_cow(s);
    }
    let out = cut_and_clean(s, max, keep_newlines);
    let out = match strip_userinfo(&out) {
        std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
        std::borrow::Cow::Borrowed(_) => out,
    };
    match crate::secret::redact_cow(&out) {
        std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
        std::borrow::Cow::Borrowed(_) => out,
    }
}

fn cut_and_clean(s: &str, max: usize, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max.saturating_add(16)));
    let mut chars = s.chars().peekable();
    let mut n = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // 8-bit CSI / OSC / DCS / SOS / PM / APC introducers.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep_newlines => push(&mut out, '\n', &mut n),
            // Line and paragraph separators: some terminals move the
            // cursor on them, others draw nothing; either shifts a pane.
            '\u{2028}' | '\u{2029}' if keep_newlines => push(&mut out, '\n', &mut n),
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => {
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

/// A document on its way out (postmortem, status update, evidence JSON):
/// cleaned again as a whole, without a length cap, keeping newlines. An
/// export trusts nothing, not even the journal it was rebuilt from: a
/// re-chained journal can hold an escape, an old one a secret.
pub fn export(s: &str) -> std::borrow::Cow<'_, str> {
    clean(s, usize::MAX, true)
}

/// Where a URL's userinfo carries a password (`https://user:pw@host`),
/// the password is replaced; the user name is kept.
pub fn strip_userinfo(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("://") || !s.contains('@') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| "/?#\"'<> \n\t".contains(c))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":[redacted]");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if out == s {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(out)
    }
}

/// Longest id kept whole (in its visible spelling); a longer one is cut
/// and ends in a hash of the whole, so two long ids never merge.
pub const MAX_ID: usize = MAX_SHORT;
/// Opens every spelled-out char: `⟨U+200B⟩`.
const OPEN: char = '\u{27e8}';
const CLOSE: char = '\u{27e9}';

/// Chars an id shows spelled out: they draw nothing, look like another
/// char, or are our own escape marks.
fn spelled(c: char) -> bool {
    use unicode_width::UnicodeWidthChar;
    is_forbidden(c)
        || ('\u{80}'..='\u{9f}').contains(&c)
        || (c.is_whitespace() && c != ' ')
        || c.width() == Some(0)
        || matches!(
            c,
            '\u{ad}' | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2800}' | '\u{180e}'
        )
        || ('\u{2400}'..='\u{2426}').contains(&c)
        || c == OPEN
        || c == CLOSE
        || ('\u{e0000}'..='\u{e0fff}').contains(&c)
        || ('\u{fe00}'..='\u{fe0f}').contains(&c)
        // Drawn differently from terminal to terminal (the screen shows a
        // flag's letters, drops a skin tone): spelled, so no two ids look
        // alike once drawn.
        || ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
        || ('\u{1f3fb}'..='\u{1f3ff}').contains(&c)
        || c == '\u{ff9e}'
        || c == '\u{ff9f}'
}

/// An identity from a platform (a run, event, workflow, agent class, tool
/// or credential) in a spelling that shows every char and is reversible:
/// control chars as their control pictures (`run_ok\x1b[0m` is
/// `run_ok␛[0m`), a leading or trailing space as `␠`, anything invisible
/// or confusable as `⟨U+200B⟩`. Two ids that differ stay two ids, and
/// [`id_raw`] gives the platform back exactly the id it sent. A known
/// secret inside is redacted and an over-long id cut; both then end in a
/// hash of the whole (`⟨#1a2b3c4d5e⟩`) and cannot be sent back.
pub fn id(s: &str) -> std::borrow::Cow<'_, str> {
    let plain = s.len() <= MAX_ID
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && s.bytes().all(|b| (0x20..0x7f).contains(&b));
    let spelled_out: std::borrow::Cow<str> = if plain {
        std::borrow::Cow::Borrowed(s)
    } else {
        let last = s.chars().count().saturating_sub(1);
        let mut out = String::with_capacity(s.len() + 8);
        for (i, c) in s.chars().enumerate() {
            match c {
                '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
                '\u{7f}' => out.push('\u{2421}'),
                ' ' if i == 0 || i == last => out.push('\u{2420}'),
                c if spelled(c) => {
                    use std::fmt::Write;
                    let _ = write!(out, "{OPEN}U+{:04X}{CLOSE}", c as u32);
                }
                c => out.push(c),
            }
        }
        std::borrow::Cow::Owned(out)
    };
    let redacted = crate::secret::redact_cow(&spelled_out);
    let over = !plain && spelled_out.chars().count() > MAX_ID;
    if !over && matches!(redacted, std::borrow::Cow::Borrowed(_)) {
        return match spelled_out {
            std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(s),
            std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
        };
    }
    // Cut (never inside a spelled-out char) and mark with a hash of the
    // whole raw id, so the cut or redacted spelling stays unique.
    let mut kept: String = redacted.chars().take(MAX_ID).collect();
    if kept.chars().count() < redacted.chars().count()
        && let Some(open) = kept.rfind(OPEN)
        && !kept[open..].contains(CLOSE)
    {
        kept.truncate(open);
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(s.as_bytes());
    let mark = if over { "…#" } else { "#" };
    std::borrow::Cow::Owned(format!(
        "{kept}{OPEN}{mark}{}{CLOSE}",
        &hex::encode(digest)[..10]
    ))
}

/// The platform's own id back from its [`id`] spelling, to send in a
/// request; `None` when the spelling was cut or redacted (it no longer
/// holds the whole id). An id typed raw (with no spelled-out char) is
/// returned as it is.
pub fn id_raw(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !s
        .chars()
        .any(|c| c == OPEN || ('\u{2400}'..='\u{2421}').contains(&c))
    {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\u{2400}'..='\u{241f}' => out.push(char::from_u32(c as u32 - 0x2400)?),
            '\u{2420}' => out.push(' '),
            '\u{2421}' => out.push('\u{7f}'),
            OPEN => {
                let inner: String = chars.by_ref().take_while(|&c| c != CLOSE).collect();
                let hex = inner.strip_prefix("U+")?;
                out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
            }
            c => out.push(c),
        }
    }
    Some(std::borrow::Cow::Owned(out))
}

/// Marks left where platform JSON held a number JSON cannot carry.
pub const NOT_A_NUMBER: &str = "[not a number]";
pub const OUT_OF_RANGE: &str = "[number out of range]";

/// Platform JSON that serde refuses only because of its numbers: `NaN`,
/// `Infinity`, `-Infinity` (Python's `json` writes them by default) or a
/// number beyond f64 (`1e400`). Each such token, outside strings, becomes a
/// string saying what it was (`"NaN [not a number]"`), so one bad value
/// costs that value, not the page it came in. `None`: nothing to repair.
pub fn repair_json(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::new();
    let (mut i, mut copied) = (0usize, 0usize);
    let mut replace = |out: &mut String, from: usize, to: usize, mark: &str| {
        out.push_str(&text[copied..from]);
        let token: String = text[from..to].chars().take(40).collect();
        out.push_str(&serde_json::Value::String(format!("{token} {mark}")).to_string());
        copied = to;
    };
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            b'N' if text[i..].starts_with("NaN") => {
                replace(&mut out, i, i + 3, NOT_A_NUMBER);
                i += 3;
            }
            b'I' if text[i..].starts_with("Infinity") => {
                replace(&mut out, i, i + 8, OUT_OF_RANGE);
                i += 8;
            }
            b'-' | b'+' if text[i + 1..].starts_with("Infinity") => {
                replace(&mut out, i, i + 9, OUT_OF_RANGE);
                i += 9;
            }
            b'-' | b'0'..=b'9' => {
                let end = i + b[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                    .unwrap_or(b.len() - i);
                match text[i..end].parse::<f64>() {
                    Ok(f) if f.is_finite() => {}
                    Ok(_) => replace(&mut out, i, end, OUT_OF_RANGE),
                    Err(_) => replace(&mut out, i, end, NOT_A_NUMBER),
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
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
    if crate::secret::any() && crate::secret::contains(raw) {
        return None;
    }
    let mut out = String::with_capacity(raw.len());
    // Keys are capped shorter than values: keep every string within both.
    let (mut in_str, mut depth, mut len) = (false, 0usize, 0usize);
    // A number with an exponent or many digits may be beyond f64: the
    // tree path marks it, this one would keep it as JSON no reader takes.
    let mut num = 0usize;
    for b in raw.bytes() {
        if !in_str {
            match b {
                b'0'..=b'9' | b'-' | b'+' | b'.' => num += 1,
                b'e' | b'E' if num > 0 => return None,
                _ => num = 0,
            }
            if num > 15 {
                return None;
            }
        }
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

    /// Ids that look alike stay apart, show every char, and come back
    /// exactly as the platform spelled them.
    #[test]
    fn ids_are_spelled_visibly_and_reversibly() {
        let ids = [
            "run_ok",
            "run_ok\u{1b}[0m",
            "run_ok\u{200b}",
            "run_ok ",
            " run_ok",
            "run_ok\u{a0}",
            "run_ok\u{2028}",
            "run_ok\u{202e}",
            "run_ok\u{7f}",
            "run_ok\u{9b}",
            "run_ok\u{301}",
            "run_ok\u{fe0f}",
            "run_ok␛[0m",
            "run_ok⟨U+200B⟩",
            "run ok",
            "数据👩\u{200d}💻",
            "run_🇯🇵",
            "run_JP",
            "👍🏽",
            "👍",
        ];
        let spelled: Vec<String> = ids.iter().map(|s| id(s).into_owned()).collect();
        assert_eq!(spelled[0], "run_ok");
        assert_eq!(spelled[1], "run_ok␛[0m");
        assert_eq!(spelled[2], "run_ok⟨U+200B⟩");
        assert_eq!(spelled[3], "run_ok␠");
        assert_eq!(spelled[14], "run ok");
        let unique: std::collections::HashSet<&String> = spelled.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{spelled:?}");
        for (raw, s) in ids.iter().zip(&spelled) {
            assert!(is_clean(s), "{s:?}");
            assert_eq!(id_raw(s).as_deref(), Some(*raw), "{s}");
        }
        // Random ids: unique in, unique out, and back again.
        let mut rng = fastrand::Rng::with_seed(3);
        let alphabet = [
            'a', ' ', '\u{1b}', '\u{200b}', '\u{2400}', '\u{241b}', '⟨', '⟩', 'U', '+', '\u{301}',
            '\u{202e}', '\u{7f}', '\u{85}', '数',
        ];
        let mut seen = std::collections::HashMap::new();
        for _ in 0..20_000 {
            let raw: String = (0..rng.usize(1..8))
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let s = id(&raw).into_owned();
            assert!(is_clean(&s), "{s:?}");
            assert_eq!(id_raw(&s).as_deref(), Some(raw.as_str()));
            if let Some(other) = seen.insert(s.clone(), raw.clone()) {
                assert_eq!(other, raw, "{s}");
            }
        }
        // Over-long ids differing only at the end stay apart, and are not
        // sent back cut.
        let a = format!("{}a", "x".repeat(400));
        let b = format!("{}b", "x".repeat(400));
        assert_ne!(id(&a), id(&b));
        assert!(id(&a).chars().count() < MAX_ID + 20);
        assert_eq!(id_raw(&id(&a)), None);
    }

    #[test]
    fn line_separators_do_not_reach_a_pane() {
        assert_eq!(line("a\u{2028}b\u{2029}c", 100), "a b c");
        assert_eq!(text("a\u{2028}b", 100), "a\nb");
    }

    #[test]
    fn url_passwords_are_stripped() {
        assert_eq!(
            strip_userinfo("see https://bob:hunter2@h.example:7300/v1?x=1 and http://h/"),
            "see https://bob:[redacted]@h.example:7300/v1?x=1 and http://h/"
        );
        assert_eq!(
            strip_userinfo("mail bob@example.com"),
            "mail bob@example.com"
        );
        assert_eq!(strip_userinfo("http://tok@h/"), "http://tok@h/");
        assert_eq!(
            line("src=aca:http://u:pw%40x@h:1", 100),
            "src=aca:http://u:[redacted]@h:1"
        );
    }

    #[test]
    fn numbers_json_cannot_carry_are_marked_in_place() {
        let fixed =
            repair_json(r#"{"a":NaN,"b":[Infinity,-Infinity],"c":1e400,"d":"NaN","e":1.5,"f":-2}"#)
                .unwrap();
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a":"NaN [not a number]","b":["Infinity [number out of range]","-Infinity [number out of range]"],
                "c":"1e400 [number out of range]","d":"NaN","e":1.5,"f":-2})
        );
        assert_eq!(repair_json(r#"{"a":"NaN \" Infinity","b":1}"#), None);
        // The one-pass check sends big exponents to the tree path.
        assert_eq!(json_text_if_clean(r#"{"x":1e400}"#), None);
        assert_eq!(json_text_if_clean(r#"{"x":12345678901234567890}"#), None);
        assert!(json_text_if_clean(r#"{"x":123,"ok":true,"no":false}"#).is_some());
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
