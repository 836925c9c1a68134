//! A small, bounded, read-only element tree built from `quick-xml` events.
//!
//! The tree keeps local names (prefixes dropped), attributes and the direct text of each
//! element, in a handful of flat vectors (no allocation per element). Only the root element's
//! namespace is resolved: the e-invoice syntaxes are told apart by it, and inside a document
//! the mapping works on local names, like the converter that made the evaluation truth.
//!
//! Hostile input is refused before it costs anything: a document type declaration (the only
//! way to declare entities, so no external entities and no entity expansion bombs), deep
//! nesting, too many elements or attributes, and oversized input. Only the five predefined
//! entities and character references are expanded.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::XmlError;

/// Resource limits for one document.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Most elements in the document.
    pub max_elements: usize,
    /// Most attributes on one element.
    pub max_attributes: usize,
    /// Most text nodes (text runs, CDATA sections and references) in the document.
    pub max_text_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_depth: 64,
            max_elements: 1_000_000,
            max_attributes: 64,
            max_text_nodes: 4_000_000,
        }
    }
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    name: Span,
    text: Span,
    attrs_start: u32,
    attrs_len: u32,
    first_child: u32,
    next_sibling: u32,
}

#[derive(Debug, Clone, Copy)]
struct Attr {
    name: Span,
    value: Span,
}

/// A parsed document: element 0 is the root.
#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Node>,
    attrs: Vec<Attr>,
    buf: String,
    root_namespace: Option<String>,
}

/// One element of a [`Tree`].
#[derive(Clone, Copy)]
pub struct El<'t> {
    tree: &'t Tree,
    idx: u32,
}

impl PartialEq for El<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tree, other.tree) && self.idx == other.idx
    }
}

impl std::fmt::Debug for El<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.name())
    }
}

impl Tree {
    /// The document element.
    pub fn root(&self) -> El<'_> {
        El { tree: self, idx: 0 }
    }

    /// The namespace URI of the document element, if it has one.
    pub fn root_namespace(&self) -> Option<&str> {
        self.root_namespace.as_deref()
    }

    fn span(&self, s: Span) -> &str {
        self.buf.get(s.start as usize..s.end as usize).unwrap_or("")
    }
}

impl<'t> El<'t> {
    fn node(self) -> &'t Node {
        &self.tree.nodes[self.idx as usize]
    }

    /// The local name (without prefix).
    pub fn name(self) -> &'t str {
        self.tree.span(self.node().name)
    }

    /// The element's own text (text and CDATA directly inside it, concatenated), untrimmed.
    pub fn raw_text(self) -> &'t str {
        self.tree.span(self.node().text)
    }

    /// The element's own text, trimmed; `None` when empty.
    pub fn text(self) -> Option<&'t str> {
        let t = self.raw_text().trim();
        (!t.is_empty()).then_some(t)
    }

    /// An attribute value by local name.
    pub fn attr(self, local: &str) -> Option<&'t str> {
        let n = self.node();
        let range = n.attrs_start as usize..(n.attrs_start + n.attrs_len) as usize;
        self.tree.attrs[range]
            .iter()
            .find(|a| self.tree.span(a.name) == local)
            .map(|a| self.tree.span(a.value))
    }

    /// Child elements in document order.
    pub fn children(self) -> Children<'t> {
        Children {
            tree: self.tree,
            next: self.node().first_child,
        }
    }

    /// Child elements with this local name.
    pub fn children_named<'n>(self, name: &'n str) -> impl Iterator<Item = El<'t>> + use<'t, 'n> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The first child with this local name.
    pub fn child(self, name: &str) -> Option<El<'t>> {
        self.children().find(|c| c.name() == name)
    }

    /// The first element reached by following these local names from here, trying every
    /// branch in document order (like ElementPath `a/b/c`).
    pub fn path(self, names: &[&str]) -> Option<El<'t>> {
        let Some((first, rest)) = names.split_first() else {
            return Some(self);
        };
        self.children()
            .filter(|c| c.name() == *first)
            .find_map(|c| c.path(rest))
    }

    /// Every element reached by following these local names from here, in document order.
    pub fn path_all(self, names: &[&str]) -> Vec<El<'t>> {
        let mut out = Vec::new();
        self.collect_path(names, &mut out);
        out
    }

    fn collect_path(self, names: &[&str], out: &mut Vec<El<'t>>) {
        match names.split_first() {
            None => out.push(self),
            Some((first, rest)) => {
                for c in self.children().filter(|c| c.name() == *first) {
                    c.collect_path(rest, out);
                }
            }
        }
    }

    /// The trimmed text at a path, if present and not empty.
    pub fn text_at(self, names: &[&str]) -> Option<&'t str> {
        self.path(names).and_then(|e| e.text())
    }

    /// The first descendant (depth first, document order) with this local name.
    pub fn descendant(self, name: &str) -> Option<El<'t>> {
        for c in self.children() {
            if c.name() == name {
                return Some(c);
            }
            if let Some(d) = c.descendant(name) {
                return Some(d);
            }
        }
        None
    }
}

/// Iterator over the children of an element.
pub struct Children<'t> {
    tree: &'t Tree,
    next: u32,
}

impl<'t> Iterator for Children<'t> {
    type Item = El<'t>;

    fn next(&mut self) -> Option<El<'t>> {
        if self.next == NONE {
            return None;
        }
        let idx = self.next;
        self.next = self.tree.nodes[idx as usize].next_sibling;
        Some(El {
            tree: self.tree,
            idx,
        })
    }
}

/// An element being read: where its text accumulates and its last child so far.
struct Open {
    idx: u32,
    last_child: u32,
    text: String,
}

struct Builder<'a> {
    input: &'a str,
    limits: Limits,
    nodes: Vec<Node>,
    attrs: Vec<Attr>,
    buf: String,
    stack: Vec<Open>,
    /// Text buffers of closed elements, reused.
    spare: Vec<String>,
    text_nodes: usize,
    root_done: bool,
}

/// Reads `input` (already UTF-8) into a [`Tree`].
pub fn build(input: &str, limits: Limits) -> Result<Tree, XmlError> {
    let mut reader = NsReader::from_str(input);
    {
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = false;
        cfg.expand_empty_elements = false;
    }
    let mut b = Builder {
        input,
        limits,
        nodes: Vec::with_capacity(input.len() / 48),
        attrs: Vec::new(),
        buf: String::with_capacity(input.len() / 3),
        stack: Vec::with_capacity(32),
        spare: Vec::new(),
        text_nodes: 0,
        root_done: false,
    };
    let mut root_namespace = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| b.malformed(reader.error_position(), &e.to_string()))?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(e) => {
                if b.nodes.is_empty() {
                    root_namespace = namespace_of(&reader, &e);
                }
                b.open(&e, reader.buffer_position())?;
            }
            Event::Empty(e) => {
                if b.nodes.is_empty() {
                    root_namespace = namespace_of(&reader, &e);
                }
                b.open(&e, reader.buffer_position())?;
                b.close();
            }
            Event::End(_) => b.close(),
            Event::Text(t) => {
                let content = t.xml10_content();
                b.text(&content, reader.buffer_position())?;
            }
            Event::CData(t) => {
                let content = t.xml10_content();
                b.text(&content, reader.buffer_position())?;
            }
            Event::GeneralRef(r) => {
                let pos = reader.buffer_position();
                let resolved = resolve_ref(&r).map_err(|m| b.malformed(pos, &m))?;
                b.text(&resolved, pos)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !b.stack.is_empty() {
        return Err(b.malformed(input.len() as u64, "unexpected end of document"));
    }
    if b.nodes.is_empty() {
        return Err(b.malformed(input.len() as u64, "no document element"));
    }
    Ok(Tree {
        nodes: b.nodes,
        attrs: b.attrs,
        buf: b.buf,
        root_namespace,
    })
}

fn namespace_of(reader: &NsReader<&[u8]>, e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    match reader.resolver().resolve_element(e.name()).0 {
        ResolveResult::Bound(ns) => Some(ns.into_inner().to_string()),
        _ => None,
    }
}

fn resolve_ref(r: &BytesRef<'_>) -> Result<Cow<'static, str>, String> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(Cow::Owned(c.to_string())),
            Ok(None) => Err("invalid character reference".into()),
            Err(e) => Err(e.to_string()),
        };
    }
    let name: &str = r;
    match name {
        "amp" => Ok(Cow::Borrowed("&")),
        "lt" => Ok(Cow::Borrowed("<")),
        "gt" => Ok(Cow::Borrowed(">")),
        "quot" => Ok(Cow::Borrowed("\"")),
        "apos" => Ok(Cow::Borrowed("'")),
        other => Err(format!("undeclared entity &{other};")),
    }
}

impl Builder<'_> {
    fn malformed(&self, pos: u64, message: &str) -> XmlError {
        let pos = (pos as usize).min(self.input.len());
        let before = self.input.as_bytes().get(..pos).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        XmlError::Malformed {
            offset: pos as u64,
            line,
            column: pos - line_start + 1,
            message: message.to_string(),
        }
    }

    fn push_buf(&mut self, s: &str) -> Span {
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        Span {
            start,
            end: self.buf.len() as u32,
        }
    }

    fn open(&mut self, e: &quick_xml::events::BytesStart<'_>, pos: u64) -> Result<(), XmlError> {
        if self.root_done {
            return Err(self.malformed(pos, "content after the document element"));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        if self.nodes.len() >= self.limits.max_elements {
            return Err(XmlError::TooManyElements {
                limit: self.limits.max_elements,
            });
        }
        let idx = self.nodes.len() as u32;
        let qname = e.name();
        let local = qname.local_name();
        let name = self.push_buf(local.as_ref());
        let attrs_start = self.attrs.len() as u32;
        let mut count = 0usize;
        for a in e.attributes() {
            let a = a.map_err(|err| self.malformed(pos, &err.to_string()))?;
            let key = a.key;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                });
            }
            let raw_key: &str = key.as_ref();
            if raw_key == "xmlns" || raw_key.starts_with("xmlns:") {
                continue;
            }
            let local = key.local_name();
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| self.malformed(pos, &err.to_string()))?;
            let name = self.push_buf(local.as_ref());
            let value = self.push_buf(&value);
            self.attrs.push(Attr { name, value });
        }
        self.nodes.push(Node {
            name,
            text: Span::default(),
            attrs_start,
            attrs_len: self.attrs.len() as u32 - attrs_start,
            first_child: NONE,
            next_sibling: NONE,
        });
        if let Some(parent) = self.stack.last_mut() {
            if parent.last_child == NONE {
                self.nodes[parent.idx as usize].first_child = idx;
            } else {
                self.nodes[parent.last_child as usize].next_sibling = idx;
            }
            parent.last_child = idx;
        }
        let text = self.spare.pop().unwrap_or_default();
        self.stack.push(Open {
            idx,
            last_child: NONE,
            text,
        });
        Ok(())
    }

    fn close(&mut self) {
        let Some(mut open) = self.stack.pop() else {
            return;
        };
        // Whitespace between child elements is not content.
        let keep = !(open.last_child != NONE && open.text.trim().is_empty());
        if keep && !open.text.is_empty() {
            let span = self.push_buf(&open.text);
            self.nodes[open.idx as usize].text = span;
        }
        open.text.clear();
        self.spare.push(open.text);
        if self.stack.is_empty() {
            self.root_done = true;
        }
    }

    fn text(&mut self, s: &str, pos: u64) -> Result<(), XmlError> {
        self.text_nodes += 1;
        if self.text_nodes > self.limits.max_text_nodes {
            return Err(XmlError::TooManyTextNodes {
                limit: self.limits.max_text_nodes,
            });
        }
        match self.stack.last_mut() {
            Some(open) => open.text.push_str(s),
            None => {
                if !s.trim().is_empty() {
                    return Err(self.malformed(pos, "text outside the document element"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_local_names_text_and_attributes() {
        let xml = r#"<?xml version="1.0"?>
<!-- c -->
<a:Root xmlns:a="urn:x" xmlns:b="urn:y">
  <b:Item b:code="C62" id="1">one &amp; <![CDATA[two]]>&#x21;</b:Item>
  <b:Item/>
  <b:Group><b:Item>three</b:Item></b:Group>
</a:Root>"#;
        let tree = build(xml, Limits::default()).unwrap();
        let root = tree.root();
        assert_eq!(root.name(), "Root");
        assert_eq!(tree.root_namespace(), Some("urn:x"));
        assert_eq!(root.children().count(), 3);
        let item = root.child("Item").unwrap();
        assert_eq!(item.text(), Some("one & two!"));
        assert_eq!(item.attr("code"), Some("C62"));
        assert_eq!(item.attr("id"), Some("1"));
        assert_eq!(root.text(), None);
        assert_eq!(root.text_at(&["Group", "Item"]), Some("three"));
        assert_eq!(root.path_all(&["Item"]).len(), 2);
        assert_eq!(
            root.descendant("Item").and_then(|e| e.text()),
            Some("one & two!")
        );
    }

    #[test]
    fn refuses_unknown_entities_and_trailing_content() {
        assert!(matches!(
            build("<a>&foo;</a>", Limits::default()),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(
            build("<a/><b/>", Limits::default()),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(
            build("<a><b></a>", Limits::default()),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(
            build("  ", Limits::default()),
            Err(XmlError::Malformed { .. })
        ));
    }
}
