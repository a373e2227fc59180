//! Loading: list pages, the detail's record and relations, and their answers.

use super::*;
use crate::tui::list::PageKind;

impl App {
    // ----- loading -----

    pub(crate) fn reload_list(&mut self, tab: Tab, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        let (source, query) = match tab {
            Tab::Users => {
                self.users.expect(req, true);
                (Source::Users, self.users.query())
            }
            Tab::Channels => {
                self.channels.expect(req, true);
                (Source::Channels, self.channels.query())
            }
        };
        cmds.push(Command::FetchPage {
            req,
            source,
            query,
            cursor: None,
        });
    }

    /// Fetches the page the focused list's selection needs, if any.
    pub(crate) fn fetch_more(&mut self, cmds: &mut Vec<Command>) {
        if let Some(kind) = self.with_focused(|l| l.wanted_page()).flatten() {
            self.fetch_page(kind, cmds);
        }
    }

    /// The typing pause is over: the focused list's search goes to the server.
    pub(crate) fn search_tick(&mut self, cmds: &mut Vec<Command>) {
        let req = self.next_req + 1;
        if let Some((source, query)) = self.with_focused(|l| l.search_tick(req)).flatten() {
            self.next_req = req;
            cmds.push(Command::FetchPage {
                req,
                source,
                query,
                cursor: None,
            });
        }
    }

    /// Asks for a page of the focused list.
    pub(crate) fn fetch_page(&mut self, kind: PageKind, cmds: &mut Vec<Command>) {
        let req = self.next_req + 1;
        if let Some((source, query, cursor)) = self.with_focused(|l| l.request_page(req, kind)) {
            self.next_req = req;
            cmds.push(Command::FetchPage {
                req,
                source,
                query,
                cursor,
            });
        }
    }

    /// Reloads the detail's relations (a live membership event).
    pub(crate) fn reload_relations_live(&mut self, cmds: &mut Vec<Command>) {
        self.reload_relations(cmds);
    }

    pub(crate) fn reload_relations(&mut self, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        if let Some(d) = &mut self.detail {
            let (source, query) = match &mut d.relations {
                Relations::Memberships(l) => {
                    l.expect(req, true);
                    (l.source.clone(), l.query())
                }
                Relations::Members(l) => {
                    l.expect(req, true);
                    (l.source.clone(), l.query())
                }
            };
            cmds.push(Command::FetchPage {
                req,
                source,
                query,
                cursor: None,
            });
        }
    }

    /// Shows `id` in the detail pane, with `entity` when already known.
    pub(crate) fn show_detail(
        &mut self,
        kind: EntityKind,
        id: String,
        entity: Option<Entity>,
        cmds: &mut Vec<Command>,
    ) {
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.kind == kind && d.id == id)
        {
            if let (Some(d), Some(e)) = (&mut self.detail, entity) {
                d.entity = Some(e);
            }
            return;
        }
        let relations = match kind {
            EntityKind::User => {
                Relations::Memberships(ListState::new(Source::Memberships(id.clone())))
            }
            EntityKind::Channel => Relations::Members(ListState::new(Source::Members(id.clone()))),
        };
        let mut pending = None;
        if entity.is_none() {
            let req = self.new_req();
            pending = Some(req);
            cmds.push(Command::FetchEntity {
                req,
                kind,
                id: id.clone(),
            });
        }
        self.detail = Some(Detail {
            kind,
            id,
            entity,
            pending,
            error: None,
            relations,
        });
        self.reload_relations(cmds);
    }

    /// The detail follows the selected row of the current list.
    pub(crate) fn follow_selection(&mut self, cmds: &mut Vec<Command>) {
        let picked = match self.tab {
            Tab::Users => self
                .users
                .selected_row()
                .map(|u| (EntityKind::User, u.user_id.clone(), Entity::User(u.clone()))),
            Tab::Channels => self.channels.selected_row().map(|c| {
                (
                    EntityKind::Channel,
                    c.channel_id.clone(),
                    Entity::Channel(c.clone()),
                )
            }),
        };
        match picked {
            Some((kind, id, entity)) => self.show_detail(kind, id, Some(entity), cmds),
            None => self.detail = None,
        }
    }

    pub(crate) fn on_page(&mut self, req: RequestId, result: Result<PageData, Failure>) {
        if let Overlay::Relations(r) = &mut self.overlay {
            if r.take_page(req, &result.clone().map_err(|f| f.message)) {
                return;
            }
        }
        if self.take_probe(req, &result) {
            return;
        }
        if self.catch_up.as_ref().is_some_and(|(r, _)| *r == req) {
            self.on_caught_up(result);
            return;
        }
        fn apply<T: RowData>(
            list: &mut ListState<T>,
            req: RequestId,
            result: Result<Rows<T>, Failure>,
        ) -> Option<Result<(), Failure>> {
            if list.found_pending == Some(req) {
                // The server search's answer: merged, or its failure shown in the
                // search bar's place (the list itself is fine).
                list.found_pending = None;
                return Some(match result {
                    Ok((rows, total, _)) => {
                        list.set_found(rows, total);
                        Ok(())
                    }
                    Err(f) => Err(Failure {
                        status: f.status,
                        message: format!("the server search: {}", f.message),
                    }),
                });
            }
            if list.pending != Some(req) {
                return None; // stale: an older filter, sort or target
            }
            let kind = list.pending_kind;
            list.pending = None;
            Some(match result {
                Ok((rows, total, next)) => {
                    let limit = list.query().limit;
                    list.apply(kind, rows, total, next, limit);
                    Ok(())
                }
                Err(f) => {
                    list.error = Some(f.clone());
                    Err(f)
                }
            })
        }
        let outcome = match result {
            Ok(PageData::Users(p)) => {
                apply(&mut self.users, req, Ok((p.data, p.total_count, p.next)))
            }
            Ok(PageData::Channels(p)) => {
                apply(&mut self.channels, req, Ok((p.data, p.total_count, p.next)))
            }
            Ok(PageData::Memberships(p)) => match self.detail.as_mut().map(|d| &mut d.relations) {
                Some(Relations::Memberships(l)) => {
                    apply(l, req, Ok((p.data, p.total_count, p.next)))
                }
                _ => None,
            },
            Ok(PageData::Members(p)) => match self.detail.as_mut().map(|d| &mut d.relations) {
                Some(Relations::Members(l)) => apply(l, req, Ok((p.data, p.total_count, p.next))),
                _ => None,
            },
            Err(f) => {
                let mut out = apply(&mut self.users, req, Err(f.clone()));
                if out.is_none() {
                    out = apply(&mut self.channels, req, Err(f.clone()));
                }
                if out.is_none() {
                    out = match self.detail.as_mut().map(|d| &mut d.relations) {
                        Some(Relations::Memberships(l)) => apply(l, req, Err(f.clone())),
                        Some(Relations::Members(l)) => apply(l, req, Err(f)),
                        None => None,
                    };
                }
                out
            }
        };
        match outcome {
            // A refusal is explained in the list's own pane (why, and what still works).
            Some(Err(f)) if f.status == Some(403) => {}
            Some(Err(f)) => self.toast_error(format!("Loading failed: {}", f.message)),
            _ => {}
        }
    }

    pub(crate) fn on_entity(&mut self, req: RequestId, result: Result<Entity, Failure>) {
        let Some(d) = &mut self.detail else { return };
        if d.pending != Some(req) {
            return;
        }
        d.pending = None;
        match result {
            Ok(e) => {
                d.entity = Some(e);
                d.error = None;
            }
            Err(f) if f.status == Some(404) => {
                let noun = match d.kind {
                    EntityKind::User => "user",
                    EntityKind::Channel => "channel",
                };
                let text = format!("No {noun} with id {}: n creates it", d.id);
                d.error = Some(f);
                self.toast_error(text);
            }
            Err(f) => {
                let text = format!("Loading {} failed: {}", d.id, f.message);
                d.error = Some(f);
                self.toast_error(text);
            }
        }
    }
}
