//! Keymap overrides from the config (`[keys] stop = "s"`): the console's
//! single-character bindings by name, remapped in front of `update`, with
//! clashes refused at start and the help drawn from the live map.

use std::collections::HashMap;

/// Name → default key, for the bindings a config may move.
pub const BINDINGS: &[(&str, char)] = &[
    ("stop", 'x'),
    ("rollback", 'X'),
    ("terminate", 'K'),
    ("pause", 'P'),
    ("hold", 'h'),
    ("hold_all", 'H'),
    ("revoke_tool", 't'),
    ("revoke_credential", 'c'),
    ("block", 'b'),
    ("block_all", 'B'),
    ("undo", 'u'),
    ("pin", 'p'),
    ("export", 'E'),
    ("zoom", 'z'),
    ("palette", ':'),
    ("filter", '/'),
    ("help", '?'),
    ("quit", 'q'),
    ("sort", 's'),
    ("reverse", 'S'),
    ("active", 'a'),
    ("scope", 'v'),
    ("follow", 'f'),
    ("mark", ' '),
];

/// Keys no binding may take (movement and pane numbers).
const FIXED: &str = "jkgG12345";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    /// Pressed key → the default key it stands for (`'\0'`: unbound).
    pub remap: HashMap<char, char>,
    /// Default key → the key the user presses for it.
    pub label: HashMap<char, char>,
}

impl Keymap {
    /// Build from `[keys]` entries; `Err` says which clash or name is wrong.
    pub fn from_config(entries: &[(String, String)]) -> Result<Keymap, String> {
        let mut chosen: HashMap<&str, char> = BINDINGS.iter().map(|(n, c)| (*n, *c)).collect();
        for (name, key) in entries {
            let Some((n, _)) = BINDINGS.iter().find(|(n, _)| n == name) else {
                let names: Vec<&str> = BINDINGS.iter().map(|b| b.0).collect();
                return Err(format!(
                    "keys: unknown binding '{name}' (known: {})",
                    names.join(", ")
                ));
            };
            let mut chars = key.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(format!("keys: {name} = \"{key}\" must be one character"));
            };
            if FIXED.contains(c) {
                return Err(format!(
                    "keys: {name} cannot take '{c}' (movement and pane keys are fixed)"
                ));
            }
            chosen.insert(n, c);
        }
        let mut by_key: HashMap<char, &str> = HashMap::new();
        for (n, c) in &chosen {
            if let Some(other) = by_key.insert(*c, n) {
                let (a, b) = if other < *n { (other, *n) } else { (*n, other) };
                return Err(format!("keys: '{a}' and '{b}' both use '{c}'"));
            }
        }
        let mut map = Keymap::default();
        for (n, default) in BINDINGS {
            let c = chosen[n];
            if c != *default {
                map.remap.insert(c, *default);
                map.label.insert(*default, c);
                // The old key is free unless another binding took it.
                map.remap.entry(*default).or_insert('\0');
            }
        }
        Ok(map)
    }

    /// The key to handle for a pressed key (`None`: not bound).
    pub fn translate(&self, c: char) -> Option<char> {
        match self.remap.get(&c) {
            Some('\0') => None,
            Some(d) => Some(*d),
            None => Some(c),
        }
    }

    /// Help text with the live keys: each single-character token that is a
    /// moved default shows the key that now does it.
    pub fn show(&self, keys: &str) -> String {
        keys.split(' ')
            .map(|t| {
                let mut cs = t.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => self
                        .label
                        .get(&c)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| t.to_string()),
                    _ => t.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn km(pairs: &[(&str, &str)]) -> Result<Keymap, String> {
        Keymap::from_config(
            &pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn swap_and_move() {
        // Swap stop and sort.
        let m = km(&[("stop", "s"), ("sort", "x")]).unwrap();
        assert_eq!(m.translate('s'), Some('x'));
        assert_eq!(m.translate('x'), Some('s'));
        assert_eq!(m.show("x"), "s");
        // Move stop to 'Z' (free): 'x' is now unbound.
        let m = km(&[("stop", "Z")]).unwrap();
        assert_eq!(m.translate('Z'), Some('x'));
        assert_eq!(m.translate('x'), None);
        assert_eq!(m.translate('j'), Some('j'));
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
}
