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

/// Encodes a frame: `u32` header length, `u64` payload length (both little-endian), the JSON
/// header, the payload. Lengths up front let one child serve many requests over one pipe.
pub fn encode<T: Serialize>(header: &T, payload: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let json = serde_json::to_vec(header)?;
    let len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(12 + json.len() + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(payload);
    Ok(out)
}

/// The lengths at the start of a frame: `(header, payload)`.
pub fn lengths(prefix: &[u8; 12]) -> (usize, u64) {
    let mut h = [0u8; 4];
    let mut p = [0u8; 8];
    h.copy_from_slice(&prefix[..4]);
    p.copy_from_slice(&prefix[4..]);
    (u32::from_le_bytes(h) as usize, u64::from_le_bytes(p))
}

/// Splits a whole frame into its header and payload.
pub fn decode<T: for<'de> Deserialize<'de>>(frame: &[u8]) -> Result<(T, &[u8]), String> {
    let prefix: &[u8; 12] = frame
        .get(..12)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("a frame of {} bytes has no lengths", frame.len()))?;
    let (len, payload_len) = lengths(prefix);
    let json = frame.get(12..12 + len).ok_or_else(|| {
        format!(
            "a frame of {} bytes is shorter than its header",
            frame.len()
        )
    })?;
    let header = serde_json::from_slice(json).map_err(|e| format!("a bad frame header: {e}"))?;
    let payload = &frame[12 + len..];
    if payload.len() as u64 != payload_len {
        return Err(format!(
            "a frame says {payload_len} payload bytes and has {}",
            payload.len()
        ));
    }
    Ok((header, payload))
}

/// Reads one frame from a blocking reader: `Ok(None)` at a clean end of input.
pub fn read_frame<R: std::io::Read>(r: &mut R, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut prefix = [0u8; 12];
    match r.read_exact(&mut prefix) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let (len, payload_len) = lengths(&prefix);
    let total = (len as u64).saturating_add(payload_len);
    if total > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a frame of {total} bytes is over the limit of {max}"),
        ));
    }
    let mut frame = Vec::with_capacity(12 + total as usize);
    frame.extend_from_slice(&prefix);
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut *r, total), &mut frame)?;
    if frame.len() as u64 != 12 + total {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(frame))
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
        assert!(decode::<RequestHeader>(&frame[..14]).is_err());
        assert!(decode::<RequestHeader>(&frame[..frame.len() - 1]).is_err());
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        let mut reader = std::io::Cursor::new(two);
        assert_eq!(
            read_frame(&mut reader, 1 << 20).expect("first"),
            Some(frame.clone())
        );
        assert_eq!(
            read_frame(&mut reader, 1 << 20).expect("second"),
            Some(frame.clone())
        );
        assert_eq!(read_frame(&mut reader, 1 << 20).expect("end"), None);
        assert!(read_frame(&mut std::io::Cursor::new(frame), 8).is_err());
    }
}
