//! Conversions and text search objects (dictionaries, configurations, parsers and templates).

use super::*;

/// A conversion between two encodings (`CREATE [DEFAULT] CONVERSION`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    pub name: QualifiedName,
    /// Encoding names (`LATIN1`, `UTF8`).
    pub source_encoding: String,
    pub target_encoding: String,
    /// The conversion function (`regproc`, qualified unless in `pg_catalog`).
    pub function: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A text search dictionary, configuration, parser or template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSearch {
    pub name: QualifiedName,
    pub kind: TextSearchKind,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextSearchKind {
    Dictionary {
        /// The template, qualified (`pg_catalog.snowball`).
        template: String,
        /// `dictinitoption`: `language = 'english', stopwords = 'english'`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        options: Option<String>,
    },
    Configuration {
        /// The parser, qualified (`pg_catalog."default"`).
        parser: String,
        /// Token type → dictionaries (qualified), in token type order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mappings: Vec<(String, Vec<String>)>,
    },
    /// A parser's functions (`regproc`, qualified unless in `pg_catalog`).
    Parser {
        start: String,
        gettoken: String,
        end: String,
        lextypes: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        headline: Option<String>,
    },
    /// A template's functions.
    Template {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init: Option<String>,
        lexize: String,
    },
}

impl TextSearch {
    /// `TEXT SEARCH DICTIONARY` or `TEXT SEARCH CONFIGURATION`.
    pub fn keyword(&self) -> &'static str {
        match self.kind {
            TextSearchKind::Dictionary { .. } => "TEXT SEARCH DICTIONARY",
            TextSearchKind::Configuration { .. } => "TEXT SEARCH CONFIGURATION",
            TextSearchKind::Parser { .. } => "TEXT SEARCH PARSER",
            TextSearchKind::Template { .. } => "TEXT SEARCH TEMPLATE",
        }
    }
}
