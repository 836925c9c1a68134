//! A local stand-in for the providers' HTTP APIs (feature `fake-server`): it records every
//! request (path, headers, JSON body) and answers with scripted replies in the providers'
//! exact wire formats, so tests assert what the client sends and how it handles each answer.
//! Only for tests and benchmarks; it listens on 127.0.0.1 only.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (for timeouts and server-time measurements).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::raw(status, &body.to_string())
    }

    pub fn raw(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }

    /// An OpenAI-style error body.
    pub fn openai_error(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            &json!({"error": {"message": message, "type": "invalid_request_error", "code": null}}),
        )
    }

    /// An Anthropic-style error body.
    pub fn anthropic_error(status: u16, kind: &str, message: &str) -> Reply {
        Reply::json(
            status,
            &json!({"type": "error", "error": {"type": kind, "message": message}}),
        )
    }
}

/// A Chat Completions answer whose message content is `content`.
pub fn openai_chat(content: &str, finish_reason: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": finish_reason
            }],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
        }),
    )
}

/// A Chat Completions refusal.
pub fn openai_refusal(message: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
                "refusal": message}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105}
        }),
    )
}

/// A Messages answer calling the tool `tool` with `input`.
pub fn anthropic_tool(tool: &str, input: &Value, stop_reason: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "tool_use", "id": "toolu_fake", "name": tool, "input": input}],
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": {"input_tokens": 1500, "output_tokens": 250}
        }),
    )
}

/// An embeddings answer with `vectors` (in reverse order, to check `index` is honoured).
pub fn openai_embeddings(vectors: &[Vec<f32>]) -> Reply {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .rev()
        .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
        .collect();
    Reply::json(
        200,
        &json!({"object": "list", "data": data, "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 8, "total_tokens": 8}}),
    )
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Value,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Reply>,
    fallback: Option<Reply>,
    recorded: Vec<Recorded>,
}

/// The server; stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Starts on 127.0.0.1 with a free port, on the current tokio runtime.
    pub async fn start() -> std::io::Result<FakeServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let st = st.clone();
            async move { handle(st, uri, headers, body).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeServer { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a reply; queued replies are used in order, then the fallback.
    pub fn push(&self, reply: Reply) {
        self.lock().queue.push_back(reply);
    }

    /// The reply for every request once the queue is empty.
    pub fn set_fallback(&self, reply: Reply) {
        self.lock().fallback = Some(reply);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().recorded.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A test that panicked while holding the lock must not hide the server's state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(state: Arc<Mutex<State>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let reply = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.recorded.push(Recorded {
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        v.to_str().unwrap_or("").to_string(),
                    )
                })
                .collect(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        s.queue.pop_front().or_else(|| s.fallback.clone())
    };
    let Some(reply) = reply else {
        return (StatusCode::NOT_IMPLEMENTED, "no scripted reply").into_response();
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        reply.body,
    )
        .into_response();
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// The answer a perfect model would give for `inv`, in the schema of
/// [`invoice_schema`](crate::schema::invoice_schema): for scripting the fake server.
pub fn answer_for(inv: &doxin_model::Invoice) -> Value {
    use doxin_model::Field;
    fn s<T: ToString>(f: &Field<T>) -> Value {
        f.as_ref()
            .map(|e| Value::String(e.value.to_string()))
            .unwrap_or(Value::Null)
    }
    let party = |p: &doxin_model::Party| {
        json!({
            "name": s(&p.name), "vat_id": s(&p.vat_id), "street": s(&p.address.line1),
            "postal_code": s(&p.address.postal_code), "city": s(&p.address.city),
            "country": s(&p.address.country)
        })
    };
    let bank = inv.bank_accounts.first();
    json!({
        "document_type": match inv.document_type {
            doxin_model::DocumentType::Invoice => "invoice",
            doxin_model::DocumentType::CreditNote => "credit_note",
        },
        "invoice_number": s(&inv.invoice_number),
        "issue_date": s(&inv.issue_date),
        "due_date": s(&inv.due_date),
        "currency": s(&inv.currency),
        "seller": party(&inv.seller),
        "buyer": party(&inv.buyer),
        "purchase_order_ref": s(&inv.purchase_order_ref),
        "payment_terms": s(&inv.payment_terms),
        "iban": bank.map(|b| s(&b.iban)).unwrap_or(Value::Null),
        "bic": bank.map(|b| s(&b.bic)).unwrap_or(Value::Null),
        "totals": {
            "net": s(&inv.totals.tax_exclusive_amount),
            "tax": s(&inv.totals.tax_amount),
            "gross": s(&inv.totals.tax_inclusive_amount),
            "payable": s(&inv.totals.payable_amount),
        },
        "vat_breakdown": inv.vat_breakdown.iter().map(|v| json!({
            "rate": s(&v.rate), "taxable_amount": s(&v.taxable_amount), "tax_amount": s(&v.tax_amount)
        })).collect::<Vec<_>>(),
        "lines": inv.lines.iter().map(|l| json!({
            "description": s(&l.description), "quantity": s(&l.quantity),
            "unit_price": s(&l.unit_price), "line_amount": s(&l.line_amount),
            "vat_rate": s(&l.vat_rate)
        })).collect::<Vec<_>>(),
    })
}
