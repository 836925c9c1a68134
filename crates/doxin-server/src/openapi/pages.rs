//! Page images of an invoice's document (`routes/pages.rs`).

use serde_json::json;

use super::{Op, Operation, boolean, enumeration, integer, object, string, uuid};

fn id(op: Op) -> Op {
    op.path_id("id", "The invoice's id")
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/invoices/{id}/pages",
            "get",
            id(Op::new(
                "invoices",
                "invoice_pages",
                "The pages of the invoice's document that can be shown, with their sizes",
            ))
            .description(
                "Sizes are in the units of the extracted fields' boxes (`unit`: PDF points \
                 for a PDF, pixels for an image), so `viewBox=\"0 0 width height\"` lays the \
                 boxes over the page image. At most the first 20 pages are listed. A PDF's \
                 pages are rendered (and kept) on the first call.",
            )
            .read()
            .ok(
                200,
                "The pages (none for an XML e-invoice without an embedded PDF, a text file, \
                 or an invoice without a file)",
                object(
                    "Pages of an invoice's document.",
                    json!({
                        "invoice_id": uuid(),
                        "kind": enumeration(&["pdf", "embedded_pdf", "image", "none"]),
                        "has_image": boolean(),
                        "page_count": integer(),
                        "unit": enumeration(&["pt", "px"]),
                        "pages": {
                            "type": "array",
                            "items": object("One page.", json!({
                                "number": integer(),
                                "url": string(),
                                "width": { "type": "number" },
                                "height": { "type": "number" },
                            })),
                        },
                    }),
                ),
            )
            .caller()
            .problems(&[400, 404, 422])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/pages/{n}",
            "get",
            id(Op::new(
                "invoices",
                "invoice_page_image",
                "One page of the invoice's document as an image",
            ))
            .param(json!({
                "name": "n", "in": "path", "required": true,
                "description": "The page number, from 1",
                "schema": { "type": "integer", "minimum": 1 },
            }))
            .description(
                "A PDF page rendered to PNG at 144 dpi (kept in the file store, so it is \
                 rendered once); an uploaded PNG, JPEG, GIF or WebP image as it is (page 1); \
                 a TIFF converted to PNG; the embedded PDF's pages for an XML e-invoice that \
                 carries one. 404 `no_page_image` when the document has no page image (XML, \
                 text, no file), `no_such_page` past the last page; 422 \
                 `page_not_rendered` when the document cannot be rendered.",
            )
            .read()
            .response(
                200,
                json!({
                    "description": "The page image",
                    "headers": { "Cache-Control": { "schema": string() } },
                    "content": {
                        "image/png": { "schema": { "type": "string", "format": "binary" } },
                        "image/jpeg": { "schema": { "type": "string", "format": "binary" } },
                        "image/gif": { "schema": { "type": "string", "format": "binary" } },
                        "image/webp": { "schema": { "type": "string", "format": "binary" } },
                    },
                }),
            )
            .caller()
            .problems(&[400, 404, 422])
            .store_errors()
            .build(),
        ),
    ]
}
