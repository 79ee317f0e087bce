//! `:` command palette: the containment actions by name, with completion
//! over run ids, workflows, agent classes and tools, and a history.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::model::{ActionKind, Target};

/// The builtin themes `:theme` completes (a file path works too).
pub const THEMES: [&str; 4] = ["dark", "light", "high-contrast", "colorblind"];

/// Palette verbs and the action each takes.
pub const VERBS: &[(&str, ActionKind, &str)] = &[
    ("stop", ActionKind::StopRun, "RUN"),
    ("rollback", ActionKind::RollbackRun, "RUN"),
    ("terminate", ActionKind::TerminateRun, "RUN"),
    ("pause", ActionKind::PauseWorkflow, "WORKFLOW"),
    ("resume", ActionKind::ResumeWorkflow, "WORKFLOW"),
    ("hold", ActionKind::HoldQueue, "[WORKFLOW]"),
    ("release", ActionKind::ReleaseQueue, "[WORKFLOW]"),
    ("revoke-tool", ActionKind::RevokeTool, "AGENT_CLASS TOOL"),
    ("restore-tool", ActionKind::RestoreTool, "AGENT_CLASS TOOL"),
    (
        "revoke-credential",
        ActionKind::RevokeCredential,
        "CREDENTIAL",
    ),
    ("block-outbound", ActionKind::BlockOutbound, "[AGENT_CLASS]"),
    (
        "unblock-outbound",
        ActionKind::UnblockOutbound,
        "[AGENT_CLASS]",
    ),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    pub text: String,
    /// Position in history while browsing with ↑/↓.
    pub hist: Option<usize>,
    pub error: Option<String>,
}

impl App {
    pub(super) fn on_palette_key(&mut self, k: KeyEvent, mut p: Palette, fx: &mut Vec<Effect>) {
        match k.code {
            KeyCode::Esc => return self.mode = Mode::Normal,
            KeyCode::Enter => {
                let line = p.text.trim().to_string();
                if line.is_empty() {
                    return self.mode = Mode::Normal;
                }
                if self.history.last() != Some(&line) {
                    self.history.push(line.clone());
                }
                self.mode = Mode::Normal;
                if let Err(e) = self.run_command(&line, fx) {
                    p.error = Some(e);
                    self.mode = Mode::Palette(p);
                }
                return;
            }
            KeyCode::Tab => {
                p.text = self.complete(&p.text);
                p.error = None;
            }
            KeyCode::Up => {
                let i = p
                    .hist
                    .map(|i| i.saturating_sub(1))
                    .unwrap_or(self.history.len().saturating_sub(1));
                if let Some(h) = self.history.get(i) {
                    p.text = h.clone();
                    p.hist = Some(i);
                }
            }
            KeyCode::Down => {
                if let Some(i) = p.hist {
                    match self.history.get(i + 1) {
                        Some(h) => {
                            p.text = h.clone();
                            p.hist = Some(i + 1);
                        }
                        None => {
                            p.text.clear();
                            p.hist = None;
                        }
                    }
                }
            }
            KeyCode::Backspace => {
                p.text.pop();
                p.error = None;
            }
            KeyCode::Char(c)
                if !k.modifiers.contains(KeyModifiers::CONTROL) && p.text.chars().count() < 200 =>
            {
                p.text.push(c);
                p.error = None;
            }
            _ => {}
        }
        self.mode = Mode::Palette(p);
    }

    /// Candidates for the word being typed.
    pub fn candidates(&self, text: &str) -> Vec<String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        // Any whitespace ends a word (a typed no-break space left no word
        // to complete, and `words.len() - 1` underflowed).
        let starting_new = text.ends_with(char::is_whitespace) || words.is_empty();
        let (done, partial) = if starting_new {
            (words.len(), "")
        } else {
            (words.len() - 1, words[words.len() - 1])
        };
        let mut pool: Vec<String> = if done == 0 {
            let mut v: Vec<String> = VERBS.iter().map(|(v, _, _)| v.to_string()).collect();
            v.extend(
                [
                    "quit", "help", "title", "status", "sev", "role", "detected", "cadence",
                    "export", "sent", "theme",
                ]
                .map(String::from),
            );
            v
        } else {
            let arg = VERBS
                .iter()
                .find(|(v, _, _)| *v == words[0])
                .map(|(_, _, a)| *a)
                .unwrap_or("");
            if matches!(words[0], "export" | "sent") && done == 1 {
                let mut t: Vec<String> = crate::report::KINDS
                    .iter()
                    .filter(|k| words[0] == "export" || crate::report::audience(k).is_some())
                    .map(|k| k.to_string())
                    .collect();
                t.retain(|c| c.starts_with(partial));
                return t;
            }
            if words[0] == "theme" && done == 1 {
                let mut t: Vec<String> = THEMES.iter().map(|b| b.to_string()).collect();
                t.retain(|c| c.starts_with(partial));
                return t;
            }
            let runs = &self.store.runs;
            let uniq = |mut v: Vec<String>| {
                v.sort();
                v.dedup();
                v
            };
            match (arg, done) {
                ("RUN", 1) => runs
                    .iter()
                    .filter(|r| r.state.is_active())
                    .map(|r| r.id.to_string())
                    .collect(),
                ("WORKFLOW", 1) | ("[WORKFLOW]", 1) => {
                    uniq(runs.iter().map(|r| r.workflow.to_string()).collect())
                }
                ("AGENT_CLASS TOOL", 1) | ("[AGENT_CLASS]", 1) => {
                    uniq(runs.iter().map(|r| r.agent_class.to_string()).collect())
                }
                ("AGENT_CLASS TOOL", 2) => uniq(
                    runs.iter()
                        .filter(|r| r.agent_class == words[1])
                        .flat_map(|r| r.tools.iter().map(|t| t.to_string()))
                        .collect(),
                ),
                ("CREDENTIAL", 1) => uniq(
                    runs.iter()
                        .flat_map(|r| r.credentials.iter().map(|c| c.to_string()))
                        .chain(self.store.credentials.values().flatten().cloned())
                        .collect(),
                ),
                _ => Vec::new(),
            }
        };
        pool.retain(|c| c.starts_with(partial));
        pool
    }

    /// Complete the word being typed to the longest common prefix.
    fn complete(&self, text: &str) -> String {
        let c = self.candidates(text);
        let Some(first) = c.first() else {
            return text.to_string();
        };
        let mut common = first.clone();
        for x in &c[1..] {
            while !x.starts_with(&common) {
                common.pop();
            }
        }
        let base = match text.rfind(' ') {
            Some(i) if !text.ends_with(' ') => &text[..=i],
            _ if text.ends_with(' ') || text.is_empty() => text,
            _ => "",
        };
        let mut out = format!("{base}{common}");
        if c.len() == 1 {
            out.push(' ');
        }
        out
    }

    /// Which source a workflow, class, tool or credential lives on: the
    /// source with a run that has it; the only source if there is one.
    fn source_for(&self, pred: impl Fn(&crate::model::Run) -> bool) -> Result<String, String> {
        let mut hits: Vec<&str> = self
            .store
            .runs
            .iter()
            .filter(|r| pred(r))
            .map(|r| r.source.as_str())
            .collect();
        hits.sort();
        hits.dedup();
        match hits.as_slice() {
            [one] => Ok(one.to_string()),
            [] if self.sources.len() == 1 => Ok(self.sources[0].name.clone()),
            [] => Err("no run shows that name; add @SOURCE to say which platform".into()),
            _ => Err(format!(
                "that name is on several sources ({}); add @SOURCE",
                hits.join(", ")
            )),
        }
    }

    /// Incident record commands: title, status, sev, role, detected,
    /// cadence, export (opens the preview), sent.
    fn record_command(
        &mut self,
        verb: &str,
        args: &[&str],
        fx: &mut Vec<Effect>,
    ) -> Result<(), String> {
        use crate::journal::IncidentChange;
        use crate::model::incident::{Role, Severity, Status};
        if self.viewer() {
            return Err("a watcher or replay cannot change the incident record".into());
        }
        if self.read_only && !matches!(verb, "export" | "sent") {
            return Err("read-only: the incident record cannot be changed here".into());
        }
        let rest = args.join(" ");
        let change = match verb {
            "title" if !rest.is_empty() => IncidentChange::Title {
                title: crate::sanitize::line(&rest, 200),
            },
            "status" => {
                let s = args
                    .first()
                    .and_then(|s| Status::parse(s))
                    .ok_or("usage: status investigating|contained|monitoring|resolved")?;
                IncidentChange::Status { status: s }
            }
            "sev" => {
                let n = args
                    .first()
                    .and_then(|s| {
                        s.to_ascii_lowercase()
                            .trim_start_matches("sev")
                            .parse()
                            .ok()
                    })
                    .and_then(Severity::new);
                let sev = n.ok_or("usage: sev 1-5 REASON")?;
                let reason = args[1..].join(" ");
                if reason.trim().is_empty() {
                    return Err(
                        "a severity needs a reason: sev 2 users received the wrong email".into(),
                    );
                }
                IncidentChange::Severity {
                    severity: sev,
                    suggested: self.triage().suggested,
                    reason: crate::sanitize::line(&reason, 300),
                }
            }
            "role" => {
                let role = args
                    .first()
                    .and_then(|r| Role::parse(r))
                    .ok_or("usage: role commander|scribe|comms|responder PERSON")?;
                let person = args[1..].join(" ");
                if person.is_empty() {
                    return Err("usage: role commander|scribe|comms|responder PERSON".into());
                }
                IncidentChange::Role {
                    role,
                    person: crate::sanitize::line(&person, 100),
                }
            }
            "detected" => {
                let t = args
                    .first()
                    .ok_or("usage: detected HH:MM[:SS] (UTC, today) or an RFC 3339 time")?;
                let at = crate::model::time::typed(t, self.now)
                    .ok_or("usage: detected HH:MM[:SS] (UTC, today) or an RFC 3339 time")?;
                IncidentChange::Detected { detected: at }
            }
            "cadence" => {
                let m: u32 = args
                    .first()
                    .and_then(|m| m.parse().ok())
                    .filter(|m| (1..=1440).contains(m))
                    .ok_or("usage: cadence MINUTES (1-1440)")?;
                IncidentChange::Cadence { minutes: m }
            }
            "export" => {
                let usage = "usage: export [status|internal|postmortem|evidence]";
                match args {
                    [] => self.open_export("status", fx),
                    [k] if crate::report::KINDS.contains(k) => self.open_export(k, fx),
                    _ => return Err(usage.into()),
                }
                return Ok(());
            }
            "sent" => {
                return match args {
                    [k] => self.mark_sent(k, fx),
                    _ => Err("usage: sent status|internal (after exporting it)".into()),
                };
            }
            _ => return Err(format!("usage: {verb} TEXT")),
        };
        // Say what was recorded: a command that answers nothing reads as
        // one that did nothing.
        self.flash = Some(format!(
            "recorded: {}",
            super::incident::change_line(&change)
        ));
        self.change(change, fx);
        Ok(())
    }

    pub fn run_command(&mut self, line: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
        let mut words: Vec<&str> = line.trim_start_matches(':').split_whitespace().collect();
        let at_source = words
            .iter()
            .position(|w| w.starts_with('@'))
            .map(|i| words.remove(i)[1..].to_string());
        let Some(verb) = words.first().copied() else {
            return Ok(());
        };
        match verb {
            "q" | "quit" => {
                self.request_quit(fx);
                return Ok(());
            }
            "help" => {
                self.mode = Mode::Help;
                return Ok(());
            }
            "theme" => {
                let name = words
                    .get(1)
                    .ok_or("usage: theme dark|light|high-contrast|colorblind|PATH")?;
                // Loaded (a file, perhaps) by the loop that draws with it;
                // one that does not load comes back as `Msg::ThemeFailed`.
                fx.push(Effect::Theme(name.to_string()));
                self.dirty = true;
                return Ok(());
            }
            "title" | "status" | "sev" | "role" | "detected" | "cadence" | "export" | "sent" => {
                return self.record_command(verb, &words[1..], fx);
            }
            _ => {}
        }
        let Some(&(_, kind, usage)) = VERBS.iter().find(|(v, _, _)| *v == verb) else {
            return Err(format!(
                "unknown command '{verb}'; Tab completes, :help lists keys"
            ));
        };
        if self.read_only {
            return Err("read-only: actions are refused (started with --read-only)".into());
        }
        let args = &words[1..];
        let want = |n: usize| -> Result<(), String> {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!("usage: {verb} {usage}"))
            }
        };
        let src = |this: &Self, p: &dyn Fn(&crate::model::Run) -> bool| match &at_source {
            Some(s) => Ok(s.clone()),
            None => this.source_for(p),
        };
        let (source, target) = match usage {
            "RUN" => {
                want(1)?;
                let id = args[0].to_string();
                let s = src(self, &|r| r.id == id)?;
                (s, Target::run(id))
            }
            "WORKFLOW" | "[WORKFLOW]" => {
                if usage == "WORKFLOW" {
                    want(1)?;
                } else if args.len() > 1 {
                    return Err(format!("usage: {verb} {usage}"));
                }
                let w = args.first().map(|w| w.to_string());
                let s = src(self, &|r| w.as_deref().is_none_or(|w| r.workflow == w))?;
                (s, Target::workflow(w))
            }
            "AGENT_CLASS TOOL" => {
                want(2)?;
                let (c, t) = (args[0].to_string(), args[1].to_string());
                let s = src(self, &|r| r.agent_class == c)?;
                (s, Target::tool(c, t))
            }
            "CREDENTIAL" => {
                want(1)?;
                let c = args[0].to_string();
                // A revocation target that listed the key (openai-admin) owns it.
                let lister = self
                    .store
                    .credentials
                    .iter()
                    .find(|(_, v)| v.contains(&c))
                    .map(|(s, _)| s.clone());
                let s = match (&at_source, lister) {
                    (None, Some(l)) => l,
                    _ => src(self, &|r| r.credentials.iter().any(|x| *x == c))?,
                };
                (s, Target::credential(c))
            }
            _ => {
                if args.len() > 1 {
                    return Err(format!("usage: {verb} {usage}"));
                }
                let c = args.first().map(|c| c.to_string());
                let s = src(self, &|r| c.as_deref().is_none_or(|c| r.agent_class == c))?;
                (s, Target::agent_class(c))
            }
        };
        self.propose(kind, vec![(source, target)], fx);
        if let Some(f) = self.flash.clone()
            && !matches!(self.mode, Mode::Confirm(_))
        {
            self.flash = None;
            return Err(f);
        }
        Ok(())
    }
}
