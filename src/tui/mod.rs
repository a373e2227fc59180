//! The terminal app: terminal setup and restore, and the event loop that feeds
//! [`action::Action`]s to [`app::App::update`], hands its [`action::Command`]s to the
//! [`worker`], and draws only when something changed.

pub mod access;
pub mod action;
pub mod app;
pub mod columns;
pub mod command;
pub mod describe;
pub mod edit;
pub mod editor;
mod export;
pub mod external;
pub mod focused;
pub mod help;
pub mod history;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod live;
pub mod relations_editor;
pub mod runner;
pub mod terminal;
pub mod view;
pub mod worker;

pub use runner::Runner;
