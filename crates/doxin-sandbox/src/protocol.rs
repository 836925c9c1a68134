//! What parent and child say to each other over the child's stdin and stdout: one frame each
//! way. A frame is a little-endian `u32` length, that many bytes of JSON header, then a binary
//! payload to the end of the stream (the document going in, a rendered page coming out), so
//! document bytes are never inflated by a text encoding.

use doxin_extract::DocumentLimits;
use doxin_extract::pipeline::{ExtractOptions, Extraction};
use serde::{Deserialize, Serialize};

/// The work asked of the child; the document is the frame's payload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    PageCount { limits: DocumentLimits },
    Extract { options: Box<ExtractOptions> },
    RenderPage { page: u32, dpi: f32 },
}

/// The child's limits, applied to itself before it reads the document.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Budget {
    pub memory_bytes: u64,
    pub cpu_seconds: u64,
    pub stack_bytes: u64,
}

/// The request header: the work and the budget.
#[derive(Debug, Serialize, Deserialize)]
pub struct RequestHeader {
    pub request: Request,
    pub budget: Budget,
}

/// The child's answer; a rendered page is the frame's payload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "ok", rename_all = "snake_case")]
pub enum Response {
    PageCount {
        pages: u32,
    },
    Extraction {
        extraction: Box<Extraction>,
    },
    Png,
    Error {
        code: String,
        message: String,
        retryable: bool,
    },
}

/// Encodes a frame.
pub fn encode<T: Serialize>(header: &T, payload: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let json = serde_json::to_vec(header)?;
    let len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(4 + json.len() + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(payload);
    Ok(out)
}

/// Splits a frame into its header and payload.
pub fn decode<T: for<'de> Deserialize<'de>>(frame: &[u8]) -> Result<(T, &[u8]), String> {
    let len_bytes: [u8; 4] = frame
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("a frame of {} bytes has no length", frame.len()))?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let json = frame.get(4..4 + len).ok_or_else(|| {
        format!(
            "a frame of {} bytes is shorter than its header",
            frame.len()
        )
    })?;
    let header = serde_json::from_slice(json).map_err(|e| format!("a bad frame header: {e}"))?;
    Ok((header, &frame[4 + len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_with_binary_payloads() {
        let header = RequestHeader {
            request: Request::RenderPage {
                page: 2,
                dpi: 150.0,
            },
            budget: Budget {
                memory_bytes: 1,
                cpu_seconds: 2,
                stack_bytes: 3,
            },
        };
        let frame = encode(&header, &[0, 255, 10]).expect("encode");
        let (back, payload): (RequestHeader, _) = decode(&frame).expect("decode");
        assert!(matches!(back.request, Request::RenderPage { page: 2, .. }));
        assert_eq!(payload, &[0, 255, 10]);
        assert!(decode::<RequestHeader>(&frame[..3]).is_err());
        assert!(decode::<RequestHeader>(&frame[..10]).is_err());
    }
}
