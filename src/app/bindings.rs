//! The live bindings: the command table (`keymap.rs`) with the keys the
//! config moved (`[keys] stop = "s"`), clashes refused at start. Lookup,
//! help's key column and the keys custom actions may not take all come
//! from here.

use super::keymap::{At, Cmd, Key, LINES, Layout, Line};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    /// Commands the config moved, and their new key.
    moved: Vec<(Cmd, char)>,
}

/// What a pressed key does where it was pressed.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub cmd: Cmd,
    pub line: &'static Line,
    /// The table's own key for it (what a pane's handler knows).
    pub default: Key,
}

/// Every bind of the table with the line it is on.
fn binds() -> impl Iterator<Item = (&'static Line, Key, Cmd)> {
    LINES
        .iter()
        .flat_map(|l| l.binds.iter().map(move |(k, c)| (l, *k, *c)))
}

/// The names a config may move, in table order.
fn names() -> Vec<&'static str> {
    let mut v: Vec<&str> = Vec::new();
    for (_, k, c) in binds() {
        if let (Key::Char(_), Some(n)) = (k, c.name())
            && !v.contains(&n)
        {
            v.push(n);
        }
    }
    v
}

impl Keymap {
    /// Build from `[keys]` entries; `Err` says which clash or name is wrong.
    pub fn from_config(entries: &[(String, String)]) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        for (name, key) in entries {
            let Some(cmd) = binds()
                .map(|(_, _, c)| c)
                .find(|c| c.name() == Some(name.as_str()))
            else {
                return Err(format!(
                    "keys: unknown binding '{name}' (known: {})",
                    names().join(", ")
                ));
            };
            let mut chars = key.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(format!("keys: {name} = \"{key}\" must be one character"));
            };
            let fixed =
                binds().any(|(l, k, f)| l.at != 0 && f.name().is_none() && k == Key::Char(c));
            if fixed {
                return Err(format!(
                    "keys: {name} cannot take '{c}' (movement and pane keys are fixed)"
                ));
            }
            map.moved.retain(|(m, _)| *m != cmd);
            map.moved.push((cmd, c));
        }
        map.clash().map_or(Ok(map), Err)
    }

    /// Two commands on one key where both act.
    fn clash(&self) -> Option<String> {
        let all: Vec<_> = binds().collect();
        for (i, (l1, k1, c1)) in all.iter().enumerate() {
            for (l2, k2, c2) in &all[i + 1..] {
                let key = self.live(*k1, *c1);
                if c1 != c2 && l1.at & l2.at != 0 && key == self.live(*k2, *c2) {
                    let mut n = [c1.name().unwrap_or("?"), c2.name().unwrap_or("?")];
                    n.sort();
                    return Some(format!(
                        "keys: '{}' and '{}' both use '{}'",
                        n[0],
                        n[1],
                        key.label()
                    ));
                }
            }
        }
        None
    }

    /// The key that does `cmd` now for the table's `key`.
    pub fn live(&self, key: Key, cmd: Cmd) -> Key {
        match (key, self.moved.iter().find(|(m, _)| *m == cmd)) {
            (Key::Char(_), Some((_, c))) => Key::Char(*c),
            _ => key,
        }
    }

    /// What `key` does at `at`. Ctrl keys act everywhere.
    pub fn find(&self, at: At, key: Key) -> Option<Bound> {
        binds()
            .find(|(l, k, c)| {
                (l.at & at != 0 || matches!(key, Key::Ctrl(_) if l.at != 0))
                    && self.live(*k, *c) == key
            })
            .map(|(line, default, cmd)| Bound { cmd, line, default })
    }

    /// Help's key column for a line, with the live keys.
    pub fn keys(&self, line: &Line) -> String {
        let labels: Vec<String> = line
            .binds
            .iter()
            .map(|(k, c)| self.live(*k, *c).label())
            .collect();
        match line.layout {
            Layout::Slash => labels.join(" / "),
            Layout::Spaced => labels.join(" "),
            Layout::Halves => {
                let (a, b) = labels.split_at(labels.len() / 2);
                format!("{} / {}", a.join(" "), b.join(" "))
            }
        }
    }

    /// A key cordon binds, or bound before the config moved it: a custom
    /// action may not take it.
    pub fn takes(&self, c: char) -> bool {
        binds().any(|(_, k, cmd)| k == Key::Char(c) || self.live(k, cmd) == Key::Char(c))
    }
}

#[cfg(test)]
mod tests {
    use super::super::keymap::{NOTES, RUNS, TIMELINE};
    use super::*;
    use crate::model::ActionKind;

    fn km(pairs: &[(&str, &str)]) -> Result<Keymap, String> {
        Keymap::from_config(
            &pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    fn cmd(m: &Keymap, at: At, c: char) -> Option<Cmd> {
        m.find(at, Key::Char(c)).map(|b| b.cmd)
    }

    #[test]
    fn swap_and_move() {
        let stop = Cmd::Act(ActionKind::StopRun, super::super::contain::On::Run);
        // Swap stop and sort.
        let m = km(&[("stop", "s"), ("sort", "x")]).unwrap();
        assert_eq!(cmd(&m, RUNS, 's'), Some(stop));
        assert_eq!(cmd(&m, RUNS, 'x'), Some(Cmd::Sort));
        let line = LINES.iter().find(|l| l.binds[0].1 == stop).unwrap();
        assert_eq!(m.keys(line), "s");
        // Move stop to 'Z' (free): 'x' is now unbound.
        let m = km(&[("stop", "Z")]).unwrap();
        assert_eq!(cmd(&m, TIMELINE, 'Z'), Some(stop));
        assert_eq!(cmd(&m, TIMELINE, 'x'), None);
        assert_eq!(cmd(&m, RUNS, 'j'), Some(Cmd::Down));
        // Where stop does not act, its new key is another command's.
        let m = km(&[("stop", "t")]);
        assert!(
            m.unwrap_err()
                .contains("'revoke_tool' and 'stop' both use 't'")
        );
        let m = km(&[("stop", "i")]).unwrap();
        assert_eq!(cmd(&m, NOTES, 'i'), Some(Cmd::Write));
        assert_eq!(cmd(&m, RUNS, 'i'), Some(stop));
    }

    #[test]
    fn clashes_and_bad_entries_are_refused() {
        assert_eq!(
            km(&[("stop", "s")]).unwrap_err(),
            "keys: 'sort' and 'stop' both use 's'"
        );
        assert!(km(&[("stop", "j")]).unwrap_err().contains("fixed"));
        assert!(
            km(&[("nuke", "n")])
                .unwrap_err()
                .contains("unknown binding 'nuke'")
        );
        assert!(km(&[("stop", "xx")]).unwrap_err().contains("one character"));
    }

    #[test]
    fn the_table_has_no_clash() {
        assert_eq!(Keymap::default().clash(), None);
    }
}
