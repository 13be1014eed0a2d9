//! The local server (`image-service serve`) as a child process — to start, to kill
//! with SIGKILL mid-request, to start again on the same store — and plain HTTP/1.1 to
//! it over a socket, which can also stop sending half-way through a body.

use crate::app::TestResponse;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running local server; killed (SIGKILL) when dropped.
pub struct LocalServer {
    pub child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    stdout: Option<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl LocalServer {
    /// Spawns `cmd` (the binary with `serve --addr 127.0.0.1:0 …` and its environment)
    /// and waits for its `listening on http://…` line; panics with its stderr when it
    /// ends before.
    pub fn start(cmd: &mut Command) -> LocalServer {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the server");
        // Read all along, so a chatty server never blocks on a full pipe.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(a) = line.trim().strip_prefix("listening on http://") {
                return LocalServer {
                    addr: a.to_string(),
                    child,
                    stdout: Some(stdout),
                    stderr,
                };
            }
            line.clear();
        }
        let _ = child.kill();
        let _ = child.wait();
        // The reader thread may still be copying the last bytes.
        std::thread::sleep(Duration::from_millis(100));
        panic!(
            "the server did not start: {}",
            stderr.lock().unwrap().as_str()
        );
    }

    /// Its stdout: one JSON log line per request. Whoever takes it reads it: a
    /// server whose stdout nobody reads blocks once the pipe is full.
    pub fn stdout(&mut self) -> &mut BufReader<ChildStdout> {
        self.stdout.as_mut().expect("stdout was discarded")
    }

    /// Drops its stdout from now on (for tests that do not read the request log).
    pub fn discard_stdout(&mut self) {
        if let Some(mut out) = self.stdout.take() {
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        }
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGKILL, as a crash: no shutdown, no cleanup.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Opens a connection and sends a request's head announcing `content_length` body
/// bytes (`Connection: close`); the caller writes the body, all of it or not.
pub fn begin_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_length: usize,
) -> TcpStream {
    let mut conn = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    conn.set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if content_length > 0 || method != "GET" {
        head.push_str(&format!("Content-Length: {content_length}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    conn
}

/// Reads the response to the end of the connection; an error when it breaks first or
/// is not HTTP (a killed server).
pub fn read_response(mut conn: TcpStream) -> std::io::Result<TestResponse> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no complete response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(|| bad(line))?;
        headers.append(
            HeaderName::try_from(name.trim()).map_err(|_| bad(line))?,
            HeaderValue::try_from(value.trim()).map_err(|_| bad(line))?,
        );
    }
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("broken chunked body"))?;
    } else if let Some(len) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if body.len() != len {
            return Err(bad("body shorter than its Content-Length"));
        }
    }
    Ok(TestResponse {
        status,
        headers,
        body,
    })
}

/// A `Transfer-Encoding: chunked` body, joined; `None` when it ends early.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// One whole request on a fresh connection; panics when no answer comes.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> TestResponse {
    let mut conn = begin_request(addr, method, path, headers, body.len());
    conn.write_all(body).unwrap();
    read_response(conn).unwrap_or_else(|e| panic!("{method} {path} on {addr}: {e}"))
}
