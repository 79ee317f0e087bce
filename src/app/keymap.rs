//! The one command table: every key the console answers to outside its
//! dialogs, what it does and where. Dispatch (`update.rs`, `inspect.rs`),
//! the `?` overlay, the hint bar, read-only unbinding, config rebinding
//! (`bindings.rs`) and the keys custom actions may not take all read it,
//! so help never drifts from behaviour.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::contain::On;
use super::{App, Mode, Pane};
use crate::model::ActionKind;

/// A key as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    /// Acts in every mode, dialogs and typing included.
    Ctrl(char),
    Tab,
    BackTab,
    Enter,
    Esc,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Key {
    /// The table's key for a key event; `None`: no command has it (Alt
    /// chords, function keys).
    pub fn of(k: &KeyEvent) -> Option<Key> {
        Some(match k.code {
            KeyCode::Char(c) if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Ctrl(c),
            KeyCode::Char(_) if k.modifiers.contains(KeyModifiers::ALT) => return None,
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            _ => return None,
        })
    }

    /// The key event a pane's own handler knows this key by.
    pub fn event(self) -> KeyEvent {
        let (code, mods) = match self {
            Key::Char(c) => (KeyCode::Char(c), KeyModifiers::NONE),
            Key::Ctrl(c) => (KeyCode::Char(c), KeyModifiers::CONTROL),
            Key::Tab => (KeyCode::Tab, KeyModifiers::NONE),
            Key::BackTab => (KeyCode::BackTab, KeyModifiers::SHIFT),
            Key::Enter => (KeyCode::Enter, KeyModifiers::NONE),
            Key::Esc => (KeyCode::Esc, KeyModifiers::NONE),
            Key::Up => (KeyCode::Up, KeyModifiers::NONE),
            Key::Down => (KeyCode::Down, KeyModifiers::NONE),
            Key::PageUp => (KeyCode::PageUp, KeyModifiers::NONE),
            Key::PageDown => (KeyCode::PageDown, KeyModifiers::NONE),
            Key::Home => (KeyCode::Home, KeyModifiers::NONE),
            Key::End => (KeyCode::End, KeyModifiers::NONE),
        };
        KeyEvent::new(code, mods)
    }

    /// As help spells it.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Tab => "Tab".into(),
            Key::BackTab => "Shift-Tab".into(),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
        }
    }
}

/// What a key does. Each pane's handler matches on these, never on keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    NextPane,
    PrevPane,
    /// Focus `Pane::ALL[i]`.
    Focus(usize),
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Filter,
    Palette,
    /// Zoom the pane; in the inspector, fold long values.
    Zoom,
    Export,
    Help,
    /// Clear the flash and the filter; in the inspector, close it.
    Back,
    /// Quit; in the inspector, close it.
    Quit,
    Suspend,
    Sort,
    Reverse,
    ActiveOnly,
    TimelineScope,
    Follow,
    Mark,
    Copy,
    Inspect,
    Pin,
    MarkPattern,
    /// Propose `kind` on the context run's scope.
    Act(ActionKind, On),
    /// The inverse of what holds the run back (in Containment: of the
    /// selected row).
    Undo,
    Restart,
    /// The staged restart's watch window: longer (`true`) or shorter.
    Window(bool),
    // Triage and Notes (`triage_pane.rs`, `notes.rs`).
    Toggle,
    TriageNote,
    Accept,
    SeverityUp,
    SeverityDown,
    Status,
    Write,
    NoteType,
    // The export preview (a dialog: listed, handled in `export.rs`).
    NextExport,
    MarkSent,
}

impl Cmd {
    /// The name `[keys]` in the config moves it by (`None`: fixed).
    pub fn name(self) -> Option<&'static str> {
        use ActionKind as A;
        Some(match self {
            Cmd::Act(A::StopRun, _) => "stop",
            Cmd::Act(A::RollbackRun, _) => "rollback",
            Cmd::Act(A::TerminateRun, _) => "terminate",
            Cmd::Act(A::PauseWorkflow, _) => "pause",
            Cmd::Act(A::HoldQueue, On::Workflow) => "hold",
            Cmd::Act(A::HoldQueue, _) => "hold_all",
            Cmd::Act(A::RevokeTool, _) => "revoke_tool",
            Cmd::Act(A::RevokeCredential, _) => "revoke_credential",
            Cmd::Act(A::BlockOutbound, On::AgentClass) => "block",
            Cmd::Act(A::BlockOutbound, _) => "block_all",
            Cmd::Undo => "undo",
            Cmd::Pin => "pin",
            Cmd::Export => "export",
            Cmd::Zoom => "zoom",
            Cmd::Palette => "palette",
            Cmd::Filter => "filter",
            Cmd::Help => "help",
            Cmd::Quit => "quit",
            Cmd::Sort => "sort",
            Cmd::Reverse => "reverse",
            Cmd::ActiveOnly => "active",
            Cmd::TimelineScope => "scope",
            Cmd::Follow => "follow",
            Cmd::Mark => "mark",
            Cmd::Copy => "copy",
            Cmd::MarkPattern => "mark_pattern",
            Cmd::Restart => "restart",
            Cmd::Window(true) => "window_longer",
            Cmd::Window(false) => "window_shorter",
            Cmd::Toggle => "toggle",
            Cmd::TriageNote => "triage_note",
            Cmd::Accept => "accept",
            Cmd::SeverityUp => "severity_up",
            Cmd::SeverityDown => "severity_down",
            Cmd::Status => "status",
            Cmd::Write => "write",
            Cmd::NoteType => "note_type",
            _ => return None,
        })
    }
}

/// Where a line's keys act: a set of panes, plus the inspector.
pub type At = u8;
pub const RUNS: At = 1;
pub const TIMELINE: At = 2;
pub const TRIAGE: At = 4;
pub const CONTAIN: At = 8;
pub const NOTES: At = 16;
pub const INSPECTOR: At = 32;
pub const PANES: At = RUNS | TIMELINE | TRIAGE | CONTAIN | NOTES;
/// Where containment keys act on the context run.
const ACTS: At = RUNS | TIMELINE | CONTAIN | INSPECTOR;

/// Where keys go now: the focused pane, or the inspector.
pub fn at_of(app: &App) -> At {
    if matches!(app.mode, Mode::Inspect(_)) {
        return INSPECTOR;
    }
    match app.focus {
        Pane::Runs => RUNS,
        Pane::Timeline => TIMELINE,
        Pane::Triage => TRIAGE,
        Pane::Containment => CONTAIN,
        Pane::Notes => NOTES,
    }
}

/// Who may use a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Plain,
    /// Acts on the world: unbound (and unlisted) in read-only mode.
    Dangerous,
    /// Writes the incident record: a watcher or a replay is told it
    /// cannot, and the line is not listed for them.
    Records,
}

/// How help lays a line's keys out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `a / b`
    Slash,
    /// `a b c`
    Spaced,
    /// `a b / c d`: the first half of the keys, then the second.
    Halves,
}

/// One line of help: its keys, what they do, where.
#[derive(Debug)]
pub struct Line {
    pub binds: &'static [(Key, Cmd)],
    pub layout: Layout,
    pub what: &'static str,
    /// Where help says the keys act.
    pub context: &'static str,
    /// Where they act.
    pub at: At,
    pub class: Class,
    /// In the hint bar of the panes in `at`: rank (lower first) and word.
    pub hint: Option<(u8, &'static str)>,
}

const fn line(binds: &'static [(Key, Cmd)], what: &'static str, context: &'static str) -> Line {
    Line {
        binds,
        layout: Layout::Slash,
        what,
        context,
        at: PANES,
        class: Class::Plain,
        hint: None,
    }
}

impl Line {
    const fn at(mut self, at: At) -> Line {
        self.at = at;
        self
    }
    const fn class(mut self, class: Class) -> Line {
        self.class = class;
        self
    }
    const fn layout(mut self, layout: Layout) -> Line {
        self.layout = layout;
        self
    }
    const fn hint(mut self, rank: u8, word: &'static str) -> Line {
        self.hint = Some((rank, word));
        self
    }
}

use ActionKind::*;
use Class::{Dangerous as D, Records as R};
use Key::Char as C;
use Layout::{Halves, Spaced};

const fn act(kind: ActionKind, on: On) -> Cmd {
    Cmd::Act(kind, on)
}

/// Every command, in the order help lists them (an 80x24 help shows the
/// first ones). A line per entry: its keys, what, where help says, then
/// where they act, who may use them and its place in the hint bar.
#[rustfmt::skip]
pub const LINES: &[Line] = &[
    line(&[(Key::Tab, Cmd::NextPane), (Key::BackTab, Cmd::PrevPane)], "next / previous pane", "global"),
    line(&[(C('1'), Cmd::Focus(0)), (C('2'), Cmd::Focus(1)), (C('3'), Cmd::Focus(2)), (C('4'), Cmd::Focus(3)), (C('5'), Cmd::Focus(4))], "focus Runs, Timeline, Triage, Containment, Notes", "global").layout(Spaced),
    line(&[(C('j'), Cmd::Down), (C('k'), Cmd::Up), (Key::Down, Cmd::Down), (Key::Up, Cmd::Up)], "move selection", "lists").layout(Halves).at(PANES | INSPECTOR),
    line(&[(Key::PageDown, Cmd::PageDown), (Key::PageUp, Cmd::PageUp)], "move a page", "lists").layout(Spaced),
    line(&[(C('g'), Cmd::Top), (C('G'), Cmd::Bottom)], "top / bottom (G in Timeline resumes follow)", "lists").at(PANES | INSPECTOR),
    line(&[(C('/'), Cmd::Filter)], "filter the focused list (Enter keeps, Esc clears)", "lists").hint(8, "filter"),
    line(&[(C('s'), Cmd::Sort), (C('S'), Cmd::Reverse)], "sort by the next column (harm first, then state, activity, …) / reverse", "Runs").at(RUNS).hint(4, "sort"),
    line(&[(C('a'), Cmd::ActiveOnly)], "show all runs / only active runs", "Runs").at(RUNS),
    line(&[(C('v'), Cmd::TimelineScope)], "timeline: all runs / selected run only", "Runs, Timeline").at(RUNS | TIMELINE),
    line(&[(C('f'), Cmd::Follow)], "follow new events on / off", "Timeline").at(TIMELINE).hint(3, "follow"),
    line(&[(C(':'), Cmd::Palette)], "command palette: stop RUN, pause WORKFLOW, block-outbound … (Tab completes)", "global").hint(9, "commands"),
    line(&[(C(' '), Cmd::Mark)], "mark / unmark the run and move to the next (x stops every marked run)", "Runs").at(RUNS).hint(3, "mark"),
    line(&[(C('x'), act(StopRun, On::Run))], "stop the run (or all marked runs)", "Runs, Timeline").at(ACTS).class(D).hint(1, "stop"),
    line(&[(C('X'), act(RollbackRun, On::Run))], "roll back the run (stop + revert its reversible writes)", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('K'), act(TerminateRun, On::Run))], "terminate the run (hard: closes at once, no clean-up; Temporal)", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('P'), act(PauseWorkflow, On::Workflow))], "pause the run's workflow", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('h'), act(HoldQueue, On::Workflow)), (C('H'), act(HoldQueue, On::Every))], "hold the workflow's queue / every queue", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('t'), act(RevokeTool, On::PickTool))], "revoke one of the run's tools for its agent class (picker)", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('c'), act(RevokeCredential, On::PickCredential))], "revoke one of the run's credentials (picker)", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('b'), act(BlockOutbound, On::AgentClass)), (C('B'), act(BlockOutbound, On::Every))], "block outbound for the run's agent class / for all", "Runs, Timeline").at(ACTS).class(D),
    line(&[(C('u'), Cmd::Undo)], "undo: the inverse of the control holding the run back", "Runs, Timeline").at(RUNS | TIMELINE | INSPECTOR).class(D),
    line(&[(C('u'), Cmd::Undo), (Key::Enter, Cmd::Undo)], "inverse of the selected control or action", "Containment").at(CONTAIN).class(D).hint(0, "undo"),
    line(&[(C('p'), Cmd::Pin)], "pin the selected event into the notes as evidence", "Timeline, Inspector").at(TIMELINE | INSPECTOR).class(R).hint(2, "pin"),
    line(&[(Key::Enter, Cmd::Inspect)], "inspect the run (from an event: its run, at that event)", "Runs, Timeline").at(RUNS | TIMELINE).hint(2, "inspect"),
    line(&[(C('z'), Cmd::Zoom), (C('y'), Cmd::Copy)], "inspector: fold long values / copy the event (OSC 52)", "Inspector").at(INSPECTOR),
    line(&[(C('M'), Cmd::MarkPattern)], "choose a pattern (narrowest first: tool on target, error, workflow, class), Enter marks its active runs", "Inspector").at(INSPECTOR),
    line(&[(C(' '), Cmd::Toggle), (Key::Enter, Cmd::Toggle)], "toggle a harm or tag; cycle an answer: yes → no → unknown → back to the evidence; cycle a repair state", "Triage").at(TRIAGE).class(R).hint(0, "toggle"),
    line(&[(C('e'), Cmd::TriageNote)], "write a note on the selected answer or change", "Triage").at(TRIAGE).class(R).hint(2, "note"),
    line(&[(C('A'), Cmd::Accept)], "accept the suggested severity", "Triage").at(TRIAGE).class(R).hint(1, "accept"),
    line(&[(C('+'), Cmd::SeverityUp), (C('-'), Cmd::SeverityDown)], "severity one level up / down (asks why)", "Triage").at(TRIAGE).class(R).hint(3, "severity"),
    line(&[(C('s'), Cmd::Status)], "status: investigating → contained → monitoring → resolved (asks y / n)", "Triage").at(TRIAGE).class(R).hint(4, "status"),
    line(&[(C('i'), Cmd::Write), (Key::Enter, Cmd::Write)], "write a note; Ctrl-S saves, Ctrl-T changes its type, Esc leaves", "Notes").at(NOTES).class(R).hint(0, "write"),
    line(&[(C('t'), Cmd::NoteType)], "type of the next note: note, decision, hypothesis, action item, comms", "Notes").at(NOTES).class(R).hint(1, "type"),
    line(&[(C('E'), Cmd::Export)], "preview an export (status update, internal brief, postmortem, evidence); Enter writes it", "global").class(R).hint(7, "export"),
    // The export preview's own keys: listed here, read by its dialog (`export.rs`).
    line(&[(Key::Tab, Cmd::NextExport), (C('s'), Cmd::MarkSent)], "preview: next export / mark the exported update sent (restarts the cadence)", "Export preview").at(0),
    line(&[(C('z'), Cmd::Zoom)], "zoom the focused pane to full screen / back", "global"),
    line(&[(C('y'), Cmd::Copy)], "copy the selected run id / event to the clipboard (OSC 52, works over SSH)", "Runs, Timeline").at(RUNS | TIMELINE),
    line(&[(C('R'), Cmd::Restart)], "staged restart: propose its next stage (lift the control for a few runs first)", "Containment").at(CONTAIN).class(D).hint(2, "restart"),
    line(&[(C('['), Cmd::Window(false)), (C(']'), Cmd::Window(true))], "staged restart: watch window 30 s shorter / longer", "Containment").at(CONTAIN).class(R),
    line(&[(Key::Home, Cmd::Top), (Key::End, Cmd::Bottom)], "top / bottom, as g / G", "lists"),
    line(&[(C('?'), Cmd::Help)], "this help", "global"),
    line(&[(Key::Esc, Cmd::Back)], "close help, clear filter", "global").at(PANES | INSPECTOR),
    line(&[(C('q'), Cmd::Quit), (Key::Ctrl('c'), Cmd::Quit)], "quit; asks y / n at SEV1–2 or while an action is unconfirmed (the journal is flushed first)", "global").at(PANES | INSPECTOR),
    line(&[(Key::Ctrl('z'), Cmd::Suspend)], "suspend to the shell (fg resumes)", "global"),
];

/// One line of `?` as this console binds it.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpLine {
    pub keys: String,
    pub what: &'static str,
    pub context: &'static str,
}

impl App {
    /// Whether this console lists a line: not the dangerous ones when
    /// read-only (unbound), nor the record-writing ones to a watcher or a
    /// replay (refused, saying why).
    pub fn lists(&self, l: &Line) -> bool {
        !(self.read_only && l.class == Class::Dangerous
            || self.viewer() && l.class == Class::Records)
    }

    /// The `?` overlay's lines.
    pub fn help_lines(&self) -> Vec<HelpLine> {
        LINES
            .iter()
            .filter(|l| self.lists(l))
            .map(|l| HelpLine {
                keys: self.keymap.keys(l),
                what: l.what,
                context: l.context,
            })
            .collect()
    }

    /// The hint bar: the focused pane's most useful keys (key, word), best
    /// first; none while a dialog or the note editor has the keys.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        if self.mode != Mode::Normal || self.notes_editing && self.focus == Pane::Notes {
            return vec![];
        }
        let at = at_of(self);
        let mut v: Vec<(u8, String, &str)> = LINES
            .iter()
            .filter(|l| l.at & at != 0 && self.lists(l))
            .filter_map(|l| {
                let (rank, word) = l.hint?;
                let (k, c) = l.binds[0];
                Some((rank, self.keymap.live(k, c).label(), word))
            })
            .collect();
        v.sort_by_key(|h| h.0);
        v.into_iter().map(|(_, k, w)| (k, w)).collect()
    }

    /// The key that does `cmd` now (its first in the table).
    pub fn key_for(&self, cmd: Cmd) -> String {
        LINES
            .iter()
            .flat_map(|l| l.binds)
            .find(|(_, c)| *c == cmd)
            .map(|(k, c)| self.keymap.live(*k, *c).label())
            .unwrap_or_default()
    }
}

/// The default keys of the dangerous lines, without repeats: what a
/// read-only console leaves unbound.
pub const DANGEROUS: &[char] = SCAN.0.split_at(SCAN.1).0;

const SCAN: ([char; 64], usize) = dangerous();

/// The distinct default chars of dangerous lines, in table order, and
/// how many there are.
const fn dangerous() -> ([char; 64], usize) {
    let mut out = ['\0'; 64];
    let mut n = 0;
    let mut l = 0;
    while l < LINES.len() {
        let mut b = 0;
        while b < LINES[l].binds.len() {
            if let (Class::Dangerous, Key::Char(c)) = (LINES[l].class, LINES[l].binds[b].0) {
                let mut i = 0;
                while i < n && out[i] != c {
                    i += 1;
                }
                if i == n {
                    out[n] = c;
                    n += 1;
                }
            }
            b += 1;
        }
        l += 1;
    }
    (out, n)
}
