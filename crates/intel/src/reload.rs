//! Reloading feeds while a run lasts: on SIGHUP and on the refresh interval, a background
//! thread loads every feed again and hands the new set over; the packet path never waits for
//! it (the old set keeps matching until the new one is swapped in).

use crate::source::{load_all, IntelConfig, LoadError};
use crate::IntelSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why a reload happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadCause {
    Signal,
    Refresh,
}

/// The reloading thread; dropping it (or [`Reloader::stop`]) ends it.
pub struct Reloader {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// How often the thread looks at the SIGHUP flag.
const POLL: Duration = Duration::from_millis(100);

impl Reloader {
    /// Starts the thread. `on_reload` receives each new set with the feeds that failed.
    /// `watch_sighup` installs a SIGHUP handler (the signal then no longer ends the process).
    pub fn spawn(
        cfg: IntelConfig,
        watch_sighup: bool,
        mut on_reload: impl FnMut(IntelSet, Vec<LoadError>, ReloadCause) + Send + 'static,
    ) -> std::io::Result<Reloader> {
        let hup = Arc::new(AtomicBool::new(false));
        if watch_sighup {
            signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))?;
        }
        let refresh = cfg
            .feeds
            .iter()
            .filter_map(|f| cfg.refresh_of(f))
            .min()
            .filter(|d| !d.is_zero());
        let (stop_tx, stop_rx) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("netloupe-intel".into())
            .spawn(move || {
                let mut last = Instant::now();
                loop {
                    match stop_rx.recv_timeout(POLL) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    let cause = if hup.swap(false, Ordering::Relaxed) {
                        ReloadCause::Signal
                    } else if refresh.is_some_and(|r| last.elapsed() >= r) {
                        ReloadCause::Refresh
                    } else {
                        continue;
                    };
                    let (set, errors) = load_all(&cfg);
                    last = Instant::now();
                    on_reload(set, errors, cause);
                }
            })?;
        Ok(Reloader {
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Ends the thread (waiting for a reload in progress to finish).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.shutdown();
    }
}
