//! Importing memberships, a chunk at a time: the chunk's relations are grouped by
//! user (written with set-memberships) or by channel (set-members), whichever takes
//! fewer calls, and each group is written up to 100 relations per call, several
//! calls at once. Only the stored relations the group names are read, to skip
//! identical ones and to tell created from updated: by id filters (looked up by key
//! on the server), or for a big group by walking the owner's few relations, or not
//! at all when the owner has none yet.

use std::collections::{BTreeMap, HashMap, HashSet};

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

    /// How many relations `owner` has now, when the server says.
    async fn count(self, c: &Client, owner: &str) -> Result<Option<u64>, Error> {
        let opts = RelationListOptions {
            limit: Some(1),
            include_total_count: true,
            include: RelationInclude {
                relation: Include::NONE,
                related: None,
            },
            ..Default::default()
        };
        Ok(match self {
            Side::ByUser => c.list_memberships(owner, &opts).await?.total_count,
            Side::ByChannel => c.list_members(owner, &opts).await?.total_count,
        })
    }

    /// Every stored relation of `owner` among `others`, read by walking all of the
    /// owner's relations (cheaper than reads by id when the owner has few).
    async fn walk(
        self,
        c: &Client,
        owner: &str,
        others: &HashSet<&str>,
    ) -> Result<HashMap<String, RelationState>, Error> {
        let opts = RelationListOptions {
            limit: Some(MAX_LIMIT),
            include: RelationInclude {
                relation: Include::ALL,
                related: None,
            },
            ..Default::default()
        };
        let mut found = HashMap::new();
        match self {
            Side::ByUser => {
                let mut walk = c.memberships_walk(owner, opts)?;
                while let Some(batch) = walk.next_batch().await {
                    for m in batch? {
                        if others.contains(m.channel.id()) {
                            found.insert(m.channel.id().to_string(), (&m).into());
                        }
                    }
                }
            }
            Side::ByChannel => {
                let mut walk = c.members_walk(owner, opts)?;
                while let Some(batch) = walk.next_batch().await {
                    for m in batch? {
                        if others.contains(m.uuid.id()) {
                            found.insert(m.uuid.id().to_string(), (&m).into());
                        }
                    }
                }
            }
        }
        Ok(found)
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
    let new_owners = NewOwners::default();
    let mut records = input.records("membership", |r| match r {
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
            .map(|(owner, recs)| import_group(run, &new_owners, side, owner, recs))
            .buffer_unordered(CONCURRENCY / 2);
        while let Some(outcomes) = per_owner.next().await {
            for (line, r, outcome) in outcomes {
                let what = format!("membership '{}' in '{}'", r.user, r.channel);
                run.tally(&mut tally, line, &what, &outcome);
            }
        }
    }
}

/// Requests in flight at once for one owner's relations (several owners are handled
/// at once too).
const PER_OWNER: usize = 4;
/// Most relations of one owner read whole to find the stored ones among a group; past
/// this the group's ids are looked up (memory holds what is read).
const WALK_AT_MOST: u64 = 20_000;

/// Owners that had no relations when this import first counted them. What they hold
/// now this import wrote, and a file names each relation once, so the relations of
/// their later groups (a channel's members spread over many chunks) are all new: no
/// reads. (Someone else adding the same relation meanwhile would be counted as
/// created instead of updated; the write is the same either way.)
#[derive(Default)]
struct NewOwners(std::sync::Mutex<HashSet<String>>);

impl NewOwners {
    fn holds(&self, owner: &str) -> bool {
        self.0.lock().is_ok_and(|owners| owners.contains(owner))
    }

    fn add(&self, owner: &str) {
        if let Ok(mut owners) = self.0.lock() {
            owners.insert(owner.to_string());
        }
    }
}

/// What is stored for `owner`'s relations to `others`, and the others whose lookup
/// failed (with why). A group that needs one lookup gets it. A bigger one first asks
/// how many relations the owner has: none (a new channel being filled) needs no
/// reads at all, a few are cheaper walked whole than looked up 30 ids at a time, and
/// otherwise the lookups run several at once.
async fn stored<'a>(
    run: &Run<'_>,
    new_owners: &NewOwners,
    side: Side,
    owner: &str,
    others: &[&'a str],
) -> (HashMap<String, RelationState>, HashMap<&'a str, String>) {
    let what = match side {
        Side::ByUser => "memberships of user",
        Side::ByChannel => "members of channel",
    };
    let field: &[&str] = match side {
        Side::ByUser => &["channel", "id"],
        Side::ByChannel => &["uuid", "id"],
    };
    if new_owners.holds(owner) {
        return (HashMap::new(), HashMap::new());
    }
    let batches = id_batches(field, others);
    let fail_all = |e: &Error| {
        others
            .iter()
            .map(|id| (*id, format!("cannot read the {what} '{owner}': {e}")))
            .collect::<HashMap<_, _>>()
    };
    if batches.len() > 1 {
        let count = side.count(run.client, owner).await;
        run.breaker.note(&count);
        match count {
            Err(e) => return (HashMap::new(), fail_all(&e)),
            Ok(Some(0)) => {
                new_owners.add(owner);
                return (HashMap::new(), HashMap::new());
            }
            Ok(Some(n))
                if n <= WALK_AT_MOST && n.div_ceil(MAX_LIMIT as u64) < batches.len() as u64 =>
            {
                let wanted: HashSet<&str> = others.iter().copied().collect();
                let walked = side.walk(run.client, owner, &wanted).await;
                run.breaker.note(&walked);
                return match walked {
                    Ok(found) => (found, HashMap::new()),
                    Err(e) => (HashMap::new(), fail_all(&e)),
                };
            }
            Ok(_) => {}
        }
    }
    let mut existing = HashMap::new();
    let mut failed = HashMap::new();
    let mut reads = futures::stream::iter(&batches)
        .map(|batch| async move { (batch, side.read(run.client, owner, batch).await) })
        .buffer_unordered(PER_OWNER);
    while let Some((batch, result)) = reads.next().await {
        run.breaker.note(&result);
        match result {
            Ok(found) => existing.extend(found),
            Err(e) => {
                for id in batch.iter().copied() {
                    failed.insert(id, format!("cannot read the {what} '{owner}': {e}"));
                }
            }
        }
    }
    (existing, failed)
}

async fn import_group<'a>(
    run: &Run<'_>,
    new_owners: &NewOwners,
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
    let (existing, failed) = stored(run, new_owners, side, owner, &others).await;
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
    let mut writes = futures::stream::iter(to_write.chunks(MAX_LIMIT as usize))
        .map(|batch| async move {
            if run.breaker.tripped() {
                return (batch, None);
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
            (batch, Some(result))
        })
        .buffer_unordered(PER_OWNER);
    while let Some((batch, result)) = writes.next().await {
        for (line, r, existed) in batch {
            let outcome = match &result {
                None => Outcome::Skipped,
                Some(Ok(())) => created_or_updated(*existed),
                Some(Err(e)) => Outcome::Failed(e.to_string()),
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
