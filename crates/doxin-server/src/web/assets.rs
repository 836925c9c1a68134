//! Static assets (style sheet, scripts, icons) embedded in the binary and served under
//! content-hashed names (`app.1a2b3c4d.css`) with a year-long immutable cache: a new build
//! changes the name of whatever changed, so browsers never hold a stale copy and never ask
//! twice for the same one.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Every asset, by its logical name (the name templates ask for with `asset("…")`).
const FILES: &[(&str, &[u8])] = &[
    ("app.css", include_bytes!("../../web/assets/app.css")),
    ("app.js", include_bytes!("../../web/assets/app.js")),
    ("upload.js", include_bytes!("../../web/assets/upload.js")),
    ("review.js", include_bytes!("../../web/assets/review.js")),
    ("jobs.js", include_bytes!("../../web/assets/jobs.js")),
    ("reports.js", include_bytes!("../../web/assets/reports.js")),
    ("copy.js", include_bytes!("../../web/assets/copy.js")),
    ("icon.svg", include_bytes!("../../web/assets/icon.svg")),
];

pub struct Asset {
    pub logical: &'static str,
    /// `name.<first 8 hex digits of SHA-256>.ext`
    pub hashed: String,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(logical, bytes)| {
            let digest = hex::encode(&Sha256::digest(bytes)[..4]);
            let (stem, ext) = logical.rsplit_once('.').unwrap_or((logical, ""));
            Asset {
                logical,
                hashed: format!("{stem}.{digest}.{ext}"),
                bytes,
                content_type: content_type(ext),
            }
        })
        .collect()
});

fn content_type(ext: &str) -> &'static str {
    match ext {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// The URL of asset `logical` (`/assets/app.1a2b3c4d.css`); a name no asset has yields
/// `/assets/missing`, which answers 404 (a template test catches it).
pub fn url(logical: &str) -> String {
    ASSETS.iter().find(|a| a.logical == logical).map_or_else(
        || "/assets/missing".into(),
        |a| format!("/assets/{}", a.hashed),
    )
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.hashed == file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        let css = url("app.css");
        assert!(
            css.starts_with("/assets/app.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/assets/app.12345678.css".len());
        assert_eq!(url("nope.css"), "/assets/missing");
    }
}
