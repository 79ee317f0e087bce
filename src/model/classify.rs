//! What a tool call does to the world, by rule: tool-name patterns and
//! argument shapes → outbound, money, data write, user-facing.
//!
//! Platforms rarely say what a tool does (a LangGraph `send_email` call is
//! just a `tool_call`; a Temporal activity is just a name), so triage,
//! the timeline and the inspector ask these rules instead, and say which
//! rule decided ("classified as money by rule `money tools`"). Sources
//! that see tool calls (LangGraph, Temporal, OTLP) share this one module.
//!
//! ```
//! use cordon::model::classify::{Class, Rules};
//! let rules = Rules::defaults();
//! let v = rules.classify("charge_card", Some(&serde_json::json!({"amount_cents": 4000})));
//! assert!(v.has(Class::Money));
//! assert!(v.describe().contains("by rule"));
//! ```
//!
//! Rules come from the defaults below, after any `[[classify]]` entries in
//! the TOML config (which may also turn the defaults off). Every rule that
//! matches adds its classes: a verdict is the union, with the rules named.

use serde::Deserialize;
use serde_json::Value;

/// One thing a tool call may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Data leaves the system (a message, an HTTP call to a third party).
    Outbound,
    /// Money may move (a charge, refund, invoice or ledger change).
    Money,
    /// A record, file or row is written.
    DataWrite,
    /// A person outside the team sees it (a customer, a user).
    UserFacing,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::Outbound,
        Class::Money,
        Class::DataWrite,
        Class::UserFacing,
    ];

    fn bit(self) -> u8 {
        match self {
            Class::Outbound => 1,
            Class::Money => 2,
            Class::DataWrite => 4,
            Class::UserFacing => 8,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Outbound => "outbound",
            Class::Money => "money",
            Class::DataWrite => "data_write",
            Class::UserFacing => "user_facing",
        }
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Class::Outbound => "outbound",
            Class::Money => "money",
            Class::DataWrite => "data write",
            Class::UserFacing => "user-facing",
        }
    }

    pub fn parse(s: &str) -> Option<Class> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A set of classes in one byte (kept per stored event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Classes(pub u8);

impl Classes {
    pub fn has(self, c: Class) -> bool {
        self.0 & c.bit() != 0
    }

    pub fn with(self, c: Class) -> Classes {
        Classes(self.0 | c.bit())
    }

    pub fn union(self, o: Classes) -> Classes {
        Classes(self.0 | o.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Class> {
        Class::ALL.into_iter().filter(move |c| self.has(*c))
    }

    /// `money, data write`.
    pub fn label(self) -> String {
        self.iter().map(Class::label).collect::<Vec<_>>().join(", ")
    }
}

/// One rule as the config writes it:
///
/// ```toml
/// [[classify]]
/// name  = "crm writes"
/// tools = ["crm_*", "*_record"]   # tool-name patterns (`*` any run), case-insensitive
/// args  = ["record_id"]           # and/or: any of these argument keys present
/// as    = ["data_write"]          # outbound | money | data_write | user_facing
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub name: String,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(rename = "as")]
    pub classes: Vec<String>,
}

/// A rule: it matches a call when one of its tool patterns matches the name
/// (or it has none) and one of its argument keys is present (or it has
/// none); it needs at least one of the two.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    tools: Vec<String>,
    args: Vec<String>,
    pub classes: Classes,
}

impl Rule {
    pub fn new(name: &str, tools: &[&str], args: &[&str], classes: &[Class]) -> Rule {
        Rule {
            name: name.to_string(),
            tools: tools.iter().map(|t| t.to_ascii_lowercase()).collect(),
            args: args.iter().map(|a| a.to_ascii_lowercase()).collect(),
            classes: classes.iter().fold(Classes::default(), |s, c| s.with(*c)),
        }
    }

    fn from_config(c: &RuleConfig) -> Result<Rule, String> {
        if c.tools.is_empty() && c.args.is_empty() {
            return Err(format!(
                "classify rule '{}' needs `tools` or `args` (or both)",
                c.name
            ));
        }
        let mut classes = Classes::default();
        for s in &c.classes {
            let k = Class::parse(s).ok_or_else(|| {
                format!(
                    "classify rule '{}': unknown class '{s}' (known: outbound, money, data_write, user_facing)",
                    c.name
                )
            })?;
            classes = classes.with(k);
        }
        if classes.is_empty() {
            return Err(format!("classify rule '{}' needs `as = [...]`", c.name));
        }
        let tools: Vec<&str> = c.tools.iter().map(String::as_str).collect();
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        Ok(Rule {
            classes,
            ..Rule::new(&c.name, &tools, &args, &[])
        })
    }

    fn matches(&self, tool: &str, keys: &[String]) -> bool {
        let tool_ok = self.tools.is_empty() || self.tools.iter().any(|p| glob(p, tool));
        let args_ok = self.args.is_empty() || self.args.iter().any(|a| keys.contains(a));
        tool_ok && args_ok
    }

    /// What the rule looks at, for the inspector: `tools *send* args to`.
    pub fn shape(&self) -> String {
        let mut s = Vec::new();
        if !self.tools.is_empty() {
            s.push(format!("tools {}", self.tools.join("|")));
        }
        if !self.args.is_empty() {
            s.push(format!("args {}", self.args.join("|")));
        }
        s.join(", ")
    }
}

/// `*` matches any run of characters; everything else literally. The
/// pattern is lower case; the name is compared lower-cased.
fn glob(pattern: &str, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// What the rules say about one call: the classes and the rules that gave
/// them (in rule order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub classes: Classes,
    /// (rule name, the classes it gave).
    pub by: Vec<(String, Classes)>,
}

impl Verdict {
    pub fn has(&self, c: Class) -> bool {
        self.classes.has(c)
    }

    /// `classified as money, data write by rule "money tools"; outbound by
    /// rule "send"`, or `not classified (no rule matched)`.
    pub fn describe(&self) -> String {
        if self.by.is_empty() {
            return "not classified (no rule matched)".into();
        }
        let parts: Vec<String> = self
            .by
            .iter()
            .map(|(name, c)| format!("{} by rule \"{name}\"", c.label()))
            .collect();
        format!("classified as {}", parts.join("; "))
    }
}

/// The rules in force, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::defaults()
    }
}

impl Rules {
    /// Sensible defaults for the tools agents are usually given.
    pub fn defaults() -> Rules {
        use Class::*;
        Rules {
            rules: vec![
                Rule::new(
                    "messages",
                    &[
                        "*email*",
                        "*mail_*",
                        "*sms*",
                        "*send_message*",
                        "*notify*",
                        "*slack*",
                        "*post_message*",
                        "*reply*",
                        "*tweet*",
                        "*publish*",
                    ],
                    &[],
                    &[Outbound, UserFacing],
                ),
                Rule::new(
                    "recipients",
                    &[],
                    &["to", "recipients", "recipient", "cc", "bcc", "phone"],
                    &[Outbound, UserFacing],
                ),
                Rule::new(
                    "send",
                    &["*send*", "*webhook*", "*http*", "*upload*", "*share*"],
                    &[],
                    &[Outbound],
                ),
                Rule::new(
                    "money tools",
                    &[
                        "*charge*",
                        "*refund*",
                        "*payment*",
                        "*payout*",
                        "*invoice*",
                        "*billing*",
                        "*ledger*",
                        "*transfer*",
                        "*stripe*",
                        "*credit*",
                        "*debit*",
                    ],
                    &[],
                    &[Money],
                ),
                Rule::new(
                    "money arguments",
                    &[],
                    &[
                        "amount",
                        "amount_cents",
                        "currency",
                        "price",
                        "total",
                        "iban",
                    ],
                    &[Money],
                ),
                Rule::new(
                    "writes",
                    &[
                        "*update*",
                        "*write*",
                        "*delete*",
                        "*insert*",
                        "*create*",
                        "*set_*",
                        "*save*",
                        "*upsert*",
                        "*patch*",
                        "*remove*",
                        "*charge*",
                        "*refund*",
                        "*transfer*",
                        "*edit*",
                        "*commit*",
                        "*merge*",
                    ],
                    &[],
                    &[DataWrite],
                ),
            ],
        }
    }

    /// The configured rules (first), then the defaults unless turned off.
    pub fn from_config(cfg: &[RuleConfig], defaults: bool) -> Result<Rules, String> {
        let mut rules = cfg
            .iter()
            .map(Rule::from_config)
            .collect::<Result<Vec<_>, _>>()?;
        if defaults {
            rules.extend(Rules::defaults().rules);
        }
        Ok(Rules { rules })
    }

    /// Classify a call of `tool` with these arguments (a JSON object, if
    /// known). Argument keys are read at the top level and one level down
    /// (`{"input": {"amount": 5}}`, a Temporal dataclass in a list).
    pub fn classify(&self, tool: &str, args: Option<&Value>) -> Verdict {
        let keys = arg_keys(args);
        let mut v = Verdict::default();
        for r in &self.rules {
            if r.matches(tool, &keys) {
                v.classes = v.classes.union(r.classes);
                v.by.push((r.name.clone(), r.classes));
            }
        }
        v
    }

    /// The rule named so, for the inspector.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// Lower-cased keys of an argument object, and of objects one level in.
fn arg_keys(args: Option<&Value>) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |o: &serde_json::Map<String, Value>| {
        keys.extend(o.keys().take(64).map(|k| k.to_ascii_lowercase()));
    };
    match args {
        Some(Value::Object(o)) => {
            add(o);
            for v in o.values().take(64) {
                if let Value::Object(inner) = v {
                    add(inner);
                }
            }
        }
        Some(Value::Array(a)) => {
            for v in a.iter().take(16) {
                if let Value::Object(inner) = v {
                    add(inner);
                }
            }
        }
        _ => {}
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        assert!(glob("*send*", "Send_Email"));
        assert!(glob("charge_*", "charge_card"));
        assert!(!glob("charge_*", "recharge"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
    }

    #[test]
    fn defaults_classify_what_agents_do() {
        let r = Rules::defaults();
        let v = r.classify(
            "update_invoice",
            Some(&json!({"invoice_id": "i", "amount_cents": 1})),
        );
        assert!(v.has(Class::Money) && v.has(Class::DataWrite), "{v:?}");
        let v = r.classify("charge_card", None);
        assert!(v.has(Class::Money) && v.has(Class::DataWrite));
        let v = r.classify("send_email", Some(&json!({"to": "a@b", "subject": "x"})));
        assert!(v.has(Class::Outbound) && v.has(Class::UserFacing));
        assert!(!v.has(Class::Money));
        let v = r.classify("lookup_customer", Some(&json!({"customer_id": "c1"})));
        assert!(v.classes.is_empty(), "a read is nothing: {v:?}");
        assert_eq!(v.describe(), "not classified (no rule matched)");
        // A Temporal activity's dataclass argument, one level in a list.
        let v = r.classify("do_it", Some(&json!([{"amount_cents": 4000}])));
        assert!(v.has(Class::Money));
    }

    #[test]
    fn the_verdict_names_its_rules() {
        let v = Rules::defaults().classify("send_email", None);
        assert_eq!(
            v.describe(),
            "classified as outbound, user-facing by rule \"messages\"; outbound by rule \"send\""
        );
    }

    #[test]
    fn config_rules_come_first_and_can_replace_the_defaults() {
        let cfg: Vec<RuleConfig> = toml::from_str::<toml::Table>(
            r#"
            [[classify]]
            name = "crm writes"
            tools = ["crm_*"]
            args = ["record_id"]
            as = ["data_write", "user-facing"]
            "#,
        )
        .unwrap()["classify"]
            .clone()
            .try_into()
            .unwrap();
        let r = Rules::from_config(&cfg, false).unwrap();
        assert_eq!(r.rules.len(), 1);
        let v = r.classify("CRM_update", Some(&json!({"record_id": 7})));
        assert_eq!(v.by[0].0, "crm writes");
        assert!(v.has(Class::UserFacing));
        assert!(
            r.classify("crm_update", Some(&json!({})))
                .classes
                .is_empty()
        );
        assert!(r.classify("send_email", None).classes.is_empty());
        let with = Rules::from_config(&cfg, true).unwrap();
        assert_eq!(with.rules[0].name, "crm writes");
        assert!(with.classify("send_email", None).has(Class::Outbound));
    }

    #[test]
    fn bad_rules_say_what_to_fix() {
        let bad = RuleConfig {
            name: "x".into(),
            tools: vec![],
            args: vec![],
            classes: vec!["money".into()],
        };
        assert!(
            Rules::from_config(&[bad], true)
                .unwrap_err()
                .contains("needs `tools` or `args`")
        );
        let bad = RuleConfig {
            name: "y".into(),
            tools: vec!["a".into()],
            args: vec![],
            classes: vec!["lots".into()],
        };
        assert!(
            Rules::from_config(&[bad], true)
                .unwrap_err()
                .contains("unknown class 'lots'")
        );
    }
}
