//! `cordon replay DIR`: play an incident's journal back, read-only, at real
//! or accelerated speed, with pause, step, jumps and "next action". The
//! screen at clock T is the app after every record journaled by T, drawn
//! with its clock at T: what the commander's screen showed then.

use crate::app::App;
use crate::journal::{Entry, Record};
use crate::model::Time;

pub struct Replay {
    pub entries: Vec<Entry>,
    /// Next entry to apply.
    pub pos: usize,
    pub clock: Time,
    pub speed: f64,
    pub paused: bool,
    pub start: Time,
    pub end: Time,
    incident: String,
    dir: String,
}

impl Replay {
    pub fn new(entries: Vec<Entry>, incident: &str, dir: &str, speed: f64) -> (Replay, App) {
        let start = entries.first().map(|e| e.ts).unwrap_or_default();
        let end = entries.last().map(|e| e.ts).unwrap_or(start);
        let r = Replay {
            entries,
            pos: 0,
            clock: start,
            speed,
            paused: false,
            start,
            end,
            incident: incident.into(),
            dir: dir.into(),
        };
        let app = r.fresh_app();
        (r, app)
    }

    fn fresh_app(&self) -> App {
        let op = self
            .entries
            .iter()
            .find_map(|e| match &e.record {
                Record::SessionStarted { operator, .. } => Some(operator.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let mut app = App::new(self.start, &self.incident, &self.dir, op);
        app.read_only = true;
        // The sources the incident watched, so the screen has their names.
        for e in &self.entries {
            if let Record::SessionStarted { sources, .. } = &e.record {
                for s in sources {
                    if let Ok(spec) = s.parse::<crate::source::SourceSpec>()
                        && !app.sources.iter().any(|x| x.name == spec.name)
                    {
                        app.add_source(&spec.name, &spec.kind, &spec.url);
                    }
                }
            }
        }
        app
    }

    /// Apply everything journaled by `t`; the app's clock becomes `t`.
    pub fn advance_to(&mut self, app: &mut App, t: Time) {
        if t < self.clock {
            *app = self.fresh_app();
            self.pos = 0;
        }
        while let Some(e) = self.entries.get(self.pos) {
            if e.ts > t {
                break;
            }
            app.now = e.ts;
            app.apply(&e.record);
            self.pos += 1;
        }
        self.clock = t;
        app.now = t;
        app.refresh();
        app.rebuild_timeline();
        app.dirty = true;
    }

    /// One record forward.
    pub fn step(&mut self, app: &mut App) {
        if let Some(t) = self.entries.get(self.pos).map(|e| e.ts) {
            self.advance_to(app, t);
        }
    }

    /// Forward to the next containment action record.
    pub fn next_action(&mut self, app: &mut App) -> bool {
        let next = self.entries[self.pos..].iter().find(|e| {
            matches!(
                e.record,
                Record::ActionIntent { .. }
                    | Record::ActionResult { .. }
                    | Record::ActionVerified { .. }
            )
        });
        match next.map(|e| e.ts) {
            Some(t) => {
                self.advance_to(app, t);
                true
            }
            None => false,
        }
    }

    pub fn done(&self) -> bool {
        self.pos >= self.entries.len()
    }

    /// The status line's replay badge.
    pub fn badge(&self) -> String {
        format!(
            "REPLAY {} ×{} {} · {}/{} records · Space pause · . step · n next action · T jump to · [ ] ∓1 min · +/- speed",
            self.clock.format("%H:%M:%S"),
            self.speed,
            if self.paused { "‖" } else { "▶" },
            self.pos,
            self.entries.len()
        )
    }
}
