//! Agent stores kept in SQLite, read as JSON lines so their readers parse
//! them like the agents' text files.
//!
//! - OpenCode's `opencode.db`: each row of table `message` becomes one line
//!   `{"info": <message>, "parts": [<its step-finish parts>]}`; the row's
//!   `data` column holds the message without its `id` and `sessionID`
//!   (they are columns), so both are put back into `info`. The parts give
//!   every LLM step of a message its own usage, which the message row (the
//!   last step's tokens only) does not.
//! - Goose's `sessions.db`: each row of table `sessions` becomes one line,
//!   the object `goose session export --format json` writes: every column
//!   by name, `*_json` columns parsed under their name without the suffix
//!   (`model_config_json` → `model_config`), SQLite's `YYYY-MM-DD HH:MM:SS`
//!   times as RFC 3339 UTC.
//!
//! Line *n* of such an input is its *n*-th row in time order. Rows are
//! produced on a thread of their own (`produced`), so memory does not grow
//! with the database; a row larger than the line cap is not loaded and is
//! skipped as a line too long. The database is opened read-only and
//! waits for an agent that is writing it.

use std::io::{self, BufRead};
use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::produced::{lines_from, Lines, Stop};
use super::{IngestError, MAX_LINE_BYTES};

/// The first bytes of every SQLite database file.
pub const MAGIC: &[u8] = b"SQLite format 3\0";

/// The stores costsim knows, by the tables that identify them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    OpenCode { parts: bool, times: bool },
    Goose,
}

/// Opens the database at `path` and reads its rows as JSON lines.
pub fn rows_as_lines(path: &Path) -> Result<Box<dyn BufRead + Send>, IngestError> {
    let name = path.display().to_string();
    let unreadable = |message: String| IngestError::Unreadable {
        path: name.clone(),
        source: io::Error::new(io::ErrorKind::InvalidData, message),
    };
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| unreadable(format!("cannot open the SQLite database: {e}")))?;
    db.busy_timeout(Duration::from_secs(5))
        .map_err(|e| unreadable(e.to_string()))?;
    let store = identify(&db).map_err(|e| unreadable(format!("SQLite: {e}")))?;
    let Some(store) = store else {
        return Err(unreadable(
            "a SQLite database that is neither OpenCode's opencode.db (table `message`) nor Goose's sessions.db (table `sessions`)".to_string(),
        ));
    };
    // Fail here, not in the thread, when the query itself is wrong.
    db.prepare(&query(store))
        .map_err(|e| unreadable(format!("SQLite: {e}")))?;
    Ok(lines_from(move |out| match store {
        Store::OpenCode { .. } => opencode_rows(&db, store, out),
        Store::Goose => goose_rows(&db, out),
    }))
}

/// Which store the database is, from its tables and columns.
fn identify(db: &Connection) -> rusqlite::Result<Option<Store>> {
    let columns = |table: &str| -> rusqlite::Result<Vec<String>> {
        let mut statement = db.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let names = statement
            .query_map([table], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(names)
    };
    let has =
        |names: &[String], wanted: &[&str]| wanted.iter().all(|w| names.iter().any(|n| n == w));
    let message = columns("message")?;
    if has(&message, &["id", "session_id", "data"]) {
        let part = columns("part")?;
        return Ok(Some(Store::OpenCode {
            parts: has(&part, &["id", "message_id", "data"]),
            times: has(&message, &["time_created"]),
        }));
    }
    let sessions = columns("sessions")?;
    if has(&sessions, &["id", "accumulated_input_tokens"]) {
        return Ok(Some(Store::Goose));
    }
    Ok(None)
}

fn query(store: Store) -> String {
    match store {
        // Each message with its step-finish parts, in time order; a value
        // over the line cap is not read (octet_length reads no content).
        Store::OpenCode { parts, times } => {
            let mut order = if times {
                "m.time_created, m.id"
            } else {
                "m.id"
            }
            .to_string();
            let (part_columns, join) = if parts {
                order.push_str(", p.id");
                (
                    "p.id, CASE WHEN octet_length(p.data) <= ?1 THEN p.data END, octet_length(p.data)",
                    "LEFT JOIN part p ON p.message_id = m.id \
                     AND p.data LIKE '%step-finish%' \
                     AND CASE WHEN json_valid(p.data) THEN json_extract(p.data, '$.type') END = 'step-finish'",
                )
            } else {
                ("NULL, NULL, NULL", "")
            };
            format!(
                "SELECT m.id, m.session_id, CASE WHEN octet_length(m.data) <= ?1 THEN m.data END, \
                 octet_length(m.data), {part_columns} FROM message m {join} ORDER BY {order}"
            )
        }
        Store::Goose => "SELECT * FROM sessions ORDER BY id".to_string(),
    }
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Self {
        Stop::Failed(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("SQLite: {e}"),
        ))
    }
}

/// A JSON string literal.
fn quoted(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// `data` (a message object without its ids) with `id` and `sessionID`
/// put first; anything that is not an object is kept as it is, for the
/// reader to report.
fn message_info(id: &str, session: &str, data: &str, out: &mut Vec<u8>) {
    let trimmed = data.trim_start();
    match trimmed.strip_prefix('{') {
        Some(rest) => {
            out.extend_from_slice(
                format!("{{\"id\":{},\"sessionID\":{}", quoted(id), quoted(session)).as_bytes(),
            );
            if !rest.trim_start().starts_with('}') {
                out.push(b',');
            }
            out.extend_from_slice(rest.as_bytes());
        }
        None => out.extend_from_slice(data.as_bytes()),
    }
}

/// One text column, or `None` for NULL; any other type is an error.
fn text_at(row: &rusqlite::Row, i: usize) -> rusqlite::Result<Option<String>> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) | ValueRef::Blob(t) => Ok(Some(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Integer(n) => Ok(Some(n.to_string())),
        ValueRef::Real(x) => Ok(Some(x.to_string())),
    }
}

fn opencode_rows(db: &Connection, store: Store, out: &mut Lines) -> Result<(), Stop> {
    let cap = MAX_LINE_BYTES as i64;
    let mut statement = db.prepare(&query(store))?;
    let mut rows = statement.query([cap])?;
    // The message being assembled: its id, its line so far, whether it is
    // too long, and its parts.
    let mut current: Option<(String, Vec<u8>, bool, Vec<String>)> = None;
    let emit =
        |out: &mut Lines, (_, mut line, oversized, parts): (String, Vec<u8>, bool, Vec<String>)| {
            let size = line.len() + parts.iter().map(String::len).sum::<usize>();
            if oversized || size > MAX_LINE_BYTES {
                return out.oversized_line();
            }
            line.extend_from_slice(b",\"parts\":[");
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                line.extend_from_slice(part.as_bytes());
            }
            line.extend_from_slice(b"]}");
            out.json_line(&line)
        };
    while let Some(row) = rows.next()? {
        let id = text_at(row, 0)?.unwrap_or_default();
        if current.as_ref().is_none_or(|c| c.0 != id) {
            if let Some(done) = current.take() {
                emit(out, done)?;
            }
            let session = text_at(row, 1)?.unwrap_or_default();
            let data = text_at(row, 2)?;
            let length: Option<i64> = row.get(3)?;
            let mut line = b"{\"info\":".to_vec();
            let oversized = data.is_none() && length.is_some();
            message_info(&id, &session, data.as_deref().unwrap_or("null"), &mut line);
            current = Some((id, line, oversized, Vec::new()));
        }
        let part_id = text_at(row, 4)?;
        if part_id.is_some() {
            let data = text_at(row, 5)?;
            let length: Option<i64> = row.get(6)?;
            if let Some(c) = current.as_mut() {
                match data {
                    Some(data) => c.3.push(data),
                    None if length.is_some() => c.2 = true,
                    None => {}
                }
            }
        }
    }
    if let Some(done) = current.take() {
        emit(out, done)?;
    }
    Ok(())
}

/// A time column as RFC 3339 UTC when it is SQLite's `YYYY-MM-DD
/// HH:MM:SS[.fff]` (UTC by SQLite's convention); other text is kept.
fn rfc3339(text: &str) -> String {
    match chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f") {
        Ok(t) => t
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        Err(_) => text.to_string(),
    }
}

fn goose_rows(db: &Connection, out: &mut Lines) -> Result<(), Stop> {
    let mut statement = db.prepare(&query(Store::Goose))?;
    let names: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let mut object = serde_json::Map::new();
        let mut size = 0usize;
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(x) => Value::from(x),
                // Blobs hold no usage.
                ValueRef::Blob(_) => continue,
                ValueRef::Text(t) => {
                    size += t.len();
                    if size > MAX_LINE_BYTES {
                        break;
                    }
                    let text = String::from_utf8_lossy(t);
                    if let Some(key) = name.strip_suffix("_json") {
                        let parsed =
                            serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()));
                        object.insert(key.to_string(), parsed);
                        continue;
                    }
                    if name.ends_with("_at") {
                        Value::String(rfc3339(&text))
                    } else {
                        Value::String(text.into_owned())
                    }
                }
            };
            object.insert(name.clone(), value);
        }
        if size > MAX_LINE_BYTES {
            out.oversized_line()?;
        } else {
            let line = serde_json::to_vec(&Value::Object(object))
                .map_err(|e| Stop::Failed(io::Error::other(e)))?;
            out.line(&line)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn lines_of(path: &Path) -> Vec<String> {
        let mut text = String::new();
        rows_as_lines(path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn opencode_messages_with_their_steps_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("opencode.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            r#"CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, data TEXT);
               CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, data TEXT);
               INSERT INTO message VALUES ('msg_b', 'ses_1', 20, '{"role":"assistant"}');
               INSERT INTO message VALUES ('msg_a', 'ses_1', 10, '{}');
               INSERT INTO message VALUES ('msg_c', 'ses_1', 30, '[1]');
               INSERT INTO part VALUES ('prt_2', 'msg_b', 'ses_1', 22, '{"type":"step-finish","cost":2}');
               INSERT INTO part VALUES ('prt_1', 'msg_b', 'ses_1', 21, '{"type":"step-finish",
"cost":1}');
               INSERT INTO part VALUES ('prt_3', 'msg_b', 'ses_1', 21, '{"type":"text","text":"step-finish"}');
               INSERT INTO part VALUES ('prt_4', 'msg_b', 'ses_1', 21, 'not json step-finish');"#,
        )
        .unwrap();
        drop(db);
        assert_eq!(
            lines_of(&path),
            [
                r#"{"info":{"id":"msg_a","sessionID":"ses_1"},"parts":[]}"#,
                r#"{"info":{"id":"msg_b","sessionID":"ses_1","role":"assistant"},"parts":[{"type":"step-finish", "cost":1},{"type":"step-finish","cost":2}]}"#,
                r#"{"info":[1],"parts":[]}"#,
            ]
        );
    }

    #[test]
    fn goose_sessions_as_export_objects() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            r#"CREATE TABLE sessions (id TEXT PRIMARY KEY, created_at TIMESTAMP, updated_at TIMESTAMP,
                 accumulated_input_tokens INTEGER, accumulated_cost REAL, model_config_json TEXT, extension_data BLOB);
               INSERT INTO sessions VALUES ('s2', '2026-02-11 10:00:00', '2026-02-11 10:30:00.5', 7, 0.25, '{"model_name":"m"}', x'00');
               INSERT INTO sessions VALUES ('s1', '2026-02-10 08:00:00', NULL, NULL, NULL, 'not json', NULL);"#,
        )
        .unwrap();
        drop(db);
        assert_eq!(
            lines_of(&path),
            [
                r#"{"accumulated_cost":null,"accumulated_input_tokens":null,"created_at":"2026-02-10T08:00:00Z","extension_data":null,"id":"s1","model_config":"not json","updated_at":null}"#,
                r#"{"accumulated_cost":0.25,"accumulated_input_tokens":7,"created_at":"2026-02-11T10:00:00Z","id":"s2","model_config":{"model_name":"m"},"updated_at":"2026-02-11T10:30:00.500Z"}"#,
            ]
        );
    }

    #[test]
    fn other_databases_and_oversized_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER);")
            .unwrap();
        let err = rows_as_lines(&path).err().unwrap().to_string();
        assert!(err.contains("neither OpenCode"), "{err}");

        let path = dir.path().join("big.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE message (id TEXT, session_id TEXT, data TEXT);
             INSERT INTO message VALUES ('m1', 's', '{}');",
        )
        .unwrap();
        db.execute(
            "INSERT INTO message VALUES ('m2', 's', ?1)",
            [format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_LINE_BYTES))],
        )
        .unwrap();
        drop(db);
        let mut reader = rows_as_lines(&path).unwrap();
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert_eq!(
            first,
            "{\"info\":{\"id\":\"m1\",\"sessionID\":\"s\"},\"parts\":[]}\n"
        );
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), MAX_LINE_BYTES + 2);
        assert!(rest[..MAX_LINE_BYTES + 1].iter().all(|&b| b == b' '));
    }
}
