//! Importing memberships, a chunk at a time: the chunk's relations are grouped by
//! user (written with set-memberships) or by channel (set-members), whichever takes
//! fewer calls, and each group is written up to 100 relations per call. Only the
//! stored relations the group names are read (by id filters), to skip identical ones
//! and to tell created from updated.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;

use super::import::{
    any_of, created_or_updated, id_batches, Input, Outcome, Run, Tally, CONCURRENCY,
};
use super::record::{MembershipRecord, Record, RelationState};
use super::CliError;
use crate::api::{
    Client, Error, Include, RelationEntry, RelationInclude, RelationListOptions, MAX_LIMIT,
};

/// Memberships handled at a time.
const CHUNK: usize = 10_000;

/// Which side a group of relations is written from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// One user's memberships (`PATCH /uuids/{user}/channels`).
    ByUser,
    /// One channel's members (`PATCH /channels/{channel}/uuids`).
    ByChannel,
}

impl Side {
    fn other(self, m: &MembershipRecord) -> &str {
        match self {
            Side::ByUser => &m.channel,
            Side::ByChannel => &m.user,
        }
    }

    /// The stored relations of `owner` among `others`, keyed by the other end.
    async fn read(
        self,
        c: &Client,
        owner: &str,
        others: &[&str],
    ) -> Result<HashMap<String, RelationState>, Error> {
        let opts = RelationListOptions {
            limit: Some(MAX_LIMIT),
            include: RelationInclude {
                relation: Include::ALL,
                related: None,
            },
            ..Default::default()
        };
        Ok(match self {
            Side::ByUser => {
                let opts = RelationListOptions {
                    filter: Some(any_of(&["channel", "id"], others)),
                    ..opts
                };
                let page = c.list_memberships(owner, &opts).await?;
                let items = page.data.iter();
                items
                    .map(|m| (m.channel.id().to_string(), m.into()))
                    .collect()
            }
            Side::ByChannel => {
                let opts = RelationListOptions {
                    filter: Some(any_of(&["uuid", "id"], others)),
                    ..opts
                };
                let page = c.list_members(owner, &opts).await?;
                let items = page.data.iter();
                items.map(|m| (m.uuid.id().to_string(), m.into())).collect()
            }
        })
    }

    /// Writes `entries` (at most 100) to `owner`'s side.
    async fn write(self, c: &Client, owner: &str, entries: &[RelationEntry]) -> Result<(), Error> {
        // Answer with as little as possible: the write is what matters.
        let answer = RelationListOptions {
            limit: Some(1),
            include: RelationInclude {
                relation: Include::NONE,
                related: None,
            },
            ..Default::default()
        };
        match self {
            Side::ByUser => c.set_memberships(owner, entries, &answer).await.map(|_| ()),
            Side::ByChannel => c.set_members(owner, entries, &answer).await.map(|_| ()),
        }
    }
}

type Groups<'a> = BTreeMap<&'a str, Vec<&'a (usize, MembershipRecord)>>;

/// Calls needed to write `groups`, 100 relations per call.
fn calls(groups: &Groups<'_>) -> usize {
    groups
        .values()
        .map(|g| g.len().div_ceil(MAX_LIMIT as usize))
        .sum()
}

/// The grouping of `records` that takes fewer calls (by user on a tie).
fn group(records: &[(usize, MembershipRecord)]) -> (Side, Groups<'_>) {
    let mut by_user = Groups::new();
    let mut by_channel = Groups::new();
    for r in records {
        by_user.entry(r.1.user.as_str()).or_default().push(r);
        by_channel.entry(r.1.channel.as_str()).or_default().push(r);
    }
    if calls(&by_channel) < calls(&by_user) {
        (Side::ByChannel, by_channel)
    } else {
        (Side::ByUser, by_user)
    }
}

/// Imports every membership of the (checked) file.
pub(super) async fn import(run: &Run<'_>, input: &Input) -> Result<Tally, CliError> {
    let mut tally = Tally::default();
    let mut records = input.records(|r| match r {
        Record::Membership(m) => Some(m),
        _ => None,
    })?;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for r in records.by_ref().take(CHUNK) {
            chunk.push(r?);
        }
        if chunk.is_empty() {
            return Ok(tally);
        }
        let (side, groups) = group(&chunk);
        let mut per_owner = futures::stream::iter(groups)
            .map(|(owner, recs)| import_group(run, side, owner, recs))
            .buffer_unordered(CONCURRENCY / 2);
        while let Some(outcomes) = per_owner.next().await {
            for (line, r, outcome) in outcomes {
                let what = format!("membership '{}' in '{}'", r.user, r.channel);
                run.tally(&mut tally, line, &what, &outcome);
            }
        }
    }
}

async fn import_group<'a>(
    run: &Run<'_>,
    side: Side,
    owner: &str,
    records: Vec<&'a (usize, MembershipRecord)>,
) -> Vec<(usize, &'a MembershipRecord, Outcome)> {
    let mut outcomes = Vec::new();
    if run.breaker.tripped() {
        for (line, r) in records {
            outcomes.push((*line, r, Outcome::Skipped));
        }
        return outcomes;
    }
    let others: Vec<&str> = records.iter().map(|(_, r)| side.other(r)).collect();
    let mut existing = HashMap::new();
    let mut failed: HashMap<&str, String> = HashMap::new();
    let field: &[&str] = match side {
        Side::ByUser => &["channel", "id"],
        Side::ByChannel => &["uuid", "id"],
    };
    for batch in id_batches(field, &others) {
        let result = side.read(run.client, owner, &batch).await;
        run.breaker.note(&result);
        match result {
            Ok(found) => existing.extend(found),
            Err(e) => {
                let what = match side {
                    Side::ByUser => "memberships of user",
                    Side::ByChannel => "members of channel",
                };
                for id in batch.iter().copied() {
                    failed.insert(id, format!("cannot read the {what} '{owner}': {e}"));
                }
            }
        }
    }
    let mut to_write = Vec::new();
    for (line, r) in records {
        let other = side.other(r);
        match (failed.get(other), existing.get(other)) {
            (Some(_), _) if run.breaker.tripped() => outcomes.push((*line, r, Outcome::Skipped)),
            (Some(e), _) => outcomes.push((*line, r, Outcome::Failed(e.clone()))),
            (None, Some(s)) if r.matches(s) => outcomes.push((*line, r, Outcome::Unchanged)),
            (None, s) if run.dry_run => outcomes.push((*line, r, created_or_updated(s.is_some()))),
            (None, s) => to_write.push((*line, r, s.is_some())),
        }
    }
    for batch in to_write.chunks(MAX_LIMIT as usize) {
        if run.breaker.tripped() {
            outcomes.extend(
                batch
                    .iter()
                    .map(|(line, r, _)| (*line, *r, Outcome::Skipped)),
            );
            continue;
        }
        let entries: Vec<RelationEntry> = batch
            .iter()
            .map(|(_, r, _)| RelationEntry {
                id: side.other(r).to_string(),
                custom: r.custom.clone(),
                status: r.status.clone(),
                kind: r.kind.clone(),
            })
            .collect();
        let result = side.write(run.client, owner, &entries).await;
        run.breaker.note(&result);
        for (line, r, existed) in batch {
            let outcome = match &result {
                Ok(()) => created_or_updated(*existed),
                Err(e) => Outcome::Failed(e.to_string()),
            };
            outcomes.push((*line, *r, outcome));
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Maybe;

    fn m(user: &str, channel: &str) -> (usize, MembershipRecord) {
        let r = MembershipRecord {
            user: user.into(),
            channel: channel.into(),
            kind: Maybe::Absent,
            status: Maybe::Absent,
            custom: Maybe::Absent,
            updated: None,
            etag: None,
        };
        (1, r)
    }

    #[test]
    fn relations_are_grouped_by_the_side_that_takes_fewer_calls() {
        // 250 users in one channel: 3 calls by channel, 250 by user.
        let one_channel: Vec<_> = (0..250).map(|i| m(&format!("u{i}"), "big")).collect();
        let (side, groups) = group(&one_channel);
        assert_eq!(side, Side::ByChannel);
        assert_eq!(calls(&groups), 3);
        // One user in 150 channels: 2 calls by user.
        let one_user: Vec<_> = (0..150).map(|i| m("ann", &format!("c{i}"))).collect();
        let (side, groups) = group(&one_user);
        assert_eq!(side, Side::ByUser);
        assert_eq!(calls(&groups), 2);
        // A tie goes to users.
        assert_eq!(group(&[m("a", "b")]).0, Side::ByUser);
    }
}
