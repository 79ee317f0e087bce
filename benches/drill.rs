//! `cordon drill` (the release binary), repeated, against the simulator
//! (ACA/1.1 canaries), a LangGraph Agent Server (the `drill_canary`
//! assistant) and a Temporal dev server with workflow pause enabled (the
//! `DrillCanary` workflow on the harness's drill queue): per action kind,
//! the time from its intent being journaled to its confirmation by a
//! fresh read (both read back from the drill's journal), and the whole
//! drill's wall time.
//!
//! Run: cargo bench --bench drill   (ITER=N drills per platform, default
//! 10; skips a platform, saying so, without the peers; under `cargo test`
//! it does nothing)

#[path = "../tests/peers/mod.rs"]
mod peers;

use std::collections::BTreeMap;
use std::time::Instant;

use cordon::journal::Record;

const BIN: &str = env!("CARGO_BIN_EXE_cordon");

/// Per kind (as `kind` or `kind (inverse)`), seconds to confirm.
type Times = BTreeMap<String, Vec<f64>>;

/// One drill; its wall time, and its confirmed actions' times into `t`.
fn drill(spec: &str, args: &[&str], t: &mut Times) -> Result<f64, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = tmp.path().join("d");
    let t0 = Instant::now();
    let out = std::process::Command::new(BIN)
        .args(["drill", "--source", spec, "--incident-dir"])
        .arg(&dir)
        .args(args)
        .env("XDG_STATE_HOME", tmp.path())
        .output()
        .map_err(|e| e.to_string())?;
    let wall = t0.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let j = cordon::journal::read_journal(&cordon::journal::journal_path(&dir))
        .map_err(|e| e.to_string())?;
    let mut intents = BTreeMap::new();
    let mut first_of_kind: Vec<cordon::model::ActionKind> = Vec::new();
    for e in &j.entries {
        match &e.record {
            Record::ActionIntent { request, at, .. } => {
                // The inverse is the second action of a pair on a scope.
                let inverse = request
                    .kind
                    .inverse()
                    .is_some_and(|k| first_of_kind.contains(&k));
                first_of_kind.push(request.kind);
                let name = if inverse {
                    format!("{} (inverse)", request.kind.as_str())
                } else {
                    request.kind.as_str().to_string()
                };
                intents.insert(request.id.clone(), (name, *at));
            }
            Record::ActionVerified {
                id,
                confirmed: true,
                at,
                ..
            } => {
                if let Some((name, sent)) = intents.get(id) {
                    let s = (*at - *sent).num_microseconds().unwrap_or(0) as f64 / 1e6;
                    t.entry(name.clone()).or_default().push(s);
                }
            }
            _ => {}
        }
    }
    Ok(wall)
}

fn stats(v: &mut [f64]) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize] * 1000.0;
    format!(
        "{:.0} / {:.0} / {:.0} / {:.0} ms",
        at(0.0),
        at(0.5),
        at(0.9),
        at(1.0)
    )
}

fn report(platform: &str, spec: &str, args: &[&str], n: usize) {
    let mut t = Times::new();
    let mut walls = Vec::new();
    for i in 0..n {
        match drill(spec, args, &mut t) {
            Ok(w) => walls.push(w),
            Err(e) => {
                println!("{platform}: drill {i} failed: {e}");
                return;
            }
        }
    }
    println!("\n{platform}: {n} drills, time to confirm (min / median / p90 / max)");
    for (k, v) in &mut t {
        println!("| {platform} | {k} | {} | {} |", v.len(), stats(v));
    }
    println!(
        "| {platform} | whole drill (wall) | {n} | {} |",
        stats(&mut walls)
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("ITER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(async {
        let w =
            cordon::sim::World::new(&["none".to_string()], false, 7, chrono::Utc::now()).unwrap();
        cordon::sim::start_with("127.0.0.1:0".parse().unwrap(), w, 1.0)
            .await
            .unwrap()
    });
    report("sim", &format!("sim=aca:{}", sim.url()), &[], n);
    match peers::shared_langgraph() {
        Some(p) => report(
            "LangGraph",
            &format!("lg=langgraph:{}", p.url),
            &["--canary-assistant", "drill_canary"],
            n,
        ),
        None => println!("SKIP LangGraph: run scripts/install-peers.sh"),
    }
    match peers::shared_temporal_with_pause() {
        Some(p) => report(
            "Temporal",
            &format!("tm=temporal:{}", p.url),
            &["--canary-task-queue", peers::DRILL_QUEUE],
            n,
        ),
        None => println!("SKIP Temporal: run scripts/install-peers.sh"),
    }
}
