//! The soak's scenarios: each one run through a fresh `FaultProxy` with a
//! seeded plan, and checked byte for byte (or name for name).

use std::time::Duration;

use azblob::transport::{Method, Request, RetryOptions};
use azblob::{BatchOutcome, BlobServiceClient, ClientBuilder, CopySource, CopyStatus, ListBlobsOptions};
use azblob_testkit::{
    first_n, pseudo_random_bytes, Every, FaultKind, FaultPlan, FaultProxy, HttpFault, ProxyOptions, RequestInfo,
    RetryHint, SeededPlan,
};
use bytes::Bytes;
use futures_util::{stream, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use crate::soak::SoakOptions;

const MIB: u64 = 1024 * 1024;
/// The container every Azurite scenario uses.
const CONTAINER: &str = "soak";
/// The batch scenario's own container, so its listing check is short.
const BATCH_CONTAINER: &str = "soak-batch";
/// Blobs listed by the listing scenario, 500 a page.
const LIST_BLOBS: usize = 5000;

/// How a run ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Checked exactly; what was checked.
    Verified(String),
    /// A typed error from the library (kind and message).
    Error(String),
    /// The library reported success, but the data is wrong.
    Corrupt(String),
}

/// One scenario of the soak.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scenario {
    /// The big transfer up and down against the sink, a fault every ~64 MiB.
    SinkTransfer,
    /// 64 MiB up and down against Azurite, a fault every ~8 MiB.
    AzuriteTransfer,
    /// 5,000 blobs listed 500 a page, a fault on about every third page.
    List,
    /// A batch delete of 100 blobs whose first answer is cut.
    BatchCut,
    /// A copy whose first three status polls meet faults.
    CopyPoll,
    /// A 16 MiB upload whose Put Block List answer is lost after the commit.
    CommitLost,
}

/// Every scenario, in the order the soak runs them.
/// The listing goes last: Azurite's batch deletes slow down with the number
/// of blobs it holds (seconds for 100 once the 5,000 to list exist), which
/// would fire the client's inactivity timeout before the planned cut.
pub(crate) const SCENARIOS: &[Scenario] = &[
    Scenario::SinkTransfer,
    Scenario::AzuriteTransfer,
    Scenario::BatchCut,
    Scenario::CopyPoll,
    Scenario::CommitLost,
    Scenario::List,
];

impl Scenario {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::SinkTransfer => "xfer-sink",
            Scenario::AzuriteTransfer => "xfer-azurite",
            Scenario::List => "list-5000",
            Scenario::BatchCut => "batch-cut",
            Scenario::CopyPoll => "copy-poll",
            Scenario::CommitLost => "commit-lost",
        }
    }
}

/// The servers and the data every run shares.
pub(crate) struct Context {
    sink: String,
    azurite: String,
    big: Bytes,
    small: Bytes,
    names: Vec<String>,
    /// Whether the blobs to list were created (at the first listing).
    listed: std::sync::atomic::AtomicBool,
}

type Run = Result<Outcome, azblob::Error>;

impl Context {
    /// Generates the sources and prepares Azurite: the containers and the
    /// copy source (the blobs to list come at the first listing).
    pub(crate) async fn new(sink: &str, azurite: &str, options: &SoakOptions) -> Result<Context, String> {
        let big = Bytes::from(pseudo_random_bytes(options.size_mib * MIB, 0x50A6));
        let small = Bytes::from(pseudo_random_bytes(options.size_mib.min(64) * MIB, 0x5A11));
        let names: Vec<String> = (0..LIST_BLOBS).map(|i| format!("list/{i:05}")).collect();
        let direct = direct(azurite);
        for name in [CONTAINER, BATCH_CONTAINER] {
            let mut url = direct.container(name).url().map_err(|e| e.to_string())?;
            url.query_pairs_mut().append_pair("restype", "container");
            direct.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.map_err(|e| e.to_string())?;
        }
        let source = small.slice(..MIB as usize);
        direct.blob(CONTAINER, "copy-source").put(source).await.map_err(|e| e.to_string())?;
        let listed = std::sync::atomic::AtomicBool::new(false);
        Ok(Context { sink: sink.to_owned(), azurite: azurite.to_owned(), big, small, names, listed })
    }

    /// Runs `scenario` with `seed`: the faults injected, the proxy's
    /// connection errors and the outcome.
    pub(crate) async fn run(&self, scenario: Scenario, seed: u64) -> (usize, Vec<String>, Outcome) {
        let kinds = &FaultKind::ALL;
        let plan: Box<dyn FaultPlan> = match scenario {
            Scenario::SinkTransfer => Box::new(SeededPlan::new(seed, Every::Bytes(64 * MIB), kinds)),
            Scenario::AzuriteTransfer => Box::new(SeededPlan::new(seed, Every::Bytes(8 * MIB), kinds)),
            Scenario::List => {
                Box::new(SeededPlan::new(seed, Every::Requests(3), kinds).only(|r| r.has_query("comp", "list")))
            }
            Scenario::BatchCut => Box::new(first_n(1, seed, CUTS.to_vec(), |r| r.has_query("comp", "batch"))),
            Scenario::CopyPoll => {
                let target = format!("/copy-{seed}");
                Box::new(first_n(3, seed, POLL_FAULTS.to_vec(), move |r| {
                    r.method == "HEAD" && r.target.ends_with(&target)
                }))
            }
            Scenario::CommitLost => {
                Box::new(first_n(1, seed, vec![HttpFault::LoseResponse], |r| r.has_query("comp", "blocklist")))
            }
        };
        // Azurite, on a loaded machine, can be silent for over 2 s while it
        // works through a 100-blob batch; the client's inactivity timeout
        // would then fire before the planned cut. The sink answers at once.
        let (endpoint, idle) = match scenario {
            Scenario::SinkTransfer => (&self.sink, Duration::from_secs(2)),
            _ => (&self.azurite, Duration::from_secs(5)),
        };
        let plan = move |r: &RequestInfo| plan.fault(r);
        let proxy = match FaultProxy::to_url(endpoint, plan, ProxyOptions::default()) {
            Ok(proxy) => proxy,
            Err(e) => return (0, Vec::new(), Outcome::Error(format!("cannot start the fault proxy: {e}"))),
        };
        let client = ClientBuilder::new()
            .endpoint(proxy.url_for(endpoint))
            .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
            .map(|b| b.inactivity_timeout(idle))
            .map(|b| b.retry(RetryOptions { max_retries: 8, ..RetryOptions::default() }))
            .and_then(|b| b.build())
            .expect("a client of a loopback endpoint builds");
        let result = match scenario {
            Scenario::SinkTransfer => self.transfer(&client, endpoint, seed, &self.big, 0).await,
            Scenario::AzuriteTransfer => self.transfer(&client, endpoint, seed, &self.small, 4 * MIB).await,
            Scenario::List => self.list(&client).await,
            Scenario::BatchCut => self.batch(&client, seed).await,
            Scenario::CopyPoll => self.copy(&client, seed).await,
            Scenario::CommitLost => {
                let data = self.small.slice(..(16 * MIB).min(self.small.len() as u64) as usize);
                self.transfer(&client, endpoint, seed, &data, 4 * MIB).await
            }
        };
        let outcome = result.unwrap_or_else(|e| Outcome::Error(format!("{:?}: {e}", e.kind())));
        (proxy.injected().len(), proxy.errors(), outcome)
    }

    /// Uploads `data` (in blocks of `block`, or the library's choice if 0),
    /// downloads it back, compares SHA-256s and deletes the blob.
    async fn transfer(&self, client: &BlobServiceClient, endpoint: &str, seed: u64, data: &Bytes, block: u64) -> Run {
        let name = format!("xfer-{seed}");
        let blob = client.blob(CONTAINER, &name);
        let mut options = azblob::UploadOptions { single_put_max: 0, ..azblob::UploadOptions::default() };
        if block > 0 {
            options.block_size = block;
        }
        blob.upload_opts(data.clone(), &options).await?;
        let got = blob.download().await?;
        // The sink keeps what it stores in memory: free it at once.
        let _ = direct(endpoint).blob(CONTAINER, &name).delete().await;
        Ok(compare(&got, data))
    }

    async fn list(&self, client: &BlobServiceClient) -> Run {
        if !self.listed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let container = direct(&self.azurite).container(CONTAINER);
            stream::iter(self.names.iter().map(|n| container.blob(n)))
                .map(|blob| async move { blob.put("x").await })
                .buffer_unordered(32)
                .try_collect::<Vec<_>>()
                .await?;
            crate::soak::take_retries();
        }
        let options = ListBlobsOptions { prefix: Some("list/".into()), max_results: Some(500), ..Default::default() };
        let listed: Vec<String> =
            client.container(CONTAINER).list_blobs_opts(&options).map_ok(|i| i.name().to_owned()).try_collect().await?;
        Ok(if listed == self.names {
            Outcome::Verified(format!("{} names", listed.len()))
        } else {
            Outcome::Corrupt(format!("{} names listed, {} expected or in another order", listed.len(), LIST_BLOBS))
        })
    }

    async fn batch(&self, client: &BlobServiceClient, seed: u64) -> Run {
        let names: Vec<String> = (0..100).map(|i| format!("batch-{seed}/{i}")).collect();
        let direct = direct(&self.azurite);
        for name in &names {
            direct.blob(BATCH_CONTAINER, name).put("x").await?;
        }
        crate::soak::take_retries();
        let results = client.container(BATCH_CONTAINER).delete_blobs(&names).await?;
        let done = results.iter().filter(|r| matches!(r.outcome, BatchOutcome::Done)).count();
        let prefix = ListBlobsOptions { prefix: Some(format!("batch-{seed}/")), ..Default::default() };
        let left: Vec<_> = direct.container(BATCH_CONTAINER).list_blobs_opts(&prefix).try_collect().await?;
        Ok(match (done, left.len()) {
            (100, 0) => Outcome::Verified("100 deleted".into()),
            (done, left) => Outcome::Corrupt(format!("{done} of 100 reported deleted, {left} left")),
        })
    }

    async fn copy(&self, client: &BlobServiceClient, seed: u64) -> Run {
        let target = client.blob(CONTAINER, format!("copy-{seed}"));
        let source = CopySource::blob(&client.blob(CONTAINER, "copy-source"));
        let state = target.start_copy(&source).await?.wait(Duration::from_secs(60)).await?;
        if state.status != CopyStatus::Success {
            return Ok(Outcome::Error(format!("the copy ended {:?}", state.status)));
        }
        let got = direct(&self.azurite).blob(CONTAINER, format!("copy-{seed}")).download().await?;
        Ok(compare(&got, &self.small.slice(..MIB as usize)))
    }
}

/// Cuts of a batch answer: truncated, reset mid-body, lost entirely.
const CUTS: &[HttpFault] =
    &[HttpFault::Truncate { after: 300 }, HttpFault::ResetResponseBody { after: 40 }, HttpFault::LoseResponse];

/// Faults of a copy's status polls (HEAD: no body to cut, so cuts lose the head).
const POLL_FAULTS: &[HttpFault] = &[
    HttpFault::Status { status: 503, hint: RetryHint::Date(0) },
    HttpFault::Truncate { after: 0 },
    HttpFault::Stall,
    HttpFault::ResetResponseBody { after: 0 },
    HttpFault::Status { status: 500, hint: RetryHint::Seconds(0) },
];

/// A client of `endpoint` without the proxy, to set up and to check.
fn direct(endpoint: &str) -> BlobServiceClient {
    ClientBuilder::new()
        .endpoint(endpoint)
        .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
        .and_then(|b| b.build())
        .expect("a client of a loopback endpoint builds")
}

/// Whether `got` is `want`, by length and SHA-256.
fn compare(got: &[u8], want: &[u8]) -> Outcome {
    let (got_hash, want_hash) = (Sha256::digest(got), Sha256::digest(want));
    if got.len() == want.len() && got_hash == want_hash {
        Outcome::Verified(format!("{:.1} MiB sha256", got.len() as f64 / MIB as f64))
    } else {
        Outcome::Corrupt(format!("{} bytes, {} expected, SHA-256 {got_hash:x} != {want_hash:x}", got.len(), want.len()))
    }
}
