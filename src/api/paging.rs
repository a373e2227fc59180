//! Walking a list to its end. PubNub sends `next` on every non-empty page, even the
//! last, so the end is known otherwise (spec §5): a page comes back empty, or with
//! fewer items than the limit, or `totalCount` items have been seen.

use std::marker::PhantomData;

use futures::Stream;
use serde::de::DeserializeOwned;

use super::client::{Client, Request};
use super::error::Error;
use super::options::{IncludeParam, ListOptions, PageRef, MAX_LIMIT};
use super::types::Page;

/// Yields every page of a list, one request at a time, from the page the options
/// name (the first by default) to the end.
///
/// ```no_run
/// # async fn f(client: appctx::api::Client) -> Result<(), appctx::api::Error> {
/// let mut pages = client.users_pager(Default::default())?;
/// while let Some(page) = pages.next_page().await {
///     for user in page?.data {
///         println!("{}", user.user_id);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Pager<T> {
    client: Client,
    /// The request without paging parameters.
    base: Request,
    /// The list options, include flags already rendered into `include`.
    opts: ListOptions<()>,
    include: String,
    related: &'static str,
    page: Option<PageRef>,
    seen: u64,
    yielded: bool,
    done: bool,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Pager<T> {
    pub(crate) fn new<I: IncludeParam>(
        client: Client,
        base: Request,
        opts: ListOptions<I>,
        related: &'static str,
    ) -> Pager<T> {
        let include = opts.include.include_value(related);
        Pager {
            client,
            base,
            page: opts.page,
            opts: ListOptions {
                limit: opts.limit,
                page: None,
                filter: opts.filter,
                sort: opts.sort,
                include_total_count: opts.include_total_count,
                include: (),
            },
            include,
            related,
            seen: 0,
            yielded: false,
            done: false,
            _item: PhantomData,
        }
    }

    /// The next page, or `None` after the last. An empty list yields one empty page
    /// (so its `totalCount` can be read); an error ends the walk.
    pub async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
        if self.done {
            return None;
        }
        self.opts.page = self.page.clone();
        let req = Request::new(self.base.method.clone(), self.base.path.clone())
            .include(self.include.clone())
            .list_params(&self.opts, self.related);
        let page: Page<T> = match self.client.send(req).await {
            Ok(p) => p,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        let n = page.data.len() as u64;
        self.seen += n;
        let limit = u64::from(self.opts.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT));
        let next = page.next.clone().map(PageRef::Next);
        if n == 0
            || n < limit
            || page.total_count.is_some_and(|t| self.seen >= t)
            || next.is_none()
            || next == self.page
        {
            self.done = true;
        }
        self.page = next;
        if n == 0 && self.yielded {
            return None;
        }
        self.yielded = true;
        Some(Ok(page))
    }

    /// Every item of every page.
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            all.extend(page?.data);
        }
        Ok(all)
    }

    /// The pages as a `Stream`.
    pub fn into_stream(self) -> impl Stream<Item = Result<Page<T>, Error>> {
        futures::stream::unfold(self, |mut pager| async move {
            pager.next_page().await.map(|page| (page, pager))
        })
    }
}

impl IncludeParam for () {
    fn include_value(&self, _related: &str) -> String {
        String::new()
    }
}
