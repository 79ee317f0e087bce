use clap::Parser;
use cordon::cli::{Cli, Command};
use cordon::commands;

/// mimalloc: glibc's allocator spent a third of ingest in malloc/free and
/// arena-lock futexes (events are allocated on the UI thread and freed on
/// the journal thread); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // A file-size limit (ulimit -f) must turn a journal write into an
    // error cordon can report and act on (refusing actions), not a silent
    // SIGXFSZ death mid-incident.
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line that says what is wrong, not a page of usage.
            let text = e.to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("bad arguments");
            eprintln!(
                "cordon: {} (see cordon --help)",
                first.trim_start_matches("error: ")
            );
            std::process::exit(commands::exit::USAGE);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cordon: cannot start the async runtime: {e}");
            std::process::exit(commands::exit::FAILED);
        }
    };
    commands::MOUSE.store(cli.mouse, std::sync::atomic::Ordering::Relaxed);
    if let Err(e) = commands::set_theme(cli.theme.as_deref()) {
        eprintln!("cordon: {}", e.message);
        std::process::exit(e.code);
    }
    let result = rt.block_on(async move {
        match cli.command {
            None => commands::console(cli.console).await,
            Some(Command::Demo(a)) => commands::demo(a).await,
            Some(Command::Sim(a)) => commands::sim(a).await,
            Some(Command::Runs(a)) => commands::runs(a).await,
            Some(Command::Verify {
                dir,
                head,
                allowed_signers,
                signature,
            }) => commands::verify(dir, head.as_deref(), allowed_signers, signature),
            Some(Command::Screenshots { out }) => commands::screenshots(out),
            Some(Command::Act(a)) => commands::act(a).await,
            Some(Command::Drill(a)) => commands::drill(a).await,
            Some(Command::Watch { incident_dir }) => commands::watch(incident_dir).await,
            Some(Command::Replay { dir, speed, from }) => {
                commands::replay(&dir, speed, from.as_deref()).await
            }
            Some(Command::Export {
                kind,
                incident_dir,
                output,
                sign_key,
            }) => commands::export(&kind, &incident_dir, output, sign_key),
        }
    });
    if let Err(f) = result {
        eprintln!("cordon: {}", f.message);
        std::process::exit(f.code);
    }
}
