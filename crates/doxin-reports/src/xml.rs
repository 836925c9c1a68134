//! A small element tree that prunes itself, serialised with quick-xml.
//!
//! The UBL writer fills a [`Node`] tree first and serialises it afterwards, so that an optional
//! group (an address, a delivery, a payment means) whose values are all absent disappears by
//! itself instead of every caller checking emptiness first. Text and attribute values are
//! escaped here, once: the five XML specials, plus characters XML 1.0 cannot carry at all
//! (most C0 controls, U+FFFE, U+FFFF), which are dropped because no reader could get them back.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

/// One element: a name, attributes, and either text or child elements.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    name: &'static str,
    /// Attribute names and values, values already cleaned (not yet escaped).
    attrs: Vec<(&'static str, String)>,
    /// Cleaned text (not yet escaped); `None` for container elements.
    text: Option<String>,
    children: Vec<Node>,
}

impl Node {
    pub(crate) fn new(name: &'static str) -> Node {
        Node {
            name,
            ..Node::default()
        }
    }

    pub(crate) fn attr(&mut self, name: &'static str, value: &str) -> &mut Node {
        let value = clean(value);
        if !value.trim().is_empty() {
            self.attrs.push((name, value));
        }
        self
    }

    /// Adds a text child when `text` has visible content after cleaning; returns it so
    /// attributes can be added.
    pub(crate) fn leaf(&mut self, name: &'static str, text: &str) -> Option<&mut Node> {
        let text = clean(text);
        if text.trim().is_empty() {
            return None;
        }
        self.children.push(Node {
            name,
            text: Some(text),
            ..Node::default()
        });
        self.children.last_mut()
    }

    /// Adds a container child filled by `fill`; it is dropped again when it ends up without
    /// children (attributes alone do not keep it).
    pub(crate) fn group(&mut self, name: &'static str, fill: impl FnOnce(&mut Node)) {
        let mut child = Node::new(name);
        fill(&mut child);
        if !child.children.is_empty() {
            self.children.push(child);
        }
    }

    /// Adds a finished container child, unless it is empty.
    pub(crate) fn push(&mut self, child: Node) {
        if !child.children.is_empty() || child.text.is_some() {
            self.children.push(child);
        }
    }

    /// Gives the element another name (a party written as `cac:PayeeParty`).
    pub(crate) fn rename(&mut self, name: &'static str) {
        self.name = name;
    }

    /// The number of child elements.
    pub(crate) fn len(&self) -> usize {
        self.children.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.children.is_empty() && self.text.is_none()
    }

    /// The document: XML declaration, then this element, indented by two spaces.
    pub(crate) fn to_document(&self) -> std::io::Result<Vec<u8>> {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        self.write(&mut w)?;
        let mut out = w.into_inner();
        out.push(b'\n');
        Ok(out)
    }

    fn write(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let mut start = BytesStart::new(self.name);
        for (name, value) in &self.attrs {
            start.push_attribute(Attribute {
                key: QName(name),
                value: Cow::Owned(escape(value, true).into_owned()),
            });
        }
        match &self.text {
            Some(text) => {
                w.write_event(Event::Start(start))?;
                w.write_event(Event::Text(BytesText::from_escaped(escape(text, false))))?;
                w.write_event(Event::End(BytesEnd::new(self.name)))?;
            }
            None if self.children.is_empty() => w.write_event(Event::Empty(start))?,
            None => {
                w.write_event(Event::Start(start))?;
                for c in &self.children {
                    c.write(w)?;
                }
                w.write_event(Event::End(BytesEnd::new(self.name)))?;
            }
        }
        Ok(())
    }
}

/// Whether XML 1.0 allows this character in a document (`Char` production; Rust `char`s are
/// never surrogates, so only controls and the two non-characters remain to exclude).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// The text without the characters XML 1.0 forbids.
pub(crate) fn clean(s: &str) -> String {
    s.chars().filter(|c| is_xml_char(*c)).collect()
}

/// Escapes cleaned text for element content (`in_attr == false`) or a double-quoted attribute
/// value. Besides `& < > "`, carriage returns are written as character references (a parser
/// turns a literal CR into LF), and in attributes so are tabs and newlines (a parser turns
/// those into spaces); the reader then gets back exactly the value that was written.
fn escape(s: &str, in_attr: bool) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '\r') || (in_attr && matches!(c, '"' | '\'' | '\t' | '\n'))
    };
    if !s.contains(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if in_attr => out.push_str("&quot;"),
            '\'' if in_attr => out.push_str("&apos;"),
            '\t' if in_attr => out.push_str("&#9;"),
            '\n' if in_attr => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_dropped_and_specials_escaped() {
        assert_eq!(clean("a\u{0}b\u{1b}c\u{FFFF}\td"), "abc\td");
        assert_eq!(escape("A & B <C>", false), "A &amp; B &lt;C&gt;");
        assert_eq!(escape("say \"hi\"\n", true), "say &quot;hi&quot;&#10;");
        assert_eq!(escape("line\r\n", false), "line&#13;\n");
    }

    #[test]
    fn empty_groups_vanish() {
        let mut root = Node::new("r");
        root.group("g", |g| {
            g.leaf("a", " \u{1} ");
        });
        assert!(root.is_empty());
        root.group("g", |g| {
            g.leaf("a", "x").map(|a| a.attr("k", "v\""));
        });
        let doc = String::from_utf8(root.to_document().expect("write")).expect("utf-8");
        assert!(doc.contains("<a k=\"v&quot;\">x</a>"), "{doc}");
    }
}
