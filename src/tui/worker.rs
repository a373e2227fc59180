//! The worker: owns the [`Client`], runs each [`Command`] as its own task so requests
//! overlap, and reports back with [`Action`]s tagged with the request they answer.
//! A task that panics is reported as a failure of its request, never a dead UI.

use tokio::sync::mpsc::UnboundedSender;

use super::action::{
    Action, Command, Entity, EntityKind, Failure, ListQuery, PageData, Source, Write, WriteDone,
};
use crate::api::types::{Cursor, Custom, ETag, Maybe};
use crate::api::{
    ChannelFields, Client, Include, ListOptions, PageRef, RelationChange, RelationEntry,
    RelationInclude, SetOptions, UserFields,
};

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
pub(crate) const RELATION_INCLUDE: RelationInclude = RelationInclude {
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
        // The total on the first page of a query only: a count on a million rows is
        // not free, and later pages keep it (issue 12).
        include_total_count: cursor.is_none(),
        include,
    }
}

impl Worker {
    /// A worker sending its answers on `tx`.
    pub fn new(client: Client, tx: UnboundedSender<Action>) -> Worker {
        Worker { client, tx }
    }

    /// Starts a command (I/O commands only; `Copy`, `ExternalEdit` and `Quit` belong
    /// to the loop).
    pub fn run(&self, cmd: Command) {
        // How to report this command's failure if its task dies.
        let on_panic: Box<dyn FnOnce(Failure) -> Action + Send> = match &cmd {
            Command::FetchPage { req, .. } => {
                let req = *req;
                Box::new(move |f| Action::PageLoaded {
                    req,
                    result: Err(f),
                })
            }
            Command::FetchEntity { req, .. } => {
                let req = *req;
                Box::new(move |f| Action::EntityLoaded {
                    req,
                    result: Err(f),
                })
            }
            Command::Write { req, .. } => {
                let req = *req;
                Box::new(move |f| Action::Written {
                    req,
                    result: Err(f),
                })
            }
            Command::BulkRemove { req, id, .. } => {
                let (req, id) = (*req, id.clone());
                Box::new(move |f| Action::BulkStep {
                    req,
                    id,
                    result: Err(f),
                })
            }
            Command::Export { req, .. } => {
                let req = *req;
                Box::new(move |f| Action::Exported {
                    req,
                    result: Err(f),
                })
            }
            Command::SaveColumns { .. } => Box::new(|f| Action::Notice {
                text: f.message,
                error: true,
            }),
            Command::Copy(_)
            | Command::Quit
            | Command::ExternalEdit(_)
            | Command::LiveWatch(_)
            | Command::LiveEnable(_) => return,
        };
        let this = self.clone();
        let task = tokio::spawn(async move { this.execute(cmd).await });
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let action = match task.await {
                Ok(Some(a)) => a,
                Ok(None) => return,
                Err(e) => on_panic(Failure {
                    status: None,
                    message: format!("internal error in the request task: {e}"),
                }),
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
            Command::Write { req, write } => Some(Action::Written {
                req,
                result: self.write(write).await.map_err(failure),
            }),
            Command::BulkRemove { req, write, id } => Some(Action::BulkStep {
                req,
                id,
                result: self.write(write).await.map_err(failure),
            }),
            Command::Export { req, path, what } => Some(Action::Exported {
                req,
                result: super::export::export(&self.client, &path, what)
                    .await
                    .map_err(|message| Failure {
                        status: None,
                        message,
                    }),
            }),
            Command::SaveColumns { chosen, path } => {
                let saved =
                    tokio::task::spawn_blocking(move || super::columns::save(&chosen, &path)).await;
                match saved {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(Action::Notice {
                        text: format!("Could not keep the columns: {e}"),
                        error: true,
                    }),
                    Err(e) => Some(Action::Notice {
                        text: format!("Could not keep the columns: {e}"),
                        error: true,
                    }),
                }
            }
            Command::Copy(_)
            | Command::Quit
            | Command::ExternalEdit(_)
            | Command::LiveWatch(_)
            | Command::LiveEnable(_) => None,
        }
    }

    async fn write(&self, write: Write) -> Result<WriteDone, crate::api::Error> {
        let c = &self.client;
        let set_opts = |if_match: Option<String>| SetOptions {
            include: Include::ALL,
            if_match: if_match.map(ETag),
        };
        match write {
            Write::SetUser {
                id,
                fields,
                if_match,
                create,
            } => {
                if create {
                    self.refuse_existing(EntityKind::User, &id).await?;
                }
                Ok(WriteDone::Saved(Entity::User(
                    c.set_user(&id, &fields, &set_opts(if_match)).await?,
                )))
            }
            Write::SetChannel {
                id,
                fields,
                if_match,
                create,
            } => {
                if create {
                    self.refuse_existing(EntityKind::Channel, &id).await?;
                }
                Ok(WriteDone::Saved(Entity::Channel(
                    c.set_channel(&id, &fields, &set_opts(if_match)).await?,
                )))
            }
            Write::Recreate { entity, relations } => {
                let (saved, source) = match &entity {
                    Entity::User(u) => (
                        Entity::User(
                            c.set_user(&u.user_id, &UserFields::from(u), &set_opts(None))
                                .await?,
                        ),
                        Source::Memberships(u.user_id.clone()),
                    ),
                    Entity::Channel(ch) => (
                        Entity::Channel(
                            c.set_channel(
                                &ch.channel_id,
                                &ChannelFields::from(ch),
                                &set_opts(None),
                            )
                            .await?,
                        ),
                        Source::Members(ch.channel_id.clone()),
                    ),
                };
                self.manage_in_batches(&source, &relations, false).await?;
                Ok(WriteDone::Saved(saved))
            }
            Write::Remove {
                kind,
                id,
                with_relations,
            } => {
                let entity = match kind {
                    EntityKind::User => c.get_user(&id, Include::ALL).await.map(Entity::User),
                    EntityKind::Channel => {
                        c.get_channel(&id, Include::ALL).await.map(Entity::Channel)
                    }
                };
                let entity = match entity {
                    Ok(e) => Some(e),
                    Err(e) if e.status() == Some(404) => None,
                    Err(e) => return Err(e),
                };
                let relations = self.all_relations(kind, &id).await?;
                if with_relations {
                    let source = match kind {
                        EntityKind::User => Source::Memberships(id.clone()),
                        EntityKind::Channel => Source::Members(id.clone()),
                    };
                    self.manage_in_batches(&source, &relations, true).await?;
                }
                match kind {
                    EntityKind::User => c.remove_user(&id).await?,
                    EntityKind::Channel => c.remove_channel(&id).await?,
                }
                Ok(WriteDone::Removed { entity, relations })
            }
            Write::Manage {
                source,
                set,
                delete,
                base,
                force,
            } => {
                let set = if base.is_empty() {
                    set
                } else {
                    match self.merge_relations(&source, set, &base, force).await? {
                        Ok(merged) => merged,
                        Err(conflicts) => return Ok(WriteDone::RelationConflicts(conflicts)),
                    }
                };
                let change = RelationChange {
                    set,
                    delete: delete.into_iter().map(RelationEntry::id).collect(),
                    if_match: None,
                };
                let query = ListQuery {
                    limit: crate::tui::list::PAGE_SIZE,
                    ..Default::default()
                };
                let opts = options(&query, &None, RELATION_INCLUDE);
                match source {
                    Source::Memberships(user) => c
                        .manage_memberships(&user, &change, &opts)
                        .await
                        .map(|p| WriteDone::Relations(PageData::Memberships(p))),
                    Source::Members(channel) => c
                        .manage_members(&channel, &change, &opts)
                        .await
                        .map(|p| WriteDone::Relations(PageData::Members(p))),
                    other => Err(crate::api::Error::InvalidInput(format!(
                        "cannot manage relations of {other:?}"
                    ))),
                }
            }
        }
    }

    /// Sets (or, with `delete`, removes) many relations of one user or channel, in
    /// calls of at most 100 entries (the per-call cap).
    async fn manage_in_batches(
        &self,
        source: &Source,
        entries: &[RelationEntry],
        delete: bool,
    ) -> Result<(), crate::api::Error> {
        let opts = options(
            &ListQuery {
                limit: 1,
                ..Default::default()
            },
            &None,
            RelationInclude::default(),
        );
        for chunk in entries.chunks(crate::api::MAX_LIMIT as usize) {
            let change = if delete {
                RelationChange {
                    delete: chunk
                        .iter()
                        .map(|r| RelationEntry::id(r.id.clone()))
                        .collect(),
                    ..Default::default()
                }
            } else {
                RelationChange {
                    set: chunk.to_vec(),
                    ..Default::default()
                }
            };
            match source {
                Source::Memberships(id) => self
                    .client
                    .manage_memberships(id, &change, &opts)
                    .await
                    .map(|_| ())?,
                Source::Members(id) => self
                    .client
                    .manage_members(id, &change, &opts)
                    .await
                    .map(|_| ())?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Re-reads the relations the editor changed and merges each with what is stored
    /// now (PubNub has no If-Match on relations): their changes since `base` are kept.
    /// Keys both sides changed differently are returned instead, unless `force`.
    async fn merge_relations(
        &self,
        source: &Source,
        set: Vec<RelationEntry>,
        base: &[RelationEntry],
        force: bool,
    ) -> Result<Result<Vec<RelationEntry>, Vec<String>>, crate::api::Error> {
        let ids: Vec<String> = base.iter().map(|b| b.id.clone()).collect();
        let (field, other) = match source {
            Source::Memberships(_) => ("channel", "channel"),
            _ => ("uuid", "user"),
        };
        let mut now: Vec<RelationEntry> = Vec::new();
        for chunk in ids.chunks(crate::tui::live::MAX_CHANNELS) {
            let query = ListQuery {
                filter: crate::tui::app::live::ids_filter(&[field, "id"], chunk),
                limit: crate::api::MAX_LIMIT,
                ..Default::default()
            };
            let opts = options(&query, &None, RELATION_INCLUDE);
            match source {
                Source::Memberships(user) => now.extend(
                    self.client
                        .list_memberships(user, &opts)
                        .await?
                        .data
                        .iter()
                        .map(|m| relation_entry(m.channel.id(), &m.custom, &m.status, &m.kind)),
                ),
                Source::Members(channel) => now.extend(
                    self.client
                        .list_members(channel, &opts)
                        .await?
                        .data
                        .iter()
                        .map(|m| relation_entry(m.uuid.id(), &m.custom, &m.status, &m.kind)),
                ),
                _ => {}
            }
        }
        let mut conflicts = Vec::new();
        let merged = set
            .into_iter()
            .map(|mine| {
                let (Some(b), Some(t)) = (
                    base.iter().find(|b| b.id == mine.id),
                    now.iter().find(|t| t.id == mine.id),
                ) else {
                    return mine; // new, or removed meanwhile: mine as it is
                };
                let (out, found) = crate::tui::edit::merge_relation(b, t, &mine);
                conflicts.extend(
                    found
                        .into_iter()
                        .map(|c| format!("{other} {} {c}", mine.id)),
                );
                out
            })
            .collect();
        Ok(if conflicts.is_empty() || force {
            Ok(merged)
        } else {
            Err(conflicts)
        })
    }

    /// Fails when the id is taken, so "new" never overwrites someone's record.
    async fn refuse_existing(&self, kind: EntityKind, id: &str) -> Result<(), crate::api::Error> {
        let found = match kind {
            EntityKind::User => self.client.get_user(id, Include::NONE).await.map(|_| ()),
            EntityKind::Channel => self.client.get_channel(id, Include::NONE).await.map(|_| ()),
        };
        match found {
            Ok(()) => Err(crate::api::Error::InvalidInput(format!(
                "a {} with id '{id}' already exists: open it and press e to edit it",
                if kind == EntityKind::User {
                    "user"
                } else {
                    "channel"
                }
            ))),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every relation of a user (memberships) or channel (members), as entries that
    /// can be set again to restore them.
    async fn all_relations(
        &self,
        kind: EntityKind,
        id: &str,
    ) -> Result<Vec<RelationEntry>, crate::api::Error> {
        let opts = options(
            &ListQuery {
                limit: crate::api::MAX_LIMIT,
                ..Default::default()
            },
            &None,
            RelationInclude {
                relation: Include::ALL,
                related: None,
            },
        );
        let entry = relation_entry;
        Ok(match kind {
            EntityKind::User => self
                .client
                .memberships_pager(id, opts)?
                .collect_all()
                .await?
                .iter()
                .map(|m| entry(m.channel.id(), &m.custom, &m.status, &m.kind))
                .collect(),
            EntityKind::Channel => self
                .client
                .members_pager(id, opts)?
                .collect_all()
                .await?
                .iter()
                .map(|m| entry(m.uuid.id(), &m.custom, &m.status, &m.kind))
                .collect(),
        })
    }
}

/// A stored relation as an entry that sets it again.
fn relation_entry(
    id: &str,
    custom: &Maybe<Custom>,
    status: &Maybe<String>,
    kind: &Maybe<String>,
) -> RelationEntry {
    RelationEntry {
        id: id.to_string(),
        custom: custom.clone(),
        status: status.clone(),
        kind: kind.clone(),
    }
}
