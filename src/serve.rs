//! A tiny web server for the browser playground: it serves a folder of static
//! files (the page, its script and the wasm) to a browser on this machine,
//! with nothing but `std::net`. It is not a general web server: one request
//! per connection, GET for files and POST handed to the caller (the browser
//! test's page reports its state that way), and no path outside the folder.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// What the POST handler tells the server: go on serving or stop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    Serve,
    Stop,
}

/// Serves `folder` on `listener` until the POST handler says stop (for ever
/// when it never does). `on_post` gets each POST's path and body.
pub fn serve(listener: &TcpListener, folder: &Path, mut on_post: impl FnMut(&str, Vec<u8>) -> Next) -> io::Result<()> {
    for connection in listener.incoming() {
        let Ok(mut stream) = connection else { continue };
        let Some((method, path, body)) = read_request(&mut stream) else { continue };
        let next = match method.as_str() {
            "GET" => {
                send_file(&mut stream, folder, &path);
                Next::Serve
            }
            "POST" => {
                respond(&mut stream, "200 OK", "text/plain", b"ok");
                on_post(&path, body)
            }
            _ => {
                respond(&mut stream, "405 Method Not Allowed", "text/plain", b"GET or POST only");
                Next::Serve
            }
        };
        if next == Next::Stop {
            break;
        }
    }
    Ok(())
}

/// The method, path (without a query) and body of one request; None for a
/// malformed one (the connection is dropped).
fn read_request(stream: &mut TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next()?.to_string(), words.next()?);
    let path = target.split('?').next().unwrap_or("/").to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, body))
}

/// The file a URL path names inside `folder` (`/` is `index.html`); None for
/// a path that would leave the folder.
fn file_for(folder: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let file = folder.join(relative);
    Some(if path.ends_with('/') || file.is_dir() { file.join("index.html") } else { file })
}

/// The content type browsers need for the playground's files (wasm must be
/// `application/wasm` to be compiled while it streams in).
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn send_file(stream: &mut TcpStream, folder: &Path, path: &str) {
    match file_for(folder, path).and_then(|file| Some((std::fs::read(&file).ok()?, file))) {
        Some((bytes, file)) => respond(stream, "200 OK", content_type(&file), &bytes),
        None => respond(stream, "404 Not Found", "text/plain", format!("no file {path} here").as_bytes()),
    }
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // A browser that went away mid-answer is no error of ours.
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body));
}
