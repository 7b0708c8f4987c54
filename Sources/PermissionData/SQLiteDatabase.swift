internal import CSQLite
import PortalCommon
internal import Glibc
import Synchronization

/// One schema step: takes the file from `version - 1` to `version`.
/// A closure rather than plain SQL so a later step can also rewrite data.
package struct SQLiteMigration: Sendable {
    package let version: Int
    package let apply: @Sendable (SQLiteConnection) throws -> Void

    package init(version: Int, apply: @escaping @Sendable (SQLiteConnection) throws -> Void) {
        self.version = version
        self.apply = apply
    }

    package init(version: Int, sql: String) {
        self.init(version: version) { try $0.execute(sql) }
    }
}

/// Knobs that exist for tests; the defaults are what the stores use.
package struct SQLiteOptions: Sendable {
    /// How long a write waits for another process (e.g. the CLI) to release
    /// the write lock before failing with SQLITE_BUSY.
    package var busyTimeoutMilliseconds: Int32 = 5000
    /// WAL pages before an automatic checkpoint; nil keeps SQLite's default.
    /// The crash test sets 0 so the main file never changes under its copy.
    package var automaticCheckpointPages: Int?
    /// Open an existing file for reading only: nothing is created, migrated
    /// or configured on disk (for `burrow permissions`, which must not
    /// change a store another process owns). The schema must be current.
    package var readOnly = false

    package init() {}
}

/// An SQLite file opened for one of burrow's stores: created with its
/// parent directories, in WAL mode, migrated to the latest schema, and
/// usable from any thread.
///
/// Concurrency: one connection inside a `Mutex`, lent to one caller at a
/// time for a whole transaction. Why not more:
/// - SQLite admits one writer at a time anyway, and the permission store's
///   transactions are a handful of indexed statements (well under a
///   millisecond without fsync), so a pool would buy nothing.
/// - Not an actor: a call can block on fsync or on the busy timeout, and
///   blocking work must not sit on the cooperative pool (2 cores = 2 pool
///   threads). A `Mutex` blocks only the calling thread — the daemon's bus
///   thread or the CLI's main thread.
/// - Other processes (the CLI next to the daemon) are serialized by
///   SQLite's file locks: writes use BEGIN IMMEDIATE and wait up to the
///   busy timeout; WAL lets their readers proceed during a write.
package final class SQLiteDatabase: Sendable {
    package let path: String
    private let connection: Mutex<SQLiteConnection>

    package init(path: String, migrations: [SQLiteMigration], options: SQLiteOptions = SQLiteOptions()) throws {
        precondition(migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version },
                     "migrations must be numbered 1, 2, 3, … in order")
        self.path = path
        let connection: SQLiteConnection
        if options.readOnly {
            connection = try SQLiteConnection(path: path, readOnly: true)
            try connection.execute("PRAGMA busy_timeout = \(options.busyTimeoutMilliseconds)")
            try Self.requireSchema(connection, version: migrations.last?.version ?? 0)
        } else {
            try Self.createParentDirectories(of: path)
            connection = try SQLiteConnection(path: path)
            try Self.configure(connection, options: options)
            try Self.migrate(connection, to: migrations)
        }
        self.connection = Mutex(connection)
    }

    /// A reader cannot migrate: an older file is upgraded by the daemon the
    /// next time it opens it, a newer one is not ours to interpret.
    private static func requireSchema(_ connection: SQLiteConnection, version latest: Int) throws {
        let current = try connection.query("PRAGMA user_version").first?.integer(0) ?? 0
        guard current == latest else {
            let advice = current > latest
                ? "it was written by a newer burrow; upgrade burrow"
                : "start burrow-permission-store once to upgrade it"
            throw PortalError.failed(
                "Database \(connection.path) has schema version \(current), but this burrow reads version "
                + "\(latest): \(advice).")
        }
    }

    /// Runs `body` in a write transaction (BEGIN IMMEDIATE … COMMIT, or
    /// ROLLBACK when it throws).
    package func write<Result: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> Result) throws -> Result {
        try connection.withLock { connection in
            try connection.transaction(.immediate) { try body(connection) }
        }
    }

    /// Runs `body` in a read transaction, so all its SELECTs see one
    /// snapshot even while another process writes.
    package func read<Result: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> Result) throws -> Result {
        try connection.withLock { connection in
            try connection.transaction(.deferred) { try body(connection) }
        }
    }

    private static func configure(_ connection: SQLiteConnection, options: SQLiteOptions) throws {
        try connection.execute("PRAGMA busy_timeout = \(options.busyTimeoutMilliseconds)")
        // Enforced per connection, not stored in the file.
        try connection.execute("PRAGMA foreign_keys = ON")
        let mode = try connection.query("PRAGMA journal_mode = WAL").first?.text(0)
        if mode == "wal" {
            // Durability check (SQLite, pragma.html#pragma_synchronous and
            // wal.html): "WAL mode is safe from corruption with
            // synchronous=NORMAL"; a transaction committed with NORMAL "might
            // roll back following a power loss or system crash", but
            // "Transactions are durable across application crashes regardless
            // of the synchronous setting or journal mode". NORMAL skips only
            // the fsync of the WAL at each commit; the committed frames are
            // already written to the file (the OS page cache), which a
            // `kill -9` of the daemon does not lose. So: no committed grant is
            // lost when the process dies; on power loss the last commits may
            // roll back, never half-apply. The crash test checks the first half.
            try connection.execute("PRAGMA synchronous = NORMAL")
        } else {
            // WAL refused (e.g. a filesystem without shared memory): NORMAL
            // with a rollback journal can corrupt on power loss, FULL cannot.
            try connection.execute("PRAGMA synchronous = FULL")
        }
        if let pages = options.automaticCheckpointPages {
            try connection.execute("PRAGMA wal_autocheckpoint = \(pages)")
        }
    }

    /// Brings the file to the newest schema in one transaction, recorded in
    /// PRAGMA user_version. BEGIN IMMEDIATE makes two processes opening a
    /// new file at once migrate it once.
    private static func migrate(_ connection: SQLiteConnection, to migrations: [SQLiteMigration]) throws {
        let latest = migrations.last?.version ?? 0
        try connection.transaction(.immediate) {
            let current = try connection.query("PRAGMA user_version").first?.integer(0) ?? 0
            guard current <= latest else {
                // Writing with an older schema could destroy what the newer
                // version stored; refusing is the only safe answer.
                throw PortalError.failed(
                    "Database \(connection.path) has schema version \(current), newer than the \(latest) this "
                    + "burrow understands; it was written by a newer burrow. Upgrade burrow or move the file away.")
            }
            for migration in migrations where migration.version > current {
                try migration.apply(connection)
            }
            if current < latest {
                try connection.execute("PRAGMA user_version = \(latest)")
            }
        }
    }

    /// `mkdir -p` of the file's directory, mode 0700: the stores hold what
    /// each app was allowed, which other users have no business reading.
    /// Existing directories are left as they are (the user chose their mode).
    private static func createParentDirectories(of path: String) throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        let directory = String(path[..<slash])
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 {
                let code = errno
                // EEXIST: already there. If it is not a directory, the next
                // mkdir or the open fails with ENOTDIR and says so.
                guard code == EEXIST else {
                    throw PortalError.failed(
                        "Cannot create directory \(prefix) for database \(path): \(String(cString: strerror(code)))")
                }
            }
            prefix += "/"
        }
    }
}
