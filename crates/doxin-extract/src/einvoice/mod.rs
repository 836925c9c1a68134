//! Structured e-invoices (UBL 2.x, CII D16B, ZUGFeRD 1.0, FatturaPA 1.2.x), parsed exactly.
//!
//! [`parse`] reads the bytes into a small bounded element tree ([`tree`]), routes by the root
//! element's namespace URI and local name (not by hard-coded versions or file names), and maps
//! the document onto the canonical [`Invoice`]. National flavours (XRechnung, Peppol BIS,
//! Factur-X, DIAN, SUNAT, …) are read by the same two mappings; Italy's FatturaPA has its own
//! (module `fatturapa` says where it meets EN 16931 and where it does not). Signed FatturaPA
//! files (`.xml.p7m`, a CAdES envelope) are not opened: the XML inside must be taken out first.
//! Every value is [`Extracted::xml`](doxin_model::Extracted::xml) (confidence 1), with
//! `raw_text` when the value was normalised (trimmed text, parsed amounts, rewritten dates).
//!
//! The mapping follows the converter that made the evaluation corpus' truth (see
//! `fields::to_fields` for the flat shape), so the two can be compared field by field.
//!
//! Hostile input is refused early: no DTDs (so no external entities or entity bombs), bounded
//! size, depth, element, attribute and text node counts.

mod cii;
mod decode;
mod fatturapa;
pub mod tree;
mod ubl;
mod values;

use doxin_model::Invoice;
pub use doxin_model::invoice::Syntax;
pub use tree::Limits;
pub(crate) use ubl::document_type;

/// UBL 2.x document namespaces are `urn:oasis:names:specification:ubl:schema:xsd:<Kind>-2`.
const UBL_NS_PREFIX: &str = "urn:oasis:names:specification:ubl:schema:xsd:";
/// CII D16B (and later D-versions sharing the URN stem).
const CII_NS_PREFIX: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:";
/// ZUGFeRD 1.0.
const ZUGFERD1_NS_PREFIX: &str = "urn:ferd:CrossIndustryDocument:invoice:";

/// UBL document kinds read as invoices (they share the invoice structure).
const UBL_KINDS: &[&str] = &["Invoice", "CreditNote", "DebitNote"];

/// A parsed e-invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct EInvoice {
    pub syntax: Syntax,
    /// The document kind as the root element names it: `Invoice`, `CreditNote`, `DebitNote`
    /// for UBL; `Invoice` for CII and ZUGFeRD 1.0 (whose type code tells credit notes apart);
    /// for FatturaPA, whose root is always `FatturaElettronica`, the kind its `TipoDocumento`
    /// names (`Invoice`, `CreditNote`, `DebitNote`).
    pub document_kind: String,
    /// The canonical invoice; its `syntax` and `document_kind` repeat the two above.
    pub invoice: Invoice,
    /// What a reviewer should know about the reading, such as a FatturaPA batch of which only
    /// the first invoice was read. The pipeline passes them on to the extraction.
    pub warnings: Vec<String>,
}

/// Why an XML document is not a readable e-invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML (or not decodable text).
    #[error("not well-formed XML at line {line}, column {column} (byte {offset}): {message}")]
    Malformed {
        offset: u64,
        line: usize,
        column: usize,
        message: String,
    },
    /// A document type declaration: refused, because it is how entity expansion bombs and
    /// external entities (local file reads, network fetches) get in. E-invoices never need one.
    #[error("XML with a document type declaration (<!DOCTYPE) is refused")]
    Doctype,
    #[error("the XML document is {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("XML elements nest deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("the XML document has more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("an XML element has more than {limit} attributes")]
    TooManyAttributes { limit: usize },
    #[error("the XML document has more than {limit} text nodes")]
    TooManyTextNodes { limit: usize },
    #[error("unsupported XML encoding {0:?}")]
    UnsupportedEncoding(String),
    /// Well-formed XML whose root is not a UBL, CII, ZUGFeRD 1.0 or FatturaPA invoice. `root` is
    /// `{namespace}local-name` (or just the local name without a namespace).
    #[error("not an e-invoice: root element {root}")]
    NotAnInvoice { root: String },
}

/// Parses a UBL, CII, ZUGFeRD 1.0 or FatturaPA e-invoice with the default [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<EInvoice, XmlError> {
    parse_with_limits(bytes, Limits::default())
}

/// Parses a UBL, CII, ZUGFeRD 1.0 or FatturaPA e-invoice within the given limits.
pub fn parse_with_limits(bytes: &[u8], limits: Limits) -> Result<EInvoice, XmlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = decode::decode(bytes)?;
    let tree = tree::build(&text, limits)?;
    let root = tree.root();
    let local = root.name();
    let ns = tree.root_namespace().unwrap_or("");

    let syntax = if let Some(rest) = ns.strip_prefix(UBL_NS_PREFIX)
        && UBL_KINDS.contains(&local)
        && rest.strip_suffix("-2") == Some(local)
    {
        Syntax::Ubl
    } else if ns.starts_with(CII_NS_PREFIX) && local == "CrossIndustryInvoice" {
        Syntax::Cii
    } else if ns.starts_with(ZUGFERD1_NS_PREFIX) && local == "CrossIndustryDocument" {
        Syntax::Zugferd1
    } else if ns.starts_with(fatturapa::NS_PREFIX) && local == fatturapa::ROOT {
        Syntax::FatturaPa
    } else {
        let root = if ns.is_empty() {
            local.to_string()
        } else {
            format!("{{{ns}}}{local}")
        };
        return Err(XmlError::NotAnInvoice { root });
    };

    let (mut invoice, kind, warnings) = match syntax {
        Syntax::Ubl => (ubl::map(root, local), local.to_string(), Vec::new()),
        Syntax::Cii => (
            cii::map(root, cii::Flavour::D16b),
            "Invoice".to_string(),
            Vec::new(),
        ),
        Syntax::Zugferd1 => (
            cii::map(root, cii::Flavour::Zugferd1),
            "Invoice".to_string(),
            Vec::new(),
        ),
        Syntax::FatturaPa => {
            let mapped = fatturapa::map(root);
            (mapped.invoice, mapped.kind, mapped.warnings)
        }
    };
    invoice.syntax = Some(syntax);
    invoice.document_kind = Some(kind.clone());
    Ok(EInvoice {
        syntax,
        document_kind: kind,
        invoice,
        warnings,
    })
}
