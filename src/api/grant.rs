//! Granting and revoking Access Manager tokens (spec §16.1–16.2): calls a client with
//! the secret key makes.

use reqwest::Method;
use serde::Deserialize;

use super::client::{Client, Request};
use super::error::Error;
use super::signature::encode;
use super::token::GrantRequest;

#[derive(Deserialize)]
struct GrantAnswer {
    data: GrantData,
}

#[derive(Deserialize)]
struct GrantData {
    token: String,
}

impl Client {
    fn pam_path(&self, rest: &str) -> String {
        format!(
            "{}/v3/pam/{}/grant{rest}",
            self.path_prefix(),
            encode(&self.keyset().subscribe_key)
        )
    }

    fn check_secret(&self, what: &str) -> Result<(), Error> {
        let k = self.keyset();
        if k.secret_key.is_none() || k.publish_key.is_none() {
            return Err(Error::InvalidInput(format!(
                "{what} needs the keyset's secret key and publish key (--secret-key/PUBNUB_SECRET_KEY and --publish-key/PUBNUB_PUBLISH_KEY)"
            )));
        }
        Ok(())
    }

    /// Asks the server for a token (`POST /v3/pam/{sub_key}/grant`, signed).
    pub async fn grant_token(&self, grant: &GrantRequest) -> Result<String, Error> {
        self.check_secret("granting a token")?;
        let body = serde_json::to_vec(&grant.to_body()).unwrap_or_default();
        let req = Request::new(Method::POST, self.pam_path("")).json_body(body);
        let answer: GrantAnswer = self.send(req).await?;
        Ok(answer.data.token)
    }

    /// Revokes a token (`DELETE /v3/pam/{sub_key}/grant/{token}`, signed).
    pub async fn revoke_token(&self, token: &str) -> Result<(), Error> {
        self.check_secret("revoking a token")?;
        let req = Request::new(
            Method::DELETE,
            self.pam_path(&format!("/{}", encode(token.trim()))),
        );
        let _: serde_json::Value = self.send(req).await?;
        Ok(())
    }
}
