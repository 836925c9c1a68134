//! Where a value came from: every extracted value carries its provenance.

use serde::{Deserialize, Serialize};

/// The evidence a value was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A structured e-invoice (UBL, CII, an XML attached to a PDF).
    Xml,
    /// The text layer of a born-digital PDF, or a plain-text document.
    Text,
    /// Optical character recognition of an image or a scanned page.
    Ocr,
    /// A language model's answer.
    Llm,
    /// A person typed or confirmed it.
    Human,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Xml => "xml",
            Source::Text => "text",
            Source::Ocr => "ocr",
            Source::Llm => "llm",
            Source::Human => "human",
        }
    }
}

/// An axis-aligned box on a page, in PDF points (1/72 inch), origin at the top-left corner of
/// the page, y growing downwards (as on screen, so the review UI can draw it directly).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl BBox {
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        BBox {
            x0: x0.min(x1),
            y0: y0.min(y1),
            x1: x0.max(x1),
            y1: y0.max(y1),
        }
    }

    /// The smallest box holding both.
    pub fn union(self, other: BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
}

/// A value with its provenance: `{value, raw_text, confidence 0..1, page, bbox, source}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted<T> {
    pub value: T,
    /// The text as it stood in the document, before normalisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_text: Option<String>,
    /// Probability that `value` is right, in 0..=1.
    pub confidence: f32,
    /// 1-based page number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BBox>,
    pub source: Source,
}

/// An optional extracted value: most invoice fields may be absent.
pub type Field<T> = Option<Extracted<T>>;

impl<T> Extracted<T> {
    /// A value with the given source and confidence and no position.
    pub fn new(value: T, source: Source, confidence: f32) -> Self {
        Extracted {
            value,
            raw_text: None,
            confidence: confidence.clamp(0.0, 1.0),
            page: None,
            bbox: None,
            source,
        }
    }

    /// A value read from a structured e-invoice: exact, so confidence 1.
    pub fn xml(value: T) -> Self {
        Extracted::new(value, Source::Xml, 1.0)
    }

    /// A value a person entered or confirmed.
    pub fn human(value: T) -> Self {
        Extracted::new(value, Source::Human, 1.0)
    }

    pub fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw_text = Some(raw.into());
        self
    }

    pub fn at(mut self, page: u32, bbox: BBox) -> Self {
        self.page = Some(page);
        self.bbox = Some(bbox);
        self
    }

    /// The same provenance around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Extracted<U> {
        Extracted {
            value: f(self.value),
            raw_text: self.raw_text,
            confidence: self.confidence,
            page: self.page,
            bbox: self.bbox,
            source: self.source,
        }
    }
}

/// The plain value of an optional field.
pub fn value_of<T>(field: &Field<T>) -> Option<&T> {
    field.as_ref().map(|e| &e.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_clamped() {
        assert_eq!(Extracted::new(1, Source::Text, 1.7).confidence, 1.0);
        assert_eq!(Extracted::new(1, Source::Text, -0.2).confidence, 0.0);
    }

    #[test]
    fn serialises_with_provenance_and_omits_absent_position() {
        let e = Extracted::new("INV-1".to_string(), Source::Ocr, 0.5).with_raw("INV-1 ");
        let json = serde_json::to_value(&e).expect("serialise");
        assert_eq!(json["source"], "ocr");
        assert_eq!(json["raw_text"], "INV-1 ");
        assert!(json.get("page").is_none());
    }

    #[test]
    fn bbox_normalises_and_unions() {
        let a = BBox::new(10.0, 20.0, 0.0, 5.0);
        assert_eq!((a.x0, a.y0, a.x1, a.y1), (0.0, 5.0, 10.0, 20.0));
        let u = a.union(BBox::new(5.0, 0.0, 30.0, 6.0));
        assert_eq!((u.x0, u.y0, u.x1, u.y1), (0.0, 0.0, 30.0, 20.0));
    }
}
