//! The status update for affected users (the seed: "what happened, who
//! was affected, what has been done, what remains uncertain, what users
//! should do if anything, and when an update will come"). Plain words:
//! no run ids, paths, agent classes, tool or target names. People counted
//! once per list. Only verified actions are claimed. Uncertainty comes
//! from the evidence, and a reassurance appears only when the evidence
//! supports it — the commander's own comms notes included.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::facts::{Facts, Reach, is_money, personal_row, verified};
use super::{md, plain};
use crate::model::incident::{NoteKind, Repair};
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
    w.header(now);
    w.happened();
    w.affected();
    w.done();
    w.unknown();
    w.should_do();
    w.sorry();
    w.next(promised);
    (w.o, w.warnings)
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

impl Writer<'_, '_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.o, "{s}");
    }

    /// The commander's words (or a platform's), clause by clause: what
    /// would name internals, reassure beyond the evidence or promise the
    /// impossible is left out, and the commander is told why.
    fn vetted(&mut self, text: &str, what: &str) -> String {
        let mut kept = Vec::new();
        let all = plain::clauses(text);
        let n = all.len();
        for c in all {
            let ids = plain::internal_words(&c, self.known);
            let why = if !ids.is_empty() {
                Some(format!(
                    "it names internal identifiers ({})",
                    ids.join(", ")
                ))
            } else if plain::overpromises(&c) {
                Some("it promises what no one can".to_string())
            } else if plain::reassures(&c) && !self.reassurance_supported() {
                Some(
                    "it reassures beyond the evidence (the journal holds changes beyond the messages)"
                        .to_string(),
                )
            } else {
                None
            };
            match why {
                Some(why) => self
                    .warnings
                    .push(format!("Left out of {what}: \"{c}\" — {why}.")),
                None => kept.push(c),
            }
        }
        // Nothing left out: the commander's words as they wrote them.
        if kept.len() == n {
            return text.trim().to_string();
        }
        plain::sentences(&kept)
    }

    /// "Nothing else changed" may be said only when the implicated runs
    /// did nothing but send messages and none is still active.
    fn reassurance_supported(&self) -> bool {
        let f = self.f;
        !f.harm.is_empty()
            && f.harm.iter().all(|x| x.e.kind == EventKind::MessageSent)
            && f.harmful_active.is_empty()
    }

    fn header(&mut self, now: Time) {
        let title = self.f.app.incident.title.clone();
        let title = if title.is_empty() {
            "An issue with one of our automated processes".to_string()
        } else if !plain::internal_words(&title, self.known).is_empty() {
            self.warnings.push(format!(
                "The incident title \"{title}\" names internal identifiers; the update uses a plain title (set one with :title)."
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
        let _ = writeln!(self.o, "_Posted {}_\n", now.format("%Y-%m-%d %H:%M UTC"));
    }

    /// The comms notes addressed to users ("you …") and the others.
    fn comms(&self, to_users: bool) -> Option<String> {
        self.f
            .app
            .incident
            .notes
            .iter()
            .filter(|n| n.kind == NoteKind::Comms)
            .rev()
            .find(|n| {
                let l = format!(" {} ", n.text.to_lowercase());
                (l.contains(" you ") || l.contains(" your ")) == to_users
            })
            .map(|n| n.text.clone())
    }

    fn happened(&mut self) {
        let f = self.f;
        self.line("## What happened\n");
        if let Some(t) = self.comms(false) {
            let t = self.vetted(&t, "your comms note");
            if !t.is_empty() {
                let _ = writeln!(self.o, "{}\n", md::text(&t));
            }
        }
        let (Some(first), Some(last)) = (f.first_harm, f.last_harm) else {
            self.line(
                "One of our automated processes behaved incorrectly. We have not seen it change anything or contact anyone outside our company.\n",
            );
            return;
        };
        let day = first.e.at.format("%-d %B %Y");
        let when = if !f.harmful_active.is_empty() {
            format!("starting at {} UTC on {day}", first.e.at.format("%H:%M"))
        } else if first.e.at.format("%H:%M").to_string() == last.e.at.format("%H:%M").to_string() {
            format!("at {} UTC on {day}", first.e.at.format("%H:%M"))
        } else {
            format!(
                "between {} and {} UTC on {day}",
                first.e.at.format("%H:%M"),
                last.e.at.format("%H:%M")
            )
        };
        let _ = writeln!(
            self.o,
            "Automated processes that we run took actions they should not have taken, {when}:\n"
        );
        for r in f.reach.iter().filter(|r| r.group) {
            let subject = self.subject(r);
            let (_, high) = r.people();
            let _ = writeln!(
                self.o,
                "- They sent {}{subject} to up to {} people on one of our customer lists.",
                with_article(medium(r, f)),
                md::num(high)
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
            .filter(|x| x.e.kind == EventKind::DbWrite)
            .filter(|x| {
                let t = x.e.target.as_deref().unwrap_or("");
                !is_money(t) && personal_row(t).is_none()
            })
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
            .filter(|x| x.e.kind == EventKind::ExternalAction)
            .filter(|x| !is_money(x.e.target.as_deref().unwrap_or("")))
            .count() as u64;
        if other_ext > 0 {
            let _ = writeln!(
                self.o,
                "- They took {} in systems outside ours.",
                md::plural(other_ext, "action", "actions")
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

    /// ` ("Your refund is on its way")`, when the subject is plain words.
    fn subject(&mut self, r: &Reach) -> String {
        match &r.subject {
            Some(s) if plain::internal_words(s, self.known).is_empty() => {
                format!(" (\"{}\")", md::text(s))
            }
            Some(s) => {
                self.warnings.push(format!(
                    "The message subject \"{s}\" names internal identifiers and is left out."
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
            let (low, high) = r.people();
            let m = medium(r, f);
            let list = if i == 0 {
                "one of our customer lists"
            } else {
                "another of our customer lists"
            };
            let count = match r.size {
                Some(_) => format!("Up to {} people on {list}", md::num(high)),
                None if low < high => format!(
                    "Between {} and {} people on {list}",
                    md::num(low),
                    md::num(high)
                ),
                None => format!("Up to {} people on {list}", md::num(high)),
            };
            let _ = write!(self.o, "- {count}, who received the {m}.");
            if r.size.as_ref().is_some_and(|(n, _)| r.recipients > *n) {
                let _ = write!(self.o, " Some may have received it more than once.");
            }
            self.line("");
        }
        let individuals: BTreeSet<&str> = f
            .reach
            .iter()
            .filter(|r| !r.group)
            .map(|r| r.target.split_once(':').map(|x| x.1).unwrap_or(&r.target))
            .collect();
        let changed = f.records_changed.len() as u64;
        if changed > 0 {
            any = true;
            let both = f
                .records_changed
                .keys()
                .filter(|k| individuals.contains(k.as_str()))
                .count() as u64;
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
        let only_messaged = individuals
            .iter()
            .filter(|k| !f.records_changed.contains_key(**k))
            .count() as u64;
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
        if !any {
            self.line(
                "- We have not found anyone outside our company affected. We are still checking.",
            );
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
        if mine().any(|x| x.e.kind == EventKind::MessageSent) {
            "that sent the messages"
        } else if mine().any(|x| {
            matches!(x.e.kind, EventKind::DbWrite | EventKind::ExternalAction)
                && is_money(x.e.target.as_deref().unwrap_or(""))
        }) {
            "that handled the payments"
        } else if mine().any(|x| personal_row(x.e.target.as_deref().unwrap_or("")).is_some()) {
            "that changed customer account details"
        } else if mine().any(|x| x.e.kind == EventKind::FileWrite) {
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
            let _ = writeln!(
                self.o,
                "- {} UTC: we {what}, and checked that it took effect.",
                a.verified_at.unwrap_or(a.at_key).format("%H:%M")
            );
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
            let (low, high) = r.people();
            let m = medium(r, f);
            if r.uncounted > 0 {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- How many people received the {m}: {} of the sends did not record how many they reached.",
                    md::num(r.uncounted as u64)
                );
            } else if low < high {
                any = true;
                let _ = writeln!(
                    self.o,
                    "- Exactly how many people received the {m}: {} batches from {} adding up to {} {m}s{}, so some people may have received it more than once, and our count of people is an estimate.",
                    md::num(r.sends as u64),
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
            .filter(|x| x.e.kind == EventKind::ExternalAction && x.e.irreversible())
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
        if !f.harmful_active.is_empty() {
            any = true;
            let _ = writeln!(
                self.o,
                "- Whether the automated processes have stopped: {} of them {} still running when we wrote this.",
                md::num(f.harmful_active.len() as u64),
                if f.harmful_active.len() == 1 {
                    "was"
                } else {
                    "were"
                }
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

    fn should_do(&mut self) {
        let f = self.f;
        self.line("## What you should do\n");
        if let Some(t) = self.comms(true) {
            let t = self.vetted(&t, "your comms note to users");
            if !t.is_empty() {
                let _ = writeln!(self.o, "{}\n", md::text(&t));
            }
        }
        let mut any = false;
        for r in f.reach.iter().filter(|r| r.group) {
            any = true;
            let m = medium(r, f);
            let subject = match &r.subject {
                Some(s) if plain::internal_words(s, self.known).is_empty() => {
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
        if self.reassurance_supported() {
            self.line("- Our records show that the automated process sent messages and changed nothing else.");
        }
        if !any {
            self.line("- You do not need to do anything at this time.");
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
