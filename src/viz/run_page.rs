//! A run folder's `index.html`: one self-contained page (no scripts, no
//! server, pictures by relative path) with the run's config, its latest
//! scores, and its pictures, so a browser opened on the folder shows the run.

use std::fmt::Write;

/// What the page shows.
pub struct RunPage<'a> {
    pub title: &'a str,
    /// The run's config.txt.
    pub config: &'a str,
    /// (name, value) rows of the latest scores; empty for none.
    pub scores: &'a [(String, String)],
    /// Pictures relative to the run folder, in the order shown (plots first,
    /// then the sample grids over time).
    pub pictures: &'a [String],
}

/// Text made safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl RunPage<'_> {
    pub fn to_html(&self) -> String {
        let mut html = String::new();
        let title = escape(self.title);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n\
             <style>body{{font-family:sans-serif;margin:2em;max-width:70em}} img{{max-width:100%;\
             image-rendering:pixelated;border:1px solid #ccc}} figure{{display:inline-block;margin:0.5em}}\
             td,th{{padding:0.2em 1em;text-align:left}}</style></head><body>\n<h1>{title}</h1>\n"
        );
        if !self.scores.is_empty() {
            html.push_str("<h2>Latest scores</h2>\n<table>\n");
            for (name, value) in self.scores {
                let _ = writeln!(html, "<tr><th>{}</th><td>{}</td></tr>", escape(name), escape(value));
            }
            html.push_str("</table>\n");
        }
        html.push_str("<h2>Pictures</h2>\n");
        for picture in self.pictures {
            let path = escape(picture);
            let _ =
                writeln!(html, "<figure><img src=\"{path}\" alt=\"{path}\"><figcaption>{path}</figcaption></figure>");
        }
        let _ = write!(html, "<h2>Config</h2>\n<pre>{}</pre>\n</body></html>\n", escape(self.config));
        html
    }
}
