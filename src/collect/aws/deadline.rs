//! Deadlines of a live collection: one per region (`--region-timeout`) and one for the whole
//! run (`--timeout`), and SIGINT/SIGTERM, which end the run the way its deadline does. Each
//! service of each scope runs [`within`] them: when time is up it is dropped, and the kinds it
//! reads are recorded as not read, with why; every service that finished before keeps what it
//! read, so the inventory is still written.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::shared::{Out, Scope};

/// Why the whole run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reason {
    /// The run's deadline passed.
    Timeout(Duration),
    /// A signal asked the process to stop.
    Signal(&'static str),
}

impl Reason {
    /// What the reason is, for an error message.
    pub(super) fn describe(self) -> String {
        match self {
            Reason::Timeout(limit) => format!(
                "the run's deadline passed (--timeout {} s)",
                limit.as_secs()
            ),
            Reason::Signal(name) => format!("interrupted ({name})"),
        }
    }
}

/// Tells every service when the run must stop. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Stop(watch::Receiver<Option<Reason>>);

impl Stop {
    /// Starts watching the run's deadline (none: no limit) and the signals. Needs a Tokio
    /// runtime.
    pub(super) fn start(limit: Option<Duration>) -> Stop {
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let reason = tokio::select! {
                () = after(limit) => limit.map(Reason::Timeout),
                name = signalled() => Some(Reason::Signal(name)),
                // Every receiver is gone: the run is over.
                () = tx.closed() => None,
            };
            // No receiver left is fine: nothing is running any more.
            let _ = tx.send(reason);
        });
        Stop(rx)
    }

    /// The reason, once the run must stop.
    pub(super) fn reason(&self) -> Option<Reason> {
        *self.0.borrow()
    }

    /// Runs `work` to its end, or until the run must stop: then `work` is dropped and the
    /// reason described.
    pub(super) async fn during(mut self, work: impl Future<Output = ()>) -> Option<String> {
        tokio::select! {
            biased;
            reason = self.stopped() => Some(reason.describe()),
            () = work => None,
        }
    }

    async fn stopped(&mut self) -> Reason {
        loop {
            if let Some(reason) = *self.0.borrow_and_update() {
                return reason;
            }
            if self.0.changed().await.is_err() {
                // The watcher ended without a reason: never stop.
                std::future::pending::<()>().await;
            }
        }
    }
}

async fn after(limit: Option<Duration>) {
    match limit {
        Some(limit) => tokio::time::sleep(limit).await,
        None => std::future::pending().await,
    }
}

/// The name of the first of SIGINT and SIGTERM to arrive. Never returns when neither can be
/// watched.
async fn signalled() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}

/// Runs one service over one scope until it finishes, `deadline` passes (the region's), or the
/// run stops. When it is cut short, `kinds` are recorded as not read in that scope, naming the
/// limit that ended it.
pub(super) async fn within(
    service: &str,
    kinds: &[&str],
    scope: &Scope,
    deadline: Option<(Instant, Duration)>,
    mut stop: Stop,
    work: impl Future<Output = Out>,
) -> Out {
    let region_over = async {
        match deadline {
            Some((at, _)) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    let why = tokio::select! {
        biased;
        reason = stop.stopped() => reason.describe(),
        () = region_over => format!(
            "the region's deadline passed (--region-timeout {} s)",
            deadline.map_or(0, |(_, limit)| limit.as_secs())
        ),
        out = work => return out,
    };
    let mut out = Out::default();
    out.missing(scope, service, kinds, format!("not read: {why}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("123456789012", "eu-west-1")
    }

    #[tokio::test]
    async fn a_service_past_the_region_deadline_is_recorded_as_not_read() {
        let stop = Stop::start(None);
        let deadline = Some((
            Instant::now() + Duration::from_millis(50),
            Duration::from_secs(5),
        ));
        let out = within("ec2", &["aws_vpc"], &scope(), deadline, stop, async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Out::default()
        })
        .await;
        assert_eq!(out.kinds.get("aws_vpc"), Some(&false));
        assert!(
            out.errors[0]
                .message
                .contains("region's deadline passed (--region-timeout 5 s)"),
            "{:?}",
            out.errors
        );
    }

    #[tokio::test]
    async fn the_run_deadline_stops_every_service_and_a_finished_one_keeps_its_output() {
        let stop = Stop::start(Some(Duration::from_millis(100)));
        let quick = within(
            "kms",
            &["aws_kms_key"],
            &scope(),
            None,
            stop.clone(),
            async {
                let mut out = Out::default();
                out.covers(&["aws_kms_key"]);
                out
            },
        )
        .await;
        assert_eq!(quick.kinds.get("aws_kms_key"), Some(&true));
        let slow = within(
            "rds",
            &["aws_db_instance"],
            &scope(),
            None,
            stop.clone(),
            async { std::future::pending::<Out>().await },
        )
        .await;
        assert_eq!(slow.kinds.get("aws_db_instance"), Some(&false));
        assert!(slow.errors[0].message.contains("run's deadline passed"));
        assert_eq!(
            stop.reason(),
            Some(Reason::Timeout(Duration::from_millis(100)))
        );
    }
}
