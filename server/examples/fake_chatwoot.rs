//! The tests' faithful fake Chatwoot as a process, for the browser tests: the test command
//! starts it beside Ponte and the real n8n, and the wizard's spec points an org at it. The
//! fake itself is the integration tests' (`tests/api/common/fake_chatwoot.rs`), compiled
//! here unchanged: one fake, two ways to run it. Prints its base URL, then serves until
//! killed.

use std::sync::OnceLock;

/// The runtime the fake serves on (the tests share one the same way).
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
    })
}

/// Where the fake listens: `PONTE_FAKE_CHATWOOT_ADDR`, or any free loopback port.
async fn loopback_listener() -> tokio::net::TcpListener {
    let addr = std::env::var("PONTE_FAKE_CHATWOOT_ADDR").unwrap_or_else(|_| "127.0.0.1:0".into());
    server_runtime()
        .spawn(async move { tokio::net::TcpListener::bind(addr).await.expect("bind the fake Chatwoot's address") })
        .await
        .expect("bind task")
}

// The process only starts the fake; the tests also steer it (delays, its webhook list).
#[allow(dead_code)]
#[path = "../tests/api/common/fake_chatwoot.rs"]
mod fake_chatwoot;

fn main() {
    server_runtime().block_on(async {
        let fake = fake_chatwoot::FakeChatwoot::start().await;
        println!("{}", fake.base);
        // Serve until the test command kills the process.
        std::future::pending::<()>().await;
        drop(fake);
    });
}
