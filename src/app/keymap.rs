//! Every key the console answers to, in one table: the help overlay is
//! generated from it, so help never drifts from behaviour.

pub struct KeyHelp {
    pub keys: &'static str,
    pub what: &'static str,
    pub context: &'static str,
}

pub const KEYS: &[KeyHelp] = &[
    KeyHelp {
        keys: "Tab / Shift-Tab",
        what: "next / previous pane",
        context: "global",
    },
    KeyHelp {
        keys: "1 2 3 4 5",
        what: "focus Runs, Timeline, Triage, Containment, Notes",
        context: "global",
    },
    KeyHelp {
        keys: "j k / ↓ ↑",
        what: "move selection",
        context: "lists",
    },
    KeyHelp {
        keys: "PgDn PgUp",
        what: "move a page",
        context: "lists",
    },
    KeyHelp {
        keys: "g / G",
        what: "top / bottom (G in Timeline resumes follow)",
        context: "lists",
    },
    KeyHelp {
        keys: "/",
        what: "filter the focused list (Enter keeps, Esc clears)",
        context: "lists",
    },
    KeyHelp {
        keys: "s / S",
        what: "sort by next column / reverse order",
        context: "Runs",
    },
    KeyHelp {
        keys: "a",
        what: "show all runs / only active runs",
        context: "Runs",
    },
    KeyHelp {
        keys: "v",
        what: "timeline: all runs / selected run only",
        context: "Runs, Timeline",
    },
    KeyHelp {
        keys: "f",
        what: "follow new events on / off",
        context: "Timeline",
    },
    KeyHelp {
        keys: "?",
        what: "this help",
        context: "global",
    },
    KeyHelp {
        keys: "Esc",
        what: "close help, clear filter",
        context: "global",
    },
    KeyHelp {
        keys: "q / Ctrl-C",
        what: "quit (the journal is flushed first)",
        context: "global",
    },
];
