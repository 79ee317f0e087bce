//! Every key the console answers to, in one table: the help overlay is
//! generated from it, so help never drifts from behaviour.

pub struct KeyHelp {
    pub keys: &'static str,
    pub what: &'static str,
    pub context: &'static str,
    /// Acts on the world: not bound (nor listed) in read-only mode.
    pub dangerous: bool,
    /// Writes the incident record (notes, triage, pins, exports): not
    /// listed for a watcher or a replay, which cannot.
    pub records: bool,
}

const fn k(keys: &'static str, what: &'static str, context: &'static str) -> KeyHelp {
    KeyHelp {
        keys,
        what,
        context,
        dangerous: false,
        records: false,
    }
}

const fn d(keys: &'static str, what: &'static str, context: &'static str) -> KeyHelp {
    KeyHelp {
        keys,
        what,
        context,
        dangerous: true,
        records: false,
    }
}

const fn r(keys: &'static str, what: &'static str, context: &'static str) -> KeyHelp {
    KeyHelp {
        keys,
        what,
        context,
        dangerous: false,
        records: true,
    }
}

pub const KEYS: &[KeyHelp] = &[
    k("Tab / Shift-Tab", "next / previous pane", "global"),
    k(
        "1 2 3 4 5",
        "focus Runs, Timeline, Triage, Containment, Notes",
        "global",
    ),
    k("j k / ↓ ↑", "move selection", "lists"),
    k("PgDn PgUp", "move a page", "lists"),
    k(
        "g / G",
        "top / bottom (G in Timeline resumes follow)",
        "lists",
    ),
    k(
        "/",
        "filter the focused list (Enter keeps, Esc clears)",
        "lists",
    ),
    k(
        "s / S",
        "sort by the next column (harm first, then state, activity, …) / reverse",
        "Runs",
    ),
    k("a", "show all runs / only active runs", "Runs"),
    k(
        "v",
        "timeline: all runs / selected run only",
        "Runs, Timeline",
    ),
    k("f", "follow new events on / off", "Timeline"),
    k(
        ":",
        "command palette: stop RUN, pause WORKFLOW, block-outbound … (Tab completes)",
        "global",
    ),
    k(
        "Space",
        "mark / unmark the run and move to the next (x stops every marked run)",
        "Runs",
    ),
    d("x", "stop the run (or all marked runs)", "Runs, Timeline"),
    d(
        "X",
        "roll back the run (stop + revert its reversible writes)",
        "Runs, Timeline",
    ),
    d(
        "K",
        "terminate the run (hard: closes at once, no clean-up; Temporal)",
        "Runs, Timeline",
    ),
    d("P", "pause the run's workflow", "Runs, Timeline"),
    d(
        "h / H",
        "hold the workflow's queue / every queue",
        "Runs, Timeline",
    ),
    d(
        "t",
        "revoke one of the run's tools for its agent class (picker)",
        "Runs, Timeline",
    ),
    d(
        "c",
        "revoke one of the run's credentials (picker)",
        "Runs, Timeline",
    ),
    d(
        "b / B",
        "block outbound for the run's agent class / for all",
        "Runs, Timeline",
    ),
    d(
        "u",
        "undo: the inverse of the control holding the run back",
        "Runs, Timeline",
    ),
    d(
        "u / Enter",
        "inverse of the selected control or action",
        "Containment",
    ),
    r(
        "p",
        "pin the selected event into the notes as evidence",
        "Timeline, Inspector",
    ),
    k(
        "Enter",
        "inspect the run (from an event: its run, at that event)",
        "Runs, Timeline",
    ),
    k(
        "z / y",
        "inspector: fold long values / copy the event (OSC 52)",
        "Inspector",
    ),
    k(
        "M",
        "choose a pattern (narrowest first: tool on target, error, workflow, class), Enter marks its active runs",
        "Inspector",
    ),
    r(
        "Space / Enter",
        "toggle a harm or tag; cycle an answer: yes → no → unknown → back to the evidence; cycle a repair state",
        "Triage",
    ),
    r(
        "e",
        "write a note on the selected answer or change",
        "Triage",
    ),
    r("A", "accept the suggested severity", "Triage"),
    r("+ / -", "severity one level up / down (asks why)", "Triage"),
    r(
        "s",
        "status: investigating → contained → monitoring → resolved (asks y / n)",
        "Triage",
    ),
    r(
        "i / Enter",
        "write a note; Ctrl-S saves, Ctrl-T changes its type, Esc leaves",
        "Notes",
    ),
    r(
        "t",
        "type of the next note: note, decision, hypothesis, action item, comms",
        "Notes",
    ),
    r(
        "E",
        "preview an export (status update, internal brief, postmortem, evidence); Enter writes it",
        "global",
    ),
    k(
        "Tab / s",
        "preview: next export / mark the exported update sent (restarts the cadence)",
        "Export preview",
    ),
    k("z", "zoom the focused pane to full screen / back", "global"),
    k(
        "y",
        "copy the selected run id / event to the clipboard (OSC 52, works over SSH)",
        "Runs, Timeline",
    ),
    k("?", "this help", "global"),
    k("Esc", "close help, clear filter", "global"),
    k(
        "q / Ctrl-C",
        "quit; asks y / n at SEV1–2 or while an action is unconfirmed (the journal is flushed first)",
        "global",
    ),
    k("Ctrl-Z", "suspend to the shell (fg resumes)", "global"),
];
