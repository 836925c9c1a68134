//! Templates and how a page goes out: one minijinja environment built at first use from the
//! templates embedded in the binary, HTML auto-escaping for everything, and the headers every
//! page carries (its Content-Security-Policy, no caching of private data).

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{AutoEscape, Environment, Value};

use super::assets;

/// Scripts and styles only from DoxIn's own files: no inline script or style can run, not
/// even one injected into a page. Images may be `blob:` (previews of dropped files) and
/// `data:` (the SVG favicon fallback); `connect-src 'self'` covers fetch and the WebSocket.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'; manifest-src 'self'";

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../web/templates/", $name)))),*]
    };
}

/// Every template, by the name pages render it with.
const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "macros.html",
    "error.html",
    "login.html",
    "register.html",
    "request_access.html",
    "setup.html",
    "dashboard.html",
    "invoices.html",
    "jobs.html",
    "reports.html",
    "analytics.html",
    "upload.html",
    "review_queue.html",
    "review.html",
    "invoice_detail.html",
    "history.html",
    "admin_nav.html",
    "admin.html",
    "admin_users.html",
    "admin_codes.html",
    "admin_requests.html",
    "admin_audit.html",
    "admin_usage.html",
    "account.html",
    "workspace.html",
    "companies.html",
    "admin_requests.html",
    "admin_audit.html",
    "admin_usage.html",
);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // A broken template is a defect of the build; `every_template_parses` fails on it.
            tracing::error!(template = name, error = %e, "template does not parse");
        }
    }
    env.add_function("asset", |name: &str| {
        Value::from_safe_string(assets::url(name))
    });
    env.add_filter("amount", amount);
    env.add_filter("percent", percent);
    env.add_filter("day", day);
    env.add_filter("highlight", highlight);
    env
});

/// `1234567.5` → `1,234,567.50`: the page's fallback before the script formats amounts for
/// the reader's locale (and what a reader without JavaScript sees).
fn amount(value: Value) -> String {
    let text = value.to_string();
    let Ok(number) = text.parse::<f64>() else {
        return text;
    };
    let fixed = format!("{:.2}", number.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if number < 0.0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

/// A confidence in 0..=1 as a whole percentage.
fn percent(value: Value) -> String {
    match value.to_string().parse::<f64>() {
        Ok(v) => format!("{:.0} %", (v * 100.0).clamp(0.0, 100.0)),
        Err(_) => String::new(),
    }
}

/// The date part of an RFC 3339 instant (`2026-12-05T10:00:00Z` → `2026-12-05`).
fn day(value: Value) -> String {
    let text = value.as_str().map(str::to_string).unwrap_or_default();
    text.get(..10).unwrap_or(&text).to_string()
}

/// `text`, escaped, with every occurrence of `terms` (lower-case words) in `<mark>`; case is
/// ignored for ASCII letters.
fn highlight(text: Value, terms: Value) -> Value {
    let text = if text.is_none() || text.is_undefined() {
        String::new()
    } else {
        text.to_string()
    };
    let terms: Vec<String> = terms
        .try_iter()
        .map(|it| {
            it.map(|t| t.to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    'outer: while i < text.len() {
        for term in &terms {
            let end = i + term.len();
            if text.is_char_boundary(end)
                && text
                    .get(i..end)
                    .is_some_and(|s| s.eq_ignore_ascii_case(term))
            {
                out.push_str("<mark>");
                escape_into(&mut out, &text[i..end]);
                out.push_str("</mark>");
                i = end;
                continue 'outer;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        escape_into(&mut out, &text[i..i + ch.len_utf8()]);
        i += ch.len_utf8();
    }
    Value::from_safe_string(out)
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

/// Renders `template` with `ctx` as a complete page with status `status`.
pub fn page(status: StatusCode, template: &str, ctx: Value) -> Response {
    match ENV.get_template(template).and_then(|t| t.render(ctx)) {
        Ok(body) => {
            let mut resp = (status, body).into_response();
            let headers = resp.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            );
            resp
        }
        Err(e) => {
            tracing::error!(template, error = %e, "rendering a page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "This page could not be shown; the error has been logged.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn amounts_are_grouped_with_two_decimals() {
        assert_eq!(amount(Value::from("1234567.5")), "1,234,567.50");
        assert_eq!(amount(Value::from("-12.345")), "-12.35");
        assert_eq!(amount(Value::from("999")), "999.00");
        assert_eq!(amount(Value::from("n/a")), "n/a");
    }

    #[test]
    fn search_terms_are_marked_and_the_rest_escaped() {
        let out = highlight(
            Value::from("ACME <b>Supplies</b> acme"),
            Value::from(vec!["acme".to_string()]),
        );
        assert_eq!(
            out.to_string(),
            "<mark>ACME</mark> &lt;b&gt;Supplies&lt;/b&gt; <mark>acme</mark>"
        );
    }

    #[test]
    fn markup_in_values_is_escaped() {
        let t = ENV.template_from_str("{{ x }}").expect("template");
        let out = t
            .render(minijinja::context! { x => "<script>alert(1)</script>" })
            .expect("render");
        assert!(!out.contains("<script>"), "{out}");
    }
}
