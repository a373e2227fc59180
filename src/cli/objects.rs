//! `appctx users …` and `appctx channels …`: list, get, set, remove. Input is checked
//! before connecting, so a bad flag sends nothing.

use serde::Serialize;

use super::args::{ChannelsCommand, CommonSetArgs, Format, GetArgs, ListArgs, UsersCommand};
use super::output::{self, Listing};
use super::{input, CliError, Ctx};
use crate::api::types::{ETag, Maybe, Page};
use crate::api::{ChannelFields, Error, Pager, SetOptions, UserFields, MAX_LIMIT};
use crate::filter::Target;

/// `appctx users …`.
pub async fn users(ctx: &Ctx, cmd: UsersCommand) -> Result<(), CliError> {
    match cmd {
        UsersCommand::List(args) => {
            let opts = input::list_options(
                &args,
                Target::Users,
                input::include(args.include.as_deref())?,
            )?;
            let conn = ctx.connect().await?;
            let c = &conn.client;
            list(&args, c.list_users(&opts), || c.users_pager(opts.clone())).await
        }
        UsersCommand::Get(args) => {
            let (include, format) = get_parts(&args)?;
            let conn = ctx.connect().await?;
            let user = conn.client.get_user(&args.id, include).await?;
            output::print_one(format, &output::to_value(&user))
        }
        UsersCommand::Set(args) => {
            let mut fields = UserFields {
                email: value(args.email),
                external_id: value(args.external_id),
                profile_url: value(args.profile_url),
                ..Default::default()
            };
            let common = &args.common;
            fields.name = value(common.name.clone());
            fields.status = value(common.status.clone());
            fields.kind = value(common.kind.clone());
            fields.custom = custom(common)?;
            for field in &common.unset {
                match field.as_str() {
                    "name" => fields.name = Maybe::Null,
                    "email" => fields.email = Maybe::Null,
                    "external-id" | "externalId" => fields.external_id = Maybe::Null,
                    "profile-url" | "profileUrl" => fields.profile_url = Maybe::Null,
                    "status" => fields.status = Maybe::Null,
                    "type" => fields.kind = Maybe::Null,
                    "custom" => fields.custom = Maybe::Null,
                    other => {
                        return Err(unknown_unset(
                            other,
                            "name, email, external-id, profile-url, status, type, custom",
                        ))
                    }
                }
            }
            ctx.check_write(&format!("set user '{}'", args.id))?;
            let conn = ctx.connect().await?;
            let user = conn
                .client
                .set_user(&args.id, &fields, &set_options(common))
                .await?;
            output::print_one(
                output::pick(common.format, Format::Json),
                &output::to_value(&user),
            )
        }
        UsersCommand::Remove(args) => {
            ctx.check_write(&format!("remove user '{}'", args.id))?;
            let conn = ctx.connect().await?;
            conn.client.remove_user(&args.id).await?;
            eprintln!("removed user '{}'", args.id);
            Ok(())
        }
    }
}

/// `appctx channels …`.
pub async fn channels(ctx: &Ctx, cmd: ChannelsCommand) -> Result<(), CliError> {
    match cmd {
        ChannelsCommand::List(args) => {
            let opts = input::list_options(
                &args,
                Target::Channels,
                input::include(args.include.as_deref())?,
            )?;
            let conn = ctx.connect().await?;
            let c = &conn.client;
            list(&args, c.list_channels(&opts), || {
                c.channels_pager(opts.clone())
            })
            .await
        }
        ChannelsCommand::Get(args) => {
            let (include, format) = get_parts(&args)?;
            let conn = ctx.connect().await?;
            let channel = conn.client.get_channel(&args.id, include).await?;
            output::print_one(format, &output::to_value(&channel))
        }
        ChannelsCommand::Set(args) => {
            let common = &args.common;
            let mut fields = ChannelFields {
                name: value(common.name.clone()),
                description: value(args.description),
                kind: value(common.kind.clone()),
                status: value(common.status.clone()),
                custom: custom(common)?,
            };
            for field in &common.unset {
                match field.as_str() {
                    "name" => fields.name = Maybe::Null,
                    "description" => fields.description = Maybe::Null,
                    "status" => fields.status = Maybe::Null,
                    "type" => fields.kind = Maybe::Null,
                    "custom" => fields.custom = Maybe::Null,
                    other => {
                        return Err(unknown_unset(
                            other,
                            "name, description, status, type, custom",
                        ))
                    }
                }
            }
            ctx.check_write(&format!("set channel '{}'", args.id))?;
            let conn = ctx.connect().await?;
            let channel = conn
                .client
                .set_channel(&args.id, &fields, &set_options(common))
                .await?;
            output::print_one(
                output::pick(common.format, Format::Json),
                &output::to_value(&channel),
            )
        }
        ChannelsCommand::Remove(args) => {
            ctx.check_write(&format!("remove channel '{}'", args.id))?;
            let conn = ctx.connect().await?;
            conn.client.remove_channel(&args.id).await?;
            eprintln!("removed channel '{}'", args.id);
            Ok(())
        }
    }
}

/// Runs a list: one page, or with `--all` every page through the pager.
pub async fn list<T, F, P>(args: &ListArgs, one_page: F, pager: P) -> Result<(), CliError>
where
    T: Serialize + serde::de::DeserializeOwned,
    F: std::future::Future<Output = Result<Page<T>, Error>>,
    P: FnOnce() -> Result<Pager<T>, Error>,
{
    let format = output::pick(args.format, Format::Json);
    let listing = if args.all {
        let mut pages = pager()?;
        let bar = super::progress::counter("fetching");
        let mut listing = Listing {
            rows: Vec::new(),
            total: None,
            next: None,
            prev: None,
            more: false,
        };
        while let Some(page) = pages.next_page().await {
            let page = page?;
            listing.total = listing.total.or(page.total_count);
            bar.inc(page.data.len() as u64);
            listing.rows.extend(page.data.iter().map(output::to_value));
        }
        bar.finish_and_clear();
        listing
    } else {
        let mut listing = Listing::from_page(one_page.await?);
        let full = listing.rows.len() as u64 >= u64::from(args.limit.unwrap_or(MAX_LIMIT));
        let counted_all = listing
            .total
            .is_some_and(|t| listing.rows.len() as u64 >= t);
        listing.more = full && !counted_all;
        listing
    };
    output::print_list(format, &listing)
}

fn get_parts(args: &GetArgs) -> Result<(crate::api::Include, Format), CliError> {
    Ok((
        input::include(args.include.as_deref())?,
        output::pick(args.format, Format::Json),
    ))
}

fn value<T>(v: Option<T>) -> Maybe<T> {
    v.map(Maybe::Value).unwrap_or_default()
}

fn custom(common: &CommonSetArgs) -> Result<Maybe<crate::api::types::Custom>, CliError> {
    Ok(match &common.custom {
        Some(text) => Maybe::Value(input::custom(text)?),
        None => Maybe::Absent,
    })
}

fn set_options(common: &CommonSetArgs) -> SetOptions {
    SetOptions {
        include: crate::api::Include::ALL,
        if_match: common.if_match.clone().map(ETag),
    }
}

fn unknown_unset(field: &str, allowed: &str) -> CliError {
    CliError::Usage(format!(
        "--unset: unknown field '{field}'; allowed: {allowed}"
    ))
}
