//! The export preview: every export is read in the console before it is
//! written, and what is written is exactly what was read. A dialog as a
//! state machine: keys give an [`Outcome`], the app carries it out.
//! Exporting a status update or internal brief records it as a
//! communication; marking it sent (`s`) restarts the update cadence —
//! exporting alone does not.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::journal::IncidentChange;
use crate::report::{Draft, KINDS, Written};

#[derive(Debug, Clone, PartialEq)]
pub enum Rendering {
    Loading,
    Ready(Box<Draft>),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportPreview {
    /// Index into [`KINDS`].
    pub kind: usize,
    pub draft: Rendering,
    /// First line shown.
    pub scroll: usize,
    /// Which render request the dialog waits for (older answers are
    /// dropped: the commander moved on).
    pub request: u64,
    /// Lines in the draft (counted once, when it arrives).
    pub total: usize,
    /// Being written, or written: (path, sha256) once done.
    pub writing: bool,
    pub written: Option<Written>,
    /// The platforms' records the console held when the render was asked
    /// for ([`App::generation`]): more since, and the draft is behind what
    /// the console shows.
    pub seen: u64,
}

/// The preview scrolls this far at most: a million-event evidence bundle
/// is written whole, but nobody reads it in a dialog (and skipping to a
/// line costs its offset on every frame).
pub const PREVIEW_LINES: usize = 20_000;

/// What a key in the preview asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stay,
    Close,
    /// Show another export (render it afresh).
    Show(usize),
    /// Write what is shown.
    Export,
    MarkSent,
}

impl ExportPreview {
    pub fn kind(&self) -> &'static str {
        KINDS[self.kind]
    }

    pub fn lines(&self) -> usize {
        self.total
    }

    /// Keys: Tab / Shift-Tab (← →) switch export, j k PgDn PgUp g G
    /// scroll, Enter writes, s marks sent, r renders again, Esc closes.
    pub fn on_key(&mut self, k: KeyEvent, page: usize) -> Outcome {
        let last = self.lines().min(PREVIEW_LINES).saturating_sub(1);
        let n = KINDS.len();
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => return Outcome::Close,
            KeyCode::Tab | KeyCode::Right => return Outcome::Show((self.kind + 1) % n),
            KeyCode::BackTab | KeyCode::Left => return Outcome::Show((self.kind + n - 1) % n),
            KeyCode::Char('r') => return Outcome::Show(self.kind),
            KeyCode::Enter | KeyCode::Char('e') => return Outcome::Export,
            KeyCode::Char('s') => return Outcome::MarkSent,
            KeyCode::Char('j') | KeyCode::Down => self.scroll = (self.scroll + 1).min(last),
            KeyCode::Char('k') | KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll = (self.scroll + page).min(last),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Char('g') | KeyCode::Home => self.scroll = 0,
            KeyCode::Char('G') | KeyCode::End => self.scroll = last,
            KeyCode::Char('d') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.scroll = (self.scroll + page / 2).min(last)
            }
            _ => {}
        }
        Outcome::Stay
    }
}

impl App {
    /// Open the preview on one export (`E`, `:export KIND`).
    pub fn open_export(&mut self, kind: &str, fx: &mut Vec<Effect>) {
        if self.viewer() {
            self.flash = Some(format!(
                "a watcher or replay cannot export here: run `cordon export {kind} --incident-dir {}`",
                self.incident_dir
            ));
            return;
        }
        let i = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
        self.mode = Mode::Export(Box::new(ExportPreview {
            kind: i,
            draft: Rendering::Loading,
            scroll: 0,
            request: 0,
            total: 0,
            writing: false,
            written: None,
            seen: self.generation,
        }));
        self.render_export(fx);
    }

    /// Ask for the shown export to be rendered from the journal.
    fn render_export(&mut self, fx: &mut Vec<Effect>) {
        self.next_proposal += 1;
        let request = self.next_proposal;
        let seen = self.generation;
        if let Mode::Export(p) = &mut self.mode {
            p.request = request;
            p.seen = seen;
            p.draft = Rendering::Loading;
            p.scroll = 0;
            p.total = 0;
            p.written = None;
            p.writing = false;
            fx.push(Effect::Render {
                kind: p.kind().to_string(),
                request,
            });
        }
    }

    pub(super) fn on_export_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        let page = (self.size.1 as usize).saturating_sub(10).max(1);
        let Mode::Export(p) = &mut self.mode else {
            return;
        };
        let kind = p.kind();
        match p.on_key(k, page) {
            Outcome::Stay => {}
            Outcome::Close => self.mode = Mode::Normal,
            Outcome::Show(i) => {
                p.kind = i;
                self.render_export(fx);
            }
            Outcome::Export => {
                let flash = match &p.draft {
                    Rendering::Ready(d) if !p.writing => {
                        p.writing = true;
                        fx.push(Effect::Export(d.clone()));
                        format!("writing the {}…", crate::report::title_of(&d.kind))
                    }
                    Rendering::Ready(_) => "already writing it".into(),
                    Rendering::Loading => "still rendering: export when it is shown".into(),
                    Rendering::Failed(e) => format!("nothing to export: {e} (r tries again)"),
                };
                self.flash = Some(flash);
            }
            Outcome::MarkSent => {
                if let Err(e) = self.mark_sent(kind, fx) {
                    self.flash = Some(e);
                }
            }
        }
    }

    /// The commander says the last export of `kind` went out.
    pub fn mark_sent(&mut self, kind: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
        if crate::report::audience(kind).is_none() {
            return Err(format!(
                "a {} is not sent to anyone; only the status update and the internal brief are",
                crate::report::title_of(kind)
            ));
        }
        let Some(c) = self.incident.last_export(kind) else {
            return Err(format!(
                "export the {} first (Enter), then mark it sent once it has gone out",
                crate::report::title_of(kind)
            ));
        };
        if let Some((at, by)) = &c.sent {
            return Err(format!(
                "already marked sent at {} by {by}",
                at.format("%H:%M:%S UTC")
            ));
        }
        let sha256 = c.sha256.clone();
        self.change(
            IncidentChange::Sent {
                kind: kind.to_string(),
                sha256,
            },
            fx,
        );
        self.flash = Some(match (kind, self.incident.next_update()) {
            ("status", Some(t)) => format!(
                "status update marked sent; next one due {}",
                t.format("%H:%M UTC")
            ),
            _ => format!("{} marked sent", crate::report::title_of(kind)),
        });
        Ok(())
    }

    /// A render the preview asked for.
    pub(super) fn on_rendered(&mut self, request: u64, result: Result<Box<Draft>, String>) {
        if let Mode::Export(p) = &mut self.mode
            && p.request == request
        {
            p.draft = match result {
                Ok(d) => {
                    p.total = d.text.lines().count();
                    Rendering::Ready(d)
                }
                Err(e) => Rendering::Failed(e),
            };
        }
    }

    /// Exports written: each is journaled, a communication with its
    /// audience, text digest and the next update it promised.
    pub(super) fn on_exported(
        &mut self,
        result: Result<Vec<Written>, String>,
        pin: Option<(String, String)>,
        at: crate::model::Time,
        fx: &mut Vec<Effect>,
    ) {
        if let Mode::Export(p) = &mut self.mode {
            p.writing = false;
        }
        match result {
            Ok(files) => {
                let names: Vec<String> = files.iter().map(|w| w.path.clone()).collect();
                for w in files {
                    if let Mode::Export(p) = &mut self.mode
                        && p.kind() == w.kind
                    {
                        p.written = Some(w.clone());
                    }
                    let to = crate::report::audience(&w.kind).map(str::to_string);
                    self.record(
                        crate::journal::Record::Exported {
                            kind: w.kind,
                            path: w.path,
                            at,
                            by: Some(self.who()),
                            sha256: Some(w.sha256),
                            promised: if to.is_some() { w.promised } else { None },
                            to,
                        },
                        fx,
                    );
                }
                // The head goes first, and on the clipboard: it is what
                // gets pasted into the incident channel.
                self.flash = Some(match pin {
                    Some((hash, said)) => {
                        fx.push(Effect::Copy(hash));
                        format!("{said} (copied) · exported: {}", names.join(", "))
                    }
                    None => format!("exported: {}", names.join(", ")),
                });
            }
            Err(e) => self.flash = Some(format!("export failed: {e}")),
        }
    }
}
