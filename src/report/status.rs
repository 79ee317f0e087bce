//! The status update for affected users (the seed: "what happened, who
//! was affected, what has been done, what remains uncertain, what users
//! should do if anything, and when an update will come"). Plain words:
//! no run ids, paths, agent classes, tool or target names. People counted
//! once per list, a range when unsure. Only verified actions are claimed,
//! and not one the run's later evidence contradicts. Uncertainty comes
//! from the evidence, missing evidence included; a reassurance or a claim
//! of something done appears only when the evidence supports it — every
//! comms note of the commander's is held to the same checks, and what is
//! left out is said in the preview, a secret never echoed.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::facts::{Facts, Gap, Outcome, Reach, is_money, personal_row, same_target, verified};
use super::{md, plain};
use crate::model::classify::Class;
use crate::model::incident::{NoteKind, Repair, Status};
use crate::model::{ActionKind, EventKind, Time};

/// Where the commander writes how users reach them.
pub const CONTACT: &str = "{{contact details: fill in before sending}}";

pub fn render(f: &Facts, now: Time, promised: Option<Time>) -> (String, Vec<String>) {
    let mut w = Writer {
        f,
        known: &f.known,
        warnings: Vec::new(),
        o: String::new(),
    };
    let (general, to_users) = w.comms();
    w.header(now);
    w.happened(&general);
    w.affected();
    w.done();
    w.unknown();
    w.should_do(&to_users);
    w.sorry();
    w.next(promised);
    let mut warnings = Vec::new();
    for x in w.warnings {
        if !warnings.contains(&x) {
            warnings.push(x);
        }
    }
    // A sentence said twice (two lists, two notes) is said once.
    (md::once(&w.o, false), warnings)
}

struct Writer<'a, 'f> {
    f: &'f Facts<'a>,
    known: &'f BTreeSet<String>,
    warnings: Vec<String>,
    o: String,
}

/// "email", "text message" or "message", from the target and tool.
fn medium(r: &Reach, f: &Facts) -> &'static str {
    let tool = f
        .harm
        .iter()
        .find(|x| x.e.id.as_str() == r.first_event)
        .and_then(|x| x.e.tool.as_deref())
        .unwrap_or("");
    let t = format!("{} {tool}", r.target).to_lowercase();
    if t.contains("mail") {
        "email"
    } else if t.contains("sms") || t.contains("text") {
        "text message"
    } else {
        "message"
    }
}

/// A clause as a key for "said already": case, spaces and the closing
/// mark do not make another sentence.
fn said_key(c: &str) -> String {
    c.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['.', '!', '?', ';'])
        .to_lowercase()
}

/// "10:00:45 UTC", with the date when it is not `day`'s.
fn clock_on(t: Time, day: Time) -> String {
    if t.date_naive() == day.date_naive() {
        t.format("%H:%M:%S UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

impl Writer<'_, '_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.o, "{s}");
    }

    /// Every comms note, in the order written, vetted: those addressed to
    /// users ("you …") for "What you should do", the others for "What
    /// happened". A sentence an earlier note said is not said again.
    fn comms(&mut self) -> (Vec<String>, Vec<String>) {
        let mut said = BTreeSet::new();
        let (mut general, mut to_users) = (Vec::new(), Vec::new());
        let incident = &self.f.app.incident;
        let notes: Vec<String> = incident
            .notes_of(NoteKind::Comms)
            .map(|n| n.text.clone())
            .collect();
        for text in notes {
            let l = format!(" {} ", text.to_lowercase());
            let users = l.contains(" you ") || l.contains(" your ");
            let what = if users {
                "your comms note to users"
            } else {
                "your comms note"
            };
            let t = self.vetted(&text, what, &mut said);
            if !t.is_empty() {
                if users { &mut to_users } else { &mut general }.push(t);
            }
        }
        (general, to_users)
    }

    /// The commander's words (or a platform's), clause by clause: what
    /// holds a secret, names internals, reassures or claims beyond the
    /// evidence or promises the impossible is left out, and the commander
    /// is told what and why (a secret never echoed). Clauses in `said`
    /// already are not repeated.
    fn vetted(&mut self, text: &str, what: &str, said: &mut BTreeSet<String>) -> String {
        let mut kept = Vec::new();
        let all = plain::clauses(text);
        let n = all.len();
        for c in all {
            if said.contains(&said_key(&c)) {
                continue;
            }
            let shown = plain::redact_secrets(&c);
            let mut why = Vec::new();
            if shown != c {
                why.push("it holds what looks like a secret".to_string());
            }
            let ids = plain::internal_words(&shown, self.known);
            if !ids.is_empty() {
                why.push(format!(
                    "it names internal identifiers ({})",
                    ids.join(", ")
                ));
            }
            if plain::overpromises(&c) {
                why.push("it promises what no one can".to_string());
            }
            if plain::reassures(&c)
                && let Some(b) = self.reassurance_blocked()
            {
                why.push(format!("it reassures beyond the evidence ({b})"));
            }
            let unsupported: Vec<&str> = plain::claims(&c)
                .into_iter()
                .filter_map(|k| self.unsupported(k))
                .collect();
            if !unsupported.is_empty() {
                why.push(format!(
                    "it claims what the evidence does not show ({})",
                    unsupported.join("; ")
                ));
            }
            if why.is_empty() {
                said.insert(said_key(&c));
                kept.push(c);
            } else {
                self.warnings.push(format!(
                    "Left out of {what}: \"{shown}\" — {}.",
                    why.join("; ")
                ));
            }
        }
        // Nothing left out: the commander's words as they wrote them.
        if kept.len() == n {
            return text.trim().to_string();
        }
        plain::sentences(&kept)
    }

    /// Why "nothing else changed" may not be said, if it may not: only
    /// when the implicated runs did nothing but send messages, none is
    /// still active, nothing of a kind cordon does not know was seen, no
    /// verified action was contradicted and the evidence is complete.
    fn reassurance_blocked(&self) -> Option<&'static str> {
        let f = self.f;
        if f.harm.is_empty() {
            Some("the journal holds no change yet to weigh it against")
        } else if !f.harm.iter().all(|x| *x.kind == EventKind::MessageSent) {
            Some("the journal holds changes beyond the messages")
        } else if !f.unknown.is_empty() {
            Some("the journal holds events of a kind cordon does not know")
        } else if !f.harmful_active.is_empty() {
            Some("a process that made changes is still running")
        } else if self.not_held() > 0 {
            Some("changes are recorded after a verified stop")
        } else if !f.complete() {
            Some("part of the evidence is missing")
        } else {
            None
        }
    }

    /// Verified actions that later changes contradict.
    fn not_held(&self) -> usize {
        let f = self.f;
        f.app
            .actions
            .iter()
            .filter(|a| f.outcome(a) == Outcome::NotHeld)
            .count()
    }

    /// Why a claim of something done is not what the evidence shows, if
    /// it is not.
    fn unsupported(&self, c: plain::Claim) -> Option<&'static str> {
        use plain::Claim;
        let f = self.f;
        let held = |k: &[ActionKind]| {
            f.app
                .actions
                .iter()
                .any(|a| k.contains(&a.req.kind) && f.contained(a))
        };
        let halted = if self.not_held() > 0 {
            Some("changes are recorded after a verified stop")
        } else if !f.harmful_active.is_empty() {
            Some("a process that made changes is still running")
        } else {
            None
        };
        match c {
            Claim::Stopped => halted.or_else(|| {
                (!held(&[
                    ActionKind::StopRun,
                    ActionKind::TerminateRun,
                    ActionKind::PauseWorkflow,
                    ActionKind::RollbackRun,
                ]))
                .then_some("no stop was verified")
            }),
            Claim::Reverted => {
                let rolled = f.app.actions.iter().any(|a| {
                    a.req.kind == ActionKind::RollbackRun
                        && f.contained(a)
                        && !f.reverted_by(a).is_empty()
                });
                let repaired = f
                    .tri
                    .changes
                    .iter()
                    .any(|c| matches!(c.repair, Repair::Reverted | Repair::Compensated));
                (!rolled && !repaired).then_some("no rollback or repair was verified")
            }
            Claim::Blocked => {
                (!held(&[ActionKind::BlockOutbound])).then_some("no block was verified")
            }
            Claim::Contained | Claim::Resolved => halted
                .or_else(|| (!f.complete()).then_some("part of the evidence is missing"))
                .or_else(|| {
                    (c == Claim::Resolved && f.app.incident.current_status() != Status::Resolved)
                        .then_some("the incident is not marked resolved")
                })
                .or_else(|| {
                    (c == Claim::Resolved && f.tri.changes.iter().any(|c| f.open_repair(c)))
                        .then_some("repairs are still open")
                }),
            Claim::Notified => (!f
                .tri
                .changes
                .iter()
                .any(|c| c.repair == Repair::FollowUpSent))
            .then_some("no follow-up to the people affected is recorded"),
        }
    }

    fn header(&mut self, now: Time) {
        let title = self.f.app.incident.title.clone();
        let shown = plain::redact_secrets(&title);
        let title = if title.is_empty() {
            "An issue with one of our automated processes".to_string()
        } else if shown != title || !plain::internal_words(&title, self.known).is_empty() {
            self.warnings.push(format!(
                "The incident title \"{shown}\" names internal identifiers; the update uses a plain title (set one with :title)."
            ));
            "An issue with one of our automated processes".to_string()
        } else {
            title
        };
        if self.f.app.drill.is_some() {
            self.warnings.push(
                "This incident is a DRILL (cordon drill): do not send this update to users.".into(),
            );
            let _ = writeln!(self.o, "# DRILL — Update: {}\n", md::text(&title));
        } else {
            let _ = writeln!(self.o, "# Update: {}\n", md::text(&title));
        }
        // What the update knows is what the journal held when it was
        // rendered: said, so a lagging journal is not taken for "now".
        let _ = writeln!(
            self.o,
            "_Posted {}, from our records as of {}_\n",
            now.format("%Y-%m-%d %H:%M UTC"),
            clock_on(self.f.as_of, now)
        );
    }

    /// "at 10:00:45 UTC, the time of our latest records".
    fn as_of(&self) -> String {
        format!(
            "at {}, the time of our latest records",
            clock_on(self.f.as_of, self.f.as_of)
        )
    }

    fn happened(&mut self, notes: &[String]) {
        let f = self.f;
        self.line("## What happened\n");
        for t in notes {
            let _ = writeln!(self.o, "{}\n", md::text(t));
        }
        if f.harm.is_empty() {
            // No change in the journal is good news only when the journal
            // holds all of it and nothing is still running.
            if self.settled() {
                self.line(
                    "One of our automated processes behaved incorrectly. So far we have found no change it made and no one outside our company it contacted. We are still checking.\n",
                );
            } else {
                let mut why = Vec::new();
                if !f.active.is_empty() {
                    why.push(format!("it was still running {}", self.as_of()));
                } else if f.running > 0 {
                    why.push(format!(
                        "our automated processes were still running {}",
                        self.as_of()
                    ));
                }
                if !f.complete() {
                    why.push("part of our records of it is missing".to_string());
                }
                let _ = writeln!(
                    self.o,
                    "One of our automated processes behaved incorrectly. We do not know yet what it did: {}.\n",
                    why.join(", and ")
                );
            }
            return;
        }
        let when = match (f.first_harm, f.last_harm) {
            (Some(first), Some(last)) => {
                let day = first.e.at.format("%-d %B %Y");
                if !f.harmful_active.is_empty() {
                    format!("starting at {} UTC on {day}", first.e.at.format("%H:%M"))
                } else if first.e.at.format("%H:%M").to_string()
                    == last.e.at.format("%H:%M").to_string()
                {
                    format!("at {} UTC on {day}", first.e.at.format("%H:%M"))
                } else {
                    format!(
                        "between {} and {} UTC on {day}",
                        first.e.at.format("%H:%M"),
                        last.e.at.format("%H:%M")
                    )
                }
            }
            // Every change is dated where it cannot be.
            _ => "at times our records do not give reliably".to_string(),
        };
        let _ = writeln!(
            self.o,
            "Automated processes that we run took actions they should not have taken, {when}:\n"
        );
        let groups: Vec<&Reach> = f.reach.iter().filter(|r| r.group).collect();
        for (i, r) in groups.iter().enumerate() {
            let subject = self.subject(r);
            let _ = writeln!(
                self.o,
                "- They sent {}{subject} to {} on {}.",
                with_article(medium(r, f)),
                r.people().words(),
                list_name(i)
            );
        }
        let individuals: Vec<&Reach> = f.reach.iter().filter(|r| !r.group).collect();
        let changed = f.records_changed.len() as u64;
        if changed > 0 {
            let _ = writeln!(
                self.o,
                "- They changed the account details of {}{}.",
                md::plural(changed, "customer", "customers"),
                if f.overwrote.is_empty() {
                    ""
                } else {
                    ", overwriting more recent details"
                }
            );
        }
        if !individuals.is_empty() {
            let m = medium(individuals[0], f);
            let _ = writeln!(
                self.o,
                "- They sent {} to {}.",
                if individuals.len() == 1 {
                    with_article(m)
                } else {
                    format!("{m}s")
                },
                md::plural(individuals.len() as u64, "customer", "customers")
            );
        }
        if !f.money.events.is_empty() {
            let line = self.money_line();
            let _ = writeln!(self.o, "- {line}");
        }
        let files: BTreeSet<&str> = f
            .files
            .iter()
            .filter_map(|x| x.e.target.as_deref())
            .collect();
        if !files.is_empty() {
            let _ = writeln!(
                self.o,
                "- They changed {} in our own software.",
                md::plural(files.len() as u64, "file", "files")
            );
        }
        let other_writes = f
            .harm
            .iter()
            .filter(|x| *x.kind == EventKind::DbWrite)
            .filter(|x| !is_money(x.target()) && personal_row(x.target()).is_none())
            .count() as u64;
        if other_writes > 0 {
            let _ = writeln!(
                self.o,
                "- They changed {} in our systems.",
                md::plural(other_writes, "other record", "other records")
            );
        }
        let other_ext = f
            .harm
            .iter()
            .filter(|x| *x.kind == EventKind::ExternalAction)
            .filter(|x| !is_money(x.target()))
            .count() as u64;
        if other_ext > 0 {
            let _ = writeln!(
                self.o,
                "- They took {} in systems outside ours.",
                md::plural(other_ext, "action", "actions")
            );
        }
        let others = self.others();
        if others > 0 {
            let _ = writeln!(
                self.o,
                "- They took {} that may have changed our records or reached people outside our company; our records do not say exactly what {} did.",
                md::plural(others, "action", "actions"),
                if others == 1 { "it" } else { "each" }
            );
        }
        self.line("");
        let mut why = Vec::new();
        if !f.overrides.is_empty() {
            why.push("A setting let an automated process skip our review step.");
        }
        if !f.before_review.is_empty() {
            why.push("Changes were made before our review of them was complete.");
        }
        if !f.broader.is_empty() {
            why.push("An automated process was able to do more than its task needed.");
        }
        if !why.is_empty() {
            self.line("What went wrong on our side, as far as we know now:\n");
            for w in why {
                let _ = writeln!(self.o, "- {w}");
            }
            self.line("");
        }
    }

    /// May finding nothing (more) be said as a finding? Only from a
    /// whole record, with the runs that did harm ended — and, when no
    /// harm is seen at all, no run running anywhere (it may be next).
    fn settled(&self) -> bool {
        let f = self.f;
        f.complete() && f.active.is_empty() && (!f.harm.is_empty() || f.running == 0)
    }

    /// Changes of no kind the update names in its own words (money is
    /// said with the money).
    fn others(&self) -> u64 {
        let f = self.f;
        f.other_changes
            .iter()
            .filter(|x| !is_money(x.target()) && !x.class.has(Class::Money))
            .count() as u64
    }

    /// ` ("Your refund is on its way")`, when the subject is plain words.
    fn subject(&mut self, r: &Reach) -> String {
        match &r.subject {
            Some(s)
                if plain::internal_words(s, self.known).is_empty()
                    && plain::secret_spans(s).is_empty() =>
            {
                format!(" (\"{}\")", md::text(s))
            }
            Some(s) => {
                self.warnings.push(format!(
                    "The message subject \"{}\" names internal identifiers and is left out.",
                    plain::redact_secrets(s)
                ));
                String::new()
            }
            None => String::new(),
        }
    }

    /// "They approved 37 refunds totalling $41,280 before our review of
    /// them was complete, and sent them on to our payment provider."
    fn money_line(&self) -> String {
        let m = &self.f.money;
        let noun = m.noun.clone().unwrap_or_else(|| "billing records".into());
        let verb = match m.status.as_deref() {
            Some(s) if s.chars().all(|c| c.is_ascii_alphabetic()) && s.len() < 20 => s.to_string(),
            _ => "recorded".into(),
        };
        let mut s = if m.rows > 0 {
            format!("They {verb} {} {noun}", md::num(m.rows))
        } else {
            format!("They changed {noun}")
        };
        if m.usd > 0.0 {
            let _ = write!(s, " totalling {}", md::usd(m.usd));
        }
        let before = self
            .f
            .before_review
            .iter()
            .any(|b| m.events.contains(&b.write));
        if before {
            s.push_str(" before our review of them was complete");
        }
        if !m.outbound.is_empty() {
            let provider = self
                .f
                .harm
                .iter()
                .filter(|x| m.outbound.iter().any(|o| o == x.e.id.as_str()))
                .any(|x| {
                    x.e.target
                        .as_deref()
                        .is_some_and(|t| t.to_lowercase().contains("pay"))
                });
            s.push_str(if provider {
                ", and sent them on to our payment provider"
            } else {
                ", and sent them on to an outside billing service"
            });
        }
        s.push('.');
        s
    }

    fn affected(&mut self) {
        let f = self.f;
        self.line("## Who is affected\n");
        let mut any = false;
        let groups: Vec<&Reach> = f.reach.iter().filter(|r| r.group).collect();
        for (i, r) in groups.iter().enumerate() {
            any = true;
            let p = r.people();
            let m = medium(r, f);
            let _ = write!(
                self.o,
                "- {} on {}, who received the {m}.",
                capitalized(&p.words()),
                list_name(i)
            );
            if p.high.is_some_and(|h| r.recipients > h) {
                let _ = write!(self.o, " Some may have received it more than once.");
            }
            self.line("");
        }
        let individuals: BTreeSet<String> = f
            .reach
            .iter()
            .filter(|r| !r.group)
            .map(|r| {
                let t = same_target(&r.target);
                t.split_once(':').map(|x| x.1.to_string()).unwrap_or(t)
            })
            .collect();
        let rows: BTreeSet<String> = f.records_changed.keys().map(|k| k.to_lowercase()).collect();
        let changed = f.records_changed.len() as u64;
        if changed > 0 {
            any = true;
            let both = rows.iter().filter(|k| individuals.contains(*k)).count() as u64;
            let _ = writeln!(
                self.o,
                "- {} whose account details were changed{}.",
                md::plural(changed, "customer", "customers"),
                match both {
                    0 => String::new(),
                    n if n == changed && n == 1 => {
                        " and who also received a message from the process".into()
                    }
                    n => format!(
                        "; {} of them also received a message from the process",
                        md::num(n)
                    ),
                }
            );
        }
        let only_messaged = individuals.iter().filter(|k| !rows.contains(*k)).count() as u64;
        if only_messaged > 0 {
            any = true;
            let _ = writeln!(
                self.o,
                "- {} who received a message from the process.",
                md::plural(only_messaged, "customer", "customers")
            );
        }
        if !f.money.events.is_empty() {
            any = true;
            let noun = f.money.noun.clone().unwrap_or_else(|| "payments".into());
            let _ = writeln!(
                self.o,
                "- Customers with one of the {}{noun} the process handled.",
                if f.money.rows > 0 {
                    format!("{} ", md::num(f.money.rows))
                } else {
                    String::new()
                }
            );
        }
        if self.others() > 0 {
            any = true;
            self.line("- Anyone the other actions reached: we do not know yet who they are.");
        }
        if !any {
            // Finding no one is news only from a whole record.
            if self.settled() {
                self.line(
                    "- So far we have found no one outside our company affected. We are still checking.",
                );
            } else {
                let _ = writeln!(
                    self.o,
                    "- We do not know yet who is affected: {}.",
                    if f.complete() {
                        format!("automated processes were still running {}", self.as_of())
                    } else {
                        "part of our records is missing".to_string()
                    }
                );
            }
        }
        self.line("");
    }

    /// What the run behind an action did, in plain words.
    fn role_of(&self, run: Option<usize>) -> &'static str {
        let f = self.f;
        let Some(ri) = run else {
            return "involved";
        };
        let mine = || f.harm.iter().filter(move |x| x.run == ri);
        if mine().any(|x| *x.kind == EventKind::MessageSent) {
            "that sent the messages"
        } else if mine().any(|x| {
            (matches!(x.kind, EventKind::DbWrite | EventKind::ExternalAction)
                && is_money(x.target()))
                || x.class.has(Class::Money)
        }) {
            "that handled the payments"
        } else if mine().any(|x| personal_row(x.target()).is_some()) {
            "that changed customer account details"
        } else if mine().any(|x| *x.kind == EventKind::FileWrite) {
            "that changed our software"
        } else if mine().next().is_some() {
            "that made the changes"
        } else {
            "involved"
        }
    }

    fn done(&mut self) {
        let f = self.f;
        self.line("## What we have done\n");
        let mut any = false;
        for a in f.app.actions.iter().filter(|a| verified(a)) {
            any = true;
            let run = a
                .req
                .target
                .run_id
                .as_deref()
                .and_then(|id| f.app.store.run_idx(&a.req.source, id));
            let role = self.role_of(run);
            let global = a.req.target.is_global();
            let what = match a.req.kind {
                ActionKind::StopRun | ActionKind::TerminateRun => {
                    format!("stopped the automated process {role}")
                }
                // A rollback proves the run is not running and which
                // writes were undone, not that it stopped the run: the
                // run may have ended before (its writes are still undone).
                ActionKind::RollbackRun => {
                    let undone = undone(&f.reverted_by(a));
                    if undone.is_empty() {
                        format!("made sure the automated process {role} is no longer running")
                    } else {
                        format!(
                            "undid {undone} made by an automated process that is no longer running"
                        )
                    }
                }
                ActionKind::PauseWorkflow => "paused the automated workflow involved".into(),
                ActionKind::ResumeWorkflow => "resumed the automated workflow".into(),
                ActionKind::HoldQueue if global => {
                    "held all queued automated work so that none of it can start".into()
                }
                ActionKind::HoldQueue => {
                    "held the queued work of the same kind so that it cannot start".into()
                }
                ActionKind::ReleaseQueue => "released the queued work we had held".into(),
                ActionKind::RevokeTool => {
                    "removed one of the automated process's permissions".into()
                }
                ActionKind::RestoreTool => "restored a permission we had removed".into(),
                ActionKind::RevokeCredential => {
                    "revoked an access key the automated process used".into()
                }
                ActionKind::BlockOutbound if global => {
                    "blocked all of our automated processes from sending anything outside our company".into()
                }
                ActionKind::BlockOutbound => {
                    "blocked automated processes of this kind from sending anything outside our company".into()
                }
                ActionKind::UnblockOutbound => "lifted a block on outgoing messages".into(),
            };
            let at = a.verified_at.unwrap_or(a.at_key);
            let after = f.after(a);
            if after.is_empty() {
                let _ = writeln!(
                    self.o,
                    "- {} UTC: we {what}, and checked that it took effect.",
                    at.format("%H:%M")
                );
            } else {
                // The fresh read said it took effect; the platform's own
                // evidence since says otherwise: containment not claimed.
                let things = if after.iter().all(|x| *x.kind == EventKind::MessageSent) {
                    ("message", "messages")
                } else {
                    ("change", "changes")
                };
                let _ = writeln!(
                    self.o,
                    "- {} UTC: we {what}, and a check at {} showed it {}, but {} further {} from it {} recorded after that check, so we cannot say it took effect.",
                    a.at_key.format("%H:%M"),
                    at.format("%H:%M:%S UTC"),
                    shown_by_check(a.req.kind),
                    md::num(after.len() as u64),
                    if after.len() == 1 { things.0 } else { things.1 },
                    if after.len() == 1 { "is" } else { "are" }
                );
            }
        }
        // Repairs the commander recorded, one line per kind of thing
        // (a rollback's are said with it above).
        let mut repaired: Vec<(String, usize)> = Vec::new();
        for c in f.tri.changes.iter().filter(|c| {
            !matches!(c.repair, Repair::Open | Repair::Accepted)
                && !c.repair_note.starts_with("reverted by rollback ")
        }) {
            let thing = plain_target(&c.target, c.recipients);
            let line = match c.repair {
                Repair::Reverted => format!("We reversed the change{{s}} to {thing}."),
                Repair::Compensated => format!("We put right the change{{s}} to {thing}."),
                _ => format!("We have written to the people who received {thing}."),
            };
            match repaired.iter_mut().find(|(l, _)| *l == line) {
                Some((_, n)) => *n += 1,
                None => repaired.push((line, 1)),
            }
        }
        for (line, n) in repaired {
            any = true;
            let line = match n {
                1 => line.replace("{s}", ""),
                n => line
                    .replace("the change{s}", &format!("{} changes", md::num(n as u64)))
                    .replace("{s}", "s"),
            };
            let _ = writeln!(self.o, "- {line}");
        }
        // Only an action that left cordon was asked of anyone.
        let asked = f
            .app
            .actions
            .iter()
            .any(|a| a.sent_at.is_some() || a.answered_at.is_some());
        let unverified = f
            .app
            .actions
            .iter()
            .filter(|a| !verified(a) && a.phase != crate::model::ActionPhase::Confirmed)
            .count();
        let not_held = self.not_held() as u64;
        if not_held > 0 {
            self.warnings.push(format!(
                "{} verified, but the platform recorded changes after: the update does not claim {} took effect.",
                md::plural(not_held, "containment action was", "containment actions were"),
                if not_held == 1 { "it" } else { "they" }
            ));
        }
        if unverified > 0 {
            let n = if unverified == 1 {
                "1 containment action is".to_string()
            } else {
                format!("{unverified} containment actions are")
            };
            self.warnings.push(if !any && asked {
                format!(
                    "{n} not verified: the update says only that a stop was asked for and is not yet confirmed."
                )
            } else {
                format!("{n} not verified and not mentioned.")
            });
        }
        if !any {
            self.line(if asked {
                "- We have asked for the automated process to be stopped; we have not yet confirmed that it has stopped."
            } else if f.harmful_active.is_empty() && !f.harm.is_empty() {
                "- The automated processes involved had already finished. We are reviewing everything they did."
            } else {
                "- We are working to stop the automated process."
            });
        }
        self.line("");
    }

    fn unknown(&mut self) {
        let f = self.f;
        self.line("## What we do not know yet\n");
        let mut any = false;
        for r in f.reach.iter().filter(|r| r.group) {
            let p = r.people();
            let m = medium(r, f);
            if !r.incredible.is_empty() {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- How many people received the {m}: {} of the sends gave a count that cannot be right.",
                    md::num(r.incredible.len() as u64)
                );
            }
            if r.uncounted > 0 {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- How many people received the {m}: {} of the sends did not record how many they reached.",
                    md::num(r.uncounted as u64)
                );
            } else if let Some((stated, largest)) = r.size_conflict() {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- Exactly how many people received the {m}: our records disagree on the size of the list ({} in one record, {} in one send); we count the larger.",
                    md::num(stated),
                    md::num(largest)
                );
            } else if !p.certain() && r.incredible.is_empty() {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- Exactly how many people received the {m}: {} from {} adding up to {} {m}s{}, so some people may have received it more than once, and our count of people is a range.",
                    md::plural(r.sends as u64, "send", "sends"),
                    md::plural(r.runs.len() as u64, "process", "processes"),
                    md::num(r.recipients),
                    match &r.size {
                        Some((n, _)) => format!(" went to a list of {} people", md::num(*n)),
                        None => " went out".into(),
                    }
                );
            }
        }
        let ext_money: Vec<&str> = f.money.outbound.iter().map(String::as_str).collect();
        let irrev_ext = f
            .harm
            .iter()
            .filter(|x| *x.kind == EventKind::ExternalAction && x.e.irreversible())
            .count();
        if !ext_money.is_empty() && irrev_ext > 0 {
            any = true;
            self.line("- Whether the payments our payment provider was asked to make have gone out. Once paid, they cannot be undone from our side.");
        } else if irrev_ext > 0 {
            any = true;
            let _ = writeln!(
                self.o,
                "- Whether {} sent to outside systems {} completed. Once completed, they cannot be undone from our side.",
                md::plural(irrev_ext as u64, "request", "requests"),
                if irrev_ext == 1 { "was" } else { "were" }
            );
        }
        let others = self.others();
        if others > 0 {
            any = true;
            let _ = writeln!(
                self.o,
                "- What {} did: our records show {} made, but not exactly what {} changed or whom {} reached.",
                md::plural(others, "of the actions", "of the actions"),
                if others == 1 { "it was" } else { "they were" },
                if others == 1 { "it" } else { "they" },
                if others == 1 { "it" } else { "they" }
            );
        }
        if !f.unknown.is_empty() {
            any = true;
            let _ = writeln!(
                self.o,
                "- What {} of a kind we do not recognise did.",
                md::plural(
                    f.unknown.len() as u64,
                    "other recorded step",
                    "other recorded steps"
                )
            );
        }
        let after: Vec<_> = f.app.actions.iter().flat_map(|a| f.after(a)).collect();
        if !after.is_empty() {
            any = true;
            let messages = after.iter().all(|x| *x.kind == EventKind::MessageSent);
            let _ = writeln!(
                self.o,
                "- Whether the automated process has really stopped: {} recorded after our check showed it had.",
                match (messages, after.len()) {
                    (true, 1) => "1 further message is".to_string(),
                    (true, n) => format!("{} further messages are", md::num(n as u64)),
                    (false, 1) => "1 further change is".to_string(),
                    (false, n) => format!("{} further changes are", md::num(n as u64)),
                }
            );
        }
        if !f.harmful_active.is_empty() {
            any = true;
            let _ = writeln!(
                self.o,
                "- Whether the automated processes have stopped: {} of them {} still running {}.",
                md::num(f.harmful_active.len() as u64),
                if f.harmful_active.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                self.as_of()
            );
        }
        for g in &f.gaps {
            if let Gap::Down { since, .. } = g {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- What happened after {} in one of the systems we watch: it could not be reached since then, so our records of it stop there.",
                    clock_on(*since, f.as_of)
                );
            }
        }
        let partial: BTreeSet<&str> = f
            .gaps
            .iter()
            .filter_map(|g| match g {
                Gap::NoEvents { run } | Gap::Fewer { run, .. } => Some(run.as_str()),
                _ => None,
            })
            .collect();
        if !partial.is_empty() {
            any = true;
            let _ = writeln!(
                self.o,
                "- What {} of the automated processes did: our records of {} are incomplete.",
                md::num(partial.len() as u64),
                if partial.len() == 1 { "it" } else { "them" }
            );
        }
        let open: Vec<String> = f
            .tri
            .changes
            .iter()
            .filter(|c| f.open_repair(c) && !c.kinds.iter().all(|k| k == "message_sent"))
            .map(|c| plain_target(&c.target, c.recipients))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !open.is_empty() {
            any = true;
            let _ = writeln!(
                self.o,
                "- How and when we will put right: {}.",
                open.join("; ")
            );
        }
        if !any {
            self.line("- We are still reviewing our records for anything we have missed.");
        }
        self.line("");
    }

    fn should_do(&mut self, notes: &[String]) {
        let f = self.f;
        self.line("## What you should do\n");
        for t in notes {
            let _ = writeln!(self.o, "{}\n", md::text(t));
        }
        let mut any = false;
        for r in f.reach.iter().filter(|r| r.group) {
            any = true;
            let m = medium(r, f);
            let subject = match &r.subject {
                Some(s)
                    if plain::internal_words(s, self.known).is_empty()
                        && plain::secret_spans(s).is_empty() =>
                {
                    format!(" \"{}\"", md::text(s))
                }
                _ => String::new(),
            };
            let _ = writeln!(
                self.o,
                "- If you received the {m}{subject} from us and did not expect it, please do not act on it. You do not need to reply."
            );
        }
        if !f.records_changed.is_empty() {
            any = true;
            self.line("- If you have changed your account details recently, please check that they are still correct.");
        }
        if !f.money.events.is_empty() {
            any = true;
            self.line("- If a refund or payment from us reaches you that you did not expect, please contact us before using it.");
        }
        if self.reassurance_blocked().is_none() {
            self.line("- Our records show that the automated process sent messages and changed nothing else.");
        }
        if !any {
            self.line(if self.others() > 0 {
                "- If something from us reached you that you did not expect, please do not act on it, and contact us if you are unsure."
            } else if self.settled() {
                "- You do not need to do anything at this time."
            } else {
                "- We do not know yet whether you need to do anything; we will say so here as soon as we do."
            });
        }
        self.line("");
    }

    fn sorry(&mut self) {
        self.line("## We are sorry\n");
        let _ = writeln!(
            self.o,
            "We are sorry. An automated process that we run did this, and putting it right is our responsibility. If you have questions or are worried about your account, contact us at {}.\n",
            md::text(CONTACT)
        );
        self.warnings.push(format!(
            "Fill in the contact details (\"{CONTACT}\") before sending."
        ));
    }

    fn next(&mut self, promised: Option<Time>) {
        self.line("## Next update\n");
        match promised {
            Some(t) => {
                let _ = writeln!(
                    self.o,
                    "We will post our next update by {} UTC.",
                    t.format("%H:%M")
                );
            }
            None => {
                self.line("We will post another update when we know more.");
                self.warnings.push(
                    "No update cadence is set (:cadence MINUTES), so the update promises no time."
                        .into(),
                );
            }
        }
    }
}

/// "one of our customer lists" for the first, "another …" after.
fn list_name(i: usize) -> &'static str {
    if i == 0 {
        "one of our customer lists"
    } else {
        "another of our customer lists"
    }
}

/// What a fresh read showed of an action that took effect.
fn shown_by_check(k: ActionKind) -> &'static str {
    match k {
        ActionKind::StopRun | ActionKind::TerminateRun => "stopped",
        ActionKind::RollbackRun => "no longer running",
        ActionKind::PauseWorkflow => "paused",
        ActionKind::HoldQueue => "held",
        ActionKind::BlockOutbound => "blocked",
        ActionKind::RevokeTool | ActionKind::RevokeCredential => "revoked",
        _ => "in effect",
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn with_article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// A changed target in a customer's words.
/// What a rollback undid, by kind of thing: "9 changes to our own
/// software and 1 change to a customer's account details".
fn undone(events: &[&crate::model::Event]) -> String {
    let mut by: Vec<(String, u64)> = Vec::new();
    for e in events {
        let thing = plain_target(e.target.as_deref().unwrap_or(""), 0);
        match by.iter_mut().find(|(t, _)| *t == thing) {
            Some((_, n)) => *n += 1,
            None => by.push((thing, 1)),
        }
    }
    let parts: Vec<String> = by
        .into_iter()
        .map(|(t, n)| format!("{} to {t}", md::plural(n, "change", "changes")))
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn plain_target(target: &str, recipients: u64) -> String {
    let (scheme, _) = target.split_once(':').unwrap_or(("", target));
    if scheme == "file" || scheme == "repo" {
        "our own software".into()
    } else if personal_row(target).is_some() {
        "a customer's account details".into()
    } else if is_money(target) {
        "billing and payment records".into()
    } else if recipients > 0 || matches!(scheme, "segment" | "email" | "list") {
        "the messages sent".into()
    } else {
        "records in our systems".into()
    }
}
