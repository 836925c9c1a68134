//! Image decoding before OCR (PNG, JPEG: grey conversion, the faded-scan stretch, upscaling),
//! behind the pixel limit the pipeline applies first.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reader = match image::ImageReader::new(std::io::Cursor::new(data)).with_guessed_format() {
        Ok(r) => r,
        Err(_) => return,
    };
    // The pipeline refuses large images by their header first (MAX_IMAGE_MEGAPIXELS); the
    // fuzzer keeps to a size that decodes quickly.
    match reader.into_dimensions() {
        Ok((w, h)) if u64::from(w) * u64::from(h) <= 4_000_000 => {}
        _ => return,
    }
    let _ = doxin_extract::ocr::prepare_image(data, 1200);
});
