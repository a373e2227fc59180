//! The App Context client: wire types (shared with the local server), request signing,
//! and [`Client`] with one async method per operation (all 16), paging, retries and
//! typed errors.

pub mod access;
pub mod cbor;
pub mod client;
pub mod error;
mod grant;
pub mod keyset;
mod objects;
pub mod options;
pub mod paging;
pub(crate) mod relations;
pub mod retry;
pub mod rules;
pub mod signature;
pub mod subscribe;
pub mod token;
pub mod types;
pub mod walk;

pub use client::{Client, ClientOptions, Observer, RequestRecord, MAX_RESPONSE_BYTES, PNSDK};
pub use error::Error;
pub use keyset::{Keyset, Secret, DEFAULT_ORIGIN};
pub use options::{
    ChannelFields, Include, ListOptions, ObjectListOptions, PageRef, RelationChange, RelationEntry,
    RelationInclude, RelationListOptions, SetOptions, SortDirection, SortKey, UserFields,
    MAX_LIMIT,
};
pub use paging::Pager;
pub use retry::RetryPolicy;
pub use walk::{Walk, WalkItem, WalkStats};
