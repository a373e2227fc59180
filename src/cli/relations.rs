//! `appctx memberships …` (a user's channels) and `appctx members …` (a channel's
//! users): list, set, remove. A write prints the resulting list PubNub answers with.

use serde::Serialize;

use super::args::{Format, MembersCommand, MembershipsCommand, RelationOutArgs, RelationSetArgs};
use super::objects::{list, Rows};
use super::output::{self, Listing};
use super::{input, CliError, Ctx};
use crate::api::types::{Maybe, Page};
use crate::api::{Client, Error, RelationEntry, RelationListOptions};
use crate::filter::Target;

/// `appctx memberships …`.
pub async fn memberships(ctx: &Ctx, cmd: MembershipsCommand) -> Result<(), CliError> {
    match cmd {
        MembershipsCommand::List {
            user_id,
            list: args,
        } => {
            let inc = input::relation_include(args.include.as_deref(), "channel")?;
            let opts = input::list_options(&args, Target::Memberships, inc)?;
            let conn = ctx.connect().await?;
            let c = &conn.client;
            let uniform = opts.include.related.is_none();
            let all = || {
                Rows::pick(
                    &args,
                    || c.memberships_walk(&user_id, opts.clone()),
                    || c.memberships_pager(&user_id, opts.clone()),
                )
            };
            list(&args, c.list_memberships(&user_id, &opts), all, uniform).await
        }
        MembershipsCommand::Set {
            user_id,
            channels,
            fields,
            out,
        } => {
            let entries = entries(&channels, Some(&fields))?;
            let (opts, format) = out_options(&out, "channel")?;
            let what = format!("set memberships of user '{user_id}'");
            write_list(ctx, what, format, async |c| {
                c.set_memberships(&user_id, &entries, &opts).await
            })
            .await
        }
        MembershipsCommand::Remove {
            user_id,
            channels,
            out,
        } => {
            let entries = entries(&channels, None)?;
            let (opts, format) = out_options(&out, "channel")?;
            let what = format!("remove memberships of user '{user_id}'");
            write_list(ctx, what, format, async |c| {
                c.remove_memberships(&user_id, &entries, &opts).await
            })
            .await
        }
    }
}

/// `appctx members …`.
pub async fn members(ctx: &Ctx, cmd: MembersCommand) -> Result<(), CliError> {
    match cmd {
        MembersCommand::List {
            channel_id,
            list: args,
        } => {
            let inc = input::relation_include(args.include.as_deref(), "uuid")?;
            let opts = input::list_options(&args, Target::Members, inc)?;
            let conn = ctx.connect().await?;
            let c = &conn.client;
            let uniform = opts.include.related.is_none();
            let all = || {
                Rows::pick(
                    &args,
                    || c.members_walk(&channel_id, opts.clone()),
                    || c.members_pager(&channel_id, opts.clone()),
                )
            };
            list(&args, c.list_members(&channel_id, &opts), all, uniform).await
        }
        MembersCommand::Set {
            channel_id,
            users,
            fields,
            out,
        } => {
            let entries = entries(&users, Some(&fields))?;
            let (opts, format) = out_options(&out, "uuid")?;
            let what = format!("set members of channel '{channel_id}'");
            write_list(ctx, what, format, async |c| {
                c.set_members(&channel_id, &entries, &opts).await
            })
            .await
        }
        MembersCommand::Remove {
            channel_id,
            users,
            out,
        } => {
            let entries = entries(&users, None)?;
            let (opts, format) = out_options(&out, "uuid")?;
            let what = format!("remove members of channel '{channel_id}'");
            write_list(ctx, what, format, async |c| {
                c.remove_members(&channel_id, &entries, &opts).await
            })
            .await
        }
    }
}

/// One entry per id, each with the same relation fields.
fn entries(
    ids: &[String],
    fields: Option<&RelationSetArgs>,
) -> Result<Vec<RelationEntry>, CliError> {
    let custom = match fields.and_then(|f| f.custom.as_deref()) {
        Some(text) => Maybe::Value(input::custom(text)?),
        None => Maybe::Absent,
    };
    let status = fields
        .and_then(|f| f.status.clone())
        .map(Maybe::Value)
        .unwrap_or_default();
    let kind = fields
        .and_then(|f| f.kind.clone())
        .map(Maybe::Value)
        .unwrap_or_default();
    Ok(ids
        .iter()
        .map(|id| RelationEntry {
            id: id.clone(),
            custom: custom.clone(),
            status: status.clone(),
            kind: kind.clone(),
        })
        .collect())
}

/// Refuses in read-only mode, else connects, runs one write and prints the list it
/// answers with.
async fn write_list<T: Serialize>(
    ctx: &Ctx,
    what: String,
    format: Format,
    op: impl AsyncFnOnce(&Client) -> Result<Page<T>, Error>,
) -> Result<(), CliError> {
    ctx.check_write(&what)?;
    let conn = ctx.connect().await?;
    let page = op(&conn.client).await?;
    output::print_list(format, &Listing::from_page(page))
}

fn out_options(
    out: &RelationOutArgs,
    related: &str,
) -> Result<(RelationListOptions, Format), CliError> {
    let include = input::relation_include(out.include.as_deref(), related)?;
    let opts = RelationListOptions {
        include,
        ..Default::default()
    };
    Ok((opts, output::pick(out.format, Format::Json)))
}
