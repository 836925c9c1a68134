//! The e-invoice embedded in a hybrid PDF (Factur-X, ZUGFeRD 1.0/2.x, XRechnung in PDF/A-3).
//!
//! Attachments are found where producers put them: the catalog's `/Names /EmbeddedFiles` name
//! tree (with nested `/Kids`), the catalog's associated files (`/AF`, PDF/A-3), pages' `/AF`
//! and file attachment annotations. A file whose name is one of the standard e-invoice names
//! wins; otherwise any `.xml` attachment whose root element is a CII or UBL invoice is taken.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::guard::{self, MAX_DECOMPRESSED};
use crate::ExtractError;

/// An e-invoice XML file found inside a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedXml {
    /// The attachment's file name as the PDF states it (e.g. `factur-x.xml`).
    pub name: String,
    /// The decoded (decompressed) file content.
    pub bytes: Vec<u8>,
}

/// Standard e-invoice attachment names, best first (compared case-insensitively).
const STANDARD_NAMES: &[&str] = &[
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "order-x.xml",
];

/// How deep name trees and page trees are followed; real files use two or three levels.
const MAX_DEPTH: usize = 32;

/// Finds the embedded e-invoice XML, if the PDF has one.
///
/// `Ok(None)` means the PDF is readable and carries no e-invoice. An attachment that cannot be
/// decoded (unknown filter, over the 20 MB limit) is skipped with a warning rather than failing
/// the document, so the text layer can still be used.
pub fn embedded_einvoice(bytes: &[u8]) -> Result<Option<EmbeddedXml>, ExtractError> {
    let doc = guard::open_lopdf(bytes)?;
    guard::no_panic("reading attachments", || Ok(find_einvoice(&doc)))
}

/// A file specification found somewhere in the document.
struct Candidate {
    name: String,
    stream: ObjectId,
}

fn find_einvoice(doc: &Document) -> Option<EmbeddedXml> {
    let candidates = collect_candidates(doc);
    // 1. A standard name, in order of preference.
    for wanted in STANDARD_NAMES {
        for c in candidates
            .iter()
            .filter(|c| base_name(&c.name).eq_ignore_ascii_case(wanted))
        {
            if let Some(bytes) = read_stream(doc, c) {
                return Some(EmbeddedXml {
                    name: c.name.clone(),
                    bytes,
                });
            }
        }
    }
    // 2. Any XML attachment whose root is an invoice.
    for c in candidates.iter().filter(|c| {
        base_name(&c.name).to_ascii_lowercase().ends_with(".xml")
            && !STANDARD_NAMES
                .iter()
                .any(|n| base_name(&c.name).eq_ignore_ascii_case(n))
    }) {
        if let Some(bytes) = read_stream(doc, c)
            && looks_like_einvoice(&bytes)
        {
            return Some(EmbeddedXml {
                name: c.name.clone(),
                bytes,
            });
        }
    }
    None
}

/// The last path component (`/F` may hold a path like `docs\factur-x.xml`).
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

fn collect_candidates(doc: &Document) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen_streams = HashSet::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let mut push = |spec: &Object, out: &mut Vec<Candidate>| {
        if let Some(c) = file_spec(doc, spec)
            && seen_streams.insert(c.stream)
        {
            out.push(c);
        }
    };

    // The EmbeddedFiles name tree.
    if let Some(tree) = get(doc, catalog, b"Names")
        .and_then(|n| as_dict(doc, n))
        .and_then(|names| get(doc, names, b"EmbeddedFiles"))
    {
        let mut specs = Vec::new();
        let mut visited = HashSet::new();
        walk_name_tree(doc, tree, 0, &mut visited, &mut specs);
        for spec in specs {
            push(spec, &mut out);
        }
    }
    // Associated files of the document (PDF/A-3 requires them for the e-invoice).
    if let Some(af) = get(doc, catalog, b"AF").and_then(|a| as_array(doc, a)) {
        for spec in af {
            push(spec, &mut out);
        }
    }
    // Pages: associated files and file attachment annotations.
    for page_id in doc.get_pages().into_values() {
        let Ok(page) = doc.get_dictionary(page_id) else {
            continue;
        };
        if let Some(af) = get(doc, page, b"AF").and_then(|a| as_array(doc, a)) {
            for spec in af {
                push(spec, &mut out);
            }
        }
        if let Some(annots) = get(doc, page, b"Annots").and_then(|a| as_array(doc, a)) {
            for annot in annots {
                let Some(annot) = as_dict(doc, annot) else {
                    continue;
                };
                let is_attachment = get(doc, annot, b"Subtype")
                    .and_then(|s| s.as_name().ok())
                    .is_some_and(|s| s == b"FileAttachment");
                if is_attachment && let Some(fs) = get(doc, annot, b"FS") {
                    push(fs, &mut out);
                }
            }
        }
    }
    out
}

/// Collects the values of a name tree node and its `/Kids`, guarding against cycles.
fn walk_name_tree<'a>(
    doc: &'a Document,
    node: &'a Object,
    depth: usize,
    visited: &mut HashSet<ObjectId>,
    out: &mut Vec<&'a Object>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Object::Reference(id) = node
        && !visited.insert(*id)
    {
        return;
    }
    let Some(dict) = as_dict(doc, node) else {
        return;
    };
    if let Some(names) = get(doc, dict, b"Names").and_then(|n| as_array(doc, n)) {
        // [key1 value1 key2 value2 ...]
        for pair in names.chunks(2) {
            if let [_, value] = pair {
                out.push(value);
            }
        }
    }
    if let Some(kids) = get(doc, dict, b"Kids").and_then(|k| as_array(doc, k)) {
        for kid in kids {
            walk_name_tree(doc, kid, depth + 1, visited, out);
        }
    }
}

/// Reads a file specification dictionary: its name and its embedded file stream.
fn file_spec(doc: &Document, spec: &Object) -> Option<Candidate> {
    let dict = as_dict(doc, spec)?;
    let ef = get(doc, dict, b"EF").and_then(|e| as_dict(doc, e))?;
    let stream = [b"UF".as_slice(), b"F", b"Unix", b"DOS", b"Mac"]
        .iter()
        .find_map(|k| match ef.get(k) {
            Ok(Object::Reference(id)) => Some(*id),
            _ => None,
        })?;
    let name = [b"UF".as_slice(), b"F", b"Unix", b"DOS", b"Mac"]
        .iter()
        .find_map(|k| {
            get(doc, dict, k)
                .and_then(|o| lopdf::decode_text_string(o).ok())
                .filter(|s| !s.trim().is_empty())
        })
        .unwrap_or_default();
    Some(Candidate { name, stream })
}

/// Decodes an embedded file stream, bounded to [`MAX_DECOMPRESSED`] bytes.
fn read_stream(doc: &Document, c: &Candidate) -> Option<Vec<u8>> {
    let stream = match doc.get_object(c.stream) {
        Ok(Object::Stream(s)) => s,
        _ => {
            tracing::warn!(name = %c.name, "embedded file is not a stream; skipped");
            return None;
        }
    };
    match stream.get_plain_content_with_limit(MAX_DECOMPRESSED) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::warn!(name = %c.name, error = %e, "embedded file cannot be decoded; skipped");
            None
        }
    }
}

/// Whether an XML document's root element is a CII or UBL invoice (or ZUGFeRD 1.0's
/// `CrossIndustryDocument`), judged from the first start tag only.
fn looks_like_einvoice(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let mut i = 0;
    // Skip the prolog: declaration, processing instructions, comments, doctype, whitespace.
    let tag = loop {
        let Some(lt) = head[i..].iter().position(|&b| b == b'<') else {
            return false;
        };
        let start = i + lt;
        let rest = &head[start..];
        if rest.starts_with(b"<?") {
            match find(rest, b"?>") {
                Some(end) => i = start + end + 2,
                None => return false,
            }
        } else if rest.starts_with(b"<!--") {
            match find(rest, b"-->") {
                Some(end) => i = start + end + 3,
                None => return false,
            }
        } else if rest.starts_with(b"<!") {
            match rest.iter().position(|&b| b == b'>') {
                Some(end) => i = start + end + 1,
                None => return false,
            }
        } else {
            let end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
            break &rest[1..end];
        }
    };
    let name_end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/')
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    let tag_text = String::from_utf8_lossy(tag);
    match local {
        b"CrossIndustryInvoice" | b"CrossIndustryDocument" => true,
        b"Invoice" | b"CreditNote" => tag_text.contains("urn:oasis:names:specification:ubl"),
        _ => false,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Follows references (with lopdf's own cycle guard).
fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    doc.dereference(obj).ok().map(|(_, o)| o)
}

fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    dict.get(key).ok().and_then(|o| resolve(doc, o))
}

fn as_dict<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Dictionary> {
    match resolve(doc, obj)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn as_array<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Vec<Object>> {
    match resolve(doc, obj)? {
        Object::Array(a) => Some(a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_invoice_roots() {
        assert!(looks_like_einvoice(
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- x --><rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\">"
        ));
        assert!(looks_like_einvoice(
            b"<rsm:CrossIndustryDocument xmlns:rsm=\"urn:ferd:CrossIndustryDocument:invoice:1p0\">"
        ));
        assert!(looks_like_einvoice(
            b"<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">"
        ));
        assert!(looks_like_einvoice(
            b"<ubl:CreditNote xmlns:ubl=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\">"
        ));
        assert!(!looks_like_einvoice(b"<Invoice xmlns=\"urn:example\">"));
        assert!(!looks_like_einvoice(
            b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
        ));
        assert!(!looks_like_einvoice(b"not xml"));
    }

    #[test]
    fn base_name_strips_paths() {
        assert_eq!(base_name("a/b\\factur-x.xml"), "factur-x.xml");
        assert_eq!(base_name("factur-x.xml"), "factur-x.xml");
    }
}
