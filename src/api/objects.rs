//! Operations 1–8 of the wire spec (§4): list, get, set and remove users (UUID
//! metadata) and channels (channel metadata).

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{Client, Request};
use super::error::Error;
use super::options::{
    ChannelFields, Include, IncludeParam, ObjectListOptions, SetOptions, UserFields,
};
use super::paging::Pager;
use super::signature::encode;
use super::types::{Channel, Page, Single, User};

const USERS: &str = "uuids";
const CHANNELS: &str = "channels";

/// Checks an id and encodes it as one path segment. Ids `.` and `..` cannot be sent:
/// URL parsers fold them into the path.
pub(crate) fn id_segment(id: &str, what: &str) -> Result<String, Error> {
    if id.is_empty() {
        return Err(Error::InvalidInput(format!("the {what} id is empty")));
    }
    if id == "." || id == ".." {
        return Err(Error::InvalidInput(format!(
            "the {what} id '{id}' cannot be used in a URL path"
        )));
    }
    Ok(encode(id))
}

impl Client {
    /// All users, one page (`get_all_uuid_metadata`).
    pub async fn list_users(&self, opts: &ObjectListOptions) -> Result<Page<User>, Error> {
        self.list_objects(USERS, opts).await
    }

    /// Every page of users from `opts.page` on.
    pub fn users_pager(&self, opts: ObjectListOptions) -> Result<Pager<User>, Error> {
        let req = Request::new(Method::GET, self.path(&[USERS])?);
        Ok(Pager::new(self.clone(), req, opts, ""))
    }

    /// One user (`get_uuid_metadata`); a missing user is `Error::Api` with status 404.
    pub async fn get_user(&self, user_id: &str, include: Include) -> Result<User, Error> {
        self.get_object(USERS, user_id, "user", include).await
    }

    /// Creates or updates a user (`set_uuid_metadata`): absent fields keep their value.
    pub async fn set_user(
        &self,
        user_id: &str,
        fields: &UserFields,
        opts: &SetOptions,
    ) -> Result<User, Error> {
        self.set_object(USERS, user_id, "user", fields, opts).await
    }

    /// Removes a user (`remove_uuid_metadata`).
    pub async fn remove_user(&self, user_id: &str) -> Result<(), Error> {
        self.remove_object(USERS, user_id, "user").await
    }

    /// All channels, one page (`get_all_channel_metadata`).
    pub async fn list_channels(&self, opts: &ObjectListOptions) -> Result<Page<Channel>, Error> {
        self.list_objects(CHANNELS, opts).await
    }

    /// Every page of channels from `opts.page` on.
    pub fn channels_pager(&self, opts: ObjectListOptions) -> Result<Pager<Channel>, Error> {
        let req = Request::new(Method::GET, self.path(&[CHANNELS])?);
        Ok(Pager::new(self.clone(), req, opts, ""))
    }

    /// One channel (`get_channel_metadata`).
    pub async fn get_channel(&self, channel_id: &str, include: Include) -> Result<Channel, Error> {
        self.get_object(CHANNELS, channel_id, "channel", include)
            .await
    }

    /// Creates or updates a channel (`set_channel_metadata`).
    pub async fn set_channel(
        &self,
        channel_id: &str,
        fields: &ChannelFields,
        opts: &SetOptions,
    ) -> Result<Channel, Error> {
        self.set_object(CHANNELS, channel_id, "channel", fields, opts)
            .await
    }

    /// Removes a channel (`remove_channel_metadata`).
    pub async fn remove_channel(&self, channel_id: &str) -> Result<(), Error> {
        self.remove_object(CHANNELS, channel_id, "channel").await
    }

    async fn list_objects<T: DeserializeOwned>(
        &self,
        collection: &str,
        opts: &ObjectListOptions,
    ) -> Result<Page<T>, Error> {
        let req = Request::new(Method::GET, self.path(&[collection])?).list_params(opts, "");
        self.send(req).await
    }

    async fn get_object<T: DeserializeOwned>(
        &self,
        collection: &str,
        id: &str,
        what: &str,
        include: Include,
    ) -> Result<T, Error> {
        let path = self.path(&[collection, &id_segment(id, what)?])?;
        let req = Request::new(Method::GET, path).include(include.include_value(""));
        let label = format!("GET {}", req.path);
        single_data(self.send::<Single<T>>(req).await?, label)
    }

    async fn set_object<T: DeserializeOwned, B: Serialize>(
        &self,
        collection: &str,
        id: &str,
        what: &str,
        fields: &B,
        opts: &SetOptions,
    ) -> Result<T, Error> {
        self.check_write(&format!("set {what} '{id}'"))?;
        let path = self.path(&[collection, &id_segment(id, what)?])?;
        let body = serde_json::to_vec(fields)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the {what}: {e}")))?;
        let mut req = Request::new(Method::PATCH, path)
            .include(opts.include.include_value(""))
            .json_body(body);
        req.if_match = opts.if_match.as_ref().map(|t| t.0.clone());
        let label = format!("PATCH {}", req.path);
        single_data(self.send::<Single<T>>(req).await?, label)
    }

    async fn remove_object(&self, collection: &str, id: &str, what: &str) -> Result<(), Error> {
        self.check_write(&format!("remove {what} '{id}'"))?;
        let path = self.path(&[collection, &id_segment(id, what)?])?;
        self.send::<Single<serde_json::Value>>(Request::new(Method::DELETE, path))
            .await
            .map(|_| ())
    }
}

fn single_data<T>(single: Single<T>, label: String) -> Result<T, Error> {
    single.data.ok_or_else(|| Error::Decode {
        request: label,
        status: single.status,
        message: "the answer has no data".into(),
    })
}
