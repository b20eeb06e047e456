//! azblob's errors as object_store's: the kinds that object_store callers
//! act on (not found, already exists, precondition, not modified, denied)
//! keep their meaning; the rest are `Generic` with azblob's error as source.

use azblob::ErrorKind;

/// The store's name in `Generic` errors.
pub(crate) const STORE: &str = "AzblobStore";

/// Maps an azblob error of an operation on `path`.
pub(crate) fn map_error(err: azblob::Error, path: &str) -> object_store::Error {
    let path = path.to_owned();
    let source = Box::new(err);
    match source.kind() {
        ErrorKind::NotFound => object_store::Error::NotFound { path, source },
        ErrorKind::AlreadyExists => object_store::Error::AlreadyExists { path, source },
        // A conditional read the blob did not change for answers 304, which
        // azblob reports as a failed precondition with that status.
        ErrorKind::PreconditionFailed if source.status().is_some_and(|s| s.as_u16() == 304) => {
            object_store::Error::NotModified { path, source }
        }
        ErrorKind::PreconditionFailed => object_store::Error::Precondition { path, source },
        ErrorKind::PermissionDenied => object_store::Error::PermissionDenied { path, source },
        ErrorKind::Unauthenticated => object_store::Error::Unauthenticated { path, source },
        _ => object_store::Error::Generic { store: STORE, source },
    }
}

/// A failed write that asked "only if new": azblob reports an existing blob
/// as `AlreadyExists`, but a copy's `If-None-Match: *` may come back as a
/// plain 412, which means the same here.
pub(crate) fn map_create_error(err: azblob::Error, path: &str) -> object_store::Error {
    match map_error(err, path) {
        object_store::Error::Precondition { path, source } => object_store::Error::AlreadyExists { path, source },
        other => other,
    }
}

/// `NotImplemented` for what Azure or this adapter cannot do.
pub(crate) fn not_implemented(operation: &str) -> object_store::Error {
    object_store::Error::NotImplemented { operation: operation.to_owned(), implementer: STORE.to_owned() }
}

/// A `Generic` error with a message.
pub(crate) fn generic(message: impl Into<String>) -> object_store::Error {
    object_store::Error::Generic { store: STORE, source: message.into().into() }
}
