//! The subcommands, each returning a one-line error for `main` to print.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::App;
use crate::cli::{ConsoleArgs, DemoArgs, RunsArgs, SimArgs};
pub use crate::config::{Config, load_config, sources_of};
use crate::journal::{self, Journal, Operator, Record};
use crate::runtime::{Ended, run_console};
use crate::sim::{self, SimOptions};
use crate::source::{SourceSpec, http};

/// A failure with the exit code it should produce.
#[derive(Debug)]
pub struct Fail {
    pub code: i32,
    pub message: String,
}

impl Fail {
    pub fn new(code: i32, message: impl Into<String>) -> Fail {
        Fail {
            code,
            message: message.into(),
        }
    }
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::new(exit::FAILED, m)
    }
}

/// Exit codes of every subcommand (`act` adds its own: [`act_exit`]).
pub mod exit {
    /// It failed; the message says what and what to do.
    pub const FAILED: i32 = 1;
    /// Bad flags, config or input: nothing was done.
    pub const USAGE: i32 = 2;
    /// Ended by signal N: this plus N, as shells do.
    pub const SIGNAL: i32 = 128;
}

/// At least one source, each well formed; else a usage error ending in
/// `hint` (what to try).
fn check_sources(specs: &[SourceSpec], hint: &str) -> Result<(), Fail> {
    if specs.is_empty() {
        return Err(Fail::new(exit::USAGE, format!("no source given; {hint}")));
    }
    for s in specs {
        crate::source::check(s)
            .map_err(|e| Fail::new(exit::USAGE, format!("source {}: {e}", s.name)))?;
    }
    Ok(())
}

/// Open (or create) an incident and build the app from its journal.
pub fn open_incident(dir: &Path, specs: &[SourceSpec]) -> Result<(App, Journal), Fail> {
    let incident = journal::incident_or(dir, "incident");
    let operator = Operator::from_env();
    let now = chrono::Utc::now();
    let mut app = App::new(now, &incident, &dir.display().to_string(), operator.clone());
    for s in specs {
        app.add_source(&s.name, &s.kind, &s.shown_url());
    }
    // Replayed as it is read and checked: a big incident is never held
    // twice, and reading overlaps with applying.
    let mut replayed = 0usize;
    let mut caught = journal::CaughtUp::default();
    let journal = Journal::open_with(dir, |e| {
        replayed += 1;
        caught.see(&e);
        app.replay(e.record);
    })
    .map_err(|e| Fail::new(exit::FAILED, e.to_string()))?;
    if replayed as u64 >= crate::mem::GIVE_BACK_AFTER {
        // Reading freed as much as it kept (lines, parse scratch).
        crate::mem::give_back();
    }
    app.caught_up = caught.times();
    app.refresh();
    app.rebuild_timeline();
    if let Some(t) = &journal.torn {
        app.notices.push(t.to_string());
    }
    app.flash = Some(if replayed > 0 {
        format!("reopened: {replayed} journal records replayed")
    } else {
        // A typo'd --incident-dir would otherwise start a second incident
        // without a word.
        format!(
            "NEW incident {incident} in {} (nothing was there; to reopen one, check the path)",
            dir.display()
        )
    });
    let started = Record::SessionStarted {
        incident: incident.clone(),
        operator,
        version: env!("CARGO_PKG_VERSION").into(),
        sources: specs.iter().map(SourceSpec::shown).collect(),
    };
    app.apply(&started);
    journal.handle.append(started);
    Ok((app, journal))
}

/// A source is stale when no good poll came for two intervals and a
/// margin (never under 10 s): with `--poll 30` a healthy source is not
/// shown STALE between polls.
pub fn stale_after(poll_secs: f64) -> i64 {
    ((2.0 * poll_secs).ceil() as i64 + 5).max(10)
}

/// Exit code of the console: how it ended, unless its journal failed
/// (then 9, saying what is missing: that is what the next person needs).
/// After a journal failure: what the commander did that is not on disk,
/// on stderr (the terminal is back), to copy into the incident channel.
fn say_unsaved(unsaved: &[String]) {
    if unsaved.is_empty() {
        return;
    }
    eprintln!(
        "cordon: NOT SAVED — the journal could not be written, so these {} are not in it; copy them now:",
        if unsaved.len() == 1 {
            "1 entry".to_string()
        } else {
            format!("{} entries", unsaved.len())
        }
    );
    for l in unsaved {
        eprintln!("  {}", crate::sanitize::line(l, 4096));
    }
}

fn ended_code((e, fault): (Ended, Option<journal::Fault>)) -> Result<(), Fail> {
    if let Some(f) = fault {
        return Err(Fail::new(
            act_exit::JOURNAL,
            format!(
                "{f}: the journal stops at its last durable line; what happened after is not in it"
            ),
        ));
    }
    match e {
        Ended::Quit => Ok(()),
        Ended::Signal(n) => Err(Fail::new(
            exit::SIGNAL + n,
            format!("ended by signal {n}; journal flushed"),
        )),
        Ended::TerminalGone(w) => Err(Fail::new(
            exit::FAILED,
            format!("terminal gone ({w}); journal flushed"),
        )),
    }
}

pub async fn console(args: ConsoleArgs) -> Result<(), Fail> {
    let Config {
        specs,
        poll,
        custom,
        keymap,
        theme: config_theme,
        rules,
    } = load_config(&args)?;
    // Sources and the config's theme are checked before anything opens.
    check_sources(
        &specs,
        "try `cordon demo`, or `cordon --source sim=aca:http://127.0.0.1:7300`",
    )?;
    let mut theme = theme();
    if let Some(name) =
        config_theme.filter(|_| !THEME_FLAG.load(std::sync::atomic::Ordering::Relaxed))
    {
        theme
            .switch(&name)
            .map_err(|e| Fail::new(exit::USAGE, format!("config: {e}")))?;
    }
    crate::runtime::check_terminal()
        .map_err(|e| Fail::new(exit::USAGE, format!("the console {e}")))?;
    let dir = args
        .incident_dir
        .clone()
        .unwrap_or_else(|| journal::default_dir(&journal::new_incident_id(chrono::Utc::now())));
    let (mut app, journal) = open_incident(&dir, &specs)?;
    app.read_only = args.read_only;
    app.stale_after = stale_after(poll);
    app.custom_actions = custom.clone();
    app.keymap = keymap;
    app.store.set_rules(rules);
    let key = sign_key(args.sign_key.clone());
    let c = run_console(
        app,
        journal,
        &specs,
        Duration::from_secs_f64(poll),
        custom,
        key.clone(),
        term(theme),
    )
    .await?;
    eprintln!(
        "cordon: incident journal in {} (check it with: cordon verify {})",
        dir.display(),
        dir.display()
    );
    say_unsaved(&c.unsaved);
    say_head(c.head, &dir, key.as_deref());
    ended_code((c.ended, c.fault))
}

/// The key to sign heads with: the flag, else $CORDON_SIGN_KEY.
fn sign_key(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| {
        std::env::var_os("CORDON_SIGN_KEY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// On quit: the head to paste into the incident channel, signed if a key
/// was given.
fn say_head(head: Option<journal::Head>, dir: &Path, key: Option<&Path>) {
    if let Some(h) = head {
        eprintln!(
            "cordon: {}; pin it: cordon verify {} --head {}",
            crate::runtime::pin_and_sign(&h, dir, key),
            dir.display(),
            h.hash
        );
    }
}

pub async fn demo(args: DemoArgs) -> Result<(), Fail> {
    if !(args.speed > 0.0 && args.speed <= 100.0) {
        return Err(Fail::new(
            exit::USAGE,
            "--speed must be above 0 and at most 100",
        ));
    }
    let opts = SimOptions {
        scenarios: vec![args.scenario.clone()],
        background: true,
        seed: args.seed,
        speed: args.speed,
    };
    let dir = args.incident_dir.clone().unwrap_or_else(|| {
        journal::default_dir(&format!(
            "{}-demo",
            journal::new_incident_id(chrono::Utc::now())
        ))
    });
    // A demo plays a fresh simulator: over an existing incident it would
    // mix a drill into real evidence.
    if std::fs::metadata(journal::journal_path(&dir)).is_ok_and(|m| m.len() > 0) {
        return Err(Fail::new(
            exit::USAGE,
            format!(
                "{} already holds an incident; a demo writes only to a new directory (look at this one with `cordon replay {}` or `cordon watch --incident-dir {}`)",
                dir.display(),
                dir.display(),
                dir.display()
            ),
        ));
    }
    crate::runtime::check_terminal()
        .map_err(|e| Fail::new(exit::USAGE, format!("cordon demo {e}")))?;
    let sim = sim::start("127.0.0.1:0".parse().expect("literal address"), opts)
        .await
        .map_err(|e| Fail::new(exit::USAGE, e))?;
    let spec: SourceSpec = format!("sim=aca:{}", sim.url()).parse()?;
    let specs = vec![spec];
    let (mut app, journal) = open_incident(&dir, &specs)?;
    app.read_only = args.read_only;
    let key = sign_key(args.sign_key.clone());
    let c = run_console(
        app,
        journal,
        &specs,
        Duration::from_millis(500),
        Vec::new(),
        key.clone(),
        term(theme()),
    )
    .await?;
    drop(sim);
    eprintln!("cordon demo: incident journal in {}", dir.display());
    eprintln!("  check it:  cordon verify {}", dir.display());
    eprintln!(
        "  reopen it: cordon --incident-dir {} --source sim=aca:http://127.0.0.1:7300",
        dir.display()
    );
    say_unsaved(&c.unsaved);
    say_head(c.head, &dir, key.as_deref());
    ended_code((c.ended, c.fault))
}

pub async fn sim(args: SimArgs) -> Result<(), Fail> {
    if !(args.speed >= 0.0 && args.speed <= 1000.0) {
        return Err(Fail::new(exit::USAGE, "--speed must be between 0 and 1000"));
    }
    let opts = SimOptions {
        scenarios: args.scenario.clone(),
        background: !args.no_background,
        seed: args.seed,
        speed: args.speed,
    };
    let read_only_token = match &args.read_only_token_env {
        Some(var) => Some(
            std::env::var(var)
                .ok()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    Fail::new(
                        exit::USAGE,
                        format!("--read-only-token-env: ${var} is not set"),
                    )
                })?,
        ),
        None => None,
    };
    let sim = sim::start(args.listen, opts)
        .await
        .map_err(|e| Fail::new(exit::USAGE, e))?;
    {
        let mut w = sim.world.lock().unwrap_or_else(|p| p.into_inner());
        w.stops_ignored = args.stops_ignored;
        w.read_only_tokens.extend(read_only_token);
    }
    eprintln!(
        "cordon sim: serving ACA/1 on {} (scenario {}, seed {}, speed {}x); Ctrl-C stops",
        sim.url(),
        args.scenario.join(","),
        args.seed,
        args.speed
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

pub async fn runs(args: RunsArgs) -> Result<(), Fail> {
    let client = http::client();
    let mut all = Vec::new();
    let specs: Vec<SourceSpec> = args
        .source
        .iter()
        .cloned()
        .flat_map(SourceSpec::expand)
        .collect();
    for spec in &specs {
        let mut src =
            crate::source::build(spec, client.clone()).map_err(|e| Fail::new(exit::USAGE, e))?;
        let runs = src.list_active().await.map_err(|e| {
            Fail::new(
                exit::FAILED,
                format!("source {} ({}): {e}", spec.name, spec.shown_url()),
            )
        })?;
        all.extend(runs);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{:<8} {:<12} {:<15} {:<22} {:<22} {:>5} {:>4}  ASSIGNMENT",
            "SOURCE", "RUN", "STATE", "AGENT", "WORKFLOW", "TOOLS", "ERR"
        );
        for r in &all {
            println!(
                "{:<8} {:<12} {:<15} {:<22} {:<22} {:>5} {:>4}  {}",
                r.source,
                r.id,
                r.state.as_str(),
                r.agent,
                r.workflow,
                r.stats.tool_calls,
                r.stats.errors,
                r.assignment
            );
        }
    }
    Ok(())
}

/// `cordon verify DIR [--head HASH] [--allowed-signers FILE [--signature
/// FILE]]`: the chain, then every pinned head (typed, or from a signed
/// statement whose signature checks out) must be a line of it. A chain
/// cut and re-hashed verifies on its own; it does not contain the pin.
pub fn verify(
    path: PathBuf,
    head: Option<&str>,
    allowed_signers: Option<PathBuf>,
    signature: Option<PathBuf>,
) -> Result<(), Fail> {
    use crate::journal::head;
    let (file, dir) = if path.is_dir() {
        (journal::journal_path(&path), path)
    } else {
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        (path, dir)
    };
    let mut pins: Vec<(String, String)> = Vec::new();
    if let Some(h) = head {
        pins.push((
            head::parse_hash(h).map_err(|e| Fail::new(exit::USAGE, e))?,
            "pinned".into(),
        ));
    }
    if let Some(allowed) = &allowed_signers {
        let sig = signature.unwrap_or_else(|| dir.join(head::SIGNATURE));
        let statement = match sig.to_str().and_then(|s| s.strip_suffix(".sig")) {
            Some(s) => PathBuf::from(s),
            None => dir.join(head::STATEMENT),
        };
        let (who, signed) = head::verify_signature(&statement, &sig, allowed)
            .map_err(|e| Fail::new(exit::FAILED, e))?;
        println!("signature good: {who} signed head {signed}");
        pins.push((signed, format!("signed by {who}")));
    }
    let (head, n) = match journal::verify(&file) {
        Err(e) => {
            return Err(Fail::new(
                exit::USAGE,
                format!("cannot read {}: {e}", file.display()),
            ));
        }
        Ok(Err((line, reason))) => {
            return Err(Fail::new(
                exit::FAILED,
                format!("{}: line {line}: {reason}", file.display()),
            ));
        }
        Ok(Ok(v)) => v,
    };
    println!("ok: {n} records, chain intact");
    println!("head {head}");
    for (pin, what) in pins {
        match journal::verify_pinned(&file, &pin) {
            Ok(Ok((_, n, Some(line)))) => println!(
                "{what} head {pin} is line {line} of {n}: the journal up to it is as pinned ({} records after it)",
                n - line
            ),
            Ok(Ok((_, _, None))) => {
                return Err(Fail::new(
                    exit::FAILED,
                    format!(
                        "{what} head {pin} is not in {}: the journal was rewritten or cut before that point (its chain verifies on its own, the pin does not)",
                        file.display()
                    ),
                ));
            }
            Ok(Err((line, reason))) => {
                return Err(Fail::new(
                    exit::FAILED,
                    format!("{}: line {line}: {reason}", file.display()),
                ));
            }
            Err(e) => {
                return Err(Fail::new(
                    exit::USAGE,
                    format!("cannot read {}: {e}", file.display()),
                ));
            }
        }
    }
    Ok(())
}

pub fn screenshots(out: PathBuf) -> Result<(), Fail> {
    let files = crate::scenes::write_screenshots(&out).map_err(|e| {
        Fail::new(
            exit::FAILED,
            format!("cannot write screenshots to {}: {e}", out.display()),
        )
    })?;
    for f in files {
        println!("{}", out.join(f).display());
    }
    Ok(())
}

/// Exit codes of `cordon act` (README, "Containment").
pub mod act_exit {
    /// A fresh read of the same object showed the effect.
    pub const CONFIRMED: i32 = 0;
    pub const USAGE: i32 = super::exit::USAGE;
    /// Accepted, but the effect was not (fully) seen: UNCONFIRMED, or a
    /// rollback PARTLY DONE.
    pub const UNCONFIRMED: i32 = 3;
    /// The platform said no (also to the dry run).
    pub const REFUSED: i32 = 4;
    /// No answer, and the re-reads did not show the effect (or the
    /// platform says it never received it, or it may still arrive); also a
    /// dry run without a usable answer.
    pub const NO_ANSWER: i32 = 5;
    pub const NOT_CONFIRMED_BY_OPERATOR: i32 = 6;
    /// The run had already ended: nothing to stop.
    pub const ALREADY_ENDED: i32 = 7;
    /// The rollback's plan reverts nothing, or the control was already in
    /// force before the action.
    pub const NOTHING_TO_DO: i32 = 8;
    /// The journal cannot be written: nothing was sent (or, if it failed
    /// after the intent was durable, the outcome is not all on record).
    pub const JOURNAL: i32 = 9;

    /// The exit code of an action's final phase.
    pub fn of(p: crate::model::ActionPhase) -> i32 {
        use crate::model::ActionPhase::*;
        match p {
            Confirmed => CONFIRMED,
            Partial | Unconfirmed | Accepted | Sent | Intent => UNCONFIRMED,
            Refused => REFUSED,
            Failed | NotReceived | Unknown => NO_ANSWER,
            AlreadyEnded => ALREADY_ENDED,
            NothingToDo => NOTHING_TO_DO,
            NotSent => JOURNAL,
        }
    }
}

/// The dry run, as `act` prints it: blast radius, a rollback's plan, what
/// starts next, what the platform's own action does not undo.
fn print_preview(
    kind: crate::model::ActionKind,
    source_kind: &str,
    label: &str,
    p: &crate::model::ActionAnswer,
) {
    println!(
        "{} on {label}: {} run(s) affected{}{}",
        kind.as_str(),
        p.affected_runs.len(),
        if p.affected_runs.is_empty() { "" } else { ": " },
        p.affected_runs.join(", ")
    );
    if let Some(r) = &p.reverts {
        println!("will revert {} write(s):", r.len());
        for w in r {
            println!("  {} {} {}", w.event_id, w.kind, w.target);
        }
    }
    if !p.cannot_revert.is_empty() {
        println!("will NOT revert {} write(s):", p.cannot_revert.len());
        for w in &p.cannot_revert {
            println!("  {} {} {} ({})", w.event_id, w.kind, w.target, w.why);
        }
    }
    if !p.starts_next.is_empty() {
        println!(
            "starts next: {} run(s) queued behind it will start as soon as it stops: {}",
            p.starts_next.len(),
            p.starts_next.join(", ")
        );
    }
    if let Some(n) = crate::model::platform_note(source_kind, kind) {
        println!("note: {n}");
    }
    println!("undo: {}", kind.undo_note());
}

pub async fn act(a: crate::cli::ActArgs) -> Result<(), Fail> {
    use crate::contain::{ActionMsg, Policy, exec};
    use crate::model::{ActionKind, ActionPhase, ActionRequest, Target};
    use act_exit::*;
    let kind = ActionKind::parse(&a.kind).ok_or_else(|| {
        let all: Vec<&str> = ActionKind::ALL.iter().map(|k| k.as_str()).collect();
        Fail::new(
            USAGE,
            format!("unknown action '{}'; one of {}", a.kind, all.join(", ")),
        )
    })?;
    // Typed ids enter as the platform's do ([`crate::sanitize::id`]): an
    // escape in `--run` is echoed, journaled and shown as `␛`, never
    // raw; the actor sends the id back as typed.
    let id = |v: &Option<String>| v.as_deref().map(|s| crate::sanitize::id(s).into_owned());
    let target = Target {
        run_id: id(&a.run),
        workflow: id(&a.workflow),
        agent_class: id(&a.agent_class),
        tool: id(&a.tool),
        credential: id(&a.credential),
    };
    if a.reason.trim().is_empty() {
        return Err(Fail::new(USAGE, "--reason must say why"));
    }
    let actor =
        crate::source::build_actor(&a.source, http::client()).map_err(|e| Fail::new(USAGE, e))?;
    // A dry run the platform refused (a 4xx) is REFUSED; one without a
    // usable answer (a timeout, a 5xx, an answer cordon cannot read) is
    // NO ANSWER. Either way nothing was sent.
    let preview = actor.dry_run(kind, target.clone()).await.map_err(|e| {
        if e.permanent {
            Fail::new(REFUSED, format!("dry run refused: {e}; nothing sent"))
        } else {
            Fail::new(
                NO_ANSWER,
                format!("no usable answer to the dry run: {e}; nothing sent"),
            )
        }
    })?;
    print_preview(kind, &a.source.kind, &target.label(), &preview);
    let operator = Operator::from_env();
    let key = uuid::Uuid::new_v4().to_string();
    let req = ActionRequest {
        id: format!("CLI-{}", &key[..8]),
        source: a.source.name.clone(),
        kind,
        target,
        reason: crate::sanitize::line(&a.reason, 500),
        key,
        actor: operator.actor(),
    };
    // Nothing to act on: say so, send nothing (and, unless this is only a
    // dry run, put the attempt on record).
    let idle = if kind == ActionKind::RollbackRun
        && preview.reverts.as_ref().is_some_and(|r| r.is_empty())
    {
        Some((
            ActionPhase::NothingToDo,
            "NOTHING TO ROLL BACK",
            format!(
                "nothing to roll back: the platform's plan reverts no write ({})",
                preview.message
            ),
        ))
    } else if kind.on_run() && kind != ActionKind::RollbackRun {
        exec::read_before(&*actor, &req).await.and_then(|b| {
            match crate::source::weigh(kind, Some(&b), b.check.clone()) {
                crate::source::Check::AlreadyEnded(d) => Some((
                    ActionPhase::AlreadyEnded,
                    ActionPhase::AlreadyEnded.label(),
                    d,
                )),
                _ => None,
            }
        })
    } else {
        None
    };
    let refuse = |(phase, head, d): &(ActionPhase, &str, String)| {
        Fail::new(of(*phase), format!("{head}: {d}; nothing sent"))
    };
    if a.dry_run {
        return match &idle {
            Some(i) => Err(refuse(i)),
            None => Ok(()),
        };
    }
    if idle.is_none() && !a.yes {
        use std::io::{BufRead, IsTerminal, Write};
        if !std::io::stdin().is_terminal() {
            return Err(Fail::new(
                NOT_CONFIRMED_BY_OPERATOR,
                "not confirmed: add --yes to act without a prompt",
            ));
        }
        print!("type 'yes' to {}: ", kind.verb().to_lowercase());
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if line.trim() != "yes" {
            return Err(Fail::new(
                NOT_CONFIRMED_BY_OPERATOR,
                "not confirmed; nothing was sent",
            ));
        }
    }
    let dir = a
        .incident_dir
        .clone()
        .unwrap_or_else(|| journal::default_dir(&journal::new_incident_id(chrono::Utc::now())));
    let mut journal = Journal::open(&dir).map_err(|e| Fail::new(exit::FAILED, e.to_string()))?;
    let policy = Policy {
        verify_timeout: Duration::from_secs_f64(a.verify_timeout.clamp(0.5, 600.0)),
        ..Policy::default()
    };
    settle_leftovers(&mut journal, &dir, &a.source, actor.clone(), &policy).await;
    let started = chrono::Utc::now();
    journal.handle.append(Record::ActionIntent {
        request: req.clone(),
        operator,
        preview: Some(preview.affected_runs.clone()),
        at: started,
        note: crate::model::platform_note(&a.source.kind, kind).map(str::to_string),
        dry_run: Some(Box::new(preview.clone())),
    });
    if let Some(i) = &idle {
        // The attempt is on record, with why nothing left.
        journal.handle.append(Record::ActionVerified {
            id: req.id.clone(),
            confirmed: false,
            detail: format!("{}; nothing sent", i.2),
            at: chrono::Utc::now(),
            outcome: Some(i.0),
            reverted: vec![],
        });
        let durable = journal.handle.sync();
        journal.close();
        eprintln!("journal: {}", dir.display());
        return Err(match durable {
            Ok(_) => refuse(i),
            Err(e) => Fail::new(
                JOURNAL,
                format!("{}; and its record is incomplete: {e}", refuse(i).message),
            ),
        });
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    exec::execute(
        actor,
        req.clone(),
        Some(preview),
        Some(journal.handle.clone()),
        tx,
        policy,
    )
    .await;
    let mut outcome = Err(Fail::new(NO_ANSWER, "no answer from the platform"));
    while let Ok((m, at)) = rx.try_recv() {
        let secs = (at - started).num_milliseconds() as f64 / 1000.0;
        match &m {
            ActionMsg::Retrying { error, .. } => eprintln!("retrying: {error}"),
            ActionMsg::NotSent { reason, .. } => {
                outcome = Err(Fail::new(JOURNAL, format!("NOT SENT: {reason}")));
            }
            ActionMsg::Answered {
                result: Ok(ans),
                attempts,
                lost,
                ..
            } if ans.state.accepted() => {
                if let Some(l) = lost {
                    println!(
                        "the answer was lost ({l}); the platform, asked by key, says: {}",
                        ans.message
                    );
                }
                println!(
                    "accepted in {secs:.1} s ({attempts} attempt(s)): {}",
                    ans.message
                );
                outcome = Err(Fail::new(UNCONFIRMED, "accepted but not confirmed"));
            }
            ActionMsg::Answered {
                result: Ok(ans), ..
            } => {
                outcome = Err(Fail::new(
                    REFUSED,
                    format!(
                        "REFUSED: the platform answered {}: {}",
                        ans.state.as_str(),
                        ans.message
                    ),
                ));
            }
            ActionMsg::Answered {
                result: Err((_, e)),
                lost: Some(_),
                ..
            } => println!(
                "the answer was lost ({e}); re-reading the platform before saying anything"
            ),
            ActionMsg::Answered {
                result: Err((_, e)),
                ..
            } => outcome = Err(Fail::new(REFUSED, format!("REFUSED: {e}"))),
            ActionMsg::Verified {
                outcome: ActionPhase::Confirmed,
                detail,
                ..
            } => {
                println!("CONFIRMED in {secs:.1} s: {detail}");
                outcome = Ok(());
            }
            ActionMsg::Verified {
                outcome: o, detail, ..
            } => {
                outcome = Err(Fail::new(of(*o), format!("{}: {detail}", o.label())));
            }
            _ => {}
        }
        if let Some(r) = exec::record_of(m, at) {
            journal.handle.append(r);
        }
    }
    let durable = journal.handle.sync();
    journal.close();
    eprintln!("journal: {}", dir.display());
    match (durable, outcome) {
        (Err(e), Ok(())) => Err(Fail::new(
            JOURNAL,
            format!("the action was confirmed, but its record is incomplete: {e}"),
        )),
        (Err(e), Err(f)) if f.code != JOURNAL => Err(Fail::new(
            JOURNAL,
            format!("{}; and its record is incomplete: {e}", f.message),
        )),
        (_, outcome) => outcome,
    }
}

/// `cordon drill`: every offered action on canaries, journaled as a
/// drill, told as a readiness report. Exit 3 when an offered action could
/// not be confirmed (a credential that may not act is a finding, not a
/// failure). `--replay DIR` is the replay, for table-top exercises.
pub async fn drill(a: crate::cli::DrillArgs) -> Result<(), Fail> {
    if let Some(dir) = &a.replay {
        return replay(dir, 1.0, None).await;
    }
    let specs: Vec<SourceSpec> = a
        .sources
        .iter()
        .cloned()
        .flat_map(SourceSpec::expand)
        .collect();
    check_sources(
        &specs,
        "try `cordon drill --source sim=aca:http://127.0.0.1:7300`",
    )?;
    let now = chrono::Utc::now();
    let dir = a.incident_dir.clone().unwrap_or_else(|| {
        journal::default_dir(&format!("{}-drill", journal::new_incident_id(now)))
    });
    // A drill never mixes into a real incident's evidence.
    if std::fs::metadata(journal::journal_path(&dir)).is_ok_and(|m| m.len() > 0) {
        return Err(Fail::new(
            exit::USAGE,
            format!(
                "{} already holds an incident; a drill writes only to a new directory",
                dir.display()
            ),
        ));
    }
    let journal = Journal::open(&dir).map_err(|e| Fail::new(exit::FAILED, e.to_string()))?;
    let operator = Operator::from_env();
    let incident = journal::incident_or(&dir, "drill");
    journal.handle.append(Record::SessionStarted {
        incident: incident.clone(),
        operator: operator.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        sources: specs.iter().map(SourceSpec::shown).collect(),
    });
    let opts = crate::drill::Options {
        canary: a.canary.clone(),
        ask: crate::source::CanaryAsk {
            assistant: a.canary_assistant.clone(),
            task_queue: a.canary_task_queue.clone(),
            workflow_type: Some(a.canary_workflow_type.clone()),
            ..crate::source::CanaryAsk::default()
        },
        include_global: a.include_global,
        policy: crate::contain::Policy {
            verify_timeout: Duration::from_secs_f64(a.verify_timeout.clamp(0.5, 600.0)),
            ..crate::contain::Policy::default()
        },
        operator,
        incident,
    };
    let d = crate::drill::run(&specs, &opts, &journal.handle).await;
    let text = crate::drill::report::render(&d);
    let out = a.output.clone().unwrap_or_else(|| dir.join("readiness.md"));
    let written = std::fs::write(&out, &text)
        .map_err(|e| Fail::new(exit::FAILED, format!("cannot write {}: {e}", out.display())));
    let durable = journal.handle.sync();
    journal.close();
    written?;
    println!("{}", out.display());
    eprintln!("journal: {} (a drill)", dir.display());
    if let Err(e) = durable {
        return Err(Fail::new(
            act_exit::JOURNAL,
            format!("the drill's journal is incomplete: {e}"),
        ));
    }
    match d.failures() {
        0 => Ok(()),
        n => Err(Fail::new(
            act_exit::UNCONFIRMED,
            format!(
                "NOT READY: {n} offered action(s) could not be confirmed; see {}",
                out.display()
            ),
        )),
    }
}

/// Actions an earlier session left in this incident without an outcome
/// (it crashed between the intent and the verdict): settle them with the
/// platform, as the console does on reopen, before anything new is sent.
/// Never re-sent; each verdict is printed and journaled.
async fn settle_leftovers(
    journal: &mut Journal,
    dir: &Path,
    source: &SourceSpec,
    actor: std::sync::Arc<dyn crate::source::Actor>,
    policy: &crate::contain::Policy,
) {
    use crate::app::Effect;
    use crate::contain::{ActionMsg, exec};
    let entries = std::mem::take(&mut journal.entries);
    if !entries
        .iter()
        .any(|e| matches!(e.record, Record::ActionIntent { .. }))
    {
        return;
    }
    let mut app = App::new(
        chrono::Utc::now(),
        "act",
        &dir.display().to_string(),
        Operator::from_env(),
    );
    app.add_source(&source.name, &source.kind, &source.url);
    for e in entries {
        app.replay(e.record);
    }
    for fx in app.reconcile_effects() {
        let Effect::Reconcile {
            request,
            answer,
            dry_run,
            since,
        } = fx
        else {
            continue;
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let id = request.id.clone();
        let what = format!("{} {}", request.kind.as_str(), request.target.label());
        if request.source == source.name {
            let prior = exec::prior_after_crash(dry_run, since);
            exec::reconcile(actor.clone(), request, answer, prior, tx, policy.clone()).await;
        } else {
            let _ = tx.send((
                ActionMsg::Verified {
                    id,
                    outcome: crate::model::ActionPhase::Unknown,
                    detail: format!(
                        "reconciled after a restart: source {} was not given to this act, so cordon cannot tell whether it was applied; not re-sent",
                        request.source
                    ),
                    reverted: vec![],
                },
                chrono::Utc::now(),
            ));
        }
        while let Ok((m, at)) = rx.try_recv() {
            if let ActionMsg::Verified {
                id,
                outcome,
                detail,
                ..
            } = &m
            {
                println!(
                    "earlier action {id} ({what}): {}: {detail}",
                    outcome.label()
                );
            }
            if let Some(r) = exec::record_of(m, at) {
                journal.handle.append(r);
            }
        }
    }
}

/// `cordon export KIND --incident-dir DIR [-o FILE]`: works while a
/// console has the incident open (it only reads the journal then). When no
/// console holds it, a status update or internal brief is also journaled
/// as a communication; marking it sent is done in the console (`:sent`).
/// Prints the file and the journal head it was built from (signed with
/// `--sign-key`).
pub fn export(
    kind: &str,
    dir: &Path,
    output: Option<PathBuf>,
    sign_key_flag: Option<PathBuf>,
) -> Result<(), Fail> {
    if !crate::report::KINDS.contains(&kind) {
        return Err(Fail::new(
            exit::USAGE,
            format!(
                "unknown export '{kind}'; one of {}",
                crate::report::KINDS.join(", ")
            ),
        ));
    }
    if !journal::journal_path(dir).exists() {
        return Err(Fail::new(
            exit::USAGE,
            format!(
                "no incident journal in {}; pass the incident directory",
                dir.display()
            ),
        ));
    }
    let now = chrono::Utc::now();
    let draft =
        crate::report::draft_from_dir(dir, kind, now).map_err(|e| Fail::new(exit::FAILED, e))?;
    let w =
        crate::report::write_export(dir, &draft, output).map_err(|e| Fail::new(exit::FAILED, e))?;
    println!("{}", w.path);
    for warning in &draft.warnings {
        eprintln!("check before sending: {warning}");
    }
    if let Some(to) = crate::report::audience(kind) {
        match journal::Journal::open_with(dir, |_| {}) {
            Ok(j) => {
                j.handle.append(Record::Exported {
                    kind: w.kind.clone(),
                    path: w.path.clone(),
                    at: now,
                    to: Some(to.to_string()),
                    sha256: Some(w.sha256.clone()),
                    by: Some(journal::Operator::from_env().label()),
                    promised: w.promised,
                });
                j.close();
                eprintln!(
                    "recorded as a communication to {to}; mark it sent in the console (:sent {kind}) once it has gone out"
                );
            }
            Err(journal::OpenError::Locked(_)) => eprintln!(
                "not recorded as a communication: a console holds this incident; export it there (E) to record it"
            ),
            Err(e) => eprintln!("not recorded as a communication: {e}"),
        }
    }
    let head = journal::Head {
        records: draft.records,
        hash: draft.head.clone(),
    };
    println!("journal head {}", head.hash);
    if let Some(key) = sign_key(sign_key_flag) {
        let sig = journal::head::sign(&key, dir, &journal::incident_of(dir), &head)
            .map_err(|e| Fail::new(exit::FAILED, e))?;
        println!("signed: {}", sig.display());
    }
    Ok(())
}

/// `cordon replay DIR [--speed X] [--from TIME]`.
pub async fn replay(dir: &Path, speed: f64, from: Option<&str>) -> Result<(), Fail> {
    if !(speed > 0.0 && speed <= 1024.0) {
        return Err(Fail::new(
            exit::USAGE,
            "--speed must be above 0 and at most 1024",
        ));
    }
    let path = journal::journal_path(dir);
    if !path.exists() {
        return Err(Fail::new(
            exit::USAGE,
            format!(
                "no incident journal in {}; pass the incident directory",
                dir.display()
            ),
        ));
    }
    crate::runtime::check_terminal()
        .map_err(|e| Fail::new(exit::USAGE, format!("cordon replay {e}")))?;
    // Read-only: no lock, so a live incident can be replayed beside it.
    let out = journal::read_journal(&path)
        .map_err(|e| Fail::new(exit::FAILED, format!("cannot read {}: {e}", path.display())))?;
    if out.entries.is_empty() {
        return Err(Fail::new(
            exit::FAILED,
            format!("{} holds no records yet", path.display()),
        ));
    }
    let id = journal::incident_of(dir);
    let (mut rp, mut app) =
        crate::replay::Replay::new(out.entries, &id, &dir.display().to_string(), speed);
    if let Some(f) = from {
        let t = crate::model::time::typed(f, rp.start).ok_or_else(|| {
            Fail::new(
                exit::USAGE,
                "--from takes HH:MM[:SS] (UTC) or an RFC 3339 time",
            )
        })?;
        rp.advance_to(&mut app, t.max(rp.start));
    }
    let ended = crate::runtime::run_replay(rp, app, term(theme())).await?;
    ended_code((ended, None))
}

/// `cordon watch [--incident-dir DIR]`. Without a directory it lists the
/// recent incidents and their state: it never guesses which one to show.
pub async fn watch(dir: Option<PathBuf>) -> Result<(), Fail> {
    let Some(dir) = dir else {
        let base = journal::default_dir("x")
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let items = crate::watch::recent_incidents(&base, 10);
        if items.is_empty() {
            return Err(Fail::new(
                exit::USAGE,
                format!(
                    "no incident found under {}; pass --incident-dir DIR",
                    base.display()
                ),
            ));
        }
        print!("{}", crate::watch::listing(&items, chrono::Utc::now()));
        return Err(Fail::new(
            exit::USAGE,
            "which one? pass --incident-dir DIR (cordon watch never guesses)",
        ));
    };
    if !dir.is_dir() {
        return Err(Fail::new(
            exit::USAGE,
            format!("{} is not an incident directory", dir.display()),
        ));
    }
    crate::runtime::check_terminal()
        .map_err(|e| Fail::new(exit::USAGE, format!("cordon watch {e}")))?;
    let id = journal::incident_of(&dir);
    let mut app = App::new(
        chrono::Utc::now(),
        &id,
        &dir.display().to_string(),
        Operator::from_env(),
    );
    app.read_only = true;
    let ended = crate::runtime::run_watch(dir, app, term(theme())).await?;
    ended_code((ended, None))
}

/// The theme chosen at start, at the terminal's colour depth.
static THEME: std::sync::OnceLock<crate::ui::Theme> = std::sync::OnceLock::new();

/// The theme came from --theme or $CORDON_THEME (they win over the config).
pub static THEME_FLAG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Load the chosen theme once (flag, else $CORDON_THEME, else dark) and fit
/// it to the terminal's colour depth; a bad theme is a one-line error.
pub fn set_theme(choice: Option<&str>) -> Result<(), Fail> {
    let env = std::env::var("CORDON_THEME").ok();
    THEME_FLAG.store(
        choice.is_some() || env.is_some(),
        std::sync::atomic::Ordering::Relaxed,
    );
    let name = choice.or(env.as_deref()).unwrap_or("dark");
    let mut theme = crate::ui::Theme::load(name).map_err(|e| Fail::new(exit::USAGE, e))?;
    theme.mode = crate::ui::colors::ColorMode::detect(|k| std::env::var(k).ok());
    let _ = THEME.set(theme);
    Ok(())
}

/// The theme for a new app.
pub fn theme() -> crate::ui::Theme {
    THEME.get().cloned().unwrap_or_default()
}

/// `--mouse`: opt-in mouse capture.
pub static MOUSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The terminal's settings for a console loop, as values: `--mouse`, and
/// the theme to draw with.
fn term(theme: crate::ui::Theme) -> crate::runtime::TermOptions {
    crate::runtime::TermOptions {
        mouse: MOUSE.load(std::sync::atomic::Ordering::Relaxed),
        theme,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_slow_poll_is_not_stale_between_polls() {
        assert_eq!(super::stale_after(1.0), 10);
        assert_eq!(super::stale_after(2.0), 10);
        // 30 s polls: stale only after two missed intervals and a margin.
        assert_eq!(super::stale_after(30.0), 65);
        assert_eq!(super::stale_after(0.5), 10);
    }
}
