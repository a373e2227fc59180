//! The App Context client side: wire types (shared with the local server) and request
//! signing.

pub mod signature;
pub mod types;
