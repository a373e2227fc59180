//! A walk over a whole list that stays consistent while others write: every record
//! that exists from the first page to the last is yielded exactly once.
//!
//! PubNub pages by offset (spec §5), so a delete before the current position moves
//! later records back past the next cursor (they are skipped) and an insert moves
//! records forward (they are seen twice). The walk reads in id order, so a record's
//! place depends on its id only, and each page overlaps the last one by a few items: the
//! page must contain a record already yielded (the anchor), and only what follows
//! the anchor is new. A page with no anchor means records before it were deleted:
//! the walk steps back until it finds one. Ids yielded are remembered (as 128-bit
//! digests, to keep a million ids in ~30 MB) so nothing is yielded twice.
//!
//! Why not resume with a filter `id > 'LAST'`: the local server compares filter
//! strings byte by byte but sorts ids by PubNub's collation (case and punctuation
//! ignored first), and PubNub documents neither, so such a page can skip records.
//! The overlap only needs the order of ids to stay put, which id order gives.
//!
//! Pages are read ahead so that the client's work (decoding, writing) overlaps the
//! server's: while the caller handles a page, the next one is asked for, and as soon
//! as a page's bytes are in (before they are decoded) the page after it is asked for
//! too, at the offset it would have if the page is full and nothing moved. At most
//! two pages are ahead of the one the caller has. That changes only when each page is
//! read, which the walk never relied on: every page is checked against the previous
//! one as before, and a page read ahead for an offset the walk does not want is dropped.
//!
//! Id order is the lists' default (spec §6: users and channels by `id`, memberships
//! by `channel.id`, members by `uuid.id`), so no `sort` is sent: asking for it
//! explicitly makes the local server sort every page in a temporary B-tree instead
//! of reading its index (12 ms instead of 0.9 ms a page at 10,000 users).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::client::{Client, Request};
use super::error::Error;
use super::options::{IncludeParam, ListOptions, PageRef, MAX_LIMIT};
use super::types::{Channel, Cursor, HasId, Member, Membership, Page, User};

/// Items of overlap with the previous page at first; grows when deletes are seen.
const FIRST_OVERLAP: u64 = 4;
/// Requests beyond those a quiet list needs before the walk gives up: the list is
/// changing faster than it can be read.
const SPARE_REQUESTS: u64 = 1000;

/// What a walk saw, for the report at its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// `totalCount` when the walk started (when it was asked for).
    pub total_at_start: Option<u64>,
    /// Records yielded.
    pub yielded: u64,
    /// Pages that did not continue where the previous one ended (records were
    /// inserted or deleted before them); each was re-read around the gap.
    pub shifts: u64,
    /// Requests sent.
    pub requests: u64,
}

/// The id a list item is keyed by in a walk.
pub trait WalkItem: DeserializeOwned + Send + 'static {
    fn walk_id(&self) -> &str;
}

impl WalkItem for User {
    fn walk_id(&self) -> &str {
        self.id()
    }
}

impl WalkItem for Channel {
    fn walk_id(&self) -> &str {
        self.id()
    }
}

impl WalkItem for Membership {
    fn walk_id(&self) -> &str {
        self.channel.id()
    }
}

impl WalkItem for Member {
    fn walk_id(&self) -> &str {
        self.uuid.id()
    }
}

/// What the tasks that read ahead need to ask for pages.
struct Chain {
    client: Client,
    path: String,
    include: String,
    related: &'static str,
    opts: ListOptions<()>,
    limit: u64,
    /// The sequence number of the last page the walk has taken.
    taken: AtomicU64,
}

impl Chain {
    /// The request for the page at `offset`.
    fn request(&self, offset: u64, count: bool) -> Request {
        let mut opts = self.opts.clone();
        opts.include_total_count = count;
        opts.page = (offset > 0).then(|| PageRef::Next(Cursor::at_offset(offset)));
        Request::new(Method::GET, self.path.clone())
            .include(self.include.clone())
            .list_params(&opts, self.related)
    }
}

/// A page read ahead: the answer, and the page after it when that was asked for too.
type Answer<T> = (Result<Page<T>, Error>, Option<Ahead<T>>);

/// A page being read ahead: its offset, its sequence number, its task.
struct Ahead<T> {
    offset: u64,
    seq: u64,
    task: tokio::task::JoinHandle<Answer<T>>,
}

/// Asks for the page at `offset` in a task; once its bytes are in, and if the walk has
/// taken the page before it, the task asks for the following page too (at the offset
/// it has if this page is full and `overlap` stays) before it decodes this one.
fn read_ahead<T: WalkItem>(
    runtime: &tokio::runtime::Handle,
    chain: Arc<Chain>,
    offset: u64,
    seq: u64,
    overlap: u64,
) -> Ahead<T> {
    let req = chain.request(offset, false);
    let handle = runtime.clone();
    let task = runtime.spawn(async move {
        let answer = match chain.client.send_raw(req).await {
            Ok(answer) => answer,
            Err(e) => return (Err(e), None),
        };
        let mut next = None;
        if chain.taken.load(Ordering::Acquire) + 1 >= seq {
            let after = offset + chain.limit - overlap;
            next = Some(read_ahead(&handle, chain.clone(), after, seq + 1, overlap));
            // The new task waits for this thread until this one yields: let its
            // request go out before this page is decoded.
            tokio::task::yield_now().await;
        }
        (answer.decode(), next)
    });
    Ahead { offset, seq, task }
}

/// A consistent walk (see the module doc). Yields batches of new records.
pub struct Walk<T> {
    client: Client,
    path: String,
    related: &'static str,
    opts: ListOptions<()>,
    limit: u64,
    offset: u64,
    overlap: u64,
    /// How far to step back when a page holds no anchor; doubles while that repeats.
    back: u64,
    /// The last record of the previous page, and its offset then.
    last: Option<(String, u64)>,
    emitted: Emitted,
    stats: WalkStats,
    /// Ask for `totalCount` on the first request.
    count: bool,
    done: bool,
    /// The next page, asked for before the caller wanted it.
    ahead: Option<Ahead<T>>,
    /// Shared with the tasks that read ahead.
    chain: Arc<Chain>,
    /// The sequence number of the last page taken (each page read gets the next).
    seq: u64,
    _item: PhantomData<fn() -> T>,
}

impl<T> Drop for Walk<T> {
    fn drop(&mut self) {
        if let Some(ahead) = self.ahead.take() {
            ahead.task.abort();
        }
    }
}

impl<T: WalkItem> Walk<T> {
    /// A walk over the list at `path` in its default order, which is by id; any sort
    /// and page in `opts` are dropped. `related` is `channel` or `uuid` for relation
    /// lists. The first request asks for `totalCount` when `count` is set or `opts`
    /// asks for it.
    pub(crate) fn new<I: IncludeParam>(
        client: Client,
        path: String,
        opts: ListOptions<I>,
        related: &'static str,
        count: bool,
    ) -> Walk<T> {
        let count = count || opts.include_total_count;
        let limit = u64::from(opts.limit.unwrap_or(MAX_LIMIT).clamp(2, MAX_LIMIT));
        let include = opts.include.include_value(related);
        let opts = ListOptions {
            limit: Some(limit as u32),
            page: None,
            filter: opts.filter,
            sort: Vec::new(),
            include_total_count: false,
            include: (),
        };
        let chain = Arc::new(Chain {
            client: client.clone(),
            path: path.clone(),
            include,
            related,
            opts: opts.clone(),
            limit,
            taken: AtomicU64::new(0),
        });
        Walk {
            client,
            path,
            related,
            opts,
            limit,
            offset: 0,
            overlap: FIRST_OVERLAP.min(limit / 2),
            back: limit,
            last: None,
            emitted: Emitted::default(),
            stats: WalkStats::default(),
            count,
            done: false,
            ahead: None,
            chain,
            seq: 0,
            _item: PhantomData,
        }
    }

    /// What the walk has seen so far.
    pub fn stats(&self) -> &WalkStats {
        &self.stats
    }

    /// The next records not yielded before, or `None` after the last. An error ends
    /// the walk.
    pub async fn next_batch(&mut self) -> Option<Result<Vec<T>, Error>> {
        while !self.done {
            match self.step().await {
                Ok(Some(batch)) => return Some(Ok(batch)),
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }

    /// Every record of the walk.
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(batch) = self.next_batch().await {
            all.extend(batch?);
        }
        Ok(all)
    }

    /// `totalCount` of the list now (one small request), for the check at the end.
    pub async fn total_now(&mut self) -> Result<Option<u64>, Error> {
        let opts = ListOptions {
            limit: Some(1),
            include_total_count: true,
            ..self.opts.clone()
        };
        let req = Request::new(Method::GET, self.path.clone()).list_params(&opts, self.related);
        self.stats.requests += 1;
        let page: Page<serde_json::Value> = self.client.send(req).await?;
        Ok(page.total_count)
    }

    /// One request. `Ok(None)` when it yielded nothing new (the walk goes on).
    async fn step(&mut self) -> Result<Option<Vec<T>>, Error> {
        // A quiet list takes one request per (limit - overlap) records; re-reading
        // after deletes costs in proportion to what was deleted, at most the list.
        let known = self
            .stats
            .total_at_start
            .unwrap_or(0)
            .max(self.stats.yielded);
        let quiet = known / (self.limit / 2) + 2;
        if self.stats.requests > 3 * quiet + SPARE_REQUESTS {
            return Err(Error::Inconsistent(format!(
                "GET {}: the list changed faster than it could be read ({} requests for about {} records); try again when it is quieter",
                self.path, self.stats.requests, known
            )));
        }
        let first = self.stats.requests == 0;
        let page = self.fetch(first).await?;
        if first {
            self.stats.total_at_start = page.total_count;
            // Room for every id up front: growing a set of a million ids rehashed it
            // again and again.
            let expected = page.total_count.unwrap_or(0).min(MAX_RESERVED) as usize;
            self.emitted.reserve(expected);
        }
        let mut items = page.data;
        let n = items.len() as u64;
        // Where the previous page's last record is when nothing moved: found there,
        // it is the anchor without looking every record up (what follows it is
        // checked as it is yielded, below). Else the last record already yielded.
        let in_place = self.last.as_ref().and_then(|(id, was)| {
            let at = usize::try_from(was.checked_sub(self.offset)?).ok()?;
            (items.get(at)?.walk_id() == id).then_some(at)
        });
        let anchor = in_place.or_else(|| {
            items
                .iter()
                .rposition(|it| self.emitted.contains(&digest(it.walk_id())))
        });
        let from = match anchor {
            Some(j) => j + 1,
            // From the very start nothing can have been skipped.
            None if self.offset == 0 => 0,
            None => {
                // Nothing here was seen: records before this page were deleted and
                // it starts past ones not yet read. Step back and find an anchor.
                self.stats.shifts += 1;
                self.overlap = (self.overlap * 2).min(self.limit / 2);
                self.offset = self.offset.saturating_sub(self.back);
                self.back = self.back.saturating_mul(2);
                self.last = None;
                self.prefetch().await;
                return Ok(None);
            }
        };
        self.back = self.limit;
        self.note_shift(&items);
        // The page's own vector, without what came before the anchor and what was
        // yielded before (records are not moved into a new one).
        items.drain(..from.min(items.len()));
        let emitted = &mut self.emitted;
        items.retain(|item| emitted.insert(digest(item.walk_id())));
        let batch = items;
        self.stats.yielded += batch.len() as u64;
        if n < self.limit {
            // A short page after an anchor: everything to the end has been read.
            self.done = true;
        } else {
            self.offset += n - self.overlap;
            self.prefetch().await;
        }
        Ok((!batch.is_empty()).then_some(batch))
    }

    /// The page at the walk's offset: the one read ahead when it is that one, else
    /// asked for now.
    async fn fetch(&mut self, first: bool) -> Result<Page<T>, Error> {
        if let Some(ahead) = self.ahead.take() {
            if ahead.offset == self.offset && !first {
                if let Ok((page, next)) = ahead.task.await {
                    self.took(ahead.seq);
                    if let Some(next) = next {
                        self.stats.requests += 1;
                        self.ahead = Some(next);
                    }
                    return page;
                }
                // The task was lost (runtime shutting down): ask again below.
            } else {
                ahead.task.abort();
            }
        }
        self.stats.requests += 1;
        let req = self.chain.request(self.offset, first && self.count);
        let page = self.client.send(req).await;
        self.took(self.seq + 1);
        page
    }

    /// Notes that the walk has taken page `seq`.
    fn took(&mut self, seq: u64) {
        self.seq = self.seq.max(seq);
        self.chain.taken.store(self.seq, Ordering::Release);
    }

    /// Makes sure the page at the walk's offset is being read (when running on a tokio
    /// runtime): the one read ahead when it is that one, else asked for now.
    async fn prefetch(&mut self) {
        if self.ahead.as_ref().is_some_and(|a| a.offset == self.offset) {
            return;
        }
        if let Some(stale) = self.ahead.take() {
            stale.task.abort();
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        self.stats.requests += 1;
        self.ahead = Some(read_ahead(
            &runtime,
            self.chain.clone(),
            self.offset,
            self.seq + 1,
            self.overlap,
        ));
        // A task spawned here waits for this thread until this task yields, and the
        // caller works on its batch without yielding: let the request go out first.
        tokio::task::yield_now().await;
    }

    /// Compares where the previous page's last record is now with where it was;
    /// deletes before it widen the overlap so the next pages still meet.
    fn note_shift(&mut self, items: &[T]) {
        if let Some((id, was)) = &self.last {
            if let Some(i) = items.iter().position(|it| it.walk_id() == id) {
                let now = self.offset + i as u64;
                if now != *was {
                    self.stats.shifts += 1;
                }
                if now < *was {
                    let lost = *was - now;
                    self.overlap = (2 * lost + 1).max(self.overlap).min(self.limit / 2);
                }
            }
        }
        self.last = items.last().map(|it| {
            (
                it.walk_id().to_string(),
                self.offset + items.len() as u64 - 1,
            )
        });
    }
}

/// Most ids a walk makes room for before it starts (16 MB of digests).
const MAX_RESERVED: u64 = 1 << 20;

/// The digests of the ids yielded. They are uniform already, so the set hashes a
/// digest by taking its low bits instead of hashing it again.
type Emitted = HashSet<u128, BuildHasherDefault<DigestHasher>>;

/// Hashes a [`digest`] to its low 64 bits.
#[derive(Default)]
pub(crate) struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not reached for u128 keys; fold anything else in.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// A 128-bit digest of an id: a collision among a billion ids has odds of ~1e-21.
pub(crate) fn digest(id: &str) -> u128 {
    let hash = Sha256::digest(id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(bytes)
}

impl Client {
    /// A consistent walk over every user (in id order; see [`Walk`]).
    pub fn users_walk(&self, opts: super::ObjectListOptions) -> Result<Walk<User>, Error> {
        Ok(Walk::new(
            self.clone(),
            self.path(&["uuids"])?,
            opts,
            "",
            true,
        ))
    }

    /// A consistent walk over every channel.
    pub fn channels_walk(&self, opts: super::ObjectListOptions) -> Result<Walk<Channel>, Error> {
        Ok(Walk::new(
            self.clone(),
            self.path(&["channels"])?,
            opts,
            "",
            true,
        ))
    }

    /// A consistent walk over a user's memberships (in channel id order).
    pub fn memberships_walk(
        &self,
        user_id: &str,
        opts: super::RelationListOptions,
    ) -> Result<Walk<Membership>, Error> {
        let path = self.path(&[
            "uuids",
            &super::objects::id_segment(user_id, "user")?,
            "channels",
        ])?;
        // Relation lists are counted only when asked: one count per owner adds up.
        Ok(Walk::new(self.clone(), path, opts, "channel", false))
    }

    /// A consistent walk over a channel's members (in user id order).
    pub fn members_walk(
        &self,
        channel_id: &str,
        opts: super::RelationListOptions,
    ) -> Result<Walk<Member>, Error> {
        let path = self.path(&[
            "channels",
            &super::objects::id_segment(channel_id, "channel")?,
            "uuids",
        ])?;
        Ok(Walk::new(self.clone(), path, opts, "uuid", false))
    }
}
