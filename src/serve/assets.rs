//! The page and the OpenAPI document, embedded at build time: the server reads no file a request
//! names, and a binary carries the page that matches its API.

pub const INDEX_HTML: &str = include_str!("../../web/index.html");
pub const APP_JS: &str = include_str!("../../web/app.js");
pub const STYLE_CSS: &str = include_str!("../../web/style.css");
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

pub const HTML: &str = "text/html; charset=utf-8";
pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const YAML: &str = "application/yaml";
pub const JSON: &str = "application/json";
