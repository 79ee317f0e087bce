//! The built-in simulator: scripted incidents from the seed guide, served
//! over ACA/1 so the console (and tests) meet a real HTTP peer.

pub mod api;
pub mod canary;
pub mod scale;
pub mod scenarios;
pub mod script;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use world::World;

/// Options for `cordon sim` and `cordon demo`.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub scenarios: Vec<String>,
    pub background: bool,
    pub seed: u64,
    /// Simulated seconds per real second; 0 freezes the clock (tests drive
    /// it through the shared world).
    pub speed: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            scenarios: vec!["all".into()],
            background: true,
            seed: 7,
            speed: 1.0,
        }
    }
}

/// A running simulator.
pub struct Sim {
    pub addr: SocketAddr,
    pub world: api::Shared,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Sim {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Start the simulator on `listen` (port 0 picks a free one).
pub async fn start(listen: SocketAddr, opts: SimOptions) -> Result<Sim, String> {
    let world = World::new(
        &opts.scenarios,
        opts.background,
        opts.seed,
        chrono::Utc::now(),
    )?;
    start_with(listen, world, opts.speed).await
}

pub async fn start_with(listen: SocketAddr, world: World, speed: f64) -> Result<Sim, String> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        format!("cannot listen on {listen}: {e}; pick another address with --listen")
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let world = Arc::new(Mutex::new(world));
    let app = api::router(world.clone());
    let mut tasks = vec![tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })];
    if speed > 0.0 {
        let clock = world.clone();
        tasks.push(tokio::spawn(async move {
            let mut last = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            loop {
                tick.tick().await;
                let now = Instant::now();
                let dt = now.duration_since(last).mul_f64(speed);
                last = now;
                api_lock(&clock).advance(dt);
            }
        }));
    }
    Ok(Sim { addr, world, tasks })
}

fn api_lock(w: &api::Shared) -> std::sync::MutexGuard<'_, World> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}
