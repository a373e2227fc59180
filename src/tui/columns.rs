//! The columns of the users and channels lists: which fields, in which order, per
//! tab. Chosen with `:columns` and kept in `columns.toml` next to `config.toml`;
//! without a choice, the columns that fit the width. `o` sorts by the next sortable
//! column shown (ascending, then descending).

use std::path::{Path, PathBuf};

use crate::api::types::{Channel, Maybe, User};
use crate::filter::Target;

/// One column of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Col {
    Id,
    Name,
    Status,
    Type,
    Updated,
    /// Users only.
    Email,
    /// Users only.
    ExternalId,
    /// Channels only.
    Description,
    /// A key of the custom map.
    Custom(String),
}

impl Col {
    /// Reads `name`, `status`, `custom.tier`, … for a tab's records.
    pub fn parse(text: &str, target: Target) -> Result<Col, String> {
        let users = target == Target::Users;
        Ok(match text.trim() {
            "id" => Col::Id,
            "name" => Col::Name,
            "status" => Col::Status,
            "type" => Col::Type,
            "updated" => Col::Updated,
            "email" if users => Col::Email,
            "externalId" if users => Col::ExternalId,
            "description" if !users => Col::Description,
            t if t.starts_with("custom.") && t.len() > 7 => Col::Custom(t[7..].to_string()),
            other => {
                return Err(format!(
                    "no column '{other}': {}",
                    Col::names(target).join(", ")
                ))
            }
        })
    }

    /// The column names a tab offers (for completion and errors).
    pub fn names(target: Target) -> Vec<&'static str> {
        let mut v = vec!["id", "name", "status", "type", "updated"];
        if target == Target::Users {
            v.extend(["email", "externalId"]);
        } else {
            v.push("description");
        }
        v.push("custom.KEY");
        v
    }

    /// The header.
    pub fn title(&self) -> String {
        match self {
            Col::Id => "id".into(),
            Col::Name => "name".into(),
            Col::Status => "status".into(),
            Col::Type => "type".into(),
            Col::Updated => "updated".into(),
            Col::Email => "email".into(),
            Col::ExternalId => "externalId".into(),
            Col::Description => "description".into(),
            Col::Custom(k) => format!("custom.{k}"),
        }
    }

    /// The sort field the server orders this column by, if any.
    pub fn sort_field(&self) -> Option<&'static str> {
        match self {
            Col::Id => Some("id"),
            Col::Name => Some("name"),
            Col::Status => Some("status"),
            Col::Type => Some("type"),
            Col::Updated => Some("updated"),
            Col::Description => Some("description"),
            _ => None,
        }
    }

    /// Its share of the width: fixed for short values, a share for the rest.
    pub fn width(&self) -> ratatui::layout::Constraint {
        use ratatui::layout::Constraint::{Fill, Length};
        match self {
            Col::Status => Length(9),
            Col::Type => Length(10),
            Col::Updated => Length(16),
            Col::Custom(_) => Fill(2),
            Col::Description => Fill(4),
            _ => Fill(3),
        }
    }
}

/// The columns that fit `width` when none were chosen.
pub fn defaults(target: Target, width: u16) -> Vec<Col> {
    let mut cols = vec![Col::Id, Col::Name];
    if width >= 50 {
        cols.push(Col::Status);
    }
    if width >= 64 {
        cols.push(Col::Type);
    }
    if width >= 100 {
        cols.push(if target == Target::Users {
            Col::Email
        } else {
            Col::Description
        });
    }
    if width >= 130 {
        cols.push(Col::Updated);
    }
    cols
}

/// Reads a comma-separated column list.
pub fn parse_list(text: &str, target: Target) -> Result<Vec<Col>, String> {
    let cols = text
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Col::parse(s, target))
        .collect::<Result<Vec<_>, _>>()?;
    if cols.is_empty() {
        return Err("name at least one column".into());
    }
    Ok(cols)
}

fn short_time(s: &str) -> String {
    s.get(..16).unwrap_or(s).replace('T', " ")
}

fn maybe(v: &Maybe<String>) -> String {
    v.as_ref().cloned().unwrap_or_default()
}

fn custom(c: &Maybe<crate::api::types::Custom>, key: &str) -> String {
    match c {
        Maybe::Value(m) => match m.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        },
        _ => String::new(),
    }
}

/// An id as the lists show it: the Chat SDK's internal records marked `⚙`.
pub fn marked_id(id: &str) -> String {
    if crate::api::rules::is_internal_id(id) {
        format!("⚙ {id}")
    } else {
        id.to_string()
    }
}

/// A user's cell.
pub fn user_cell(c: &Col, u: &User) -> String {
    match c {
        Col::Id => marked_id(&u.user_id),
        Col::Name => u.name.clone().unwrap_or_default(),
        Col::Status => maybe(&u.status),
        Col::Type => maybe(&u.kind),
        Col::Updated => short_time(&u.updated),
        Col::Email => u.email.clone().unwrap_or_default(),
        Col::ExternalId => u.external_id.clone().unwrap_or_default(),
        Col::Description => String::new(),
        Col::Custom(k) => custom(&u.custom, k),
    }
}

/// A channel's cell.
pub fn channel_cell(c: &Col, ch: &Channel) -> String {
    match c {
        Col::Id => marked_id(&ch.channel_id),
        Col::Name => ch.name.clone().unwrap_or_default(),
        Col::Status => maybe(&ch.status),
        Col::Type => maybe(&ch.kind),
        Col::Updated => short_time(&ch.updated),
        Col::Description => ch.description.clone().unwrap_or_default(),
        Col::Custom(k) => custom(&ch.custom, k),
        Col::Email | Col::ExternalId => String::new(),
    }
}

/// The chosen columns of both tabs, as kept in `columns.toml`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Chosen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
}

impl Chosen {
    /// The columns of a tab: chosen, or the defaults for the width.
    pub fn for_tab(&self, target: Target, width: u16) -> Vec<Col> {
        let chosen = match target {
            Target::Users => &self.users,
            _ => &self.channels,
        };
        chosen
            .as_ref()
            .and_then(|names| parse_list(&names.join(","), target).ok())
            .unwrap_or_else(|| defaults(target, width))
    }
}

/// Where the choice is kept.
pub fn path() -> Option<PathBuf> {
    crate::config::default_config_path().map(|p| p.with_file_name("columns.toml"))
}

/// Reads the choice (a missing or broken file is no choice).
pub fn load(path: &Path) -> Chosen {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default()
}

/// Keeps the choice.
pub fn save(chosen: &Chosen, path: &Path) -> Result<(), String> {
    let text = toml::to_string(chosen).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let body =
        format!("# The TUI's list columns (:columns). Delete a line for the defaults.\n{text}");
    std::fs::write(path, body).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_parse_per_tab_and_fall_back_to_what_fits() {
        let cols = parse_list("name, status,custom.tier", Target::Users).unwrap();
        assert_eq!(
            cols,
            vec![Col::Name, Col::Status, Col::Custom("tier".into())]
        );
        assert!(parse_list("description", Target::Users)
            .unwrap_err()
            .contains("no column"));
        assert!(parse_list("", Target::Users).is_err());
        let at_120 = defaults(Target::Users, 54);
        assert!(
            at_120.contains(&Col::Status),
            "120 columns show more than id and name"
        );
        let chosen = Chosen {
            users: Some(vec!["id".into(), "custom.tier".into()]),
            channels: None,
        };
        assert_eq!(chosen.for_tab(Target::Users, 40).len(), 2);
        assert_eq!(
            chosen.for_tab(Target::Channels, 40),
            defaults(Target::Channels, 40)
        );
    }

    #[test]
    fn the_choice_is_kept_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("appctx").join("columns.toml");
        let c = Chosen {
            users: Some(vec!["name".into(), "custom.tier".into()]),
            channels: None,
        };
        save(&c, &p).unwrap();
        assert_eq!(load(&p), c);
        std::fs::write(&p, "users = 3").unwrap();
        assert_eq!(load(&p), Chosen::default());
    }
}
