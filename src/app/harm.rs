//! Harm per run, from the store's per-run aggregates: what left the
//! system, what cannot be undone, how many people and how much money it
//! reached where the event data says so. One place folds an event into the
//! aggregate and one turns the aggregate into a harm, so a later tool
//! classification (outbound / money / data write / user-facing) plugs in
//! here and every view (the HARM column, the harm sort, the first
//! selection) follows.

use super::store::{RunAgg, is_outbound};
use crate::model::classify::{Class, Classes};
use crate::model::{Event, EventKind};

/// Fold one of a run's events into its aggregate (as events arrive, so
/// nothing rescans the feed). `c` is what the classification rules make of
/// it (nothing for platforms that say what their events do themselves).
pub fn fold(a: &mut RunAgg, e: &Event, c: Classes) {
    let bump = |x: &mut u32, yes: bool| *x = x.saturating_add(yes as u32);
    let world = e.kind.is_world_change();
    let out = is_outbound(e, c);
    let money = c.has(Class::Money);
    bump(&mut a.writes, world || c.has(Class::DataWrite) || money);
    bump(&mut a.tool_calls, e.kind == EventKind::ToolCall);
    bump(&mut a.errors, e.kind == EventKind::Error);
    bump(&mut a.retries, e.kind == EventKind::Retry);
    bump(
        &mut a.external,
        out || matches!(e.kind, EventKind::MessageSent | EventKind::ExternalAction),
    );
    let irreversible = world && e.irreversible();
    // Outbound is harm whatever the kind: a platform that reports an
    // agent's email tool call (LangGraph) as a `tool_call`, not a
    // `message_sent`, is still sending; so is money moving.
    a.harmful |= irreversible || out || money;
    bump(&mut a.outbound, out);
    bump(&mut a.irreversible, irreversible);
    a.money |= money;
    // Only what reached the world carries recipients or money; reading
    // `data` is skipped for everything else (most events).
    if world || out || money {
        if let Some(n) = e.data.get_u64("recipients") {
            a.recipients = a.recipients.saturating_add(n.min(MAX_COUNT));
        }
        if let Some(usd) = e
            .data
            .get_u64("amount_usd")
            .or_else(|| e.data.get_u64("amount"))
        {
            a.money = true;
            a.amount_usd = a.amount_usd.saturating_add(usd.min(MAX_COUNT));
        }
    }
}

/// A platform's absurd counters stay absurd but finite.
const MAX_COUNT: u64 = 1_000_000_000_000;

/// What a run did to the world, as the HARM column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Harm {
    pub outbound: u32,
    pub irreversible: u32,
    /// People reached, where the events say (`data.recipients`).
    pub recipients: u64,
    /// Money moved, where the events say (`data.amount_usd`/`amount`).
    pub money: bool,
    pub amount_usd: u64,
    /// Writes of any kind (files, rows, messages, external actions).
    pub writes: u32,
}

/// The harm of run `ri` as the store holds it.
pub fn of_run(store: &super::Store, ri: usize) -> Harm {
    store.run_agg.get(ri).map(harm).unwrap_or_default()
}

/// The harm of one run's aggregate.
pub fn harm(a: &RunAgg) -> Harm {
    Harm {
        outbound: a.outbound,
        irreversible: a.irreversible,
        recipients: a.recipients,
        money: a.money,
        amount_usd: a.amount_usd,
        writes: a.writes,
    }
}

impl Harm {
    pub fn is_none(&self) -> bool {
        *self == Harm::default()
    }

    /// Severe: it reached people or money, or cannot be undone.
    pub fn severe(&self) -> bool {
        self.irreversible > 0 || self.recipients > 0 || self.money
    }

    /// Sort key, most harmful greatest: irreversible harm to people or
    /// money first, then how far it reached (people, and money at a
    /// hundred dollars to a person: a stated weight, not a finding), then
    /// irreversible changes, anything that left the system, plain writes.
    pub fn rank(&self) -> (bool, u64, u32, u32, u32) {
        let reach = self
            .recipients
            .saturating_add(self.amount_usd / 100)
            .saturating_add(self.money as u64);
        (
            self.irreversible > 0 && (reach > 0 || self.outbound > 0),
            reach,
            self.irreversible,
            self.outbound,
            self.writes,
        )
    }

    /// `✉4000 !2 $41k`: recipients (or `↗N` outbound events when no count
    /// is known), irreversible changes, money (with the amount if known),
    /// `✎N` for plain writes; `-` when nothing reached the world.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.recipients > 0 {
            parts.push(format!("✉{}", compact(self.recipients)));
        } else if self.outbound > 0 {
            parts.push(format!("↗{}", compact(self.outbound as u64)));
        }
        if self.irreversible > 0 {
            parts.push(format!("!{}", compact(self.irreversible as u64)));
        }
        if self.money {
            parts.push(if self.amount_usd > 0 {
                format!("${}", compact(self.amount_usd))
            } else {
                "$".into()
            });
        }
        if parts.is_empty() && self.writes > 0 {
            parts.push(format!("✎{}", compact(self.writes as u64)));
        }
        if parts.is_empty() {
            "-".into()
        } else {
            parts.join(" ")
        }
    }
}

/// 950, 4000, 48k, 1.2M: at most five columns.
pub fn compact(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..1_000_000 => format!("{}k", n / 1000),
        1_000_000..10_000_000 => format!("{:.1}M", n as f64 / 1e6),
        10_000_000..1_000_000_000 => format!("{}M", n / 1_000_000),
        _ => format!("{}G", n / 1_000_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(v: serde_json::Value) -> Event {
        Event::from_wire_value(&v, chrono::Utc::now()).unwrap()
    }

    #[test]
    fn an_aggregate_reads_recipients_and_money_from_the_events() {
        let mut a = RunAgg::default();
        let send = serde_json::json!({"kind":"message_sent","outbound":true,"reversible":false,
            "data":{"recipients":2000}});
        for (id, v) in [
            ("e1", send.clone()),
            ("e2", send),
            (
                "e3",
                serde_json::json!({"kind":"db_write","reversible":false,
                    "data":{"amount_usd":41280}}),
            ),
            // A tool call's data is not read for harm.
            (
                "e4",
                serde_json::json!({"kind":"tool_call","data":{"recipients":99}}),
            ),
        ] {
            let mut v = v;
            v["id"] = id.into();
            v["run_id"] = "r".into();
            v["at"] = "2026-11-24T10:00:00Z".into();
            fold(&mut a, &ev(v), Classes::default());
        }
        let h = harm(&a);
        assert_eq!(h.recipients, 4000);
        assert_eq!(h.irreversible, 3);
        assert_eq!(h.outbound, 2);
        assert!(h.money);
        assert_eq!(h.label(), "✉4000 !3 $41k");
    }

    #[test]
    fn labels_say_what_is_known_and_nothing_more() {
        assert_eq!(Harm::default().label(), "-");
        let out = Harm {
            outbound: 3,
            ..Harm::default()
        };
        assert_eq!(out.label(), "↗3");
        let writes = Harm {
            writes: 12,
            ..Harm::default()
        };
        assert_eq!(writes.label(), "✎12");
        assert!(out.rank() > writes.rank());
        let people = Harm {
            outbound: 1,
            irreversible: 1,
            recipients: 48_112,
            ..Harm::default()
        };
        assert_eq!(people.label(), "✉48k !1");
        assert!(people.rank() > out.rank());
        assert_eq!(compact(1_234_567), "1.2M");
    }
}
