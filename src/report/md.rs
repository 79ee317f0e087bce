//! Markdown that reads as text both raw and rendered: untrusted text is
//! escaped with backslashes (never HTML entities), ids go in code spans,
//! numbers get thousands separators, times and durations one format.

use crate::model::Time;

/// Untrusted text on one line: Markdown's active characters escaped with
/// a backslash, newlines folded. `_` is escaped only where it could open
/// emphasis (not inside a word like `auto_send`), so the raw text stays
/// readable.
pub fn text(s: &str) -> String {
    escape(&decode_entities(s), true)
}

/// HTML character references a platform (or a person pasting from a web
/// page) put in text: decoded, as often as they were applied, so
/// `R&amp;amp;D` reads `R&D` — a report is text, never markup.
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut cur = s.to_string();
    // Each pass undoes one level of escaping; a few levels is plenty.
    for _ in 0..4 {
        let next = decode_once(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    std::borrow::Cow::Owned(cur)
}

fn decode_once(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        o.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail[1..]
            .char_indices()
            .take(10)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
            .filter(|(_, c)| *c == ';')
            .map(|(j, _)| j + 1);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let n = name.strip_prefix('#')?;
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| !crate::sanitize::is_forbidden(*c))
                }
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                o.push(c);
                rest = &tail[len..];
            }
            None => {
                o.push('&');
                rest = &tail[1..];
            }
        }
    }
    o.push_str(rest);
    o
}

/// Free text from a platform or a person: escaped as [`text`], with every
/// word that names something (shaped like an id, a path, a target, or one
/// of the incident's `known` names) in a code span.
pub fn prose(s: &str, known: &std::collections::BTreeSet<String>) -> String {
    let s: &str = &decode_entities(s);
    // Runs of the characters names are made of; each run that names
    // something becomes a code span, the rest stays text.
    let is_name_char = |c: char| c.is_alphanumeric() || "_.:/-@=".contains(c);
    let named = |w: &str| {
        !w.is_empty() && (super::plain::shaped_like_an_id(w) || known.contains(&w.to_lowercase()))
    };
    let mut o = String::with_capacity(s.len() + 16);
    let mut gap_from = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !is_name_char(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !is_name_char(d) {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let core = s[i..end].trim_end_matches(['.', ':', '-', '=']);
        // `auto_send=true` is one name; in `segment=all-customers` only
        // the value is.
        let parts: Vec<(usize, &str)> = if named(core) || !core.contains('=') {
            vec![(i, core)]
        } else {
            core.split('=')
                .scan(i, |at, p| {
                    let here = *at;
                    *at += p.len() + 1;
                    Some((here, p))
                })
                .collect()
        };
        for (at, part) in parts {
            let part = part.trim_end_matches(['.', ':', '-']);
            if named(part) {
                o.push_str(&escape(&s[gap_from..at], gap_from == 0));
                o.push_str(&code(part));
                gap_from = at + part.len();
            }
        }
    }
    o.push_str(&escape(&s[gap_from..], gap_from == 0));
    o
}

/// A document with each bullet said once: a `- ` line the same as one
/// before it is dropped, or, with `count`, folded into the first with how
/// many times it came (" (×2)").
pub fn once(text: &str, count: bool) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut first: std::collections::HashMap<&str, usize> = Default::default();
    let mut times = vec![1usize; lines.len()];
    let mut keep = vec![true; lines.len()];
    for (i, l) in lines.iter().enumerate() {
        let key = l.trim_end();
        if !key.starts_with("- ") {
            continue;
        }
        match first.get(key) {
            Some(&j) => {
                keep[i] = false;
                times[j] += 1;
            }
            None => {
                first.insert(key, i);
            }
        }
    }
    let mut o = String::with_capacity(text.len());
    for (i, l) in lines.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        if count && times[i] > 1 {
            let body = l.trim_end_matches('\n');
            o.push_str(&format!("{body} (×{})", times[i]));
            if l.ends_with('\n') {
                o.push('\n');
            }
        } else {
            o.push_str(l);
        }
    }
    o
}

/// A short duration as the console shows it: "9 ms", "0.4 s", "12.0 s".
pub fn secs(x: f64) -> String {
    if x < 0.1 {
        format!("{:.0} ms", x * 1000.0)
    } else {
        format!("{x:.1} s")
    }
}

fn escape(s: &str, line_start: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\n' | '\r' => o.push(' '),
            '\\' | '`' | '*' | '<' | '[' | ']' | '|' => {
                o.push('\\');
                o.push(c);
            }
            // What still reads as a character reference (`&hellip;`)
            // stays text: a renderer would turn it into something else.
            '&' if looks_like_reference(&chars[i + 1..]) => o.push_str("\\&"),
            '_' => {
                let inner = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if !inner {
                    o.push('\\');
                }
                o.push('_');
            }
            // Only at the start of a line do these begin a block.
            '#' | '>' | '-' | '+' if line_start && o.trim().is_empty() => {
                o.push('\\');
                o.push(c);
            }
            c => o.push(c),
        }
    }
    o
}

/// `name;`, `#123;` or `#x1F;` after an `&`.
fn looks_like_reference(after: &[char]) -> bool {
    let body: Vec<&char> = after
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .collect();
    !body.is_empty() && after.get(body.len()) == Some(&';')
}

/// An id, target or path in a code span, whatever backticks it holds.
/// Its text is literal wherever it stands (a pipe is escaped only in a
/// table row: [`row`]).
pub fn code(s: &str) -> String {
    let s = decode_entities(s).replace(['\n', '\r'], " ");
    let mut run = 0;
    let mut longest = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space inside.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A table row of Markdown cells. In a table a pipe ends the cell even
/// inside a code span, so every pipe not already escaped gets a
/// backslash (GFM takes `\|` out of a code span before reading it).
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| cell(c.as_ref())).collect();
    format!("| {} |", cells.join(" | "))
}

/// One cell's Markdown with its pipes escaped: in a code span every pipe
/// (its backslashes are literal there), elsewhere those a backslash does
/// not already escape.
fn cell(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                o.push('\\');
                o.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let n = chars[i..].iter().take_while(|c| **c == '`').count();
                // The closing fence: the next run of exactly n backticks.
                let mut j = i + n;
                let close = loop {
                    if j >= chars.len() {
                        break None;
                    }
                    if chars[j] == '`' {
                        let m = chars[j..].iter().take_while(|c| **c == '`').count();
                        if m == n {
                            break Some(j);
                        }
                        j += m;
                    } else {
                        j += 1;
                    }
                };
                match close {
                    Some(j) => {
                        for &c in &chars[i..j + n] {
                            if c == '|' {
                                o.push('\\');
                            }
                            o.push(c);
                        }
                        i = j + n;
                    }
                    None => {
                        o.extend(&chars[i..i + n]);
                        i += n;
                    }
                }
            }
            '|' => {
                o.push_str("\\|");
                i += 1;
            }
            '\n' | '\r' => {
                o.push(' ');
                i += 1;
            }
            c => {
                o.push(c);
                i += 1;
            }
        }
    }
    o
}

/// Several ids as code spans: `a`, `b`, `c`.
pub fn codes<S: AsRef<str>>(ids: &[S]) -> String {
    ids.iter()
        .map(|i| code(i.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// 48112 → "48,112".
pub fn num(n: u64) -> String {
    let s = n.to_string();
    let mut o = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    o
}

/// US dollars, whole when whole: "$41,280", "$12.50".
pub fn usd(x: f64) -> String {
    let cents = (x * 100.0).round() as u64;
    if cents.is_multiple_of(100) {
        format!("${}", num(cents / 100))
    } else {
        format!("${}.{:02}", num(cents / 100), cents % 100)
    }
}

/// "1 message", "3 messages".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", num(n), if n == 1 { one } else { many })
}

/// Full UTC time for tables and headers.
pub fn when(t: Time) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Clock time for timelines (the date is in the heading).
pub fn clock(t: Time) -> String {
    t.format("%H:%M:%S").to_string()
}

/// A duration a reader takes in at once: "45 s", "3 min 20 s", "2 h 5 min".
pub fn dur(d: chrono::TimeDelta) -> String {
    let neg = d < chrono::TimeDelta::zero();
    let s = d.num_seconds().abs();
    let ms = d.num_milliseconds().abs();
    let body = match s {
        0..10 => format!("{:.1} s", ms as f64 / 1000.0),
        10..60 => format!("{s} s"),
        60..3600 if s % 60 == 0 => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ if s % 3600 / 60 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    };
    if neg { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_with_backslashes_not_entities() {
        assert_eq!(
            text("billing.db SELECT orders > $500"),
            "billing.db SELECT orders > $500"
        );
        assert_eq!(text("<script>"), "\\<script>");
        assert_eq!(text("a | b"), "a \\| b");
        assert_eq!(text("auto_send=true"), "auto_send=true");
        assert_eq!(text("_x_ *y*"), "\\_x\\_ \\*y\\*");
        assert_eq!(text("# not a heading"), "\\# not a heading");
        assert_eq!(text("a\nb"), "a b");
        assert!(!text("<&>").contains("&lt;"));
    }

    #[test]
    fn prose_puts_names_in_code_spans() {
        let known: std::collections::BTreeSet<String> = ["all-customers".to_string()].into();
        for (raw, md) in [
            ("run run_e509 is stopped.", "run `run_e509` is stopped."),
            (
                "Sent 'x' to segment all-customers (batch)",
                "Sent 'x' to segment `all-customers` (batch)",
            ),
            ("Fix 'recieve' in README.md", "Fix 'recieve' in `README.md`"),
            (
                "unless auto_send=true (auto_send=true set)",
                "unless `auto_send=true` (`auto_send=true` set)",
            ),
            ("12 Old Road -> 98 New", "12 Old Road -> 98 New"),
            (
                "email.send(segment=all-customers, id=cust_5521)",
                "`email.send`(segment=`all-customers`, `id=cust_5521`)",
            ),
            ("- a <b>", "\\- a \\<b>"),
        ] {
            assert_eq!(prose(raw, &known), md, "{raw}");
        }
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("run_1"), "`run_1`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        // Outside a table a code span is literal: no backslash before
        // its pipe; in a table row every pipe is escaped, once.
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(
            row(&[code("a|b"), text("x | y"), code("c\\|d")]),
            "| `a\\|b` | x \\| y | `c\\\\|d` |"
        );
        assert_eq!(
            row(&["``a`|b``", "\\`not|code"]),
            "| ``a`\\|b`` | \\`not\\|code |"
        );
    }

    #[test]
    fn entities_are_read_as_the_text_they_stand_for() {
        // Escaped once, twice, numerically: the character itself.
        assert_eq!(text("R&amp;D"), "R&D");
        assert_eq!(text("R&amp;amp;D &#38; Q&#x26;A"), "R&D & Q&A");
        assert_eq!(text("&lt;b&gt;"), "\\<b>");
        assert_eq!(code("segment:R&amp;D"), "`segment:R&D`");
        // A reference left (one not decoded) is escaped, so it stays text.
        assert_eq!(text("wait&hellip; AT&T"), "wait\\&hellip; AT&T");
        let known = std::collections::BTreeSet::new();
        assert_eq!(prose("R&amp;amp;D in run_1", &known), "R&D in `run_1`");
        // A control character by number is not let in.
        assert_eq!(text("a&#27;b"), "a\\&#27;b");
    }

    #[test]
    fn each_bullet_once() {
        let t = "# A\n\n- x\n- y\n- x\n\ntext\ntext\n- x\n";
        assert_eq!(once(t, false), "# A\n\n- x\n- y\n\ntext\ntext\n");
        assert_eq!(once(t, true), "# A\n\n- x (×3)\n- y\n\ntext\ntext\n");
    }

    #[test]
    fn numbers_money_and_durations() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(48112), "48,112");
        assert_eq!(num(1234567), "1,234,567");
        assert_eq!(usd(41280.0), "$41,280");
        assert_eq!(usd(12.5), "$12.50");
        assert_eq!(dur(chrono::TimeDelta::seconds(45)), "45 s");
        assert_eq!(dur(chrono::TimeDelta::milliseconds(900)), "0.9 s");
        assert_eq!(secs(0.009), "9 ms");
        assert_eq!(secs(0.42), "0.4 s");
        assert_eq!(dur(chrono::TimeDelta::seconds(200)), "3 min 20 s");
        assert_eq!(dur(chrono::TimeDelta::seconds(7500)), "2 h 5 min");
        assert_eq!(dur(chrono::TimeDelta::seconds(-5)), "-5.0 s");
    }
}
