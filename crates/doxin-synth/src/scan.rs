//! Scanned-looking page images: the PDF's first page rendered (hayro), then degraded
//! deterministically: gray levels and contrast, a slight rotation, blur and sensor noise.

use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings, render};
use image::{GrayImage, ImageEncoder, Luma};

use crate::rng::Rng;

pub(crate) struct PageImage {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Renders page 1 of `pdf` at `dpi` to 8-bit gray.
fn render_gray(pdf: &[u8], dpi: f32) -> GrayImage {
    let Ok(doc) = Pdf::new(Arc::new(pdf.to_vec())) else {
        return GrayImage::new(1, 1);
    };
    let pages = doc.pages();
    let Some(page) = pages.first() else {
        return GrayImage::new(1, 1);
    };
    let scale = dpi / 72.0;
    let cache = RenderCache::new();
    let pixmap = render(
        page,
        &cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    // Opaque background: premultiplied RGBA equals straight RGBA.
    let rgba = pixmap.data_as_u8_slice();
    let gray: Vec<u8> = rgba
        .chunks_exact(4)
        .map(|p| {
            let l = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
            l.round().clamp(0.0, 255.0) as u8
        })
        .collect();
    GrayImage::from_raw(w, h, gray).unwrap_or_else(|| GrayImage::new(w.max(1), h.max(1)))
}

/// Rotates by `degrees` about the centre (bilinear), filling with `paper`.
fn rotate(src: &GrayImage, degrees: f64, paper: u8) -> GrayImage {
    let (w, h) = src.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let at = |x: i64, y: i64| -> f64 {
        if x < 0 || y < 0 || x >= i64::from(w) || y >= i64::from(h) {
            f64::from(paper)
        } else {
            f64::from(src.get_pixel(x as u32, y as u32).0[0])
        }
    };
    GrayImage::from_fn(w, h, |x, y| {
        let dx = f64::from(x) + 0.5 - cx;
        let dy = f64::from(y) + 0.5 - cy;
        // Inverse mapping: where this output pixel comes from.
        let sx = cos * dx + sin * dy + cx - 0.5;
        let sy = -sin * dx + cos * dy + cy - 0.5;
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        Luma([(top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8])
    })
}

/// A separable blur with kernel (1-a)/2, a, (1-a)/2 — `a` = 1 leaves the image as it is.
fn blur(src: &GrayImage, a: f32) -> GrayImage {
    let (w, h) = src.dimensions();
    let side = (1.0 - a) / 2.0;
    let pass = |img: &GrayImage, horizontal: bool| {
        GrayImage::from_fn(w, h, |x, y| {
            let get = |dx: i64, dy: i64| {
                let nx = (i64::from(x) + dx).clamp(0, i64::from(w) - 1) as u32;
                let ny = (i64::from(y) + dy).clamp(0, i64::from(h) - 1) as u32;
                f32::from(img.get_pixel(nx, ny).0[0])
            };
            let (p, n) = if horizontal {
                (get(-1, 0), get(1, 0))
            } else {
                (get(0, -1), get(0, 1))
            };
            let v = side * p + a * get(0, 0) + side * n;
            Luma([v.round().clamp(0.0, 255.0) as u8])
        })
    };
    let h_pass = pass(src, true);
    pass(&h_pass, false)
}

/// Renders the first page and degrades it like a office scanner would.
pub(crate) fn degrade_first_page(pdf: &[u8], dpi: f32, seed: u64) -> PageImage {
    let mut rng = Rng::new(seed).fork(0x5CA7);
    let clean = render_gray(pdf, dpi);
    // Paper is not white and toner is not black.
    let paper = rng.float(228.0, 250.0);
    let ink = rng.float(10.0, 45.0);
    let toned = GrayImage::from_fn(clean.width(), clean.height(), |x, y| {
        let v = f64::from(clean.get_pixel(x, y).0[0]) / 255.0;
        Luma([(ink + (paper - ink) * v).round().clamp(0.0, 255.0) as u8])
    });
    let angle = rng.float(-1.5, 1.5);
    let rotated = rotate(&toned, angle, paper.round() as u8);
    let blurred = blur(&rotated, rng.float(0.45, 0.8) as f32);
    let sigma = rng.float(4.0, 11.0);
    let speckles = rng.float(0.0, 0.0004);
    let mut noisy = blurred;
    for p in noisy.pixels_mut() {
        let mut v = f64::from(p.0[0]) + rng.normal() * sigma;
        if rng.unit() < speckles {
            v = ink;
        }
        p.0[0] = v.round().clamp(0.0, 255.0) as u8;
    }
    let (width, height) = noisy.dimensions();
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut png);
    // Encoding into memory only fails on a size the encoder refuses; leave the bytes empty.
    let _ = encoder.write_image(noisy.as_raw(), width, height, image::ExtendedColorType::L8);
    PageImage { png, width, height }
}
