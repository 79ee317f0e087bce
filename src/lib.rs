//! cordon: a terminal console for incident command when AI agents misbehave.
//!
//! Data flows one way: source adapters poll platforms and send messages;
//! `App::update` (pure) turns them into state and effects; the runtime
//! carries out effects (journal, network); `ui::draw` only reads.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod contain;
pub mod drill;
pub mod journal;
pub mod mem;
pub mod model;
pub mod replay;
pub mod report;
pub mod runtime;
pub mod sanitize;
pub mod scenes;
pub mod secret;
pub mod sim;
pub mod source;
pub mod tui;
pub mod ui;
pub mod watch;
