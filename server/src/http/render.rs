//! Page rendering with a deadline: every portal page is rendered whole before it is sent,
//! and a render that stalls is started again once.
//!
//! Why: Leptos 0.8's server-side rendering sometimes never finishes a page: a
//! `<Suspense>` or the resources' trailer waits for a wake-up that never comes
//! (leptos-rs/leptos #4851, #4673, #4698; still seen with leptos 0.8.23, the last 0.8).
//! The response then stops, before its headers or mid-body, and never ends. Here that was
//! about one page in two thousand under 24 concurrent requests (the test
//! `pages_under_load` reproduces it), whatever the threads: rendering on single-threaded
//! runtimes, even one page at a time, did not stop it. Page renders only read, so a
//! stalled one is dropped and rendered again; each retry is logged as a warning.
//!
//! Buffering the whole page costs nothing that matters (pages are small, the routes use
//! `SsrMode::Async`, which waits for every resource before the first byte anyway) and
//! means a visitor never gets half a page.
//!
//! Server functions (`/api/…`), static files and every machine route are not touched.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, Response, StatusCode};
use axum::middleware::Next;
use std::future::Future;
use std::time::Duration;

/// A page renders in milliseconds; ten seconds is a stall, not a slow database.
pub const RENDER_DEADLINE: Duration = Duration::from_secs(10);

/// A rendered page is buffered before it is sent; nothing the portal renders comes near this.
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// Middleware for the portal router (pages, the 404 page and static files).
pub async fn whole_pages(req: Request, next: Next) -> Response<Body> {
    if !is_page(req.uri().path()) || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let (parts, _empty) = req.into_parts();
    let path = parts.uri.path().to_owned();
    render_with_retry(RENDER_DEADLINE, &path, || {
        let req = Request::from_parts(parts.clone(), Body::empty());
        let next = next.clone();
        async move { buffered(next.run(req).await).await }
    })
    .await
}

/// Renders with `attempt`, and once more if the first one passes `deadline`. The second
/// attempt has the same deadline; after it the visitor gets a 503 to reload, never a hang.
pub async fn render_with_retry<F, Fut>(deadline: Duration, path: &str, mut attempt: F) -> Response<Body>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    for round in 1..=2 {
        match tokio::time::timeout(deadline, attempt()).await {
            Ok(page) => return page,
            Err(_) => tracing::warn!(path, round, "a page render stalled (Leptos SSR); dropped it"),
        }
    }
    let mut res = Response::new(Body::from("A página demorou demais. Recarregue. / The page took too long. Reload."));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res
}

async fn buffered(res: Response<Body>) -> Response<Body> {
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered whole");
            let mut res = Response::new(Body::from(Bytes::from_static(b"page could not be rendered")));
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    }
}

/// Pages have no extension in their last segment; `/api/…` are server functions.
fn is_page(path: &str) -> bool {
    !path.starts_with("/api/") && !path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn pages_are_told_from_server_functions_and_files() {
        for page in ["/", "/login", "/orgs/coronel/onboarding", "/orgs/coronel/", "/rollout"] {
            assert!(is_page(page), "{page}");
        }
        for other in ["/api/login", "/api/rollout_board", "/pkg/ponte.wasm", "/ponte.css", "/favicon.svg"] {
            assert!(!is_page(other), "{other}");
        }
    }

    fn page(text: &'static str) -> Response<Body> {
        Response::new(Body::from(text))
    }

    async fn text(res: Response<Body>) -> (StatusCode, String) {
        let status = res.status();
        (status, String::from_utf8(axum::body::to_bytes(res.into_body(), 1024).await.unwrap().to_vec()).unwrap())
    }

    // Virtual time: the deadlines pass without waiting.
    #[tokio::test(start_paused = true)]
    async fn a_stalled_render_is_dropped_and_rendered_again() {
        let calls = AtomicUsize::new(0);
        let res = render_with_retry(Duration::from_secs(10), "/orgs", || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    std::future::pending::<()>().await;
                }
                page("second")
            }
        })
        .await;
        assert_eq!(text(res).await, (StatusCode::OK, "second".into()));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_render_that_stalls_twice_answers_503_instead_of_hanging() {
        let calls = AtomicUsize::new(0);
        let res = render_with_retry(Duration::from_secs(10), "/orgs", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                std::future::pending::<()>().await;
                page("never")
            }
        })
        .await;
        let (status, body) = text(res).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("Recarregue"), "{body}");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_page_in_time_is_rendered_once() {
        let calls = AtomicUsize::new(0);
        let res = render_with_retry(Duration::from_secs(10), "/orgs", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { page("first") }
        })
        .await;
        assert_eq!(text(res).await, (StatusCode::OK, "first".into()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
