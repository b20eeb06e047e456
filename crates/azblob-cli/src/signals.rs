//! SIGINT and SIGTERM end a command by dropping its future, so the cleanup
//! that drops run (a download's `.partial` file is removed) happens before
//! the process exits with the shell's code for the signal (130 or 143).

/// The signal that interrupted the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupt {
    /// SIGINT, Ctrl-C.
    Int,
    /// SIGTERM.
    Term,
}

impl Interrupt {
    /// 128 plus the signal's number, as shells report a process it ended.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }
}

/// Completes when the process receives SIGINT or SIGTERM (Ctrl-C elsewhere).
///
/// The handlers are installed on the first poll; if they cannot be, the
/// future never completes and the signals keep their default action.
pub(crate) async fn interrupted() -> Interrupt {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => Interrupt::Int,
            _ = term.recv() => Interrupt::Term,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Interrupt::Int,
            Err(_) => std::future::pending().await,
        }
    }
}
