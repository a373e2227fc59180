//! appctx: a terminal browser and editor for PubNub App Context, with a local App
//! Context server that speaks PubNub's wire protocol.

pub mod api;
pub mod cli;
pub mod config;
pub mod filter;
pub mod server;
pub mod text;
pub mod tui;
