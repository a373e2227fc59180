//! The worker: owns the [`Client`], runs each [`Command`] as its own task so requests
//! overlap, and reports back with [`Action`]s tagged with the request they answer.
//! A task that panics is reported as a failure of its request, never a dead UI.

use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, Command, Entity, EntityKind, Failure, ListQuery, PageData, Source};
use crate::api::types::Cursor;
use crate::api::{Client, Include, ListOptions, PageRef, RelationInclude};

/// Runs commands against a client.
#[derive(Clone)]
pub struct Worker {
    client: Client,
    tx: UnboundedSender<Action>,
}

fn failure(e: crate::api::Error) -> Failure {
    Failure {
        status: e.status(),
        message: e.to_string(),
    }
}

/// What relation lists show: the relation's own fields and the other side's name.
const RELATION_INCLUDE: RelationInclude = RelationInclude {
    relation: Include::ALL,
    related: Some(Include {
        custom: false,
        status: true,
        kind: true,
    }),
};

/// The list options of a page request.
fn options<I>(query: &ListQuery, cursor: &Option<Cursor>, include: I) -> ListOptions<I> {
    ListOptions {
        limit: Some(query.limit),
        page: cursor.clone().map(PageRef::Next),
        filter: query.filter.clone(),
        sort: query.sort.clone(),
        include_total_count: true,
        include,
    }
}

impl Worker {
    /// A worker sending its answers on `tx`.
    pub fn new(client: Client, tx: UnboundedSender<Action>) -> Worker {
        Worker { client, tx }
    }

    /// Starts a command (I/O commands only; `Copy` and `Quit` belong to the loop).
    pub fn run(&self, cmd: Command) {
        let this = self.clone();
        let fallback = match &cmd {
            Command::FetchPage { req, .. } => Some((*req, true)),
            Command::FetchEntity { req, .. } => Some((*req, false)),
            _ => None,
        };
        let Some((req, is_page)) = fallback else {
            return;
        };
        let task = tokio::spawn(async move { this.execute(cmd).await });
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let action = match task.await {
                Ok(Some(a)) => a,
                Ok(None) => return,
                Err(e) => {
                    let f = Failure {
                        status: None,
                        message: format!("internal error in the request task: {e}"),
                    };
                    if is_page {
                        Action::PageLoaded {
                            req,
                            result: Err(f),
                        }
                    } else {
                        Action::EntityLoaded {
                            req,
                            result: Err(f),
                        }
                    }
                }
            };
            let _ = tx.send(action);
        });
    }

    async fn execute(&self, cmd: Command) -> Option<Action> {
        match cmd {
            Command::FetchPage {
                req,
                source,
                query,
                cursor,
            } => {
                let base = |include| options(&query, &cursor, include);
                let rel = || options(&query, &cursor, RELATION_INCLUDE);
                let c = &self.client;
                let result = match &source {
                    Source::Users => c.list_users(&base(Include::ALL)).await.map(PageData::Users),
                    Source::Channels => c
                        .list_channels(&base(Include::ALL))
                        .await
                        .map(PageData::Channels),
                    Source::Memberships(user) => c
                        .list_memberships(user, &rel())
                        .await
                        .map(PageData::Memberships),
                    Source::Members(channel) => {
                        c.list_members(channel, &rel()).await.map(PageData::Members)
                    }
                };
                Some(Action::PageLoaded {
                    req,
                    result: result.map_err(failure),
                })
            }
            Command::FetchEntity { req, kind, id } => {
                let result = match kind {
                    EntityKind::User => self
                        .client
                        .get_user(&id, Include::ALL)
                        .await
                        .map(Entity::User),
                    EntityKind::Channel => self
                        .client
                        .get_channel(&id, Include::ALL)
                        .await
                        .map(Entity::Channel),
                };
                Some(Action::EntityLoaded {
                    req,
                    result: result.map_err(failure),
                })
            }
            Command::Copy(_) | Command::Quit => None,
        }
    }
}
