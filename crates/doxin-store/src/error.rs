//! The store's error: callers branch on the cases they care about without seeing sqlx.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row, or a row the caller may not see (the two are deliberately alike, so an
    /// ownership check never tells a stranger that an object exists).
    #[error("not found")]
    NotFound,
    /// The row is visible, but the scope's role does not allow this change (a viewer editing,
    /// a clerk deciding).
    #[error("the role {role} does not allow this")]
    Forbidden { role: crate::WorkspaceRole },
    /// A uniqueness or foreign-key rule refused the change.
    #[error("conflict with {constraint}")]
    Conflict { constraint: String },
    /// A state change that the current state does not allow (e.g. finishing a finished job).
    #[error("invalid state change: {0}")]
    InvalidState(String),
    /// A value the store cannot keep (e.g. an embedding of the wrong dimension).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The database server has no pgvector extension.
    #[error(
        "the PostgreSQL server at {server} has no pgvector extension (`vector`). DoxIn needs \
         pgvector 0.5 or newer: install it (Debian: `apt install postgresql-<version>-pgvector`; \
         Docker: the `pgvector/pgvector` image; managed: enable the `vector` extension) and run \
         `doxin migrate` again"
    )]
    PgvectorMissing { server: String },
    /// A URL or setting the store cannot use.
    #[error("invalid database configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that cannot be read back (a bug or a hand-edited row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("file storage: {0}")]
    Files(#[from] object_store::Error),
    /// The TLS connection to PostgreSQL failed: a certificate that does not verify against
    /// `sslrootcert` (or the public roots), a name that does not match (`verify-full`), a
    /// server without SSL.
    #[error(
        "the TLS connection to the database failed: {0}. Check sslmode and sslrootcert in the \
         database URL: the CA file must have signed the server's certificate, and with \
         sslmode=verify-full the certificate must name the host in the URL"
    )]
    Tls(String),
    #[error("database: {0}")]
    Database(sqlx::Error),
}

impl StoreError {
    /// Whether retrying the same call later may succeed (connection lost, pool timeout).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(e) => matches!(
                e,
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
            ),
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                StoreError::Conflict {
                    constraint: db.constraint().unwrap_or("unique").to_string(),
                }
            }
            sqlx::Error::Tls(e) => StoreError::Tls(e.to_string()),
            // A handshake that fails (a certificate that does not verify) comes back as I/O.
            sqlx::Error::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
                StoreError::Tls(io.to_string())
            }
            other => StoreError::Database(other),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
