internal import CSQLite
public import PortalCommon

/// A value SQLite stores or returns. Only what the stores need; SQLite's
/// REAL is kept so that reading a column never has to fail on a type we
/// did not write ourselves.
package enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One result row, copied out of SQLite before the statement is reset, so
/// it can outlive the statement and cross threads.
package struct SQLiteRow: Sendable, Hashable {
    package let values: [SQLiteValue]
    /// The database file, for error messages.
    package let path: String

    /// Text at `column`; a NULL or non-text cell means the file holds data
    /// this code never wrote, so it is reported, not coerced.
    package func text(_ column: Int) throws -> String {
        guard case .text(let value) = values[column] else {
            throw SQLiteError.unexpectedValue(values[column], column: column, wanted: "text", path: path)
        }
        return value
    }

    package func integer(_ column: Int) throws -> Int64 {
        guard case .integer(let value) = values[column] else {
            throw SQLiteError.unexpectedValue(values[column], column: column, wanted: "integer", path: path)
        }
        return value
    }

    /// A nullable blob: SQL NULL is `nil`, an empty blob is `[]`.
    package func optionalBlob(_ column: Int) throws -> [UInt8]? {
        switch values[column] {
        case .null: return nil
        case .blob(let bytes): return bytes
        default: throw SQLiteError.unexpectedValue(values[column], column: column, wanted: "blob", path: path)
        }
    }
}

/// How a transaction takes its lock.
package enum SQLiteTransactionMode: Sendable {
    /// `BEGIN DEFERRED`: a consistent snapshot for several SELECTs.
    case deferred
    /// `BEGIN IMMEDIATE`: takes the write lock up front. A deferred
    /// transaction that later writes can meet another writer and fail with
    /// SQLITE_BUSY at once (the busy handler cannot help there, it would
    /// deadlock); taking the lock at BEGIN makes the busy timeout apply.
    case immediate
}

/// One SQLite connection with its prepared-statement cache.
///
/// Not thread-safe by itself (it is opened with SQLITE_OPEN_NOMUTEX and the
/// cache is plain mutable state): `SQLiteDatabase` owns it inside a `Mutex`
/// and hands it to one thread at a time, for a whole transaction.
package final class SQLiteConnection {
    package let path: String
    private let handle: OpaquePointer
    /// Keyed by SQL text. The stores use a small fixed set of statements,
    /// so the cache cannot grow without bound.
    private var statements: [String: Statement] = [:]

    /// With `readOnly`, an existing file is opened for reading only (never
    /// created); every write through this connection fails.
    package init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var handle: OpaquePointer?
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        let flags = access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else {
            // Only when SQLite could not even allocate the connection.
            throw SQLiteError(code: code, message: String(cString: sqlite3_errstr(code)), path: path, operation: "open")
        }
        guard code == SQLITE_OK else {
            let error = SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), path: path, operation: "open")
            sqlite3_close_v2(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        // Finalize every cached statement before closing; close_v2 would
        // otherwise keep the connection alive as a zombie until they go.
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements without parameters or results
    /// (pragmas, DDL, BEGIN/COMMIT).
    package func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    /// Runs one statement, discarding any rows.
    package func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
        _ = try step(sql, values, collect: false)
    }

    /// Runs one statement and returns its rows.
    package func query(_ sql: String, _ values: [SQLiteValue] = []) throws -> [SQLiteRow] {
        try step(sql, values, collect: true)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changes: Int { Int(sqlite3_changes64(handle)) }

    /// Runs `body` in one transaction: COMMIT when it returns, ROLLBACK when
    /// it throws, so no partial state is ever committed.
    package func transaction<Result>(_ mode: SQLiteTransactionMode, _ body: () throws -> Result) throws -> Result {
        // Nesting would make the inner COMMIT fail or, worse, commit the
        // outer work early; it is a programming error, not an input error.
        precondition(sqlite3_get_autocommit(handle) != 0, "SQLite transactions do not nest")
        try execute(mode == .immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            throw rollback(after: error)
        }
    }

    /// Rolls back the open transaction and returns the error to throw.
    private func rollback(after error: any Error) -> any Error {
        // Some errors (SQLITE_FULL, SQLITE_IOERR, …) already rolled back.
        guard sqlite3_get_autocommit(handle) == 0 else { return error }
        do {
            try execute("ROLLBACK")
            return error
        } catch let rollbackError {
            // Both failures matter to whoever reads the message; neither is dropped.
            return SQLiteError(
                code: (rollbackError as? SQLiteError)?.code ?? SQLITE_ERROR,
                message: "\(error); the rollback also failed: \(rollbackError)",
                path: path, operation: "rollback")
        }
    }

    private func step(_ sql: String, _ values: [SQLiteValue], collect: Bool) throws -> [SQLiteRow] {
        let statement = try cachedStatement(sql)
        // Reset even on error: a statement left mid-step keeps its read
        // transaction (and WAL snapshot) open.
        defer {
            sqlite3_reset(statement.pointer)
            sqlite3_clear_bindings(statement.pointer)
        }
        for (offset, value) in values.enumerated() {
            try check(bind(value, at: Int32(offset + 1), in: statement.pointer), sql)
        }
        var rows: [SQLiteRow] = []
        while true {
            let code = sqlite3_step(statement.pointer)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else {
                try check(code, sql)
                return rows
            }
            if collect { rows.append(readRow(statement.pointer)) }
        }
    }

    private func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statements[sql] { return statement }
        var pointer: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil), sql)
        guard let pointer else {
            // prepare succeeds with NULL only for SQL that is all whitespace/comments.
            throw SQLiteError(code: SQLITE_MISUSE, message: "empty SQL statement", path: path, operation: sql)
        }
        let statement = Statement(pointer)
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteValue, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(statement, index)
        case .integer(let number):
            return sqlite3_bind_int64(statement, index, number)
        case .real(let number):
            return sqlite3_bind_double(statement, index, number)
        case .text(var string):
            return string.withUTF8 { bytes in
                // A NULL pointer would bind SQL NULL, not the empty string.
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_text(statement, index, "", 0, burrow_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text64(statement, index, $0, sqlite3_uint64(bytes.count),
                                        burrow_sqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            // Same trap: an empty array has no base address, and a NULL
            // pointer would store NULL instead of a zero-length blob.
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes {
                sqlite3_bind_blob64(statement, index, $0.baseAddress, sqlite3_uint64($0.count),
                                    burrow_sqlite_transient())
            }
        }
    }

    private func readRow(_ statement: OpaquePointer) -> SQLiteRow {
        let count = sqlite3_column_count(statement)
        var values: [SQLiteValue] = []
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                values.append(.integer(sqlite3_column_int64(statement, column)))
            case SQLITE_FLOAT:
                values.append(.real(sqlite3_column_double(statement, column)))
            case SQLITE_TEXT:
                // Text first, then its byte count, as SQLite documents.
                let text = sqlite3_column_text(statement, column)
                let count = Int(sqlite3_column_bytes(statement, column))
                values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
            case SQLITE_BLOB:
                let blob = sqlite3_column_blob(statement, column)
                let count = Int(sqlite3_column_bytes(statement, column))
                values.append(.blob(blob.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []))
            default:
                values.append(.null)
            }
        }
        return SQLiteRow(values: values, path: path)
    }

    /// The one error-conversion point: a result code plus the connection's
    /// message becomes a `SQLiteError` naming the file.
    private func check(_ code: Int32, _ operation: String) throws {
        guard code != SQLITE_OK, code != SQLITE_ROW, code != SQLITE_DONE else { return }
        throw SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)),
                          path: path, operation: operation)
    }
}

/// A prepared statement, finalized exactly once when the cache drops it.
private final class Statement {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { sqlite3_finalize(pointer) }
}

/// A failure reported by SQLite (or a cell holding data of the wrong type).
/// On the wire it is `org.freedesktop.portal.Error.Failed` naming the file,
/// since nothing the caller sent can fix it.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible, PortalErrorConvertible {
    /// The extended SQLite result code.
    public let code: Int32
    public let message: String
    /// The database file, so a person knows which file to look at.
    public let path: String
    /// The SQL or step that failed.
    public let operation: String

    package init(code: Int32, message: String, path: String, operation: String) {
        self.code = code
        self.message = message
        self.path = path
        self.operation = operation
    }

    static func unexpectedValue(_ value: SQLiteValue, column: Int, wanted: String, path: String) -> SQLiteError {
        SQLiteError(code: SQLITE_MISMATCH, message: "column \(column) holds \(value), expected \(wanted)",
                    path: path, operation: "read row")
    }

    public var description: String {
        "SQLite error \(code) in \(path) (\(operation)): \(message)"
    }

    public var portalError: PortalError {
        .failed("Database \(path) could not be used: \(message) (SQLite error \(code) during \(operation))")
    }
}
