//! The console's whole behaviour: `App::update(msg) -> effects`, pure and
//! synchronous. Time comes in through messages, IO goes out as effects.

pub mod actions;
pub mod bindings;
pub mod confirm;
pub mod confirm_lines;
pub mod contain;
mod dispatch;
pub mod export;
pub mod harm;
pub mod incident;
pub mod inspect;
pub mod keymap;
pub mod layout;
pub mod notes;
pub mod palette;
pub mod prompt;
pub mod restart;
pub mod store;
pub mod triage;
pub mod triage_pane;
mod update;
pub mod views;

use crate::journal::{Operator, Record};
use crate::model::{ActionKind, Health, Time};
use crate::source::SourceMsg;
use ratatui::crossterm::event::KeyEvent;

use crate::contain::ActionMsg;
use crate::contain::custom::{CustomAction, Vars};
pub use actions::ActionState;
pub use confirm::{Confirm, ConfirmFocus, Preview, What};
pub use contain::{ContainRow, Picker};
pub use export::{ExportPreview, Rendering};
pub use incident::{Communication, IncidentState};
pub use inspect::{Inspect, Signature};
pub use palette::Palette;
pub use prompt::{Prompt, PromptFor};
pub use store::Store;
pub use triage_pane::TriageRow;
pub use views::{Commander, Lock, Pane, RunsView, Scope, SortKey, TimelineView, Watching};

/// The smallest window the console draws in: below it, only a notice.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The wall clock moved (once a second).
    Tick(Time),
    /// A mouse event (only with --mouse).
    Mouse(ratatui::crossterm::event::MouseEvent),
    /// A source poll finished, at this time (boxed: a batch is large and
    /// keys are frequent).
    Source(Box<SourceMsg>, Time),
    /// The executor's report on an action (dry run, sent, answer, verify).
    Action(ActionMsg, Time),
    /// A custom action finished.
    CustomDone(CustomDone),
    /// An export the preview asked for, rendered from the journal.
    Rendered {
        request: u64,
        result: Result<Box<crate::report::Draft>, String>,
    },
    /// Exports were written, or failed; with the journal head they were
    /// built from, to pin: its hash and what to say ("journal head <hash>[,
    /// signed: …]").
    Exported(
        Result<Vec<crate::report::Written>, String>,
        Option<(String, String)>,
        Time,
    ),
    /// The journal cannot be written (its first failure, said plainly):
    /// from now on every action is refused.
    JournalFailed(String),
    /// The theme `:theme` asked for did not load: why, for the palette.
    ThemeFailed(String),
}

/// A custom action's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomDone {
    pub id: String,
    pub index: usize,
    pub vars: Vars,
    pub exit: Option<i32>,
    pub output: String,
    pub at: Time,
}

/// What the async side must do for the app. Nearly every effect is a
/// journal record, so boxing it would only add an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append to the incident journal.
    Journal(Record),
    /// Ask the platform for the blast radius (dry run) for a dialog.
    Preview {
        proposal: u64,
        source: String,
        kind: ActionKind,
        targets: Vec<crate::model::Target>,
    },
    /// Send an action whose intent was journaled just before this effect,
    /// with the dry run the commander approved (what a rollback must prove).
    Execute(
        crate::model::ActionRequest,
        Option<Box<crate::model::ActionAnswer>>,
    ),
    /// After a restart: settle an action whose outcome was never journaled
    /// (ask the platform by key, re-read), never sending it again. With
    /// its approved dry run and when it was decided.
    Reconcile {
        request: crate::model::ActionRequest,
        answer: Option<crate::model::ActionAnswer>,
        dry_run: Option<Box<crate::model::ActionAnswer>>,
        since: crate::model::Time,
    },
    /// Run a custom action from the config.
    RunCustom {
        id: String,
        index: usize,
        vars: Vars,
    },
    /// Render one export from the journal for the preview.
    Render {
        kind: String,
        request: u64,
    },
    /// Write this previewed export, exactly as shown.
    Export(Box<crate::report::Draft>),
    /// Put text on the clipboard (OSC 52: works over SSH).
    Copy(String),
    /// Replay: move the clock to this time.
    JumpTo(Time),
    /// Ctrl-Z: give the terminal back and stop (SIGTSTP); redraw on resume.
    Suspend,
    /// `:theme NAME`: draw with this theme (a builtin name or a file),
    /// at the terminal's colour depth.
    Theme(String),
    Quit,
}

/// A configured source as the status bar shows it.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub health: Health,
    pub offered: Vec<ActionKind>,
    /// Bytes the last poll read.
    pub last_bytes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter for `pane`; `before` is restored on Esc.
    Filter {
        pane: Pane,
        before: String,
    },
    Help,
    Confirm(Box<Confirm>),
    Pick(Picker),
    Palette(Palette),
    Prompt(Prompt),
    /// The run inspector, full screen.
    Inspect(Box<Inspect>),
    /// An export, previewed before it is written.
    Export(Box<export::ExportPreview>),
}

pub struct App {
    pub now: Time,
    pub incident_id: String,
    pub incident_dir: String,
    pub operator: Operator,
    /// The commander recorded in the journal (may differ after reopen).
    pub commander: Option<String>,
    /// How the commander's last session ended (`None` while it is open).
    pub session_ended: Option<String>,
    /// `cordon watch`: what the watcher knows about the commander.
    pub watching: Option<Watching>,
    pub sources: Vec<SourceView>,
    pub store: Store,
    pub focus: Pane,
    pub mode: Mode,
    pub runs: RunsView,
    pub timeline: TimelineView,
    /// Terminal size, for page moves and keeping the selection in view.
    pub size: (u16, u16),
    /// One-line message for the status bar (errors say what to do).
    pub flash: Option<String>,
    /// Set when something visible changed; the runtime clears it.
    pub dirty: bool,
    pub quitting: bool,
    /// A note about opening: a torn tail that was cut, say.
    pub notices: Vec<String>,
    /// Per source a reopened journal polled before: the time it last had
    /// that source caught up (its last record, or when the source went
    /// down and stayed down). The poller reads what changed since then,
    /// so what ended while no console ran is not missed.
    pub caught_up: std::collections::HashMap<String, Time>,
    /// A source is stale after this many seconds without a good poll.
    pub stale_after: i64,
    /// Dangerous keys unbound, actions refused.
    pub read_only: bool,
    pub actions: Vec<ActionState>,
    pub action_index: std::collections::HashMap<String, usize>,
    /// Highest action number used (ids are A<n>-...).
    pub action_seq: u64,
    /// Runs marked with Space (run indexes).
    pub marked: std::collections::BTreeSet<usize>,
    /// Bumped by every record from a platform / from the commander:
    /// derived views (triage) cache on them.
    pub generation: u64,
    pub commander_generation: u64,
    /// Triage as of (generation, marked runs).
    pub(crate) triage_cache: std::cell::RefCell<Option<triage::Cached>>,
    /// Selection in the Containment pane.
    pub contain_sel: usize,
    pub next_proposal: u64,
    pub custom_actions: Vec<CustomAction>,
    /// Custom actions that ran: (name, exit, output, time).
    pub custom_log: Vec<(String, Option<i32>, String, Time)>,
    /// A drill, not a real incident: its canaries (`Record::Drill`).
    pub drill: Option<Vec<String>>,
    /// Staged restarts of this incident (`Record::Restart`).
    pub restarts: Vec<restart::Restart>,
    /// The restart stage whose inverse the open dialog proposes.
    pub staging: Option<(u32, usize)>,
    /// The watch window a new staged restart starts with (seconds).
    pub restart_window: u32,
    /// Palette history.
    pub history: Vec<String>,
    /// First help line shown (help scrolls on small screens).
    pub help_scroll: usize,
    pub incident: IncidentState,
    pub triage_sel: usize,
    pub notes_sel: usize,
    /// Keys go to the note editor.
    pub notes_editing: bool,
    pub note_kind: crate::model::incident::NoteKind,
    pub editor: ratatui_textarea::TextArea<'static>,
    /// The draft text as last journaled, and when.
    pub draft_saved: String,
    pub draft_saved_at: Time,
    /// Counter for the timeline lines cordon adds (actions, notes, triage).
    pub synthetic: u64,
    /// Deterministic idempotency keys (tests, drills); None: random.
    pub key_seed: Option<u64>,
    /// The inspector's run while its containment keys are handled.
    pub inspected: Option<usize>,
    /// Where to go back after a dialog opened from the inspector.
    pub return_to: Option<Box<Inspect>>,
    /// Shown in the status bar while replaying a journal.
    pub replay_badge: Option<String>,
    /// The focused pane fills the screen.
    pub zoom: bool,
    /// Keys the config moved.
    pub keymap: bindings::Keymap,
    /// `/` filters of the Containment, Triage and Notes lists.
    pub contain_filter: String,
    pub triage_filter: String,
    pub notes_filter: String,
    /// Set when the journal cannot be written: actions are refused and a
    /// red banner says so until the end of the session.
    pub journal_fault: Option<String>,
    /// What the commander did after the journal failed (notes, the note
    /// being typed, incident changes): not on disk, so said at exit for
    /// them to copy — never silently lost.
    pub unsaved: Vec<Record>,
}

impl App {
    pub fn new(now: Time, incident: &str, incident_dir: &str, operator: Operator) -> App {
        App {
            now,
            incident_id: incident.to_string(),
            incident_dir: incident_dir.to_string(),
            operator,
            commander: None,
            session_ended: None,
            watching: None,
            sources: Vec::new(),
            store: Store::default(),
            focus: Pane::Runs,
            mode: Mode::Normal,
            runs: RunsView::default(),
            timeline: TimelineView::default(),
            size: (160, 48),
            flash: None,
            dirty: true,
            quitting: false,
            notices: Vec::new(),
            caught_up: Default::default(),
            stale_after: 10,
            read_only: false,
            actions: Vec::new(),
            action_index: std::collections::HashMap::new(),
            action_seq: 0,
            marked: std::collections::BTreeSet::new(),
            generation: 0,
            commander_generation: 0,
            triage_cache: std::cell::RefCell::new(None),
            contain_sel: 0,
            next_proposal: 0,
            custom_actions: Vec::new(),
            custom_log: Vec::new(),
            drill: None,
            restarts: Vec::new(),
            staging: None,
            restart_window: restart::default_window(),
            history: Vec::new(),
            help_scroll: 0,
            incident: IncidentState::default(),
            triage_sel: 0,
            notes_sel: 0,
            notes_editing: false,
            note_kind: crate::model::incident::NoteKind::Note,
            editor: notes::editor_with(""),
            draft_saved: String::new(),
            draft_saved_at: now,
            synthetic: 0,
            key_seed: None,
            inspected: None,
            return_to: None,
            replay_badge: None,
            zoom: false,
            keymap: bindings::Keymap::default(),
            contain_filter: String::new(),
            triage_filter: String::new(),
            notes_filter: String::new(),
            journal_fault: None,
            unsaved: Vec::new(),
        }
    }

    pub fn add_source(&mut self, name: &str, kind: &str, url: &str) {
        self.store.set_kind(name, kind);
        self.sources.push(SourceView {
            name: name.to_string(),
            kind: kind.to_string(),
            url: url.to_string(),
            health: Health::default(),
            offered: Vec::new(),
            last_bytes: 0,
        });
    }

    /// Apply one journal record to the state. Live updates and replay both
    /// come through here, so a reopened incident equals the live one.
    /// [`App::apply`] taking the record by value (replaying a journal):
    /// events and runs move into the store instead of being copied.
    pub fn replay(&mut self, r: Record) {
        self.bump(&r);
        match r {
            Record::Run { run } => self.apply_run(run),
            Record::Event { source, event } => self.apply_event(&source, event),
            r => self.apply_record(&r),
        }
    }

    fn apply_run(&mut self, run: crate::model::Run) {
        self.store.upsert_run(run);
        self.runs.stale = true;
    }

    fn apply_event(&mut self, source: &str, event: crate::model::Event) {
        // What reached the world changes a run's harm: the harm sort and
        // the first selection follow it.
        let harm = event.outbound || event.kind.is_world_change();
        if let Some(n) = self.store.push_event(source, event) {
            self.runs.stale |= harm;
            self.on_event_stored(n);
        }
    }

    /// Event `n` is in the store: the timeline places it by time, an open
    /// inspector of its run takes it in.
    pub(crate) fn on_event_stored(&mut self, n: usize) {
        self.timeline
            .on_new_event(&self.store, n, self.selected_run());
        self.inspector_on_event(n);
    }

    pub fn apply(&mut self, r: &Record) {
        self.bump(r);
        self.apply_record(r);
    }

    /// What the platforms said vs what the commander did: triage may lag
    /// the first by a moment, never the second.
    fn bump(&mut self, r: &Record) {
        match r {
            Record::Event { .. }
            | Record::Run { .. }
            | Record::Controls { .. }
            | Record::SourceStatus { .. } => self.generation += 1,
            _ => self.commander_generation += 1,
        }
    }

    fn apply_record(&mut self, r: &Record) {
        match r {
            Record::SessionStarted {
                operator, sources, ..
            } => {
                // Watchers and replays learn the sources' kinds here.
                for s in sources {
                    if let Ok(spec) = s.parse::<crate::source::SourceSpec>() {
                        self.store.set_kind(&spec.name, &spec.kind);
                    }
                }
                self.commander = Some(operator.label());
                self.session_ended = None;
                if self.incident.declared.is_none() {
                    // The first session declares the incident.
                    let at = self.now;
                    self.incident.declared = Some(at);
                    self.incident.status.push((
                        crate::model::incident::Status::Investigating,
                        at,
                        operator.label(),
                    ));
                }
            }
            Record::SessionEnded { reason } => self.session_ended = Some(reason.clone()),
            Record::Run { run } => self.apply_run(run.clone()),
            Record::Event { source, event } => self.apply_event(source, event.clone()),
            Record::SourceStatus { .. } => {}
            Record::Controls { source, controls } => {
                self.store.controls.insert(source.clone(), controls.clone());
                self.store
                    .reported_controls
                    .insert(source.clone(), controls.clone());
            }
            Record::CustomAction {
                name,
                exit,
                output,
                at,
                ..
            } => {
                self.custom_log
                    .push((name.clone(), *exit, output.clone(), *at));
            }
            Record::Drill { canaries, .. } => {
                self.drill
                    .get_or_insert_with(Vec::new)
                    .extend(canaries.iter().cloned());
            }
            Record::Restart { id, at, step } => self.apply_restart(*id, *at, step),
            Record::ActionIntent { .. }
            | Record::ActionSent { .. }
            | Record::ActionResult { .. }
            | Record::ActionVerified { .. } => self.apply_action(r),
            Record::Incident { .. }
            | Record::Note { .. }
            | Record::NoteDraft { .. }
            | Record::Exported { .. } => self.apply_incident(r),
        }
        self.dirty = true;
    }

    /// Apply and ask for it to be journaled.
    pub(crate) fn record(&mut self, r: Record, fx: &mut Vec<Effect>) {
        self.apply(&r);
        if self.journal_fault.is_some() {
            match &r {
                Record::Note { .. } | Record::Incident { .. } => self.unsaved.push(r.clone()),
                // Only the latest draft matters.
                Record::NoteDraft { .. } => {
                    self.unsaved
                        .retain(|u| !matches!(u, Record::NoteDraft { .. }));
                    self.unsaved.push(r.clone());
                }
                _ => {}
            }
        }
        fx.push(Effect::Journal(r));
    }

    /// The commander's work the journal did not take, as lines to copy:
    /// each note's text, each incident change, the unsaved draft.
    pub fn unsaved_lines(&self) -> Vec<String> {
        self.unsaved
            .iter()
            .filter_map(|r| match r {
                Record::Note { note } => Some(format!(
                    "note ({}) {}: {}",
                    note.kind.as_str(),
                    note.at.format("%H:%M:%S"),
                    note.text
                )),
                Record::NoteDraft { text, .. } if !text.trim().is_empty() => {
                    Some(format!("draft (not saved as a note): {text}"))
                }
                Record::Incident { change, at, .. } => Some(format!(
                    "incident change {}: {}",
                    at.format("%H:%M:%S"),
                    serde_json::to_string(change).unwrap_or_default()
                )),
                _ => None,
            })
            .collect()
    }

    /// The `/` filter of a pane.
    pub fn filter_of(&self, pane: Pane) -> &str {
        match pane {
            Pane::Runs => &self.runs.filter,
            Pane::Timeline => &self.timeline.filter,
            Pane::Containment => &self.contain_filter,
            Pane::Triage => &self.triage_filter,
            Pane::Notes => &self.notes_filter,
        }
    }

    /// Run index under the Runs selection.
    pub fn selected_run(&self) -> Option<usize> {
        self.runs.rows.get(self.runs.sel).copied()
    }

    /// Bring derived views up to date after records were applied.
    pub fn refresh(&mut self) {
        if self.runs.stale {
            let before = self.selected_run();
            self.runs.rebuild(&self.store, self.now);
            if let Some(b) = before
                && let Some(p) = self.runs.rows.iter().position(|&r| r == b)
            {
                self.runs.sel = p;
            }
            // Until the commander picks a run, the selection (and what the
            // containment keys act on) is the most harmful active run.
            if !self.runs.chosen
                && let Some(p) = self.runs.most_harmful_active(&self.store)
            {
                self.runs.sel = p;
            }
            self.runs.clamp(self.list_height(Pane::Runs));
            if self.timeline.scope == Scope::SelectedRun && before != self.selected_run() {
                self.rebuild_timeline();
            }
        }
    }

    pub fn rebuild_timeline(&mut self) {
        let run = self.selected_run();
        self.timeline.rebuild(&self.store, run);
        let h = self.list_height(Pane::Timeline);
        self.timeline.clamp(h);
    }

    /// The window cannot show what the commander would act on: the whole
    /// console below [`MIN_SIZE`], or an open dialog whose buttons would be
    /// cut. Drawing then says so, and keys that act are refused.
    pub fn too_small(&self) -> Option<String> {
        let (w, h) = self.size;
        if w < MIN_SIZE.0 || h < MIN_SIZE.1 {
            return Some(format!(
                "window too small: {w}x{h}; cordon needs at least {}x{}",
                MIN_SIZE.0, MIN_SIZE.1
            ));
        }
        let need = match &self.mode {
            Mode::Confirm(c) => Some(layout::dialog_size(
                &confirm_lines::content(c, &confirm_lines::Roles::default()).1,
                w,
            )),
            Mode::Pick(p) => Some((w, p.items.len() as u16 + 4)),
            _ => None,
        };
        match need {
            Some((nw, nh)) if nh > h || nw > w => Some(format!(
                "window too small for this dialog: {w}x{h}, it needs {nw}x{nh}"
            )),
            _ => None,
        }
    }

    /// Rows a list pane can show at the current size.
    pub fn list_height(&self, pane: Pane) -> usize {
        let areas = layout::compute(self.screen());
        areas
            .list_rows(pane, self.zoom && pane == self.focus)
            .height as usize
    }

    /// The whole terminal, as the layout sees it.
    pub fn screen(&self) -> ratatui::layout::Rect {
        ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1)
    }
}
