//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::source::SourceSpec;

#[derive(Debug, Parser)]
#[command(
    name = "cordon",
    version,
    about = "Incident command console for misbehaving AI agents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Colour theme: dark, light, high-contrast, colorblind, or a TOML file (NO_COLOR is honoured)
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Mouse support (off by default so the terminal's text selection works)
    #[arg(long, global = true)]
    pub mouse: bool,
    #[command(flatten)]
    pub console: ConsoleArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ConsoleArgs {
    /// A platform to watch: [NAME=]KIND:URL, e.g. sim=aca:http://127.0.0.1:7300 (repeatable)
    #[arg(long = "source", value_name = "[NAME=]KIND:URL")]
    pub sources: Vec<SourceSpec>,
    /// Config file (TOML) with sources
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The incident directory (journal); created if missing, reopened if present
    #[arg(long, value_name = "DIR")]
    pub incident_dir: Option<PathBuf>,
    /// Seconds between polls
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    pub poll: f64,
    /// Watch only: containment keys are not bound and the palette refuses actions
    #[arg(long)]
    pub read_only: bool,
    /// Sign the journal head with this SSH key at every export and on quit (or $CORDON_SIGN_KEY)
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the simulator in-process and open the console on it
    Demo(DemoArgs),
    /// Serve the simulator (ACA/1) for consoles and tests
    Sim(SimArgs),
    /// Print the active runs of a source, for scripts
    Runs(RunsArgs),
    /// Write the status update (users), the internal brief (stakeholders), the postmortem draft or the evidence bundle from a journal
    Export {
        /// status, internal, postmortem or evidence
        kind: String,
        #[arg(long, value_name = "DIR")]
        incident_dir: PathBuf,
        /// Output file (default: in the incident directory)
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Sign the journal head with this SSH key (or $CORDON_SIGN_KEY)
        #[arg(long, value_name = "KEY")]
        sign_key: Option<PathBuf>,
    },
    /// Follow a commander's live incident, read-only (responders)
    Watch {
        /// The incident directory (default: the most recent one)
        #[arg(long, value_name = "DIR")]
        incident_dir: Option<PathBuf>,
    },
    /// Play an incident's journal back in the console, read-only (reviews and drills)
    Replay {
        /// The incident directory
        dir: PathBuf,
        /// Playback speed (1 = real time)
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Start at this time (HH:MM[:SS] UTC on the incident's first day, or RFC 3339)
        #[arg(long)]
        from: Option<String>,
    },
    /// Take one containment action, journaled and verified (for scripts and runbooks)
    Act(ActArgs),
    /// Drill the stop controls on canaries before an incident; writes a readiness report
    Drill(DrillArgs),
    /// Regenerate the screenshots (SVG from the real render buffer)
    Screenshots {
        #[arg(long, default_value = "screenshots")]
        out: PathBuf,
    },
    /// Check an incident journal's hash chain, and that a pinned or signed head is in it
    Verify {
        /// The incident directory (or its journal.jsonl)
        dir: PathBuf,
        /// A head hash written down earlier (printed at exports and on quit): it must be in the chain
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
        /// Check the signed head (DIR/head.txt.sig) against these signers (ssh-keygen's allowed_signers format)
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        /// The signature to check (default: DIR/head.txt.sig; the statement is the same path without .sig)
        #[arg(long, value_name = "FILE", requires = "allowed_signers")]
        signature: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scenario to play: all, or one of wrong-segment, broad-edits, retry-loop, stale-context, unreviewed-write
    #[arg(long, default_value = "all")]
    pub scenario: String,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Simulated seconds per real second
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Where to keep the demo incident's journal
    #[arg(long, value_name = "DIR")]
    pub incident_dir: Option<PathBuf>,
    /// Watch only: containment keys are not bound
    #[arg(long)]
    pub read_only: bool,
    /// Sign the journal head with this SSH key at every export and on quit (or $CORDON_SIGN_KEY)
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    #[arg(long, default_value = "127.0.0.1:7300")]
    pub listen: SocketAddr,
    /// all, none, or a scenario name (repeatable)
    #[arg(long, default_value = "all")]
    pub scenario: Vec<String>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// No healthy background runs
    #[arg(long)]
    pub no_background: bool,
    /// Drill fault: stops are accepted but never take effect
    #[arg(long)]
    pub stops_ignored: bool,
    /// A read-only bearer token (read from this variable): reads and previews only, 403 on actions
    #[arg(long, value_name = "VAR")]
    pub read_only_token_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[arg(long, value_name = "[NAME=]KIND:URL", required = true)]
    pub source: Vec<SourceSpec>,
    /// JSON lines instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    #[arg(long, value_name = "[NAME=]KIND:URL")]
    pub source: SourceSpec,
    /// stop_run, rollback_run, terminate_run, pause_workflow, resume_workflow, hold_queue,
    /// release_queue, revoke_tool, restore_tool, revoke_credential, block_outbound,
    /// unblock_outbound
    pub kind: String,
    /// The run (Temporal: WORKFLOW_ID@RUN_ID for one execution, or a workflow id for its
    /// latest)
    #[arg(long = "run", value_name = "ID")]
    pub run: Option<String>,
    #[arg(long)]
    pub workflow: Option<String>,
    #[arg(long)]
    pub agent_class: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
    #[arg(long)]
    pub credential: Option<String>,
    /// Why (journaled and sent to the platform)
    #[arg(long)]
    pub reason: String,
    /// Show the blast radius only; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Act without asking
    #[arg(long)]
    pub yes: bool,
    #[arg(long, value_name = "DIR")]
    pub incident_dir: Option<PathBuf>,
    /// Seconds to wait for the effect to show
    #[arg(long, default_value_t = 20.0)]
    pub verify_timeout: f64,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// A platform to drill: [NAME=]KIND:URL (repeatable)
    #[arg(long = "source", value_name = "[NAME=]KIND:URL")]
    pub sources: Vec<SourceSpec>,
    /// Where the drill is journaled (a new directory; default: a new drill incident)
    #[arg(long, value_name = "DIR")]
    pub incident_dir: Option<PathBuf>,
    /// A run to drill on, where the platform cannot start a canary (Temporal: WORKFLOW_ID@RUN_ID)
    #[arg(long, value_name = "RUN")]
    pub canary: Option<String>,
    /// LangGraph: the drill assistant to start a canary run of
    #[arg(long, value_name = "NAME")]
    pub canary_assistant: Option<String>,
    /// Temporal: the drill task queue to start a canary workflow on
    #[arg(long, value_name = "QUEUE")]
    pub canary_task_queue: Option<String>,
    /// Temporal: the canary's workflow type
    #[arg(long, value_name = "TYPE", default_value = "DrillCanary")]
    pub canary_workflow_type: String,
    /// Also act on kinds whose scope reaches beyond the canary (else they are previewed only)
    #[arg(long)]
    pub include_global: bool,
    /// The readiness report (default: readiness.md in the incident directory)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Seconds to wait for each effect to show
    #[arg(long, default_value_t = 20.0, value_name = "SECS")]
    pub verify_timeout: f64,
    /// Play a past incident back instead, read-only (a table-top exercise)
    #[arg(long, value_name = "DIR", conflicts_with_all = ["sources", "canary", "include_global"])]
    pub replay: Option<PathBuf>,
}
