//! A file name suggestion for the fetched document: from `Content-Disposition` if the server
//! sent one, else the last segment of the URL path. Only a hint for display and storage names;
//! the document type is always sniffed from the bytes.

use url::Url;

/// `filename*` (RFC 6266/8187, UTF-8 percent-encoded) wins over `filename`, as the RFC says.
pub(crate) fn from_content_disposition(value: &str) -> Option<String> {
    let params: Vec<(String, String)> = split_params(value)
        .into_iter()
        .skip(1)
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let extended = params
        .iter()
        .find(|(k, _)| k == "filename*")
        .and_then(|(_, v)| {
            let (charset, rest) = v.split_once('\'')?;
            let (_lang, encoded) = rest.split_once('\'')?;
            let bytes = percent_decode(encoded);
            match charset.to_ascii_lowercase().as_str() {
                "utf-8" => String::from_utf8(bytes).ok(),
                "iso-8859-1" => Some(bytes.iter().map(|&b| char::from(b)).collect()),
                _ => None,
            }
        });
    let plain = || {
        params.iter().find(|(k, _)| k == "filename").map(|(_, v)| {
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            v.replace("\\\"", "\"").replace("\\\\", "\\")
        })
    };
    extended.or_else(plain).and_then(|name| sanitise(&name))
}

/// The last non-empty path segment, percent-decoded.
pub(crate) fn from_url(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    sanitise(&String::from_utf8_lossy(&percent_decode(segment)))
}

/// Splits on `;` outside double quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Keeps only the base name (a server may send `../../etc/passwd` or `C:\x\y.pdf`), drops
/// control characters, and refuses names that are empty or only dots.
fn sanitise(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        return None;
    }
    Some(clean.chars().take(255).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_forms() {
        let cases = [
            (
                "attachment; filename=\"invoice 42.pdf\"",
                Some("invoice 42.pdf"),
            ),
            ("attachment; filename=plain.xml", Some("plain.xml")),
            ("inline; FILENAME=\"a;b.pdf\"", Some("a;b.pdf")),
            (
                "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''Rechnung%20M%C3%BCller.pdf",
                Some("Rechnung Müller.pdf"),
            ),
            (
                "attachment; filename*=iso-8859-1'de'caf%E9.pdf",
                Some("café.pdf"),
            ),
            ("attachment; filename=\"../../etc/passwd\"", Some("passwd")),
            (
                "attachment; filename=\"C:\\\\docs\\\\x.pdf\"",
                Some("x.pdf"),
            ),
            ("attachment; filename=\"..\"", None),
            ("attachment", None),
            ("attachment; filename=\"\"", None),
        ];
        for (header, want) in cases {
            assert_eq!(
                from_content_disposition(header).as_deref(),
                want,
                "{header}"
            );
        }
    }

    #[test]
    fn url_last_segment() {
        let name = |u: &str| from_url(&Url::parse(u).expect("url"));
        assert_eq!(
            name("https://x.test/a/b/inv%2001.pdf?sig=1").as_deref(),
            Some("inv 01.pdf")
        );
        assert_eq!(name("https://x.test/a/b/").as_deref(), Some("b"));
        assert_eq!(name("https://x.test/").as_deref(), None);
        assert_eq!(
            name("https://x.test/a/..%2F..%2Fetc%2Fpasswd").as_deref(),
            Some("passwd")
        );
    }
}
