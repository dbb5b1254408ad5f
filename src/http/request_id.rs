//! `X-Request-Id`: every request gets an id of this server's making (a UUID), recorded with the
//! audit events it writes. A sane id the client sent is kept beside it — echoed on the response,
//! logged, and recorded as the client's — but never stands in for ours: a client choosing its
//! id cannot make its changes look like another request's.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The request's ids, kept in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId {
    /// Ours, always made here.
    pub server: String,
    /// The client's, when it sent a usable one.
    pub client: Option<String>,
}

impl RequestId {
    /// The id the response carries: the client's when it sent one (so it can match its
    /// answer), ours otherwise.
    pub fn echoed(&self) -> &str {
        self.client.as_deref().unwrap_or(&self.server)
    }
}

fn acceptable(v: &str) -> bool {
    (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let ids = RequestId {
        server: uuid::Uuid::new_v4().to_string(),
        client: req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| acceptable(v))
            .map(str::to_owned),
    };
    req.extensions_mut().insert(ids.clone());
    let span = tracing::info_span!(
        "request",
        request_id = %ids.server,
        client_request_id = ids.client.as_deref().unwrap_or(""),
        method = %req.method(),
        path = %req.path()
    );
    let started = std::time::Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(v) = HeaderValue::from_str(ids.echoed()) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    // Answers hold people's reports and tokens: no shared cache keeps them, and no browser
    // guesses another type for them. (A handler may set its own caching, e.g. public pages.)
    let headers = res.headers_mut();
    if !headers.contains_key(actix_web::http::header::CACHE_CONTROL) {
        headers.insert(
            actix_web::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    headers.insert(
        actix_web::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    span.in_scope(|| {
        tracing::info!(
            http.status = res.status().as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "request finished"
        );
    });
    Ok(res)
}
